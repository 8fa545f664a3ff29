// Defines the state's tables on PostgreSQL (postgres_schema.h).
#include "runtime/state/postgres_schema.h"

#include "runtime/state/flag_sets.h"
#include "runtime/state/item_sets.h"
#include "runtime/state/state.h"
#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

// Version 1: the tables of SQLite state version 8, with PostgreSQL's types (BIGINT for SQLite's
// INTEGER, BIGSERIAL for its AUTOINCREMENT ids), the history triggers of `items` in PL/pgSQL, and
// the cluster's leases.
constexpr const char* kSchema1 = R"sql(
CREATE TABLE runs (
  run BIGSERIAL PRIMARY KEY,
  started TEXT NOT NULL,
  finished TEXT,
  plan_hash TEXT NOT NULL,
  summary TEXT
);
CREATE TABLE xref (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  target_id TEXT NOT NULL,
  external_id TEXT,
  updated TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
CREATE TABLE cursors (
  map TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE deliveries (
  id BIGSERIAL PRIMARY KEY,
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  source_id TEXT,
  idem_key TEXT NOT NULL,
  hash TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  due BIGINT,
  payload TEXT,
  external_id TEXT,
  target_id TEXT,
  file TEXT,
  line BIGINT,
  run BIGINT NOT NULL,
  decided TEXT NOT NULL,
  updated TEXT NOT NULL,
  last_status BIGINT,
  last_code TEXT,
  last_message TEXT,
  last_fields TEXT,
  last_request TEXT,
  notify TEXT,
  source_changed BIGINT,
  UNIQUE (map, source_key)
);
CREATE INDEX deliveries_open ON deliveries (map) WHERE state IN ('pending', 'in_flight', 'failed');
-- `rowid`: the order rows were added in (SQLite's own rowid there), for the attempts of a delivery.
CREATE TABLE attempts (
  delivery BIGINT NOT NULL,
  attempt BIGINT NOT NULL,
  run BIGINT NOT NULL,
  at TEXT NOT NULL,
  ok BIGINT NOT NULL,
  http_status BIGINT,
  code TEXT,
  message TEXT,
  retriable BIGINT,
  wait_ms BIGINT,
  rowid BIGSERIAL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery);
CREATE TABLE items (
  id BIGSERIAL PRIMARY KEY,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  source_id TEXT,
  reasons TEXT,
  fields TEXT,
  file TEXT,
  line BIGINT,
  first_run BIGINT NOT NULL,
  last_run BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  note TEXT,
  actor TEXT,
  acted TEXT,
  flag TEXT NOT NULL DEFAULT '',
  stay_run BIGINT,
  UNIQUE (map, record_id, queue, flag)
);
CREATE TABLE actions (
  id BIGSERIAL PRIMARY KEY,
  item BIGINT,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  action TEXT NOT NULL,
  note TEXT,
  actor TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  at TEXT NOT NULL,
  run BIGINT,
  kind TEXT NOT NULL,
  map TEXT,
  record_id TEXT,
  target TEXT,
  message TEXT NOT NULL,
  delivered TEXT
);
CREATE TABLE usage (
  system TEXT NOT NULL,
  metric TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (system, metric, window_start)
);
CREATE TABLE field_values (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (map, source_key, field)
);
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at TEXT NOT NULL,
  run BIGINT NOT NULL,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  field TEXT NOT NULL,
  base TEXT,
  source_value TEXT,
  target_value TEXT,
  written TEXT,
  winner TEXT NOT NULL,
  rule TEXT NOT NULL
);
CREATE TABLE target_marks (
  map TEXT PRIMARY KEY,
  mark TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE tombstones (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  source_id TEXT,
  run BIGINT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
CREATE TABLE cursor_keys (
  map TEXT NOT NULL,
  source_key TEXT NOT NULL,
  PRIMARY KEY (map, source_key)
);
CREATE TABLE syncs (name TEXT PRIMARY KEY, last_due BIGINT, last_started BIGINT, last_finished BIGINT,
                    last_result TEXT, last_why TEXT, last_run BIGINT, next_due BIGINT);
CREATE TABLE reconciliations (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL,
  plan_hash TEXT NOT NULL,
  matched BIGINT NOT NULL,
  discrepancies BIGINT NOT NULL,
  summary TEXT
);
CREATE INDEX reconciliations_by_name ON reconciliations (name, id);
CREATE TABLE discrepancies (
  reconciliation BIGINT NOT NULL,
  kind TEXT NOT NULL,
  record_key TEXT NOT NULL,
  field TEXT NOT NULL DEFAULT '',
  left_value TEXT,
  right_value TEXT,
  difference TEXT,
  tolerance TEXT,
  first_reconciliation BIGINT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (reconciliation, kind, record_key, field)
);
CREATE TABLE alert_timers (
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  since BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  fired BIGINT,
  notified BIGINT,
  rounds BIGINT NOT NULL DEFAULT 0,
  link TEXT,
  summary TEXT,
  PRIMARY KEY (alert, record_key)
);
CREATE TABLE alert_clears (
  id BIGSERIAL PRIMARY KEY,
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  since BIGINT NOT NULL,
  fired BIGINT,
  rounds BIGINT NOT NULL,
  cleared BIGINT NOT NULL
);
CREATE TABLE notifications (
  id BIGSERIAL PRIMARY KEY,
  dedup TEXT NOT NULL UNIQUE,
  alert TEXT NOT NULL,
  record_key TEXT NOT NULL,
  target TEXT NOT NULL,
  channel TEXT NOT NULL,
  link TEXT,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  due BIGINT NOT NULL,
  sent BIGINT,
  event BIGINT
);
CREATE INDEX notifications_due ON notifications (status, due);
CREATE TABLE item_stays (
  id BIGSERIAL PRIMARY KEY,
  item BIGINT NOT NULL,
  map TEXT NOT NULL,
  record_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  reasons TEXT,
  fields TEXT,
  entered_run BIGINT NOT NULL,
  left_run BIGINT,
  "left" TEXT,
  how TEXT NOT NULL
);
CREATE INDEX item_stays_by_queue ON item_stays (queue, entered_run);
CREATE INDEX item_stays_by_record ON item_stays (map, record_id);
-- The history of the queues, as SQLite's triggers keep it (state.cpp, kSchema8).
CREATE FUNCTION crmx_items_stay_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.queue <> 'flag' AND OLD.status <> 'open' AND NEW.status = 'open' THEN
    NEW.stay_run := NEW.last_run;
  END IF;
  IF NEW.queue <> 'flag' AND OLD.status = 'open' AND NEW.status <> 'open' THEN
    INSERT INTO item_stays (item, map, record_id, queue, reasons, fields, entered_run, "left", how)
      VALUES (NEW.id, NEW.map, NEW.record_id, NEW.queue, NEW.reasons, NEW.fields,
              coalesce(OLD.stay_run, OLD.first_run), NEW.acted, NEW.status);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER items_stay_status BEFORE UPDATE OF status ON items
  FOR EACH ROW EXECUTE FUNCTION crmx_items_stay_status();
CREATE FUNCTION crmx_items_stay_leave() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.queue <> 'flag' AND OLD.status = 'open' THEN
    INSERT INTO item_stays (item, map, record_id, queue, reasons, fields, entered_run, left_run, how)
      VALUES (OLD.id, OLD.map, OLD.record_id, OLD.queue, OLD.reasons, OLD.fields,
              coalesce(OLD.stay_run, OLD.first_run), (SELECT max(run) FROM runs), 'run');
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER items_stay_leave AFTER DELETE ON items FOR EACH ROW EXECUTE FUNCTION crmx_items_stay_leave();
-- The cluster: one row per sync. `owner` runs it until `expires` (the database's clock), with
-- `token`, raised at every claim: a commit of a run checks its token (the fence), so a worker
-- that lost its lease cannot write. `woken`: a webhook's request to run it now (Unix ms; 0 none).
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT,
  token BIGINT NOT NULL DEFAULT 0,
  expires TIMESTAMPTZ,
  claimed TIMESTAMPTZ,
  woken BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  started TIMESTAMPTZ NOT NULL,
  seen TIMESTAMPTZ NOT NULL
);
)sql";

// Version 2: SQLite state version 9's flag sets (runtime/state/flag_sets.h), `flag_acts` and the
// view `queue_items`.
constexpr const char* kSchema2 = R"sql(
CREATE TABLE flag_sets (
  id BIGSERIAL PRIMARY KEY,
  map TEXT NOT NULL,
  flag TEXT NOT NULL,
  run BIGINT NOT NULL,
  n BIGINT NOT NULL,
  keys TEXT NOT NULL
);
CREATE INDEX flag_sets_by_map ON flag_sets (map, id);
CREATE TABLE flag_acts (
  item BIGINT PRIMARY KEY,
  status TEXT NOT NULL,
  note TEXT,
  actor TEXT,
  acted TEXT
);
)sql";

// Version 3: SQLite state version 10's item sets (runtime/state/item_sets.h) and the views
// `queued_items` and `queue_items` over them.
constexpr const char* kSchema3 = R"sql(
CREATE TABLE item_sets (
  id BIGSERIAL PRIMARY KEY,
  map TEXT NOT NULL,
  queue TEXT NOT NULL,
  run BIGINT NOT NULL,
  n BIGINT NOT NULL,
  lo BIGINT NOT NULL,
  hi BIGINT NOT NULL,
  entries TEXT NOT NULL
);
CREATE INDEX item_sets_by_map ON item_sets (map, id);
CREATE INDEX item_sets_by_id ON item_sets (lo, hi);
DROP VIEW IF EXISTS queue_items;
)sql";

// [v]: the SQL from version v to v + 1.
std::string Migration(const db::Connection& db, int64_t from) {
  if (from == 0) return kSchema1;
  if (from == 1) return kSchema2;
  return std::string(kSchema3) + QueuedItemsView(db) + ";\n" + QueueItemsView(db);
}

// Takes the migration lock: one worker migrates, the others wait and find it done.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7164208246512824696)";

}  // namespace

bool PreparePostgres(db::Connection& db, const std::string& where, bool read_only, std::string& error) {
  std::string msg;
  auto fail = [&](const std::string& what) {
    db.Rollback();
    error = what;
    return false;
  };
  if (!db.Begin(msg)) return fail("state " + where + ": " + msg);
  if (!read_only) {
    Statement lock(db, kLock);
    if (!lock.Done()) return fail("state " + where + ": " + lock.Error());
  }
  int64_t version = 0;
  {
    Statement meta(db, "SELECT to_regclass('crmx_meta') IS NOT NULL");
    if (!meta.Row()) return fail("state " + where + ": " + meta.Error());
    bool has_meta = meta.Text(0) == "t";
    if (has_meta) {
      Statement v(db, "SELECT value FROM crmx_meta WHERE key = 'version'");
      if (v.Row()) version = std::stoll(v.Text(0));
      if (!v.ok()) return fail("state " + where + ": " + v.Error());
    } else {
      // A database with tables of its own is not the state's: crmx does not write beside them.
      Statement t(db,
                  "SELECT string_agg(table_name, ', ' ORDER BY table_name) FROM information_schema.tables "
                  "WHERE table_schema = current_schema()");
      if (!t.Row()) return fail("state " + where + ": " + t.Error());
      if (!t.Null(0))
        return fail("`" + where + "` is not a crmx state database (it has the tables " + t.Text(0) +
                    "); give the state its own database or schema");
    }
  }
  if (version > kPostgresVersion)
    return fail("state database " + where + " was written by a newer crmx-run (state version " +
                std::to_string(version) + "; this one reads up to " + std::to_string(kPostgresVersion) + ")");
  if (version == kPostgresVersion) {
    db.Rollback();
    return true;
  }
  if (read_only)
    return fail("state database " + where + " is at state version " + std::to_string(version) + ", this crmx-run reads " +
                std::to_string(kPostgresVersion) + ": a run (crmx-run run, serve) migrates it first");
  if (version == 0 && !db.Exec("CREATE TABLE crmx_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); "
                               "INSERT INTO crmx_meta VALUES ('application', 'crmx'), ('version', '0')",
                               msg))
    return fail("cannot create the state's tables in " + where + ": " + msg);
  for (int64_t from = version; from < kPostgresVersion; ++from)
    if (!db.Exec(Migration(db, from), msg))
      return fail("cannot migrate the state database " + where + " from version " + std::to_string(from) + ": " + msg);
  Statement set(db, "UPDATE crmx_meta SET value = ? WHERE key = 'version'", {std::to_string(kPostgresVersion)});
  if (!set.Done()) return fail("cannot migrate the state database " + where + ": " + set.Error());
  if (!db.Commit(msg)) return fail("cannot migrate the state database " + where + ": " + msg);
  return true;
}

}  // namespace crmx::state
