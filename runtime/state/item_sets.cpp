// Defines the state store's item sets (item_sets.h).
#include "runtime/state/item_sets.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include <simdjson.h>

#include "runtime/state/statement.h"
#include "runtime/value/json_string.h"
#include "runtime/value/text_hash.h"

namespace crmx::state {

namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

std::string QueuedItemsView(const db::Connection& db) {
  // An entry's columns: [id, record_id, source_id, reasons, fields, file, line, first_run].
  auto text = [&db](int i) { return db.JsonAt("j.value", i); };
  auto integer = [&db](int i) { return "CAST(" + db.JsonAt("j.value", i) + " AS BIGINT)"; };
  return "CREATE VIEW queued_items AS\n"
         "SELECT id, map, record_id, queue, source_id, reasons, fields, file, line, first_run, last_run, status, note,\n"
         "       actor, acted, flag, stay_run\n"
         "FROM items\n"
         "UNION ALL\n"
         "SELECT " + integer(0) + ", s.map, " + text(1) + ", s.queue, " + text(2) + ",\n       " + text(3) + ", " +
         text(4) + ", " + text(5) + ", " + integer(6) + ",\n       " + integer(7) +
         ", s.run, 'open', NULL, NULL, NULL, '', CAST(NULL AS BIGINT)\n"
         "FROM item_sets s, " + db.JsonElements("s.entries");
}

struct ItemSets::Parser {
  simdjson::dom::parser dom;
};

ItemSets::ItemSets(db::Connection& db) : db_(db), parser_(std::make_unique<Parser>()) {}

ItemSets::~ItemSets() = default;

bool ItemSets::Add(int64_t run, std::string_view map, std::string_view queue, std::string_view key,
                   std::string_view source_id, std::string_view reasons_json, std::string_view fields_json,
                   std::string_view file, int64_t line, int64_t id, int64_t first_run, std::string& error) {
  Pending* p = last_;
  if (p == nullptr || p->run != run || p->queue != queue || p->map != map) {
    p = nullptr;
    for (auto& q : pending_)
      if (q->run == run && q->queue == queue && q->map == map) p = q.get();
    if (p == nullptr) {
      pending_.push_back(std::make_unique<Pending>());
      p = pending_.back().get();
      p->map = map;
      p->queue = queue;
      p->run = run;
    }
    last_ = p;
  }
  // The entry but its `[id,`: "key",source_id,reasons,fields,file,line,first_run]
  std::string& t = p->text;
  const size_t at = t.size();
  value::AppendJsonString(t, key);
  const size_t key_size = t.size() - at;
  t += ',';
  if (source_id.empty()) t += "null";
  else value::AppendJsonString(t, source_id);
  t += ',';
  t += reasons_json.empty() ? std::string_view("[]") : reasons_json;
  t += ',';
  t += fields_json.empty() ? std::string_view("null") : fields_json;
  t += ',';
  if (file.empty()) t += "null";
  else value::AppendJsonString(t, file);
  t += ',';
  AppendInt(t, line);
  t += ',';
  AppendInt(t, first_run);
  t += ']';
  const uint64_t hash = value::HashText(key);
  p->entries.push_back(Pending::Entry{static_cast<uint32_t>(at), static_cast<uint32_t>(t.size() - at),
                                      static_cast<uint32_t>(key_size), id, first_run, hash, true});
  ++p->live;
  if (p->indexed) p->Index(p->entries.size() - 1);
  return p->entries.size() < kSetSize || Write(*p, error);
}

bool ItemSets::Reserve(size_t count, std::vector<int64_t>& ids, std::string& error) {
  ids.clear();
  if (count == 0) return true;
  const int64_t n = static_cast<int64_t>(count);
  if (db_.engine() == db::Engine::kPostgres) {
    // From the sequence of `items`: other workers' rows take numbers between.
    Statement q(db_, "SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, CAST(? AS INTEGER))");
    q.Bind(1, n);
    while (q.Row()) ids.push_back(q.Int(0));
    if (!q.ok() || ids.size() != count) {
      error = q.ok() ? "cannot take " + std::to_string(count) + " item ids" : q.Error();
      return false;
    }
    return true;
  }
  // SQLite: the AUTOINCREMENT counter of `items`, moved on by `count` (past the sets' ids too: a
  // copy of the state, crmx-run run --dry-run's, carries the rows' counter only).
  int64_t last = 0;
  {
    db::Query* q = Kept(db_, reserve_,
                            "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(hi) FROM item_sets), 0)) + ? "
                            "WHERE name = 'items' RETURNING seq",
                            error);
    if (q == nullptr) return false;
    q->BindInt(1, n);
    if (!RunKept(q, error, &last)) return false;
  }
  if (last == 0) {
    // No row of `items` was ever written: the counter starts here.
    Statement q(db_,
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'items', max(coalesce((SELECT max(id) FROM items), 0), "
                "coalesce((SELECT max(hi) FROM item_sets), 0)) + ? RETURNING seq");
    q.Bind(1, n);
    if (q.Row()) last = q.Int(0);
    if (!q.Done() || last == 0) {
      error = q.ok() ? "cannot take " + std::to_string(count) + " item ids" : q.Error();
      return false;
    }
  }
  for (int64_t i = last - n + 1; i <= last; ++i) ids.push_back(i);
  return true;
}

void ItemSets::Pending::Index(size_t entry) {
  if (!by_hash.emplace(entries[entry].hash, static_cast<uint32_t>(entry)).second) collided = true;
}

void ItemSets::Pending::Reset() {
  text.clear();
  entries.clear();
  live = 0;
  indexed = collided = false;
  by_hash.clear();
}

bool ItemSets::Write(Pending& p, std::string& error) {
  if (p.live == 0) {
    p.Reset();
    return true;
  }
  size_t fresh = 0;
  for (const Pending::Entry& e : p.entries) fresh += e.live && e.id == 0;
  std::vector<int64_t> ids;
  if (!Reserve(fresh, ids, error)) return false;
  json_.clear();
  json_.reserve(p.text.size() + p.live * 16 + 2);
  json_ += '[';
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  size_t next = 0;
  for (const Pending::Entry& e : p.entries) {
    if (!e.live) continue;
    const int64_t id = e.id != 0 ? e.id : ids[next++];
    lo = std::min(lo, id);
    hi = std::max(hi, id);
    if (json_.size() > 1) json_ += ',';
    json_ += '[';
    AppendInt(json_, id);
    json_ += ',';
    json_.append(p.text, e.at, e.size);
  }
  json_ += ']';
  db::Query* q = Kept(
      db_, insert_, "INSERT INTO item_sets (map, queue, run, n, lo, hi, entries) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      error);
  if (q == nullptr) return false;
  q->BindText(1, p.map);
  q->BindText(2, p.queue);
  q->BindInt(3, p.run);
  q->BindInt(4, static_cast<int64_t>(p.live));
  q->BindInt(5, lo);
  q->BindInt(6, hi);
  q->BindView(7, json_);
  int64_t set = 0;
  if (!RunKept(q, error, &set)) return false;
  if (auto it = index_.find(p.map); it != index_.end()) it->second.unread.push_back(set);
  p.Reset();
  return true;
}

bool ItemSets::Entries(std::string_view text, bool json,
                       const std::function<void(int64_t, std::string_view, int64_t, std::string&&)>& each) {
  simdjson::dom::element doc;
  simdjson::dom::array entries;
  if (parser_->dom.parse(text.data(), text.size(), true).get(doc) || doc.get_array().get(entries)) return false;
  for (simdjson::dom::element e : entries) {
    simdjson::dom::array a;
    int64_t id = 0, first_run = 0;
    std::string_view key;
    if (e.get_array().get(a) || a.size() != 8 || a.at(0).get_int64().get(id) || a.at(1).get_string().get(key) ||
        a.at(7).get_int64().get(first_run))
      return false;
    each(id, key, first_run, json ? simdjson::minify(e) : std::string());
  }
  return true;
}

bool ItemSets::IndexSet(int64_t set, std::string_view entries, std::vector<std::pair<uint64_t, int64_t>>& out,
                        std::string& error, const std::function<void(std::string_view)>* each) {
  if (Entries(entries, false, [&](int64_t, std::string_view key, int64_t, std::string&&) {
        out.emplace_back(value::HashText(key), set);
        if (each != nullptr) (*each)(key);
      }))
    return true;
  error = "item set " + std::to_string(set) + " is not a JSON array of entries";
  return false;
}

bool ItemSets::ReadIndex(const std::string& map, const std::function<void(std::string_view)>* each,
                         std::string& error) {
  Index index;
  Statement q(db_, "SELECT id, entries FROM item_sets WHERE map = ? ORDER BY id", {map});
  while (q.Row()) {
    const int64_t set = q.Int(0);
    if (!IndexSet(set, q.Text(1), index.sorted, error, each)) return false;
  }
  if (!q.ok()) {
    error = q.Error();
    return false;
  }
  std::sort(index.sorted.begin(), index.sorted.end());
  index_[map] = std::move(index);
  return true;
}

bool ItemSets::Keys(const std::string& map, const std::function<void(std::string_view)>& each, std::string& error) {
  return ReadIndex(map, &each, error);
}

bool ItemSets::IndexOf(const std::string& map, Index*& out, std::string& error) {
  auto it = index_.find(map);
  if (it == index_.end()) {
    if (!ReadIndex(map, nullptr, error)) return false;
    it = index_.find(map);
  }
  Index& index = it->second;
  if (!index.unread.empty()) {
    // The sets written since: their keys sorted and merged in.
    std::vector<std::pair<uint64_t, int64_t>> added;
    for (int64_t set : index.unread) {
      Statement q(db_, "SELECT entries FROM item_sets WHERE id = ?");
      q.Bind(1, set);
      if (q.Row() && !IndexSet(set, q.Text(0), added, error)) return false;
      if (!q.ok()) {
        error = q.Error();
        return false;
      }
    }
    index.unread.clear();
    std::sort(added.begin(), added.end());
    const size_t mid = index.sorted.size();
    index.sorted.insert(index.sorted.end(), added.begin(), added.end());
    std::inplace_merge(index.sorted.begin(), index.sorted.begin() + static_cast<std::ptrdiff_t>(mid), index.sorted.end());
  }
  out = &index;
  return true;
}

bool ItemSets::Load(int64_t set, Loaded*& out, std::string& error) {
  out = nullptr;
  if (auto it = loaded_.find(set); it != loaded_.end()) {
    out = it->second.get();
    return true;
  }
  if (loaded_entries_ >= kMaxLoaded) {
    // Memory stays bounded: the sets changed so far are written and all forgotten.
    if (!WriteLoaded(error)) return false;
    loaded_.clear();
    loaded_entries_ = 0;
  }
  db::Query* q = Kept(db_, load_, "SELECT map, queue, run, entries FROM item_sets WHERE id = ?", error);
  if (q == nullptr) return false;
  auto s = std::make_unique<Loaded>();
  s->id = set;
  q->BindInt(1, set);
  bool read = true;
  if (q->Row()) {
    s->map = q->Text(0);
    s->queue = q->Text(1);
    s->run = q->Int(2);
    read = Entries(q->Text(3), true, [&s](int64_t id, std::string_view key, int64_t first_run, std::string&& json) {
      s->rows.push_back(Loaded::Row{id, first_run, std::string(key), std::move(json), true});
    });
  }
  const bool ok = RunKept(q, error);
  if (!ok) return false;
  if (!read) {
    error = "item set " + std::to_string(set) + " is not a JSON array of entries";
    return false;
  }
  if (s->rows.empty()) return true;  // no such set (any more)
  s->by_key.reserve(s->rows.size());
  for (size_t i = 0; i < s->rows.size(); ++i) s->by_key.emplace(s->rows[i].key, static_cast<uint32_t>(i));
  s->live = s->rows.size();
  loaded_entries_ += s->rows.size();
  out = s.get();
  loaded_.emplace(set, std::move(s));
  return true;
}

void ItemSets::Taking(Loaded& s, Loaded::Row& r, Taken& out) {
  r.live = false;
  --s.live;
  s.dirty = true;
  out.id = r.id;
  out.first_run = r.first_run;
  out.last_run = s.run;
  out.queue = s.queue;
  out.json = r.json;
}

bool ItemSets::Take(std::string_view map, std::string_view key, Taken& out, bool& found, std::string& error) {
  found = false;
  const uint64_t hash = value::HashText(key);
  scratch_.clear();
  value::AppendJsonString(scratch_, key);
  for (auto& p : pending_) {
    if (p->map != map || p->live == 0) continue;
    if (!p->indexed) {
      p->indexed = true;
      for (size_t e = 0; e < p->entries.size(); ++e)
        if (p->entries[e].live) p->Index(e);
    }
    auto matches = [&](const Pending::Entry& e) {
      return e.live && e.hash == hash && std::string_view(p->text).substr(e.at, e.key_size) == scratch_;
    };
    int64_t at = -1;
    if (auto h = p->by_hash.find(hash); h != p->by_hash.end() && matches(p->entries[h->second])) at = h->second;
    for (size_t e = 0; at < 0 && p->collided && e < p->entries.size(); ++e)
      if (matches(p->entries[e])) at = static_cast<int64_t>(e);
    if (at < 0) continue;
    Pending::Entry& e = p->entries[static_cast<size_t>(at)];
    e.live = false;
    --p->live;
    if (auto h = p->by_hash.find(hash); h != p->by_hash.end() && h->second == static_cast<uint32_t>(at)) p->by_hash.erase(h);
    out.id = e.id;
    out.first_run = e.first_run;
    out.last_run = p->run;
    out.queue = p->queue;
    out.json = "[";
    AppendInt(out.json, e.id);
    out.json += ',';
    out.json.append(p->text, e.at, e.size);
    found = true;
    return true;
  }
  Index* index = nullptr;
  if (!IndexOf(std::string(map), index, error)) return false;
  auto range = std::equal_range(index->sorted.begin(), index->sorted.end(), std::make_pair(hash, int64_t{0}),
                                [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto it = range.first; it != range.second; ++it) {
    Loaded* s = nullptr;
    if (!Load(it->second, s, error)) return false;
    if (s == nullptr) continue;
    auto k = s->by_key.find(key);
    if (k == s->by_key.end() || !s->rows[k->second].live) continue;
    Taking(*s, s->rows[k->second], out);
    found = true;
    return true;
  }
  return true;
}

bool ItemSets::TakeId(int64_t id, Taken& out, std::string& map, std::string& key, bool& found, std::string& error) {
  found = false;
  std::vector<int64_t> sets;
  {
    Statement q(db_, "SELECT id FROM item_sets WHERE lo <= ? AND hi >= ? ORDER BY id");
    q.Bind(1, id).Bind(2, id);
    while (q.Row()) sets.push_back(q.Int(0));
    if (!q.ok()) {
      error = q.Error();
      return false;
    }
  }
  for (int64_t set : sets) {
    Loaded* s = nullptr;
    if (!Load(set, s, error)) return false;
    if (s == nullptr) continue;
    for (Loaded::Row& r : s->rows) {
      if (!r.live || r.id != id) continue;
      map = s->map;
      key = r.key;
      Taking(*s, r, out);
      found = true;
      return true;
    }
  }
  return true;
}

bool ItemSets::Rewrite(Loaded& s, std::string& error) {
  s.dirty = false;
  if (s.live == 0) {
    Statement d(db_, "DELETE FROM item_sets WHERE id = ?");
    d.Bind(1, s.id);
    if (d.Done()) return true;
    error = d.Error();
    return false;
  }
  json_.clear();
  json_ += '[';
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (const Loaded::Row& r : s.rows) {
    if (!r.live) continue;
    if (json_.size() > 1) json_ += ',';
    json_ += r.json;
    lo = std::min(lo, r.id);
    hi = std::max(hi, r.id);
  }
  json_ += ']';
  Statement u(db_, "UPDATE item_sets SET n = ?, lo = ?, hi = ?, entries = ? WHERE id = ?");
  u.Bind(1, static_cast<int64_t>(s.live)).Bind(2, lo).Bind(3, hi).Bind(4, json_).Bind(5, s.id);
  if (u.Done()) return true;
  error = u.Error();
  return false;
}

bool ItemSets::WriteLoaded(std::string& error) {
  for (auto& [id, s] : loaded_)
    if (s->dirty && !Rewrite(*s, error)) return false;
  return true;
}

bool ItemSets::Flush(std::string& error) {
  for (auto& p : pending_)
    if (!p->entries.empty() && !Write(*p, error)) return false;
  return WriteLoaded(error);
}

void ItemSets::Drop() {
  pending_.clear();
  last_ = nullptr;
  loaded_.clear();
  loaded_entries_ = 0;
  index_.clear();
  insert_.reset();
  reserve_.reset();
  load_.reset();
}

}  // namespace crmx::state
