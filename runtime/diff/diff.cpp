// Defines the spill files, the per-map comparison and the reports of `crmx-run diff` (diff.h).
#include "runtime/diff/diff.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "runtime/connectors/connector.h"

namespace crmx::diff {

namespace {

using json = nlohmann::ordered_json;  // the report's keys in the order written

// "held: Pending Review", "data_quality: missing Name; no country", "written".
std::string OutcomeText(const Record& r) {
  std::string s = r.outcome;
  for (size_t i = 0; i < r.reasons.size(); ++i) s += (i == 0 ? ": " : "; ") + r.reasons[i];
  return s;
}

std::string KeyOf(const Record& a, const Record& b) {
  if (!b.key.empty()) return b.key;
  if (!a.key.empty()) return a.key;
  return b.id;
}

// Most first, then by name: the order of every list of the reports.
template <typename T, typename Name>
std::vector<T> MostFirst(std::map<Name, T>& m) {
  std::vector<T> v;
  for (auto& [k, x] : m) v.push_back(std::move(x));
  std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.count > b.count; });
  return v;
}

// "1,234".
std::string Count(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

json ValueJson(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  return v.is_discarded() ? json(text) : v;
}

json ExamplesJson(const std::vector<Example>& examples, bool values) {
  json a = json::array();
  for (const Example& e : examples) {
    if (values) {
      a.push_back(json{{"key", e.key}, {"old", ValueJson(e.before)}, {"new", ValueJson(e.after)}});
    } else {
      a.push_back(json{{"key", e.key}, {"old", e.before}, {"new", e.after}});
    }
  }
  return a;
}

}  // namespace

// ---- spill files ----

SpillWriter::~SpillWriter() {
  if (file_) std::fclose(file_);
}

bool SpillWriter::Open(const std::string& path, std::string& error) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) {
    error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
  return true;
}

void SpillWriter::Add(const engine::Evaluated& e) {
  Record r;
  r.id = !e.source_id.empty() ? std::string(e.source_id) : std::string(e.file) + ":" + std::to_string(e.line);
  r.key = std::string(e.key);
  r.outcome = e.outcome;
  if (e.reasons) r.reasons = *e.reasons;
  if (e.values && e.map) {
    std::string text;
    for (size_t i = 0; i < e.map->target_fields.size(); ++i) {
      text.clear();
      connectors::AppendField(text, e.values[i], e.map->target_fields[i]);
      r.values.push_back(text);
    }
  }
  if (e.flags)
    for (const std::string* f : *e.flags) r.flags.push_back(*f);
  Add(r);
}

void SpillWriter::Add(const Record& r) {
  if (!file_ || failed_) return;
  line_.clear();
  auto list = [&](const char* name, const std::vector<std::string>& v) {
    line_ += ",\"";
    line_ += name;
    line_ += "\":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) line_ += ',';
      connectors::AppendJsonString(line_, v[i]);
    }
    line_ += ']';
  };
  line_ += "{\"i\":";
  connectors::AppendJsonString(line_, r.id);
  line_ += ",\"k\":";
  connectors::AppendJsonString(line_, r.key);
  line_ += ",\"o\":";
  connectors::AppendJsonString(line_, r.outcome);
  list("r", r.reasons);
  list("v", r.values);
  list("f", r.flags);
  line_ += "}\n";
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) failed_ = true;
  ++count_;
}

bool SpillWriter::Close(std::string& error) {
  if (!file_) return true;
  bool ok = !failed_ && std::fflush(file_) == 0;
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) error = "cannot write " + path_ + " (disk full?)";
  return ok;
}

SpillReader::~SpillReader() {
  if (file_) std::fclose(file_);
}

bool SpillReader::Open(const std::string& path, std::string& error) {
  path_ = path;
  if (path.empty()) return true;
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_ && errno != ENOENT) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool SpillReader::Next(Record& r) {
  if (!file_) return false;
  line_.clear();
  int c;
  while ((c = std::fgetc(file_)) != EOF && c != '\n') line_.push_back(static_cast<char>(c));
  if (line_.empty()) return false;
  ++line_no_;
  json j = json::parse(line_, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error_ = path_ + " line " + std::to_string(line_no_) + ": not a spill record";
    return false;
  }
  r.id = j.value("i", "");
  r.key = j.value("k", "");
  r.outcome = j.value("o", "");
  r.reasons = j.value("r", std::vector<std::string>{});
  r.values = j.value("v", std::vector<std::string>{});
  r.flags = j.value("f", std::vector<std::string>{});
  return true;
}

// ---- the comparison ----

MapComparer::MapComparer(const std::string& name, const MapSide& o, const MapSide& n, const Options& options)
    : options_(options) {
  d_.name = name;
  d_.source_old = o.source;
  d_.source_new = n.source;
  d_.target_old = o.target;
  d_.target_new = n.target;
  d_.status = !o.present ? "added" : !n.present ? "removed" : "unchanged";
  old_fields_ = o.fields;
  if (o.present && n.present) {
    for (size_t i = 0; i < o.fields.size(); ++i) {
      auto it = std::find(n.fields.begin(), n.fields.end(), o.fields[i]);
      if (it == n.fields.end()) d_.fields_removed.push_back(o.fields[i]);
      else common_.emplace_back(i, static_cast<size_t>(it - n.fields.begin()));
    }
    for (const std::string& f : n.fields)
      if (std::find(o.fields.begin(), o.fields.end(), f) == o.fields.end()) d_.fields_added.push_back(f);
  }
}

void MapComparer::OnlyOld(const Record& a) {
  ++d_.records_old;
  ++d_.outcomes_old[a.outcome];
}

void MapComparer::OnlyNew(const Record& b) {
  ++d_.records_new;
  ++d_.outcomes_new[b.outcome];
}

void MapComparer::Pair(const Record& a, const Record& b) {
  OnlyOld(a);
  OnlyNew(b);
  if (a.id != b.id) {
    ++d_.unmatched;
    return;
  }
  const std::string key = KeyOf(a, b);
  const size_t n = options_.examples;
  if (a.outcome != b.outcome || a.reasons != b.reasons) {
    Transition& t = transitions_[{a.outcome, b.outcome}];
    t.from = a.outcome;
    t.to = b.outcome;
    ++t.count;
    // Grouped by why the record is not written (the new plan's reason, else the old one's).
    const Record& why = b.outcome != "written" ? b : a;
    ++t.reasons[why.reasons.empty() ? why.outcome : why.reasons.front()];
    if (t.examples.size() < n) t.examples.push_back({key, OutcomeText(a), OutcomeText(b)});
    if (a.outcome != b.outcome) ++d_.outcome_changes;
  }
  if (a.outcome != "written" || b.outcome != "written") return;
  ++d_.written_both;
  bool changed = false;
  for (const auto& [i, j] : common_) {
    const std::string& va = i < a.values.size() ? a.values[i] : std::string();
    const std::string& vb = j < b.values.size() ? b.values[j] : std::string();
    if (va == vb) continue;
    changed = true;
    FieldChange& f = fields_[old_fields_[i]];
    f.field = old_fields_[i];
    ++f.count;
    if (f.examples.size() < n) f.examples.push_back({key, va, vb});
  }
  if (changed) ++d_.values_changed;
  if (a.flags != b.flags) {
    bool any = false;
    auto has = [](const std::vector<std::string>& v, const std::string& x) {
      return std::find(v.begin(), v.end(), x) != v.end();
    };
    for (const std::string& x : a.flags) {
      if (has(b.flags, x)) continue;
      FlagChange& f = flags_[x];
      f.flag = x;
      ++f.cleared;
      any = true;
      if (f.examples.size() < n) f.examples.push_back({key, "raised", "not raised"});
    }
    for (const std::string& x : b.flags) {
      if (has(a.flags, x)) continue;
      FlagChange& f = flags_[x];
      f.flag = x;
      ++f.raised;
      any = true;
      if (f.examples.size() < n) f.examples.push_back({key, "not raised", "raised"});
    }
    if (any) ++d_.flags_changed;
  }
}

MapDiff MapComparer::Finish() {
  for (auto& [k, t] : transitions_) (t.from == t.to ? d_.reasons_changed : d_.transitions).push_back(std::move(t));
  auto most = [](const Transition& x, const Transition& y) { return x.count > y.count; };
  std::stable_sort(d_.transitions.begin(), d_.transitions.end(), most);
  std::stable_sort(d_.reasons_changed.begin(), d_.reasons_changed.end(), most);
  d_.fields = MostFirst(fields_);
  for (auto& [k, f] : flags_) d_.flags.push_back(std::move(f));
  std::stable_sort(d_.flags.begin(), d_.flags.end(),
                   [](const FlagChange& x, const FlagChange& y) { return x.raised + x.cleared > y.raised + y.cleared; });
  if (d_.unmatched > 0)
    d_.notes.push_back(Count(d_.unmatched) +
                       " record(s) at the same position are not the same source record in the two evaluations "
                       "(the source changed while the diff read it?): not compared");
  if (d_.status == "unchanged" && d_.records_old != d_.records_new)
    d_.notes.push_back("the evaluations read " + Count(d_.records_old) + " and " + Count(d_.records_new) +
                       " records: the extra ones are counted, not compared");
  if (d_.status == "unchanged" &&
      (!d_.transitions.empty() || !d_.reasons_changed.empty() || d_.values_changed || d_.flags_changed ||
       !d_.fields_added.empty() || !d_.fields_removed.empty() || d_.unmatched || d_.records_old != d_.records_new ||
       d_.source_old != d_.source_new || d_.target_old != d_.target_new))
    d_.status = "changed";
  return std::move(d_);
}

bool CompareMap(const std::string& name, const MapSide& o, const MapSide& n, const Options& options, MapDiff& out,
                std::string& error) {
  MapComparer cmp(name, o, n, options);
  SpillReader ra, rb;
  if (o.present && !ra.Open(o.spill, error)) return false;
  if (n.present && !rb.Open(n.spill, error)) return false;
  // One record of each side at a time: the n-th record of one evaluation is the n-th of the
  // other when both read the same source object.
  bool lockstep = o.present && n.present && o.source == n.source;
  Record a, b;
  bool more_a = o.present && ra.Next(a), more_b = n.present && rb.Next(b);
  while (more_a || more_b) {
    if (lockstep && more_a && more_b) {
      cmp.Pair(a, b);
      more_a = ra.Next(a);
      more_b = rb.Next(b);
    } else if (more_a) {
      cmp.OnlyOld(a);
      more_a = ra.Next(a);
    } else {
      cmp.OnlyNew(b);
      more_b = rb.Next(b);
    }
  }
  for (const SpillReader* r : {&ra, &rb}) {
    if (!r->error().empty()) {
      error = r->error();
      return false;
    }
  }
  out = cmp.Finish();
  if (!lockstep && o.present && n.present)
    out.notes.push_back("the source changed from " + o.source + " to " + n.source +
                        ": outcomes counted per plan, records not compared one by one");
  return true;
}

bool Report::Differs() const {
  for (const MapDiff& m : maps)
    if (m.Differs()) return true;
  return false;
}

// ---- reports ----

std::string ReportJson(const Report& r) {
  auto plan = [](const PlanInfo& p) {
    return json{{"path", p.path}, {"integration", p.integration}, {"version", p.version}, {"hash", p.hash}};
  };
  json maps = json::array();
  for (const MapDiff& m : r.maps) {
    auto transitions = [](const std::vector<Transition>& v) {
      json a = json::array();
      for (const Transition& t : v)
        a.push_back(json{{"from", t.from}, {"to", t.to}, {"count", t.count}, {"by_reason", t.reasons},
                         {"examples", ExamplesJson(t.examples, false)}});
      return a;
    };
    json fields = json::array();
    for (const FieldChange& f : m.fields)
      fields.push_back(json{{"field", f.field}, {"count", f.count}, {"examples", ExamplesJson(f.examples, true)}});
    json flags = json::array();
    for (const FlagChange& f : m.flags)
      flags.push_back(json{{"flag", f.flag}, {"raised", f.raised}, {"cleared", f.cleared},
                           {"examples", ExamplesJson(f.examples, false)}});
    json j{{"name", m.name},
           {"status", m.status},
           {"source", json{{"old", m.source_old}, {"new", m.source_new}}},
           {"target", json{{"old", m.target_old}, {"new", m.target_new}}},
           {"records", json{{"old", m.records_old}, {"new", m.records_new}}},
           {"outcomes", json{{"old", m.outcomes_old}, {"new", m.outcomes_new}}},
           {"outcome_changes", m.outcome_changes},
           {"transitions", transitions(m.transitions)},
           {"reasons_changed", transitions(m.reasons_changed)},
           {"written_both", m.written_both},
           {"values_changed", m.values_changed},
           {"flags_changed", m.flags_changed},
           {"fields", json{{"added", m.fields_added}, {"removed", m.fields_removed}, {"changed", fields}}},
           {"flags", flags},
           {"notes", m.notes}};
    if (m.status == "added") j["source"]["old"] = nullptr, j["target"]["old"] = nullptr, j["records"]["old"] = nullptr;
    if (m.status == "removed") j["source"]["new"] = nullptr, j["target"]["new"] = nullptr, j["records"]["new"] = nullptr;
    maps.push_back(std::move(j));
  }
  json summary = json::object();
  for (const char* s : {"changed", "unchanged", "added", "removed"}) summary[s] = 0;
  for (const MapDiff& m : r.maps) summary[m.status] = summary[m.status].get<int64_t>() + 1;
  json j{{"old_plan", plan(r.old_plan)}, {"new_plan", plan(r.new_plan)}, {"differs", r.Differs()},
         {"summary", summary}, {"maps", maps}};
  return j.dump(2) + "\n";
}

std::string ReportText(const Report& r) {
  std::string out = "crmx-run diff: " + r.old_plan.integration;
  if (!r.old_plan.version.empty()) out += " " + r.old_plan.version;
  out += " (" + r.old_plan.path + ") -> " + r.new_plan.integration;
  if (!r.new_plan.version.empty()) out += " " + r.new_plan.version;
  out += " (" + r.new_plan.path + ")\n";
  out += "every source record evaluated by both plans; nothing written\n";
  auto outcomes = [](const std::map<std::string, int64_t>& m) {
    std::string s;
    for (const auto& [k, n] : m) s += (s.empty() ? "" : ", ") + k + " " + Count(n);
    return s.empty() ? std::string("no records") : s;
  };
  auto reasons = [](const std::map<std::string, int64_t>& m) {
    std::string s;
    for (const auto& [k, n] : m) s += (s.empty() ? "" : "; ") + k + " " + Count(n);
    return s;
  };
  auto keys = [](const std::vector<Example>& v) {
    std::string s;
    for (const Example& e : v) s += (s.empty() ? "" : ", ") + e.key;
    return s;
  };
  int counts[4] = {0, 0, 0, 0};
  for (const MapDiff& m : r.maps) {
    out += "\nmap " + m.name + " (";
    if (m.status == "added") {
      ++counts[2];
      out += m.source_new + " -> " + m.target_new + "): added; the new plan: " + Count(m.records_new) + " records (" +
             outcomes(m.outcomes_new) + ")\n";
      continue;
    }
    if (m.status == "removed") {
      ++counts[3];
      out += m.source_old + " -> " + m.target_old + "): removed; the old plan: " + Count(m.records_old) + " records (" +
             outcomes(m.outcomes_old) + ")\n";
      continue;
    }
    out += m.source_new + " -> " + m.target_new + "): ";
    if (m.status == "unchanged") {
      ++counts[1];
      out += "no change (" + Count(m.records_new) + " records: " + outcomes(m.outcomes_new) + ")\n";
      continue;
    }
    ++counts[0];
    out += Count(m.records_new) + " records, " + Count(m.outcome_changes) + " change outcome, " +
           Count(m.values_changed) + " of " + Count(m.written_both) + " written by both change values\n";
    if (m.source_old != m.source_new) out += "  source: " + m.source_old + " -> " + m.source_new + "\n";
    if (m.target_old != m.target_new) out += "  target: " + m.target_old + " -> " + m.target_new + "\n";
    out += "  outcomes: old " + outcomes(m.outcomes_old) + "\n            new " + outcomes(m.outcomes_new) + "\n";
    for (const Transition& t : m.transitions)
      out += "  " + t.from + " -> " + t.to + ": " + Count(t.count) + " (" + reasons(t.reasons) + "), e.g. " +
             keys(t.examples) + "\n";
    for (const Transition& t : m.reasons_changed) {
      out += "  " + t.from + ", other reasons: " + Count(t.count);
      if (!t.examples.empty()) {
        const Example& e = t.examples[0];
        out += ", e.g. " + e.key + " (" + e.before + " -> " + e.after + ")";
      }
      out += "\n";
    }
    for (const FieldChange& f : m.fields) {
      out += "  " + f.field + ": " + Count(f.count) + " change";
      for (size_t i = 0; i < f.examples.size(); ++i) {
        const Example& e = f.examples[i];
        out += (i == 0 ? ", e.g. " : "; ") + e.before + " -> " + e.after + " (" + e.key + ")";
      }
      out += "\n";
    }
    for (const std::string& f : m.fields_added) out += "  " + f + ": added to the output\n";
    for (const std::string& f : m.fields_removed) out += "  " + f + ": removed from the output\n";
    for (const FlagChange& f : m.flags) {
      out += "  flag " + f.flag + ":";
      if (f.raised) out += " newly raised on " + Count(f.raised);
      if (f.raised && f.cleared) out += ",";
      if (f.cleared) out += " no longer raised on " + Count(f.cleared);
      out += ", e.g. " + keys(f.examples) + "\n";
    }
    for (const std::string& n : m.notes) out += "  note: " + n + "\n";
  }
  out += "\n" + std::to_string(counts[0]) + " map(s) changed, " + std::to_string(counts[1]) + " unchanged, " +
         std::to_string(counts[2]) + " added, " + std::to_string(counts[3]) + " removed\n";
  return out;
}

}  // namespace crmx::diff
