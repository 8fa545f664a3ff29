// Defines the whole of `crmx-run assess` (assessment.h): the stamps pass (change rate and close
// dates), the dry run, the closed-won records a month, the sync volume against the budgets, the
// scores, and the text and JSON reports.
#include "runtime/assess/assessment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>

#include "runtime/connectors/connector.h"
#include "runtime/plan/ownership.h"
#include "runtime/stdlib/time.h"
#include "runtime/value/value.h"

namespace crmx::assess {

namespace {

constexpr int32_t kNoDay = INT32_MIN;

// ---------------------------------------------------------------- stamps

// The day (since 1970-01-01) a stamp names: a timestamp value; text starting "YYYY-MM-DD"
// (RFC 3339, Salesforce's "2024-09-02T19:19:10.000+0000", a plain date); a number of epoch
// milliseconds (HubSpot's legacy form) or seconds. kNoDay when it names none.
int32_t DayOf(const value::Value& v) {
  switch (v.kind()) {
    case value::Kind::kTimestamp: {
      int64_t s = v.AsTime().seconds;
      return static_cast<int32_t>(s >= 0 ? s / 86400 : (s - 86399) / 86400);
    }
    case value::Kind::kInt:
    case value::Kind::kDouble: {
      double n = v.kind() == value::Kind::kInt ? static_cast<double>(v.AsInt()) : v.AsDouble();
      if (n > 1e11 && n < 1e14) return static_cast<int32_t>(std::floor(n / 86400000.0));
      if (n > 1e8 && n < 1e11) return static_cast<int32_t>(std::floor(n / 86400.0));
      return kNoDay;
    }
    case value::Kind::kString: {
      std::string_view t = v.AsText();
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      if (t.size() < 10 || t[4] != '-' || t[7] != '-') return kNoDay;
      auto digits = [&](size_t at, size_t n, int& out) {
        out = 0;
        for (size_t i = at; i < at + n; ++i) {
          if (t[i] < '0' || t[i] > '9') return false;
          out = out * 10 + (t[i] - '0');
        }
        return true;
      };
      int y = 0, m = 0, d = 0;
      if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return kNoDay;
      if (t.size() > 10 && t[10] != 'T' && t[10] != ' ' && t[10] != 't') return kNoDay;
      auto date = stdlib::DateFromCivil(y, m, d);
      return date.ok() ? (*date).days : kNoDay;
    }
    default: return kNoDay;
  }
}

std::string DayText(int32_t day) {
  stdlib::Civil c = stdlib::CivilFromDate(stdlib::Date{day});
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

// Months since year 0 of a day: year * 12 + month - 1.
int32_t MonthOf(int32_t day) {
  stdlib::Civil c = stdlib::CivilFromDate(stdlib::Date{day});
  return c.year * 12 + c.month - 1;
}

std::string MonthText(int32_t month) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", month / 12, month % 12 + 1);
  return buf;
}

// The usual names of the vendors' creation, change and close stamps.
const std::vector<std::string>& CreatedCandidates() {
  static const std::vector<std::string> c = {"CreatedDate",  "createdate", "createdAt",           "created_at",
                                             "dateCreated",  "createdDate", "MetaData.CreateTime", "CreatedDateUTC",
                                             "createdon",    "CreationDate"};
  return c;
}
const std::vector<std::string>& ModifiedCandidates() {
  static const std::vector<std::string> c = {"SystemModstamp",          "LastModifiedDate", "hs_lastmodifieddate",
                                             "lastmodifieddate",        "updatedAt",        "updated_at",
                                             "lastModifiedDate",        "MetaData.LastUpdatedTime",
                                             "UpdatedDateUTC",          "modifiedon",       "LastUpdateDate"};
  return c;
}
const std::vector<std::string>& CloseCandidates() {
  static const std::vector<std::string> c = {"CloseDate", "closedate", "actualclosedate", "hs_closed_won_date",
                                             "closeDate", "close_date"};
  return c;
}

// The source objects the plan's maps read, with the maps and the fields a stamp may be in.
struct SourceObject {
  std::string system, object, id_field, cursor;
  std::vector<const plan::Map*> maps;
  std::set<std::string> projected;
};

std::vector<SourceObject> SourceObjects(const plan::Plan& plan) {
  std::vector<SourceObject> out;
  for (const plan::Map& m : plan.maps) {
    SourceObject* so = nullptr;
    for (SourceObject& o : out)
      if (o.system == m.source.system && o.object == m.source.object) so = &o;
    if (!so) {
      out.push_back({m.source.system, m.source.object, m.source_id, m.cursor, {}, {}});
      so = &out.back();
    }
    so->maps.push_back(&m);
    if (so->id_field.empty()) so->id_field = m.source_id;
    if (so->cursor.empty()) so->cursor = m.cursor;
    so->projected.insert(m.projection.fields.begin(), m.projection.fields.end());
  }
  return out;
}

// One stamp field's days, record by record (kNoDay: none), allocated at its first value.
struct StampColumn {
  std::string field;
  std::vector<int32_t> days;
  uint64_t present = 0;
};

// Reads an object's stamps: the first candidate with values of each kind wins (the map's cursor
// first for changes). `close_ids` (when set) gets each record's id -> close day.
// The stamps an API object of `kind` has whatever its schema (the vendors' system fields), which
// an API read may ask for besides the projection: an API refuses a field its object lacks.
bool StandardStamp(const std::string& kind, const std::string& object, const std::string& field) {
  if (kind == "salesforce")
    return field == "CreatedDate" || field == "SystemModstamp" || (object == "Opportunity" && field == "CloseDate");
  if (kind == "hubspot")
    return field == "createdate" || field == "hs_lastmodifieddate" || (object == "Deal" && field == "closedate");
  if (kind == "quickbooks") return field == "MetaData.CreateTime" || field == "MetaData.LastUpdatedTime";
  if (kind == "xero") return field == "UpdatedDateUTC";
  return false;
}

bool ReadStamps(const SourceObject& so, const std::string& kind, connectors::Connector& conn, bool standard,
                ObjectActivity& out, int window_days, std::unordered_map<std::string, int32_t>* close_ids,
                std::string& error) {
  std::vector<std::string> created, modified, closes;
  auto usable = [&](const std::string& f) {
    return !conn.Remote() || so.projected.count(f) > 0 || (standard && StandardStamp(kind, so.object, f));
  };
  for (const std::string& f : CreatedCandidates())
    if (usable(f)) created.push_back(f);
  if (!so.cursor.empty()) modified.push_back(so.cursor);
  for (const std::string& f : ModifiedCandidates())
    if (usable(f) && f != so.cursor) modified.push_back(f);
  for (const std::string& f : CloseCandidates())
    if (usable(f)) closes.push_back(f);
  connectors::ReadRequest req;
  req.object = so.object;
  req.id_field = so.id_field;
  std::vector<StampColumn> columns;
  auto add = [&](const std::string& f) {
    if (std::find(req.fields.begin(), req.fields.end(), f) != req.fields.end()) return;
    req.fields.push_back(f);
    req.types.push_back(plan::FieldType::kAny);
    columns.push_back({f, {}, 0});
  };
  for (const auto* list : {&created, &modified})
    for (const std::string& f : *list) add(f);
  const size_t close_from = columns.size();  // the close dates' columns follow
  for (const std::string& f : closes) add(f);
  size_t id_at = SIZE_MAX;
  if (!so.id_field.empty()) {
    auto it = std::find(req.fields.begin(), req.fields.end(), so.id_field);
    if (it == req.fields.end()) {
      req.fields.push_back(so.id_field);
      req.types.push_back(plan::FieldType::kAny);
      id_at = req.fields.size() - 1;
    } else {
      id_at = static_cast<size_t>(it - req.fields.begin());
    }
  }
  if (columns.empty()) return true;
  std::unique_ptr<connectors::RecordReader> reader = conn.OpenReader(req, error);
  if (!reader) return false;
  connectors::RecordBatch batch;
  // The records with a close date: their row number and id.
  std::vector<std::pair<uint64_t, std::string>> close_rows;
  while (reader->Next(batch)) {
    for (size_t r = 0; r < batch.size(); ++r) {
      const value::Value* row = batch.Row(r);
      for (size_t c = 0; c < columns.size(); ++c) {
        int32_t day = DayOf(row[c]);
        if (day == kNoDay) continue;
        StampColumn& col = columns[c];
        if (col.days.size() < out.records) col.days.resize(out.records, kNoDay);
        col.days.push_back(day);
        ++col.present;
      }
      if (close_ids && id_at != SIZE_MAX) {
        bool has_close = false;
        for (size_t c = close_from; c < columns.size() && !has_close; ++c) has_close = !row[c].IsNull();
        const value::Value& id = row[id_at];
        if (has_close && !id.IsNull())
          close_rows.emplace_back(out.records, id.kind() == value::Kind::kString ? std::string(id.AsText())
                                                                                 : value::Display(id, false));
      }
      ++out.records;
    }
  }
  if (!reader->error().empty()) {
    error = reader->error();
    return false;
  }
  for (StampColumn& c : columns)
    if (c.present) c.days.resize(out.records, kNoDay);
  auto pick = [&](const std::vector<std::string>& list) -> const StampColumn* {
    for (const std::string& f : list)
      for (const StampColumn& c : columns)
        if (c.field == f && c.present > 0) return &c;
    return nullptr;
  };
  const StampColumn* cr = pick(created);
  const StampColumn* mo = pick(modified);
  const StampColumn* cl = pick(closes);
  if (cr) out.created_field = cr->field;
  if (mo) out.modified_field = mo->field;
  if (cl) out.close_field = cl->field;
  out.measured = cr || mo;
  if (!out.measured) return true;
  int32_t end = kNoDay;
  for (const StampColumn* c : {cr, mo})
    if (c)
      for (int32_t d : c->days) end = std::max(end, d);
  out.window_end = DayText(end);
  // The window: the `window_days` days up to and including the latest stamp.
  const int32_t start = end - window_days + 1;
  for (uint64_t i = 0; i < out.records; ++i) {
    const int32_t c = cr ? cr->days[i] : kNoDay;
    const int32_t m = mo ? mo->days[i] : kNoDay;
    if (c != kNoDay && c >= start) {
      ++out.created_in_window;
    } else if (m != kNoDay && m >= start && (c == kNoDay || c < start)) {
      ++out.updated_in_window;
    }
  }
  out.new_per_day = static_cast<double>(out.created_in_window) / window_days;
  out.updated_per_day = static_cast<double>(out.updated_in_window) / window_days;
  if (close_ids && cl) {
    for (const auto& [row, id] : close_rows)
      if (cl->days[row] != kNoDay) (*close_ids)[id] = cl->days[row];
  }
  return true;
}

// ---------------------------------------------------------------- syncs and budgets

const plan::Sync* SyncOf(const plan::Plan& plan, const std::string& map) {
  for (const plan::Sync& s : plan.syncs)
    if (s.map == map) return &s;
  return nullptr;
}

// As the spec writes durations: "24h", "7d", "90s".
std::string DurationText(int64_t ms) {
  if (ms % 86400000 == 0 && ms > 2 * 86400000) return std::to_string(ms / 86400000) + "d";
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string Num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// 12345.6 -> "12,345.60" (decimals 2), "12,346" (decimals 0).
std::string Grouped(double v, int decimals) {
  std::string s = Num(std::fabs(v), decimals);
  size_t dot = s.find('.');
  size_t int_end = dot == std::string::npos ? s.size() : dot;
  std::string out;
  for (size_t i = 0; i < int_end; ++i) {
    if (i > 0 && (int_end - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  out += s.substr(int_end);
  return (v < 0 && s.find_first_not_of("0.,") != std::string::npos ? "-" : "") + out;
}

// A number without needless decimals: 88 -> "88", 73.8 -> "73.8", 0.333333 -> "0.33".
std::string Short(double v) {
  std::string s = Num(v, 2);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s;
}

double Round(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

std::string Pct(double p) { return p < 0 ? std::string("not measured") : Num(p, 1) + "%"; }

double Share(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : Clean(100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

std::optional<std::pair<double, std::string>> VendorDailyBudget(const std::string& kind) {
  // docs/assess.md, "Sync volume": each figure with where the vendor documents it.
  if (kind == "salesforce")
    return std::pair{100000.0, "vendor default: Salesforce Enterprise Edition, 100,000 API requests a 24h (before per-licence additions)"};
  if (kind == "hubspot")
    return std::pair{250000.0, "vendor default: HubSpot Free/Starter, 250,000 requests a day (Professional 650,000, Enterprise 1,000,000)"};
  if (kind == "xero") return std::pair{5000.0, "vendor default: Xero, 5,000 calls a day per connected organisation"};
  if (kind == "quickbooks")
    return std::pair{720000.0, "vendor default: QuickBooks Online, 500 requests a minute per company (no daily cap): 720,000"};
  return std::nullopt;  // netsuite: concurrency governs; sap, oracle: none documented per day
}

void EstimateCalls(SyncVolume& s) {
  const double runs = std::max(s.runs_per_day, 0.0);
  const double changes = std::max(s.new_per_day, 0.0) + std::max(s.updated_per_day, 0.0);
  const double writes = changes * std::clamp(s.written_share, 0.0, 1.0);
  const double rb = static_cast<double>(s.read_batch > 0 ? s.read_batch : 1000);
  const double wb = static_cast<double>(s.write_batch > 0 ? s.write_batch : 100);
  s.read_calls_per_day = s.write_calls_per_day = 0;
  if (runs <= 0) return;
  const double per_run = changes / runs;
  // Every run reads at least one page, changed records or not; pages of read_batch records.
  double pages = runs * std::max(1.0, std::ceil(per_run / rb - 1e-9));
  // Each related object is read once per page that has records: when changes are sparser than
  // runs, once per changed record (each in a run of its own), else once per page.
  double related = per_run < 1 ? changes : runs * std::ceil(per_run / rb - 1e-9);
  s.read_calls_per_day = Clean(pages + static_cast<double>(s.relations) * related);
  const double w_per_run = writes / runs;
  s.write_calls_per_day = Clean(w_per_run < 1 ? writes : runs * std::ceil(w_per_run / wb - 1e-9));
}

bool Assess(const plan::Plan& plan, const engine::Systems& systems, const AssessOptions& options,
            const Answers* answers, Assessment& out, std::string& error) {
  const int64_t now_ms = options.now_ms != 0 ? options.now_ms
                                              : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count();
  out.generated_at = value::FormatTimestamp(value::Time{now_ms / 1000, 0});
  if (answers) out.answers = *answers;
  if (!Measure(plan, systems, options.measure, out.measurement, error)) return false;

  // The stamps: change rate, and close dates.
  const std::vector<SourceObject> sources = SourceObjects(plan);
  std::map<std::pair<std::string, std::string>, std::unordered_map<std::string, int32_t>> close_days;
  for (const SourceObject& so : sources) {
    auto it = systems.by_name.find(so.system);
    if (it == systems.by_name.end() || !it->second) {
      error = "no connector for system `" + so.system + "`";
      return false;
    }
    std::string kind;
    for (const plan::System& sys : plan.systems)
      if (sys.name == so.system) kind = sys.kind;
    ObjectActivity act;
    act.system = so.system;
    act.object = so.object;
    auto& ids = close_days[{so.system, so.object}];
    if (!ReadStamps(so, kind, *it->second, true, act, options.window_days, &ids, error)) {
      // An API that refuses a standard stamp (an object without one): the projection's only.
      const std::string first = error;
      act = ObjectActivity{};
      act.system = so.system;
      act.object = so.object;
      ids.clear();
      error.clear();
      if (!it->second->Remote() ||
          !ReadStamps(so, kind, *it->second, false, act, options.window_days, &ids, error)) {
        error = "reading the stamps of " + so.system + "." + so.object + ": " + (error.empty() ? first : error);
        return false;
      }
      act.note = "the API refused a standard stamp field: only the stamps the maps read were read";
    }
    out.activity.push_back(std::move(act));
  }
  auto activity_of = [&](const std::string& system, const std::string& object) -> const ObjectActivity* {
    for (const ObjectActivity& a : out.activity)
      if (a.system == system && a.object == object) return &a;
    return nullptr;
  };

  // The closed-won map: a map whose source has close dates, one with a `when` first.
  const plan::Map* won_map = nullptr;
  for (int pass = 0; pass < 2 && !won_map; ++pass) {
    for (const plan::Map& m : plan.maps) {
      const ObjectActivity* a = activity_of(m.source.system, m.source.object);
      const plan::Sync* s = SyncOf(plan, m.name);
      if (a && !a->close_field.empty() && (pass == 1 || (s && !s->when.empty()))) {
        won_map = &m;
        break;
      }
    }
  }
  std::map<int32_t, uint64_t> won_months;
  uint64_t won_without_date = 0, won_undecided = 0;
  const std::unordered_map<std::string, int32_t>* won_close =
      won_map ? &close_days[{won_map->source.system, won_map->source.object}] : nullptr;

  // The dry run.
  std::unordered_map<const plan::Map*, DryRunMap> counts;
  engine::RunOptions ro;
  ro.evaluate_only = true;
  ro.full = true;
  ro.samples = 0;
  ro.retry_wait_ms = 0;
  ro.now_ms = [now_ms] { return now_ms; };
  ro.evaluated = [&](const engine::Evaluated& e) {
    DryRunMap& c = counts[e.map];
    ++c.records;
    const std::string_view o = e.outcome;
    if (o == "written") {
      ++c.written;
      if (e.flags && !e.flags->empty()) ++c.flagged;
    } else if (o == "skipped") {
      ++c.skipped;
    } else if (o == "data_quality") {
      ++c.data_quality;
    } else if (o == "held") {
      ++c.held;
    } else if (o == "waiting") {
      ++c.waiting;
    } else if (o == "deleted") {
      ++c.deleted;
    } else {
      ++c.error;
    }
    if (e.map == won_map && o == "error") {
      ++won_undecided;  // not read (a value that does not convert): whether `when` passes is unknown
    } else if (e.map == won_map && o != "skipped" && o != "deleted") {
      auto it = won_close->find(std::string(e.source_id));
      if (it == won_close->end()) ++won_without_date;
      else ++won_months[MonthOf(it->second)];
    }
  };
  engine::RunReport report;
  if (!engine::Run(plan, systems, nullptr, ro, report, error)) {
    error = "the dry run: " + error;
    return false;
  }
  DryRun& dr = out.dry_run;
  for (const plan::Map& m : plan.maps) {
    DryRunMap c = counts[&m];
    c.map = m.name;
    c.source = m.source.system + "." + m.source.object;
    c.target = m.target.system + "." + m.target.object;
    dr.records += c.records;
    dr.written += c.written;
    dr.skipped += c.skipped;
    dr.data_quality += c.data_quality;
    dr.held += c.held;
    dr.waiting += c.waiting;
    dr.error += c.error;
    dr.flagged += c.flagged;
    dr.maps.push_back(std::move(c));
  }
  auto automation = [](const DryRunMap& c) -> std::optional<double> {
    const uint64_t taken = c.records - c.skipped - c.deleted;
    if (taken == 0) return std::nullopt;
    return Clean(static_cast<double>(c.written) / static_cast<double>(taken));
  };
  if (won_map) {
    for (const DryRunMap& c : dr.maps)
      if (c.map == won_map->name) dr.automation_rate = automation(c);
  } else {
    DryRunMap all;
    all.records = dr.records;
    all.skipped = dr.skipped;
    all.written = dr.written;
    for (const DryRunMap& c : dr.maps) all.deleted += c.deleted;
    dr.automation_rate = automation(all);
  }

  // Closed-won a month.
  if (won_map) {
    ClosedWon cw;
    cw.map = won_map->name;
    cw.object = won_map->source.system + "." + won_map->source.object;
    cw.date_field = activity_of(won_map->source.system, won_map->source.object)->close_field;
    cw.without_date = won_without_date;
    cw.undecided = won_undecided;
    if (!won_months.empty()) {
      const int32_t last = won_months.rbegin()->first;
      const int32_t first = std::max(won_months.begin()->first, last - 11);
      for (int32_t mo = first; mo <= last; ++mo) {
        auto it = won_months.find(mo);
        const uint64_t n = it == won_months.end() ? 0 : it->second;
        cw.months.emplace_back(MonthText(mo), n);
        cw.records += n;
      }
      cw.per_month = Clean(static_cast<double>(cw.records) / static_cast<double>(cw.months.size()));
    }
    out.closed_won = std::move(cw);
  }

  // SoR decisions, from the plan.
  const plan::SorDecisions sd = plan::CountSorDecisions(plan);
  out.sor.known = sd.known;
  out.sor.synced = sd.synced;
  out.sor.owned = sd.owned;
  out.sor.unowned = sd.unowned;
  out.sor.percent = SorDecisionsPercent(sd.owned, sd.synced);

  // Sync volume.
  Volume& vol = out.volume;
  vol.window_days = options.window_days;
  vol.poll_ms = options.poll_ms;
  for (const plan::Map& m : plan.maps) {
    SyncVolume s;
    s.sync = m.name;
    const plan::Sync* sync = SyncOf(plan, m.name);
    if (!sync) {
      s.trigger = "no trigger (run by `crmx-run run`: once a day assumed)";
      s.runs_per_day = 1;
    } else if (sync->trigger == "on_change") {
      s.trigger = "on change (polled every " + DurationText(options.poll_ms) + ")";
      s.runs_per_day = 86400000.0 / static_cast<double>(std::max<int64_t>(options.poll_ms, 1));
    } else if (sync->trigger == "every") {
      s.trigger = "every " + DurationText(sync->every_ms);
      s.runs_per_day = 86400000.0 / static_cast<double>(std::max<int64_t>(sync->every_ms, 1));
    } else {
      s.trigger = "daily at " + sync->daily_at;
      s.runs_per_day = 1;
    }
    s.runs_per_day = Clean(s.runs_per_day);
    s.source = m.source.system + "." + m.source.object;
    s.target = m.target.system + "." + m.target.object;
    s.source_system = m.source.system;
    s.target_system = m.target.system;
    if (const ObjectActivity* a = activity_of(m.source.system, m.source.object)) {
      s.new_per_day = a->new_per_day;
      s.updated_per_day = a->updated_per_day;
    }
    for (const DryRunMap& c : dr.maps)
      if (c.map == m.name && c.records > 0) s.written_share = Clean(static_cast<double>(c.written) / static_cast<double>(c.records));
    s.read_batch = m.read_batch;
    s.write_batch = m.write_batch;
    s.relations = m.projection.relations.size();
    EstimateCalls(s);
    vol.syncs.push_back(std::move(s));
  }
  for (const plan::System& sys : plan.systems) {
    SystemVolume sv;
    sv.system = sys.name;
    sv.kind = sys.kind;
    std::set<std::string> objects;
    for (const SyncVolume& s : vol.syncs) {
      if (s.source_system == sys.name) {
        sv.calls_per_day += s.read_calls_per_day;
        if (objects.insert(s.source).second) {
          sv.new_per_day += s.new_per_day;
          sv.updated_per_day += s.updated_per_day;
        }
      }
      if (s.target_system == sys.name) sv.calls_per_day += s.write_calls_per_day;
    }
    sv.calls_per_day = Clean(sv.calls_per_day);
    sv.new_per_day = Clean(sv.new_per_day);
    sv.updated_per_day = Clean(sv.updated_per_day);
    if (sv.new_per_day + sv.updated_per_day > 0)
      sv.multiplier = Clean(sv.calls_per_day / (sv.new_per_day + sv.updated_per_day));
    for (const plan::Budget& b : sys.budgets) {
      if ((b.metric == "api_calls" || b.metric == "requests") && b.period_ms && *b.period_ms > 0) {
        const double per_day = Clean(static_cast<double>(b.amount) * 86400000.0 / static_cast<double>(*b.period_ms));
        if (!sv.budget_per_day || per_day < *sv.budget_per_day) {
          sv.budget_per_day = per_day;
          sv.budget_from = "spec: " + b.metric + " " + std::to_string(b.amount) + " per " + DurationText(*b.period_ms);
        }
      }
    }
    if (!sv.budget_per_day) {
      if (auto v = VendorDailyBudget(sys.kind)) {
        sv.budget_per_day = v->first;
        sv.budget_from = v->second;
      }
    }
    if (sv.budget_per_day) sv.use = ScoreBudgetUse(sv.calls_per_day, *sv.budget_per_day);
    vol.systems.push_back(std::move(sv));
  }

  // Scores.
  const Measurement& mm = out.measurement;
  RubricInput ri;
  ri.completeness_percent = std::max(mm.completeness, 0.0);
  ri.duplicate_percent = std::max(mm.duplicate_rate, 0.0);
  ri.format_percent = std::max(mm.format_consistency, 0.0);
  if (answers) {
    ri.governance = answers->governance;
    ri.hygiene = answers->hygiene;
  }
  out.rubric = ScoreRubric(ri);
  const bool measured_all = mm.completeness >= 0 && mm.duplicate_rate >= 0 && mm.format_consistency >= 0;
  out.rubric_complete = answers && measured_all;
  if (answers) {
    ReadinessInput& in = out.readiness_input;
    in.completeness_percent = ri.completeness_percent;
    in.duplicate_percent = ri.duplicate_percent;
    in.format_percent = ri.format_percent;
    in.api_availability = answers->system.api_availability.score;
    in.documentation = answers->system.documentation.score;
    in.sandbox = answers->system.sandbox.score;
    in.executive_sponsorship = answers->organisation.executive_sponsorship.score;
    in.sor_decisions = out.sor.percent;
    in.stakeholder_availability = answers->organisation.stakeholder_availability.score;
    if (measured_all && out.sor.known) out.readiness = ScoreReadiness(in);

    const bool rpm_answered = answers->roi.records_per_month.has_value();
    const bool auto_answered = answers->roi.automation_rate.has_value();
    const bool rpm_measured = out.closed_won && !out.closed_won->months.empty();
    out.records_per_month_from = rpm_answered ? "answers" : rpm_measured ? "data" : "";
    out.automation_rate_from = auto_answered ? "answers" : dr.automation_rate ? "dry run" : "";
    if (out.records_per_month_from.empty()) {
      out.roi_missing = "no records a month: no map's source has close dates; answer roi.records_per_month";
    } else if (out.automation_rate_from.empty()) {
      out.roi_missing = "no automation rate: the dry run takes no record; answer roi.automation_rate";
    } else {
      out.roi_input = MakeRoiInput(answers->roi, rpm_measured ? out.closed_won->per_month : 0.0,
                                   dr.automation_rate.value_or(0.0));
      out.roi = ScoreRoi(out.roi_input);
    }
  }
  return true;
}

// ---------------------------------------------------------------- reports

namespace {

// The rubric's criterion is scored: measured (the first three) or answered (the last two).
bool Scored(const Assessment& a, const Criterion& c) {
  const Measurement& m = a.measurement;
  if (c.key == "completeness") return m.completeness >= 0;
  if (c.key == "duplicates") return m.duplicate_rate >= 0;
  if (c.key == "format") return m.format_consistency >= 0;
  return a.answers.has_value();
}

std::string Measured(const Assessment& a, const Criterion& c) {
  if (Scored(a, c)) return c.key == "completeness"  ? Pct(a.measurement.completeness)
                           : c.key == "duplicates" ? Pct(a.measurement.duplicate_rate)
                           : c.key == "format"     ? Pct(a.measurement.format_consistency)
                                                   : c.measured;
  return c.key == "governance" || c.key == "hygiene" ? "not answered" : "not measured";
}

std::string Money(double v) { return "$" + Grouped(v, 2); }

}  // namespace

std::string AssessmentText(const Assessment& a) {
  std::ostringstream o;
  const Measurement& m = a.measurement;
  o << "assess " << m.integration << ": " << m.records << " source records, assessed " << a.generated_at << "\n";

  o << "\nData Quality Rubric\n";
  int points = 0;
  for (const Criterion& c : a.rubric.criteria) {
    char line[256];
    const bool scored = Scored(a, c);
    std::snprintf(line, sizeof line, "  %-24s %-18s %s/%d\n", c.label.c_str(), Measured(a, c).c_str(),
                  scored ? std::to_string(c.points).c_str() : "-", c.max_points);
    o << line;
    if (scored) points += c.points;
  }
  if (a.rubric_complete) {
    o << "  total " << a.rubric.points << "/100: " << TierName(a.rubric.tier) << "\n";
  } else {
    o << "  total: not scored (" << (a.answers ? "a criterion could not be measured" : "no answers file: --answers FILE")
      << "); " << points << " points so far\n";
  }

  o << "\nReadiness: ";
  if (a.readiness) {
    const Readiness& r = *a.readiness;
    const ReadinessInput& in = a.readiness_input;
    o << Short(r.score) << ", " << ReadinessBandName(r.band) << "\n";
    o << "  data quality   " << Short(r.data_quality) << " = completeness " << Short(in.completeness_percent)
      << " x 0.4 + (100 - 2 x duplicates " << Short(in.duplicate_percent) << ") x 0.3 + format "
      << Short(in.format_percent) << " x 0.3\n";
    o << "  system         " << Short(r.system) << " = API availability " << Short(in.api_availability)
      << " x 0.4 + documentation " << Short(in.documentation) << " x 0.3 + sandbox " << Short(in.sandbox) << " x 0.3\n";
    o << "  organisational " << Short(r.organisational) << " = executive sponsorship " << Short(in.executive_sponsorship)
      << " x 0.4 + SoR decisions " << Short(in.sor_decisions) << " x 0.3 + stakeholder availability "
      << Short(in.stakeholder_availability) << " x 0.3\n";
  } else if (!a.answers) {
    o << "not scored (no answers file: --answers FILE)\n";
  } else if (!a.sor.known) {
    o << "not scored (the plan predates ownership: rebuild it with this crmxc)\n";
  } else {
    o << "not scored (a data-quality criterion could not be measured)\n";
  }

  o << "\nSoR decisions: ";
  if (!a.sor.known) {
    o << "unknown (the plan predates ownership: rebuild it with this crmxc)\n";
  } else {
    o << a.sor.owned << " of " << a.sor.synced << " synced fields have an owner (" << Num(a.sor.percent, 1) << "%)\n";
    for (const auto& [map, field] : a.sor.unowned) o << "  no owner: " << field << " (map " << map << ")\n";
  }

  const DryRun& d = a.dry_run;
  o << "\nDry run (nothing written): " << d.records << " records: " << d.written << " written ("
    << Num(Share(d.written, d.records), 1) << "%), " << d.data_quality << " data-quality ("
    << Num(Share(d.data_quality, d.records), 1) << "%), " << d.held << " held (" << Num(Share(d.held, d.records), 1)
    << "%), " << d.waiting << " waiting, " << d.error << " error, " << d.skipped << " skipped by `when`; " << d.flagged
    << " written with a flag (" << Num(Share(d.flagged, d.records), 1) << "%)\n";
  for (const DryRunMap& c : d.maps)
    o << "  " << c.map << " (" << c.source << " -> " << c.target << "): " << c.records << " records, " << c.written
      << " written, " << c.data_quality << " data-quality, " << c.held << " held, " << c.waiting << " waiting, "
      << c.error << " error, " << c.skipped << " skipped, " << c.flagged << " flagged\n";
  if (d.automation_rate) o << "  automation rate " << Num(*d.automation_rate * 100, 1) << "% (written of the records a sync takes" << (a.closed_won ? ", " + a.closed_won->map : std::string()) << ")\n";

  o << "\nClosed-won records a month: ";
  if (!a.closed_won) {
    o << "not measured (no map's source has close dates)\n";
  } else if (a.closed_won->months.empty()) {
    o << "not measured (" << a.closed_won->map << " takes no record with a " << a.closed_won->date_field << ")\n";
  } else {
    const ClosedWon& cw = *a.closed_won;
    o << Short(cw.per_month) << " (" << cw.records << " records of " << cw.map << " by " << cw.object << "."
      << cw.date_field << ", " << cw.months.front().first << " to " << cw.months.back().first << ", "
      << cw.months.size() << " months)";
    if (cw.without_date) o << "; " << cw.without_date << " without a close date";
    if (cw.undecided) o << "; " << cw.undecided << " not counted: the record could not be read (dry run errors)";
    o << "\n";
  }

  o << "\nROI: ";
  if (a.roi) {
    const Roi& r = *a.roi;
    const RoiInput& in = a.roi_input;
    o << (r.roi ? Num(*r.roi, 2) : std::string("-")) << " (benefit " << Money(r.annual_benefit) << " a year / cost "
      << Money(in.annual_integration_cost) << ")\n";
    o << "  hours saved a month " << Short(r.hours_saved_per_month) << " = " << Short(in.records_per_month)
      << " records a month (" << a.records_per_month_from << ") x " << Short(in.minutes_per_entry) << " minutes x "
      << Short(in.automation_rate) << " automation (" << a.automation_rate_from << ") / 60\n";
    o << "  annual savings " << Money(r.annual_savings) << " = " << Short(r.hours_saved_per_month) << " x 12 x "
      << Money(in.blended_hourly_rate) << " an hour\n";
    o << "  error cost avoided " << Money(r.error_cost_avoided) << " = " << Short(in.records_per_month) << " x 12 x "
      << Short(in.error_rate) << " x " << Money(in.cost_per_error) << "\n";
  } else if (!a.answers) {
    o << "not computed (no answers file: --answers FILE)\n";
  } else {
    o << "not computed: " << a.roi_missing << "\n";
  }

  const Volume& v = a.volume;
  o << "\nSync volume (changes over the " << v.window_days << " days to each object's latest stamp):\n";
  for (const SyncVolume& s : v.syncs) {
    o << "  " << s.sync << ": " << s.trigger << ", " << Short(s.runs_per_day) << " runs a day; " << s.source << " "
      << Short(s.new_per_day) << " new + " << Short(s.updated_per_day) << " updated a day, "
      << Num(s.written_share * 100, 1) << "% written -> " << Short(s.read_calls_per_day) << " reads (" << s.source_system
      << ") + " << Short(s.write_calls_per_day) << " writes (" << s.target_system << ") a day\n";
  }
  for (const SystemVolume& sv : v.systems) {
    o << "  " << sv.system << " (" << sv.kind << "): " << Grouped(sv.calls_per_day, 0) << " calls a day";
    if (sv.multiplier)
      o << " = (" << Short(sv.new_per_day) << " new + " << Short(sv.updated_per_day) << " updated) x " << Short(*sv.multiplier);
    if (sv.use) {
      o << "; budget " << Grouped(*sv.budget_per_day, 0) << " a day (" << sv.budget_from << "): "
        << Num(sv.use->use_percent, 1) << "%, " << BudgetBandName(sv.use->band);
      if (!sv.use->advice.empty()) o << ": " << sv.use->advice;
    } else {
      o << "; no daily call budget (give `budget api_calls N per 24h` in the spec)";
    }
    o << "\n";
  }
  for (const ObjectActivity& act : a.activity) {
    if (!act.note.empty()) o << "  note: " << act.system << "." << act.object << ": " << act.note << "\n";
    if (act.records > 0 && !act.measured)
      o << "  note: " << act.system << "." << act.object << " has no creation or change stamp: its change rate counts 0\n";
  }

  o << MeasurementObjectsText(m);
  return o.str();
}

nlohmann::json AssessmentJson(const Assessment& a) {
  using nlohmann::json;
  json j = MeasurementJsonValue(a.measurement);
  j["generated_at"] = a.generated_at;

  json criteria = json::array();
  for (const Criterion& c : a.rubric.criteria) {
    const bool scored = Scored(a, c);
    criteria.push_back({{"key", c.key},
                        {"label", c.label},
                        {"measured", Measured(a, c)},
                        {"points", scored ? json(c.points) : json(nullptr)},
                        {"max_points", c.max_points}});
  }
  j["rubric"] = {{"criteria", criteria},
                 {"points", a.rubric_complete ? json(a.rubric.points) : json(nullptr)},
                 {"max_points", 100},
                 {"tier", a.rubric_complete ? json(static_cast<int>(a.rubric.tier)) : json(nullptr)},
                 {"tier_name", a.rubric_complete ? json(std::string(TierName(a.rubric.tier))) : json(nullptr)}};

  if (a.readiness) {
    const Readiness& r = *a.readiness;
    const ReadinessInput& in = a.readiness_input;
    j["readiness"] = {{"data_quality", Round(r.data_quality, 2)},
                      {"system", Round(r.system, 2)},
                      {"organisational", Round(r.organisational, 2)},
                      {"score", Round(r.score, 2)},
                      {"band", std::string(ReadinessBandName(r.band))},
                      {"inputs",
                       {{"completeness", Round(in.completeness_percent, 2)},
                        {"duplicate_rate", Round(in.duplicate_percent, 2)},
                        {"format_consistency", Round(in.format_percent, 2)},
                        {"api_availability", in.api_availability},
                        {"documentation", in.documentation},
                        {"sandbox", in.sandbox},
                        {"executive_sponsorship", in.executive_sponsorship},
                        {"sor_decisions", Round(in.sor_decisions, 2)},
                        {"stakeholder_availability", in.stakeholder_availability}}}};
  } else {
    j["readiness"] = nullptr;
  }

  if (a.sor.known) {
    json unowned = json::array();
    for (const auto& [map, field] : a.sor.unowned) unowned.push_back({{"map", map}, {"field", field}});
    j["sor"] = {{"synced_fields", a.sor.synced}, {"owned_fields", a.sor.owned}, {"percent", Round(a.sor.percent, 2)},
                {"unowned", unowned}};
  } else {
    j["sor"] = nullptr;
  }

  const DryRun& d = a.dry_run;
  json maps = json::array();
  for (const DryRunMap& c : d.maps)
    maps.push_back({{"map", c.map},         {"source", c.source},   {"target", c.target},
                    {"records", c.records}, {"written", c.written}, {"skipped", c.skipped},
                    {"data_quality", c.data_quality}, {"held", c.held}, {"waiting", c.waiting},
                    {"error", c.error},     {"deleted", c.deleted}, {"flagged", c.flagged}});
  j["dry_run"] = {{"records", d.records},
                  {"maps", maps},
                  {"written_percent", Round(Share(d.written, d.records), 2)},
                  {"data_quality_percent", Round(Share(d.data_quality, d.records), 2)},
                  {"held_percent", Round(Share(d.held, d.records), 2)},
                  {"flagged_percent", Round(Share(d.flagged, d.records), 2)},
                  {"automation_rate", d.automation_rate ? json(Round(*d.automation_rate, 4)) : json(nullptr)}};

  if (a.closed_won) {
    const ClosedWon& cw = *a.closed_won;
    json months = json::array();
    for (const auto& [mo, n] : cw.months) months.push_back({{"month", mo}, {"records", n}});
    j["closed_won"] = {{"map", cw.map},
                       {"object", cw.object},
                       {"date_field", cw.date_field},
                       {"per_month", cw.months.empty() ? json(nullptr) : json(Round(cw.per_month, 2))},
                       {"records", cw.records},
                       {"without_date", cw.without_date},
                       {"undecided", cw.undecided},
                       {"months", months}};
  } else {
    j["closed_won"] = nullptr;
  }

  if (a.roi) {
    const Roi& r = *a.roi;
    const RoiInput& in = a.roi_input;
    j["roi"] = {{"records_per_month", Round(in.records_per_month, 2)},
                {"records_per_month_from", a.records_per_month_from},
                {"minutes_per_entry", in.minutes_per_entry},
                {"automation_rate", Round(in.automation_rate, 4)},
                {"automation_rate_from", a.automation_rate_from},
                {"blended_hourly_rate", in.blended_hourly_rate},
                {"error_rate", in.error_rate},
                {"cost_per_error", in.cost_per_error},
                {"annual_integration_cost", in.annual_integration_cost},
                {"hours_saved_per_month", Round(r.hours_saved_per_month, 2)},
                {"annual_savings", Round(r.annual_savings, 2)},
                {"error_cost_avoided", Round(r.error_cost_avoided, 2)},
                {"annual_benefit", Round(r.annual_benefit, 2)},
                {"roi", r.roi ? json(Round(*r.roi, 2)) : json(nullptr)}};
  } else {
    j["roi"] = nullptr;
  }
  if (!a.roi_missing.empty()) j["roi_missing"] = a.roi_missing;

  const Volume& v = a.volume;
  json syncs = json::array();
  for (const SyncVolume& s : v.syncs)
    syncs.push_back({{"sync", s.sync},
                     {"trigger", s.trigger},
                     {"runs_per_day", Round(s.runs_per_day, 2)},
                     {"source", s.source},
                     {"target", s.target},
                     {"new_per_day", Round(s.new_per_day, 2)},
                     {"updated_per_day", Round(s.updated_per_day, 2)},
                     {"written_share", Round(s.written_share, 4)},
                     {"read_batch", s.read_batch},
                     {"write_batch", s.write_batch},
                     {"relations", s.relations},
                     {"read_calls_per_day", Round(s.read_calls_per_day, 2)},
                     {"write_calls_per_day", Round(s.write_calls_per_day, 2)}});
  json systems = json::array();
  for (const SystemVolume& sv : v.systems) {
    json s = {{"system", sv.system},
              {"kind", sv.kind},
              {"calls_per_day", Round(sv.calls_per_day, 2)},
              {"new_per_day", Round(sv.new_per_day, 2)},
              {"updated_per_day", Round(sv.updated_per_day, 2)},
              {"multiplier", sv.multiplier ? json(Round(*sv.multiplier, 2)) : json(nullptr)},
              {"budget_per_day", sv.budget_per_day ? json(*sv.budget_per_day) : json(nullptr)},
              {"budget_from", sv.budget_from.empty() ? json(nullptr) : json(sv.budget_from)}};
    if (sv.use) {
      s["use_percent"] = std::isinf(sv.use->use_percent) ? json(nullptr) : json(Round(sv.use->use_percent, 2));
      s["band"] = std::string(BudgetBandName(sv.use->band));
      s["over_budget"] = sv.use->over_budget;
      s["advice"] = sv.use->advice;
    } else {
      s["use_percent"] = nullptr;
      s["band"] = nullptr;
      s["over_budget"] = false;
      s["advice"] = "";
    }
    systems.push_back(std::move(s));
  }
  json activity = json::array();
  for (const ObjectActivity& act : a.activity)
    activity.push_back({{"system", act.system},
                        {"object", act.object},
                        {"records", act.records},
                        {"created_field", act.created_field},
                        {"modified_field", act.modified_field},
                        {"close_field", act.close_field},
                        {"window_end", act.window_end.empty() ? json(nullptr) : json(act.window_end)},
                        {"created_in_window", act.created_in_window},
                        {"updated_in_window", act.updated_in_window},
                        {"new_per_day", Round(act.new_per_day, 2)},
                        {"updated_per_day", Round(act.updated_per_day, 2)},
                        {"note", act.note.empty() ? json(nullptr) : json(act.note)}});
  j["volume"] = {{"window_days", v.window_days},
                 {"poll_seconds", static_cast<double>(v.poll_ms) / 1000.0},
                 {"syncs", syncs},
                 {"systems", systems},
                 {"objects", activity}};
  return j;
}

}  // namespace crmx::assess
