// Defines the weekly data-quality report (data_quality.h).
#include "runtime/report/data_quality.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/report/text_table.h"
#include "runtime/value/value.h"

namespace crmx::report {

namespace {

constexpr int64_t kWeek = 7 * 24 * 3600;
constexpr int kMaxWeeks = 520;

bool HasLeft(const Stay& s) { return s.how != Left::kNot; }

// In the queue at instant t: entered at or before t, not left by t.
bool OpenAt(const Stay& s, int64_t t) { return s.entered <= t && (!HasLeft(s) || s.left > t); }

// Ranks tallies (open at the end, then entered, then name) and keeps the first `top` (0: all).
void Rank(std::vector<Tally>& v, size_t top) {
  std::sort(v.begin(), v.end(), [](const Tally& a, const Tally& b) {
    int64_t ea = a.open.empty() ? 0 : a.open.back(), eb = b.open.empty() ? 0 : b.open.back();
    if (ea != eb) return ea > eb;
    if (a.entered != b.entered) return a.entered > b.entered;
    return a.name < b.name;
  });
  if (top > 0 && v.size() > top) v.resize(top);
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kMet: return "met";
    case Verdict::kMissed: return "missed";
    case Verdict::kBaseline: return "baseline";
    case Verdict::kNoRuns: return "no runs";
  }
  return "";
}

std::string Percent(const std::optional<double>& p) {
  if (!p) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", *p);
  return buf;
}

// A table indented under its heading: the first `left_columns` columns aligned left, the others
// right (the last one left when `last_left`: words, not numbers).
std::string Table(const std::vector<std::vector<std::string>>& rows, bool last_left = false, size_t left_columns = 1) {
  size_t columns = 0;
  for (const auto& r : rows) columns = std::max(columns, r.size());
  std::set<size_t> right;
  for (size_t c = left_columns; c < columns; ++c)
    if (!(last_left && c + 1 == columns)) right.insert(c);
  return TextTable(rows, right, "  ");
}

std::string Date(int64_t seconds) { return TimeText(seconds).substr(0, 10); }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string TimeText(int64_t seconds) { return value::FormatTimestamp(value::Time{seconds, 0}); }

int ParseWeeks(const std::string& text) {
  if (text.size() < 2 || text.size() > 6) return 0;
  char unit = text.back();
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return 0;
    n = n * 10 + (text[i] - '0');
  }
  int64_t weeks = unit == 'w' ? n : unit == 'd' ? (n + 6) / 7 : 0;
  return weeks >= 1 && weeks <= kMaxWeeks ? static_cast<int>(weeks) : 0;
}

DataQualityReport Compute(const std::vector<Stay>& stays, const std::vector<int64_t>& run_starts, int64_t first_run,
                          int64_t runs, const Options& options) {
  DataQualityReport r;
  int n = std::clamp(options.weeks, 1, kMaxWeeks);
  r.now = options.now;
  r.from = options.now - n * kWeek;
  r.runs = runs;
  r.first_run = first_run;
  for (int i = 0; i < n; ++i) {
    Week w;
    w.end = r.from + (i + 1) * kWeek;
    w.start = w.end - kWeek;
    r.weeks.push_back(w);
  }
  for (int64_t t : run_starts) {
    if (t <= r.from || t > r.now) continue;
    ++r.runs_in_period;
    ++r.weeks[static_cast<size_t>((t - r.from - 1) / kWeek)].runs;
  }
  std::map<std::string, Tally> reasons, fields, maps;
  auto tally = [&](std::map<std::string, Tally>& m, const std::string& name) -> Tally& {
    Tally& t = m[name];
    if (t.name.empty()) {
      t.name = name;
      t.open.assign(r.weeks.size(), 0);
    }
    return t;
  };
  for (const Stay& s : stays) {
    // Never in the queue at any instant: queued and cleared by the same run.
    if (HasLeft(s) && s.left <= s.entered) continue;
    std::vector<Tally*> under;
    under.push_back(&tally(maps, s.map));
    if (s.reasons.empty()) under.push_back(&tally(reasons, "(no reason)"));
    for (const std::string& x : s.reasons) under.push_back(&tally(reasons, x));
    for (const std::string& f : s.fields) under.push_back(&tally(fields, f));
    for (size_t i = 0; i < r.weeks.size(); ++i) {
      Week& w = r.weeks[i];
      if (OpenAt(s, w.start)) ++w.open_start;
      if (OpenAt(s, w.end)) {
        ++w.open_end;
        for (Tally* t : under) ++t->open[i];
      }
      if (s.entered > w.start && s.entered <= w.end) {
        ++w.entered;
        for (Tally* t : under) ++t->entered;
      }
      if (HasLeft(s) && s.left > w.start && s.left <= w.end) {
        ++w.left;
        for (Tally* t : under) ++t->left;
        switch (s.how) {
          case Left::kFixed: ++w.fixed; break;
          case Left::kMoved: ++w.moved; break;
          case Left::kReplayed: ++w.replayed; break;
          case Left::kResolved: ++w.resolved; break;
          case Left::kDiscarded: ++w.discarded; break;
          case Left::kNot: break;
        }
      }
    }
  }
  for (Week& w : r.weeks) {
    if (w.open_start > 0)
      w.change_pct = static_cast<double>(w.open_end - w.open_start) * 100.0 / static_cast<double>(w.open_start);
    if (first_run == 0 || first_run > w.end) {
      w.verdict = Verdict::kNoRuns;
    } else if (first_run > w.start) {
      w.verdict = Verdict::kBaseline;
    } else {
      // Exactly 20% less meets the target; an empty queue that stays empty meets it.
      w.verdict = 5 * w.open_end <= 4 * w.open_start ? Verdict::kMet : Verdict::kMissed;
      ++r.judged;
      if (w.verdict == Verdict::kMet) ++r.met;
    }
  }
  auto listed = [](std::map<std::string, Tally>& m) {
    std::vector<Tally> v;
    for (auto& [name, t] : m) v.push_back(std::move(t));
    return v;
  };
  r.reasons = listed(reasons);
  r.fields = listed(fields);
  r.maps = listed(maps);
  r.reasons_total = r.reasons.size();
  r.fields_total = r.fields.size();
  Rank(r.reasons, options.top);
  Rank(r.fields, options.top);
  Rank(r.maps, 0);
  return r;
}

std::string Text(const DataQualityReport& r, const Heading& h) {
  std::string out = "data-quality queue of " + h.state + ": " + std::to_string(r.weeks.size()) + " week" +
                    (r.weeks.size() == 1 ? "" : "s") + " to " + TimeText(r.now) + " (--since " + h.since + ")";
  if (!h.maps.empty()) out += ", maps " + Join(h.maps);
  out += "\n";
  if (r.runs == 0) return out + "no runs recorded in " + h.state + ": nothing to report\n";
  out += "target: the queue shrinks 20% a week (open at a week's end at most 80% of open at its start)\n";
  if (r.runs_in_period == 0 && r.first_run > r.now)
    out += "no run started in the period: the state's first run started later, at " + TimeText(r.first_run) + "\n";
  else if (r.runs_in_period == 0)
    out += "no run started in the period: the queue changed only by what people did\n";
  out += "\n";
  std::vector<std::vector<std::string>> rows = {{"week ending", "runs", "open at start", "entered", "left", "fixed",
                                                 "by a person", "moved", "open at end", "change", "target"}};
  for (const Week& w : r.weeks) {
    rows.push_back({TimeText(w.end), std::to_string(w.runs), std::to_string(w.open_start), std::to_string(w.entered),
                    std::to_string(w.left), std::to_string(w.fixed),
                    std::to_string(w.replayed + w.resolved + w.discarded), std::to_string(w.moved),
                    std::to_string(w.open_end), Percent(w.change_pct), VerdictName(w.verdict)});
  }
  out += Table(rows, true);
  out += "  (left: fixed at the source, by a person (replayed, resolved or discarded), or moved to another queue)\n\n";
  int64_t not_judged = static_cast<int64_t>(r.weeks.size()) - r.judged;
  if (r.judged == 0) {
    out += "verdict: no week judged (a week is judged when a run had measured the queue by its start)\n";
  } else {
    out += "verdict: target " + std::string(r.met == r.judged ? "met every week" : "met in " + std::to_string(r.met) +
                                                                        " of " + std::to_string(r.judged) + " weeks") +
           (r.met == r.judged ? " (" + std::to_string(r.judged) + " judged)" : std::string()) +
           (not_judged ? ", " + std::to_string(not_judged) + " not judged (baseline or before the first run)" : "") + "\n";
  }
  auto tallies = [&](const char* title, const char* column, const std::vector<Tally>& v, size_t total) {
    out += "\n";
    out += std::string(title) + " (open at each week's end";
    if (total > v.size()) out += "; top " + std::to_string(v.size()) + " of " + std::to_string(total);
    out += ")\n";
    if (v.empty()) {
      out += "  none\n";
      return;
    }
    std::vector<std::vector<std::string>> t;
    std::vector<std::string> head = {column};
    for (const Week& w : r.weeks) head.push_back(Date(w.end));
    head.push_back("entered");
    head.push_back("left");
    t.push_back(head);
    for (const Tally& x : v) {
      std::vector<std::string> row = {x.name};
      for (int64_t o : x.open) row.push_back(std::to_string(o));
      row.push_back(std::to_string(x.entered));
      row.push_back(std::to_string(x.left));
      t.push_back(row);
    }
    out += Table(t);
  };
  tallies("open records by reason", "reason", r.reasons, r.reasons_total);
  tallies("open records by missing field", "field", r.fields, r.fields_total);
  tallies("maps", "map", r.maps, r.maps.size());
  return out;
}

std::string Json(const DataQualityReport& r, const Heading& h) {
  using json = nlohmann::ordered_json;
  json out = {{"report", "data-quality"},
              {"state", h.state},
              {"since", h.since},
              {"from", TimeText(r.from)},
              {"now", TimeText(r.now)},
              {"maps_filter", h.maps},
              {"runs", r.runs},
              {"runs_in_period", r.runs_in_period},
              {"first_run", r.first_run ? json(TimeText(r.first_run)) : json(nullptr)},
              {"target", {{"shrink_per_week", 0.2}, {"rule", "open at a week's end <= 80% of open at its start"}}}};
  if (r.runs == 0) out["note"] = "no runs recorded: nothing to report";
  else if (r.runs_in_period == 0) out["note"] = "no run started in the period";
  json weeks = json::array();
  for (const Week& w : r.weeks) {
    weeks.push_back({{"start", TimeText(w.start)},
                     {"end", TimeText(w.end)},
                     {"runs", w.runs},
                     {"open_start", w.open_start},
                     {"entered", w.entered},
                     {"left", w.left},
                     {"left_fixed", w.fixed},
                     {"left_replayed", w.replayed},
                     {"left_resolved", w.resolved},
                     {"left_discarded", w.discarded},
                     {"left_moved", w.moved},
                     {"open_end", w.open_end},
                     {"change_pct", w.change_pct ? json(*w.change_pct) : json(nullptr)},
                     {"target", VerdictName(w.verdict)}});
  }
  out["weeks"] = weeks;
  out["verdict"] = {{"judged", r.judged}, {"met", r.met}, {"all_met", r.judged > 0 && r.met == r.judged}};
  auto tallies = [](const std::vector<Tally>& v) {
    json a = json::array();
    for (const Tally& t : v)
      a.push_back({{"name", t.name}, {"open", t.open.empty() ? 0 : t.open.back()}, {"weekly", t.open},
                   {"entered", t.entered}, {"left", t.left}});
    return a;
  };
  out["reasons"] = tallies(r.reasons);
  out["reasons_total"] = r.reasons_total;
  out["fields"] = tallies(r.fields);
  out["fields_total"] = r.fields_total;
  out["maps"] = tallies(r.maps);
  return out.dump(2) + "\n";
}

}  // namespace crmx::report
