// Defines the state store's flag sets (flag_sets.h).
#include "runtime/state/flag_sets.h"

#include <algorithm>
#include <map>
#include <utility>

#include "runtime/value/json_string.h"
#include "runtime/state/statement.h"
#include "runtime/value/text_hash.h"

namespace crmx::state {

namespace {

constexpr size_t kSlots = 2 * FlagSets::kSetSize;  // a power of two: at most half full

// The JSON strings of a flag set's `keys` (`["K1","K2"]`, as Write writes it), escapes kept, as
// views of `json`; false when it is not such an array.
bool SplitKeys(std::string_view json, std::vector<std::string_view>& out) {
  size_t i = 0;
  if (json.empty() || json[i++] != '[') return false;
  if (i < json.size() && json[i] == ']') return i + 1 == json.size();
  for (;;) {
    if (i >= json.size() || json[i] != '"') return false;
    size_t j = i + 1;
    while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
    if (j >= json.size()) return false;
    out.push_back(json.substr(i, j + 1 - i));
    i = j + 1;
    if (i < json.size() && json[i] == ',') {
      ++i;
      continue;
    }
    return i + 1 == json.size() && json[i] == ']';
  }
}

}  // namespace

std::string QueueItemsView(const db::Connection& db) {
  // A flag's id: kItemBase + its set's id * kIdsPerSet + its position (one item per map, key and
  // flag: the newest entry's id, what was done on it).
  return "CREATE VIEW flag_items AS\n"
         "SELECT f.id, f.map, f.record_id, 'flag' AS queue, CAST(NULL AS TEXT) AS source_id,\n"
         "       CAST(NULL AS TEXT) AS reasons, CAST(NULL AS TEXT) AS fields, CAST(NULL AS TEXT) AS file,\n"
         "       CAST(0 AS BIGINT) AS line, f.first_run, f.last_run, coalesce(a.status, 'open') AS status,\n"
         "       a.note, a.actor, a.acted, f.flag, CAST(NULL AS BIGINT) AS stay_run\n"
         "FROM (SELECT max(" + std::to_string(FlagSets::kItemBase) + " + s.id * " + std::to_string(FlagSets::kIdsPerSet) +
         " + " + db.JsonPosition() + ") AS id, s.map AS map, j.value AS record_id, s.flag AS flag,\n"
         "             min(s.run) AS first_run, max(s.run) AS last_run\n"
         "      FROM flag_sets s, " + db.JsonElements("s.keys") + "\n"
         "      GROUP BY s.map, j.value, s.flag) f\n"
         "LEFT JOIN flag_acts a ON a.item = f.id;\n"
         "CREATE VIEW queue_items AS\n"
         "SELECT id, map, record_id, queue, source_id, reasons, fields, file, line, first_run, last_run, status, note,\n"
         "       actor, acted, flag, stay_run\n"
         "FROM queued_items\n"
         "UNION ALL\n"
         "SELECT id, map, record_id, queue, source_id, reasons, fields, file, line, first_run, last_run, status, note,\n"
         "       actor, acted, flag, stay_run\n"
         "FROM flag_items";
}

FlagSets::FlagSets(db::Connection& db) : db_(db) {}

FlagSets::~FlagSets() = default;

int64_t FlagSets::Pending::Find(std::string_view json, uint64_t hash) {
  if (slots.empty()) {
    slots.assign(kSlots, 0);
    for (size_t e = 0; e < entries.size(); ++e)
      if (entries[e].size != 0) Index(e, value::HashText(std::string_view(text.data() + entries[e].at, entries[e].size)));
  }
  for (size_t i = hash & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    uint32_t s = slots[i];
    if (s == 0) return -1;
    const Entry& e = entries[s - 1];
    if (e.size == json.size() && std::string_view(text.data() + e.at, e.size) == json) return s - 1;
  }
}

void FlagSets::Pending::Index(size_t entry, uint64_t hash) {
  size_t i = hash & (kSlots - 1);
  while (slots[i] != 0) i = (i + 1) & (kSlots - 1);
  slots[i] = static_cast<uint32_t>(entry + 1);
}

void FlagSets::Pending::Add(uint32_t at, uint32_t size) {
  entries.push_back(Entry{at, size});
  ++live;
}

void FlagSets::Pending::Reset() {
  text.clear();
  entries.clear();
  if (!slots.empty()) slots.assign(kSlots, 0);
  live = 0;
}

bool FlagSets::Raise(int64_t run, std::string_view map, std::string_view key, std::string_view flag,
                     std::string& error) {
  Pending* p = last_;
  if (p == nullptr || p->run != run || p->flag != flag || p->map != map) {
    p = nullptr;
    for (auto& q : pending_)
      if (q->run == run && q->flag == flag && q->map == map) p = q.get();
    if (p == nullptr) {
      pending_.push_back(std::make_unique<Pending>());
      p = pending_.back().get();
      p->map = map;
      p->flag = flag;
      p->run = run;
    }
    last_ = p;
  }
  // The text is the set's JSON array as it grows: `[` and the keys with commas between.
  const size_t before = p->text.size();
  if (before == 0) p->text += '[';
  else p->text += ',';
  size_t at = p->text.size();
  value::AppendJsonString(p->text, key);
  std::string_view json(p->text.data() + at, p->text.size() - at);
  if (!p->slots.empty()) {
    // A set a clear looked into: its keys are found by hash, and one raised again kept once.
    uint64_t hash = value::HashText(json);
    if (p->Find(json, hash) >= 0) {
      p->text.resize(before);
      return true;
    }
    p->Add(static_cast<uint32_t>(at), static_cast<uint32_t>(json.size()));
    p->Index(p->entries.size() - 1, hash);
  } else {
    p->Add(static_cast<uint32_t>(at), static_cast<uint32_t>(json.size()));
  }
  return p->entries.size() < kSetSize || Write(*p, error);
}

bool FlagSets::Write(Pending& p, std::string& error) {
  if (p.live == 0) {
    p.Reset();
    return true;
  }
  db::Query* q = Kept(db_, insert_, "INSERT INTO flag_sets (map, flag, run, n, keys) VALUES (?, ?, ?, ?, ?) RETURNING id",
                          error);
  if (q == nullptr) return false;
  // A set nothing was cleared from is its text, closed (for this statement only); else the live
  // keys are copied out.
  const bool whole = p.live == p.entries.size();
  std::string copied;
  if (whole) {
    p.text += ']';
  } else {
    copied = "[";
    for (const Pending::Entry& e : p.entries) {
      if (e.size == 0) continue;
      if (copied.size() > 1) copied += ',';
      copied.append(p.text, e.at, e.size);
    }
    copied += ']';
  }
  q->BindText(1, p.map);
  q->BindText(2, p.flag);
  q->BindInt(3, p.run);
  q->BindInt(4, static_cast<int64_t>(p.live));
  q->BindView(5, whole ? std::string_view(p.text) : std::string_view(copied));
  int64_t id = 0;
  const bool done = RunKept(q, error, &id);
  if (whole) p.text.pop_back();
  if (!done) return false;
  latest_[p.map] = id;
  p.Reset();
  return true;
}

bool FlagSets::LatestSet(std::string_view map, int64_t& id, std::string& error) {
  std::string m(map);
  auto it = latest_.find(m);
  if (it != latest_.end()) {
    id = it->second;
    return true;
  }
  Statement q(db_, "SELECT coalesce(max(id), 0) FROM flag_sets WHERE map = ?", {m});
  id = q.Row() ? q.Int(0) : 0;
  if (!q.ok()) {
    error = q.Error();
    return false;
  }
  latest_.emplace(std::move(m), id);
  return true;
}

bool FlagSets::Clear(std::string_view map, std::string_view key, std::string& error) {
  scratch_.clear();
  value::AppendJsonString(scratch_, key);
  const uint64_t hash = value::HashText(scratch_);
  for (auto& p : pending_) {
    if (p->map != map) continue;
    // Every entry of the key: one raised twice before the set had its table is there twice.
    for (int64_t e; (e = p->Find(scratch_, hash)) >= 0;) {
      p->entries[static_cast<size_t>(e)].size = 0;  // a cleared entry matches no key
      --p->live;
    }
  }
  int64_t upto = 0;
  if (!LatestSet(map, upto, error)) return false;
  if (upto == 0) return true;  // no set of this map is written
  // Kept in memory up to kMemoryClears keys (a second run over a few hundred thousand records),
  // beyond in the temporary table: memory stays bounded at any size.
  auto& keys = cleared_[std::string(map)];
  if (auto k = keys.find(scratch_); k != keys.end()) {
    k->second = upto;
    return true;
  }
  if (cleared_count_ < kMemoryClears) {
    keys.emplace(scratch_, upto);
    ++cleared_count_;
    return true;
  }
  if (!table_clears_) {
    // The first key past memory since the last Flush: the table is there (again, after a
    // rollback) before it is written.
    const char* sql = db_.engine() == db::Engine::kSqlite
                          ? "CREATE TEMP TABLE IF NOT EXISTS flag_clears (map TEXT NOT NULL, key TEXT NOT NULL, "
                            "upto INTEGER NOT NULL, PRIMARY KEY (map, key))"
                          : "CREATE TEMP TABLE IF NOT EXISTS flag_clears (map TEXT NOT NULL, key TEXT NOT NULL, "
                            "upto BIGINT NOT NULL, PRIMARY KEY (map, key))";
    if (!db_.Exec(sql, error)) return false;
  }
  db::Query* q = Kept(db_, clear_,
                          "INSERT INTO flag_clears (map, key, upto) VALUES (?, ?, ?) "
                          "ON CONFLICT (map, key) DO UPDATE SET upto = excluded.upto",
                          error);
  if (q == nullptr) return false;
  q->BindView(1, map);
  q->BindView(2, scratch_);
  q->BindInt(3, upto);
  if (!RunKept(q, error)) return false;
  table_clears_ = true;
  return true;
}

bool FlagSets::Flush(std::string& error) {
  for (auto& p : pending_)
    if (!p->entries.empty() && !Write(*p, error)) return false;
  if (!Compact(error)) return false;
  // Read again in the next transaction: another worker (PostgreSQL) may write this map's sets
  // between two of ours.
  latest_.clear();
  return true;
}

bool FlagSets::ClearedUpto(const std::string& map, std::string_view json, int64_t& upto, std::string& error) {
  upto = 0;
  auto m = cleared_.find(map);
  if (m != cleared_.end()) {
    scratch_.assign(json);
    auto k = m->second.find(scratch_);
    if (k != m->second.end()) upto = k->second;
  }
  if (!table_clears_) return true;
  db::Query* q = Kept(db_, lookup_, "SELECT upto FROM flag_clears WHERE map = ? AND key = ?", error);
  if (q == nullptr) return false;
  q->BindText(1, map);
  q->BindView(2, json);
  int64_t in_table = 0;
  if (!RunKept(q, error, &in_table)) return false;
  upto = std::max(upto, in_table);
  return true;
}

bool FlagSets::Compact(std::string& error) {
  if (cleared_.empty() && !table_clears_) return true;
  auto failed = [&error](const Statement& s) {
    error = s.Error();
    return false;
  };
  // The maps with clears, and the latest set each clear reaches.
  std::map<std::string, int64_t> maps;
  for (const auto& [map, keys] : cleared_)
    for (const auto& [key, upto] : keys) maps[map] = std::max(maps[map], upto);
  if (table_clears_) {
    Statement q(db_, "SELECT map, max(upto) FROM flag_clears GROUP BY map");
    while (q.Row()) maps[q.Text(0)] = std::max(maps[q.Text(0)], q.Int(1));
    if (!q.ok()) return failed(q);
  }
  struct Set {
    int64_t id, run, n;
    std::string flag;
  };
  struct Act {
    int64_t position;
    std::string status, note, actor, acted;
  };
  for (const auto& [map, upto] : maps) {
    std::vector<Set> sets;
    {
      Statement q(db_, "SELECT id, run, n, flag FROM flag_sets WHERE map = ? AND id <= ? ORDER BY id", {map});
      q.Bind(2, upto);
      while (q.Row()) sets.push_back(Set{q.Int(0), q.Int(1), q.Int(2), q.Text(3)});
      if (!q.ok()) return failed(q);
    }
    for (const Set& s : sets) {
      std::string stored;
      {
        Statement q(db_, "SELECT keys FROM flag_sets WHERE id = ?");
        q.Bind(1, s.id);
        if (q.Row()) stored = q.Text(0);
        if (!q.ok()) return failed(q);
      }
      // The set's keys as this class wrote them: JSON strings, escapes kept (a clear names a key
      // by the same text).
      std::vector<std::string_view> keys;
      if (!SplitKeys(stored, keys)) {
        error = "flag set " + std::to_string(s.id) + " of map " + map + " is not a JSON array of strings";
        return false;
      }
      std::vector<std::pair<int64_t, std::string_view>> kept;
      for (size_t i = 0; i < keys.size(); ++i) {
        int64_t cleared = 0;
        if (!ClearedUpto(map, keys[i], cleared, error)) return false;
        if (cleared < s.id) kept.emplace_back(static_cast<int64_t>(i), keys[i]);
      }
      if (kept.size() == keys.size()) continue;
      const int64_t lo = kItemBase + s.id * kIdsPerSet, hi = lo + kIdsPerSet;
      std::vector<Act> acts;
      {
        Statement q(db_, "SELECT item, status, note, actor, acted FROM flag_acts WHERE item >= ? AND item < ? ORDER BY item");
        q.Bind(1, lo).Bind(2, hi);
        while (q.Row()) acts.push_back(Act{q.Int(0) - lo, q.Text(1), q.Text(2), q.Text(3), q.Text(4)});
        if (!q.ok()) return failed(q);
      }
      {
        Statement d(db_, "DELETE FROM flag_acts WHERE item >= ? AND item < ?");
        d.Bind(1, lo).Bind(2, hi);
        if (!d.Done()) return failed(d);
        Statement s2(db_, "DELETE FROM flag_sets WHERE id = ?");
        s2.Bind(1, s.id);
        if (!s2.Done()) return failed(s2);
      }
      if (kept.empty()) continue;
      std::string json = "[";
      for (size_t i = 0; i < kept.size(); ++i) {
        if (i) json += ',';
        json += kept[i].second;
      }
      json += ']';
      int64_t id = 0;
      {
        Statement q(db_, "INSERT INTO flag_sets (map, flag, run, n, keys) VALUES (?, ?, ?, ?, ?) RETURNING id", {map, s.flag});
        q.Bind(3, s.run).Bind(4, static_cast<int64_t>(kept.size())).Bind(5, json);
        if (q.Row()) id = q.Int(0);
        if (!q.Done()) return failed(q);
      }
      latest_[map] = id;
      // What people did on the kept flags goes with them to their new ids.
      size_t k = 0;
      for (const Act& a : acts) {
        while (k < kept.size() && kept[k].first < a.position) ++k;
        if (k == kept.size() || kept[k].first != a.position) continue;  // its flag was cleared
        Statement q(db_, "INSERT INTO flag_acts (item, status, note, actor, acted) VALUES (?, ?, ?, ?, ?)");
        q.Bind(1, kItemBase + id * kIdsPerSet + static_cast<int64_t>(k)).Bind(2, a.status);
        a.note.empty() ? q.BindNull(3) : q.Bind(3, a.note);
        a.actor.empty() ? q.BindNull(4) : q.Bind(4, a.actor);
        a.acted.empty() ? q.BindNull(5) : q.Bind(5, a.acted);
        if (!q.Done()) return failed(q);
      }
    }
  }
  if (table_clears_) {
    Statement d(db_, "DELETE FROM flag_clears");
    if (!d.Done()) return failed(d);
  }
  cleared_.clear();
  cleared_count_ = 0;
  table_clears_ = false;
  return true;
}

void FlagSets::Drop() {
  pending_.clear();
  last_ = nullptr;
  latest_.clear();
  cleared_.clear();
  cleared_count_ = 0;
  table_clears_ = false;
  insert_.reset();
  clear_.reset();
  lookup_.reset();
}

}  // namespace crmx::state
