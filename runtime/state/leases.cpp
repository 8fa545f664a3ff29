// Defines the cluster's leases (leases.h).
#include "runtime/state/leases.h"

#include "runtime/state/state.h"
#include "runtime/state/statement.h"

namespace crmx::state {

namespace {

// `?` milliseconds from now on the database's clock (every worker reads the same clock).
constexpr const char* kFromNow = "clock_timestamp() + CAST(? AS DOUBLE PRECISION) * interval '1 millisecond'";

}  // namespace

std::unique_ptr<Leases> Leases::Open(const std::string& url, const std::string& password, std::string owner,
                                     int64_t ttl_ms, std::string& error) {
  if (!db::IsPostgresUrl(url)) {
    error = "leases need a PostgreSQL state (postgresql://...), not `" + url + "`";
    return nullptr;
  }
  std::unique_ptr<db::Connection> db = db::ConnectPostgres(url, password, error);
  if (!db) return nullptr;
  std::unique_ptr<Leases> out(new Leases(std::move(db), std::move(owner), ttl_ms));
  {
    Statement w(*out->db_,
                "INSERT INTO workers (id, started, seen) VALUES (?, clock_timestamp(), clock_timestamp()) "
                "ON CONFLICT (id) DO UPDATE SET seen = excluded.seen",
                {out->owner_});
    if (!w.Done()) {
      error = "state " + db::RedactUrl(url) + ": " + w.Error();
      return nullptr;
    }
  }
  out->beat_ = std::thread([l = out.get()] { l->Beat(); });
  return out;
}

Leases::Leases(std::unique_ptr<db::Connection> db, std::string owner, int64_t ttl_ms)
    : db_(std::move(db)), owner_(std::move(owner)), ttl_ms_(ttl_ms) {}

Leases::~Leases() {
  {
    std::lock_guard<std::mutex> lock(beat_mu_);
    stopping_ = true;
  }
  beat_cv_.notify_all();
  if (beat_.joinable()) beat_.join();
  // A clean stop gives its leases back at once; a killed worker's expire.
  std::map<std::string, int64_t> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held = held_;
  }
  for (const auto& [name, token] : held) Release(Lease{name, token});
  std::lock_guard<std::mutex> lock(mu_);
  Statement gone(*db_, "DELETE FROM workers WHERE id = ?", {owner_});
  gone.Done();
}

void Leases::Beat() {
  std::unique_lock<std::mutex> wait(beat_mu_);
  while (!stopping_) {
    beat_cv_.wait_for(wait, std::chrono::milliseconds(std::max<int64_t>(ttl_ms_ / 3, 50)));
    if (stopping_) break;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      Statement q(*db_,
                  std::string("UPDATE leases SET expires = ") + kFromNow +
                      " WHERE name = ? AND owner = ? AND token = ? AND expires > clock_timestamp()");
      q.Bind(1, ttl_ms_).Bind(2, it->first).Bind(3, owner_).Bind(4, it->second);
      if (q.Done() && q.Changes() == 0) {
        // Expired (this worker stalled past it) or taken: no longer extended; the fence refuses
        // its writes (StateStore::Commit).
        it = held_.erase(it);
        continue;
      }
      ++it;
    }
    Statement w(*db_, "UPDATE workers SET seen = clock_timestamp() WHERE id = ?", {owner_});
    w.Done();
  }
}

bool Leases::Ensure(const std::vector<std::string>& names, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& n : names) {
    Statement q(*db_, "INSERT INTO leases (name) VALUES (?) ON CONFLICT (name) DO NOTHING", {n});
    if (!q.Done()) {
      error = q.Error();
      return false;
    }
  }
  return true;
}

std::optional<Lease> Leases::Claim(const std::string& name, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string msg;
  if (!db_->Begin(msg)) {
    error = msg;
    return std::nullopt;
  }
  auto fail = [&](const std::string& e) {
    db_->Rollback();
    error = e;
    return std::nullopt;
  };
  {
    // SKIP LOCKED: a row another worker is claiming (or fencing a commit on) is not waited for.
    Statement free(*db_,
                   "SELECT token FROM leases WHERE name = ? AND (owner IS NULL OR expires IS NULL OR "
                   "expires <= clock_timestamp()) FOR UPDATE SKIP LOCKED",
                   {name});
    bool row = free.Row();
    if (!free.ok()) return fail(free.Error());
    if (!row) {
      db_->Rollback();
      return std::nullopt;
    }
  }
  Statement take(*db_,
                 std::string("UPDATE leases SET owner = ?, token = token + 1, expires = ") + kFromNow +
                     ", claimed = clock_timestamp() WHERE name = ? RETURNING token");
  take.Bind(1, owner_).Bind(2, ttl_ms_).Bind(3, name);
  if (!take.Row()) return fail(take.ok() ? "the lease row of sync `" + name + "` is gone" : take.Error());
  Lease lease{name, take.Int(0)};
  if (!take.Done()) return fail(take.Error());
  if (!db_->Commit(msg)) return fail(msg);
  held_[name] = lease.token;
  return lease;
}

bool Leases::Release(const Lease& lease) {
  std::lock_guard<std::mutex> lock(mu_);
  held_.erase(lease.name);
  Statement q(*db_, "UPDATE leases SET owner = NULL, expires = NULL WHERE name = ? AND owner = ? AND token = ?",
              {lease.name, owner_});
  q.Bind(3, lease.token);
  return q.Done() && q.Changes() == 1;
}

bool Leases::Wake(const std::vector<std::string>& names, int64_t at_ms, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& n : names) {
    Statement q(*db_, "UPDATE leases SET woken = ? WHERE name = ? AND woken = 0");
    q.Bind(1, at_ms).Bind(2, n);
    if (!q.Done()) {
      error = q.Error();
      return false;
    }
  }
  return true;
}

std::map<std::string, int64_t> Leases::Woken(std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out;
  Statement q(*db_, "SELECT name, woken FROM leases WHERE woken > 0");
  while (q.Row()) out[q.Text(0)] = q.Int(1);
  if (!q.ok()) error = q.Error();
  return out;
}

bool Leases::ClearWoken(const std::string& name, int64_t up_to_ms, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement q(*db_, "UPDATE leases SET woken = 0 WHERE name = ? AND woken <= ?", {name});
  q.Bind(2, up_to_ms);
  if (q.Done()) return true;
  error = q.Error();
  return false;
}

std::string Leases::Admit(const std::string& system, int64_t window_start, int64_t amount) {
  std::lock_guard<std::mutex> lock(mu_);
  // One statement: the row's lock orders the workers' increments, and each sees the others'.
  Statement q(*db_,
              "INSERT INTO usage (system, metric, window_start, amount) SELECT ?1, 'api_calls', ?2, 1 "
              "WHERE CAST(?3 AS BIGINT) >= 1 ON CONFLICT (system, metric, window_start) DO UPDATE "
              "SET amount = usage.amount + 1 WHERE usage.amount + 1 <= CAST(?3 AS BIGINT) RETURNING amount",
              {system});
  q.Bind(2, window_start).Bind(3, amount);
  bool admitted = q.Row();
  if (!q.ok()) return "cannot count the call against " + system + "'s budget: " + q.Error();
  if (admitted) return "";
  return "budget api_calls " + std::to_string(amount) + " of " + system + " reached (shared by the workers)";
}

int Leases::AcquireSlot(const std::string& system, int slots, int64_t wait_ms, std::string& error) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (int round = 0;; ++round) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int slot = 0; slot < slots; ++slot) {
        // Session locks are re-entrant within a session: the slots this worker's own threads hold
        // are not asked for again.
        if (slots_.count({system, slot})) continue;
        Statement q(*db_, "SELECT pg_try_advisory_lock(hashtext(?), CAST(? AS INTEGER))", {"crmx:concurrency:" + system});
        q.Bind(2, static_cast<int64_t>(slot));
        if (!q.Row()) {
          error = "cannot take a concurrency slot of " + system + ": " + q.Error();
          return -1;
        }
        if (q.Text(0) == "t") {
          slots_.insert({system, slot});
          return slot;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 + round, 50)));
  }
}

void Leases::ReleaseSlot(const std::string& system, int slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!slots_.erase({system, slot})) return;
  Statement q(*db_, "SELECT pg_advisory_unlock(hashtext(?), CAST(? AS INTEGER))", {"crmx:concurrency:" + system});
  q.Bind(2, static_cast<int64_t>(slot));
  q.Done();
}

bool ClaimMaps(Leases& leases, StateStore& store, const std::vector<std::string>& maps, std::vector<Lease>& held,
               std::string& error) {
  held.clear();
  if (!leases.Ensure(maps, error)) return false;
  for (const std::string& m : maps) {
    std::optional<Lease> l = leases.Claim(m, error);
    if (!l) {
      for (const Lease& h : held) leases.Release(h);
      held.clear();
      if (error.empty()) {
        std::string owner = "another worker", ignored;
        for (const LeaseRow& r : leases.List(ignored))
          if (r.name == m && !r.owner.empty())
            owner = "worker " + r.owner + " (its lease ends in " + std::to_string(std::max<int64_t>(0, r.expires_in_ms) / 1000) + " s)";
        error = "map `" + m + "` is being run by " + owner + "; try again when that run is done";
      }
      return false;
    }
    held.push_back(*l);
  }
  store.Fence(leases.owner(), held, leases.ttl_ms());
  return true;
}

void Unclaim(Leases& leases, StateStore& store, const std::vector<Lease>& held) {
  store.Fence("", {}, 0);
  for (const Lease& h : held) leases.Release(h);
}

std::vector<LeaseRow> Leases::List(std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LeaseRow> out;
  Statement q(*db_,
              "SELECT name, coalesce(owner, ''), token, coalesce(CAST(extract(epoch from (expires - clock_timestamp())) "
              "* 1000 AS BIGINT), 0) FROM leases ORDER BY name");
  while (q.Row()) out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Int(3)});
  if (!q.ok()) error = q.Error();
  return out;
}

}  // namespace crmx::state
