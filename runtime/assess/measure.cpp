// Defines the measuring half of `crmx-run assess` (measure.h): the normaliser, the blocking
// duplicate finder, the key fields of a plan's maps, the read of each source object through its
// system's connector, and the text and JSON reports.
#include "runtime/assess/measure.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "runtime/assess/score.h"
#include "runtime/connectors/connector.h"
#include "runtime/stdlib/geo.h"
#include "runtime/stdlib/phone.h"
#include "runtime/vm/bytecode.h"

namespace crmx::assess {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsAlnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Lower case, periods and apostrophes dropped, "&" as " and ", other punctuation one space:
// the words of `text`.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (char c : text) {
    if (c == '.' || c == '\'') continue;
    if (c == '&') {
      flush();
      words.push_back("and");
    } else if (IsAlnum(static_cast<unsigned char>(c))) {
      cur.push_back(Lower(c));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

const std::set<std::string>& LegalSuffixes() {
  static const std::set<std::string> s = {"inc",  "incorporated", "llc",  "llp", "lp",   "ltd", "limited", "gmbh",
                                          "corp", "corporation",  "co",   "plc", "ag",   "sa",  "sarl",    "sas",
                                          "bv",   "nv",           "pty",  "srl", "spa",  "oy",  "ab",      "kg",
                                          "pllc", "pc",           "lda",  "kk",  "mbh",  "se",  "company"};
  return s;
}

}  // namespace

bool Present(std::string_view text) { return !TrimView(text).empty(); }

std::string NormalizeName(std::string_view name) {
  std::vector<std::string> words = Words(name);
  // The legal suffixes at the end ("acme holdings co ltd" -> "acme holdings"), keeping one word.
  while (words.size() > 1 && LegalSuffixes().count(words.back())) words.pop_back();
  return Join(words);
}

std::string WebsiteDomain(std::string_view website) {
  std::string_view s = TrimView(website);
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  size_t end = s.find_first_of("/?#");
  if (end != std::string_view::npos) s = s.substr(0, end);
  size_t at = s.rfind('@');  // user info
  if (at != std::string_view::npos) s.remove_prefix(at + 1);
  size_t colon = s.find(':');  // port
  if (colon != std::string_view::npos) s = s.substr(0, colon);
  std::string host;
  for (char c : s) host.push_back(Lower(c));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.rfind("www.", 0) == 0) host.erase(0, 4);
  if (host.find('.') == std::string::npos) return {};  // not a host name
  return host;
}

std::string NormalizeStreet(std::string_view street) {
  static const std::map<std::string, std::string> abbreviations = {
      {"street", "st"},    {"avenue", "ave"}, {"av", "ave"},     {"road", "rd"},      {"drive", "dr"},
      {"boulevard", "blvd"}, {"lane", "ln"},  {"court", "ct"},   {"place", "pl"},     {"suite", "ste"},
      {"highway", "hwy"},  {"parkway", "pkwy"}, {"square", "sq"}, {"north", "n"},     {"south", "s"},
      {"east", "e"},       {"west", "w"},     {"floor", "fl"},   {"apartment", "apt"}, {"number", "no"}};
  std::vector<std::string> words = Words(street);
  for (std::string& w : words) {
    auto it = abbreviations.find(w);
    if (it != abbreviations.end()) w = it->second;
  }
  return Join(words);
}

std::string NormalizePostal(std::string_view postal) {
  std::string out;
  for (char c : postal) {
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) out.push_back(c);
    else if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c - 'a' + 'A'));
  }
  if (out.size() == 9 && std::all_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; }))
    out.resize(5);
  return out;
}

const char* DupRuleName(DupRule r) {
  switch (r) {
    case DupRule::kWebsite: return "website_domain";
    case DupRule::kPhone: return "phone_e164";
    case DupRule::kAddress: return "billing_address";
  }
  return "?";
}

// ---------------------------------------------------------------- DuplicateFinder

uint32_t DuplicateFinder::Find(uint32_t i) const {
  while (parent_[i] != i) {
    parent_[i] = parent_[parent_[i]];
    i = parent_[i];
  }
  return i;
}

std::string_view DuplicateFinder::Id(uint32_t i) const {
  uint64_t begin = i == 0 ? 0 : id_end_[i - 1];
  return std::string_view(ids_).substr(begin, id_end_[i] - begin);
}

void DuplicateFinder::Add(std::string_view id, std::string_view name, std::string_view domain, std::string_view phone,
                          std::string_view address) {
  const uint32_t self = static_cast<uint32_t>(parent_.size());
  parent_.push_back(self);
  ids_ += id;
  id_end_.push_back(ids_.size());
  if (name.empty()) return;
  const std::string_view seconds[kDupRules] = {domain, phone, address};
  std::string key;
  for (int r = 0; r < kDupRules; ++r) {
    if (seconds[r].empty()) continue;
    // The blocking key: the rule, the normalised name and the second key, hashed (64 bits: a
    // collision among a few million keys is unlikely enough, about 1 in 10^6).
    key.clear();
    key.push_back(static_cast<char>('0' + r));
    key += name;
    key.push_back('\0');
    key += seconds[r];
    const uint64_t h = std::hash<std::string_view>{}(key);
    auto [it, inserted] = first_.try_emplace(h, self);
    if (inserted) continue;
    ++matched_[r];
    if (on_match) on_match(Id(it->second), id, static_cast<DupRule>(r));
    const uint32_t a = Find(it->second), b = Find(self);
    if (a != b) parent_[b] = a;
    if (examples_.size() < max_examples_) {
      bool seen = false;  // one example per record
      for (const DuplicatePair& p : examples_) seen = seen || p.second == id;
      if (!seen) examples_.push_back({std::string(Id(it->second)), std::string(id), static_cast<DupRule>(r)});
    }
  }
}

uint64_t DuplicateFinder::duplicates() const {
  uint64_t roots = 0;
  for (uint32_t i = 0; i < parent_.size(); ++i) roots += Find(i) == i;
  return parent_.size() - roots;
}

uint64_t DuplicateFinder::groups() const {
  std::vector<uint32_t> size(parent_.size(), 0);
  for (uint32_t i = 0; i < parent_.size(); ++i) ++size[Find(i)];
  uint64_t n = 0;
  for (uint32_t s : size) n += s > 1;
  return n;
}

// ---------------------------------------------------------------- roles

namespace {

std::string LowerText(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(Lower(c));
  return out;
}

bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::string LastSegment(const std::string& s) {
  size_t dot = s.rfind('.');
  return dot == std::string::npos ? s : s.substr(dot + 1);
}

// Fields probed besides the projection, on local stores (files, SQLite), where a missing key or
// column reads as null: the usual names of the vendors' name, address, email, phone, website and
// currency fields. One that is null on every record is one the object does not have.
const std::vector<std::string>& Candidates() {
  static const std::vector<std::string> c = {
      // Salesforce
      "Name", "Email", "Website", "Phone", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode",
      "BillingCountry", "ShippingState", "ShippingCountry", "CurrencyIsoCode",
      // HubSpot, NetSuite, generic
      "name", "email", "website", "domain", "phone", "address", "city", "state", "zip", "country", "currency",
      "companyName", "url",
      // QuickBooks
      "DisplayName", "PrimaryEmailAddr.Address", "PrimaryPhone.FreeFormNumber", "WebAddr.URI", "BillAddr.Line1",
      "BillAddr.City", "BillAddr.CountrySubDivisionCode", "BillAddr.PostalCode", "BillAddr.Country",
      "CurrencyRef.value"};
  return c;
}

}  // namespace

FieldRoles RolesOf(const std::vector<std::string>& fields) {
  FieldRoles r;
  const char* name_order[] = {"name", "companyname", "displayname", "accountname", "company"};
  for (const char* want : name_order) {
    for (const std::string& f : fields)
      if (r.name.empty() && LowerText(f) == want) r.name = f;
  }
  std::vector<std::string> streets, cities, postals;
  for (const std::string& f : fields) {
    const std::string l = LowerText(f), last = LastSegment(l);
    if (Has(l, "website") || last == "domain" || last == "url" || Has(l, "webaddr")) {
      if (r.website.empty()) r.website = f;
    } else if (Has(l, "email")) {
      if (r.email.empty()) r.email = f;
    } else if (Has(l, "phone") && !Has(l, "fax")) {
      r.phones.push_back(f);
    } else if (Has(l, "street") || Has(l, "line1") || last == "address") {
      streets.push_back(f);
    } else if (Has(l, "city")) {
      cities.push_back(f);
    } else if (Has(l, "postal") || last == "zip" || Has(l, "zipcode")) {
      postals.push_back(f);
    } else if ((Has(l, "state") || Has(l, "countrysubdivision")) && !Has(l, "status") && !Has(l, "statement")) {
      r.states.push_back(f);
    } else if (Has(l, "country")) {
      r.countries.push_back(f);
    } else if (Has(l, "currency") && !Has(l, "rate")) {
      r.currencies.push_back(f);
    }
  }
  // The phone duplicates compare: "Phone"/"phone" first.
  for (const std::string& f : r.phones)
    if (r.phone.empty() && LowerText(LastSegment(f)) == "phone") r.phone = f;
  if (r.phone.empty() && !r.phones.empty()) r.phone = r.phones.front();
  // The address: the billing one when the object has one, else the fields not about shipping.
  std::vector<std::string> all;
  for (const auto* list : {&streets, &cities, &postals, &r.states, &r.countries}) all.insert(all.end(), list->begin(), list->end());
  bool billing = false;
  for (const std::string& f : all) billing = billing || Has(LowerText(f), "bill");
  for (const std::string& f : all) {
    const std::string l = LowerText(f);
    if (billing ? Has(l, "bill") : !Has(l, "ship")) r.address.push_back(f);
  }
  auto pick = [&](const std::vector<std::string>& list) {
    for (const std::string& f : list)
      if (std::find(r.address.begin(), r.address.end(), f) != r.address.end()) return f;
    return list.empty() ? std::string() : list.front();
  };
  r.street = pick(streets);
  r.postal = pick(postals);
  return r;
}

// ---------------------------------------------------------------- Measure

namespace {

bool HasOp(const vm::Program& p, std::initializer_list<vm::Op> ops) {
  for (const vm::Instr& i : p.code)
    for (vm::Op op : ops)
      if (i.op == op) return true;
  return false;
}

// The key fields of a map, by why: its `key`, its `require`s without `||` or `??` (a field of
// `A != null || B != null` is not required alone), and the fields its other statements read
// without a fallback (no `??`, no `?:`, no flag). The plan keeps programs, not the spec's text:
// a fallback is recognised by its instructions.
void KeyFields(const plan::Map& m, std::vector<std::pair<std::string, std::string>>& out) {
  auto add = [&](const std::string& field, const char* why) {
    for (const auto& [f, w] : out)
      if (f == field) return;
    out.emplace_back(field, why);
  };
  for (const plan::Step& s : m.steps) {
    const char* why = nullptr;
    switch (s.kind) {
      case plan::StepKind::kKey: why = "key"; break;
      case plan::StepKind::kRequire:
        if (!HasOp(s.program, {vm::Op::kJumpIfTrueKeep, vm::Op::kOr, vm::Op::kCoalesce, vm::Op::kJumpIfFalse}))
          why = "require";
        break;
      case plan::StepKind::kAssign:
      case plan::StepKind::kRef:
        if (!s.flag_probe && !s.flag &&
            !HasOp(s.program, {vm::Op::kCoalesce, vm::Op::kJumpIfFalse, vm::Op::kJumpIfTrueKeep,
                               vm::Op::kJumpIfFalseKeep, vm::Op::kHas}))
          why = "read without fallback";
        break;
    }
    if (!why) continue;
    for (const plan::Binding& b : s.bindings)
      if (b.kind == plan::BindingKind::kField) add(b.field, why);
  }
}

std::string Text(const value::Value& v) {
  if (v.IsNull()) return {};
  if (v.kind() == value::Kind::kString) return std::string(v.AsText());
  return value::Display(v, false);
}

struct FormatCount {
  uint64_t non_empty = 0, valid = 0;
  std::unordered_map<std::string, uint64_t> invalid;
};

struct ObjectPlan {
  std::string system, object, id_field;
  std::vector<std::string> maps;
  std::vector<std::string> fields;
  std::vector<plan::FieldType> types;
  std::vector<std::pair<std::string, std::string>> key;  // field, why
};

size_t IndexOf(const std::vector<std::string>& v, const std::string& f) {
  auto it = std::find(v.begin(), v.end(), f);
  return it == v.end() ? SIZE_MAX : static_cast<size_t>(it - v.begin());
}

bool MeasureObject(const ObjectPlan& op, connectors::Connector& conn, const Options& options, ObjectMeasure& out,
                   std::string& error) {
  std::vector<std::string> fields = op.fields;
  std::vector<plan::FieldType> types = op.types;
  std::set<std::string> projected(fields.begin(), fields.end());
  if (!conn.Remote()) {
    for (const std::string& c : Candidates()) {
      if (projected.count(c)) continue;
      fields.push_back(c);
      types.push_back(plan::FieldType::kAny);
    }
  }
  if (!op.id_field.empty() && IndexOf(fields, op.id_field) == SIZE_MAX) {
    fields.push_back(op.id_field);
    types.push_back(plan::FieldType::kAny);
  }
  const FieldRoles roles = RolesOf(fields);
  // The completeness fields: the key fields, then name, address and email.
  std::vector<std::pair<std::string, std::string>> tracked = op.key;
  auto track = [&](const std::string& f, const char* why) {
    if (f.empty()) return;
    for (const auto& [g, w] : tracked)
      if (g == f) return;
    tracked.emplace_back(f, why);
  };
  track(roles.name, "name");
  for (const std::string& f : roles.address) track(f, "address");
  track(roles.email, "email");
  if (tracked.size() > 64) tracked.resize(64);  // the presence mask's width
  std::vector<size_t> tracked_at;
  for (const auto& [f, w] : tracked) tracked_at.push_back(IndexOf(fields, f));

  struct FormatSpec {
    std::string field, kind;
    size_t at;
  };
  std::vector<FormatSpec> formats;
  for (const auto& [list, kind] : {std::pair{&roles.states, "state"}, std::pair{&roles.countries, "country"},
                                  std::pair{&roles.phones, "phone"}, std::pair{&roles.currencies, "currency"}})
    for (const std::string& f : *list) formats.push_back({f, kind, IndexOf(fields, f)});
  std::vector<FormatCount> format_counts(formats.size());
  // The record's country for its phone: the first of the address's countries, else any.
  size_t country_at = SIZE_MAX;
  for (const std::string& f : roles.countries)
    if (std::find(roles.address.begin(), roles.address.end(), f) != roles.address.end()) {
      country_at = IndexOf(fields, f);
      break;
    }
  if (country_at == SIZE_MAX && !roles.countries.empty()) country_at = IndexOf(fields, roles.countries.front());

  const size_t id_at = op.id_field.empty() ? SIZE_MAX : IndexOf(fields, op.id_field);
  const size_t name_at = roles.name.empty() ? SIZE_MAX : IndexOf(fields, roles.name);
  const size_t web_at = roles.website.empty() ? SIZE_MAX : IndexOf(fields, roles.website);
  const size_t phone_at = roles.phone.empty() ? SIZE_MAX : IndexOf(fields, roles.phone);
  const size_t street_at = roles.street.empty() ? SIZE_MAX : IndexOf(fields, roles.street);
  const size_t postal_at = roles.postal.empty() ? SIZE_MAX : IndexOf(fields, roles.postal);

  connectors::ReadRequest req;
  req.object = op.object;
  req.fields = fields;
  req.types = types;
  req.id_field = op.id_field;
  std::unique_ptr<connectors::RecordReader> reader = conn.OpenReader(req, error);
  if (!reader) return false;
  std::unordered_map<uint64_t, uint64_t> masks;  // presence mask of the tracked fields -> records
  std::vector<uint64_t> non_null(fields.size(), 0);
  DuplicateFinder finder(options.examples);
  if (options.pair_out) {
    finder.on_match = [&](std::string_view a, std::string_view b, DupRule rule) {
      options.pair_out(op.system + "." + op.object + "," + std::string(a) + "," + std::string(b) + "," + DupRuleName(rule) + "\n");
    };
  }
  uint64_t second_keys = 0;
  connectors::RecordBatch batch;
  std::vector<std::string> text(fields.size());
  std::unordered_map<std::string, std::string> region_of;  // country text -> ISO code ("" unknown)
  while (reader->Next(batch)) {
    out.bad_lines += batch.bad.size();
    for (size_t r = 0; r < batch.size(); ++r) {
      const value::Value* row = batch.Row(r);
      for (size_t i = 0; i < fields.size(); ++i) {
        text[i] = Text(row[i]);
        if (!row[i].IsNull()) ++non_null[i];
      }
      ++out.records;
      uint64_t mask = 0;
      for (size_t t = 0; t < tracked_at.size(); ++t)
        if (tracked_at[t] != SIZE_MAX && Present(text[tracked_at[t]])) mask |= uint64_t{1} << t;
      ++masks[mask];
      std::string region = options.default_region;
      if (country_at != SIZE_MAX && Present(text[country_at])) {
        auto it = region_of.find(text[country_at]);
        if (it == region_of.end()) {
          auto code = stdlib::CountryCode(text[country_at]);
          it = region_of.emplace(text[country_at], code.ok() ? std::string(*code) : std::string()).first;
        }
        if (!it->second.empty()) region = it->second;
      }
      std::string e164;
      for (size_t f = 0; f < formats.size(); ++f) {
        std::string_view v = TrimView(text[formats[f].at]);
        if (v.empty()) continue;
        FormatCount& c = format_counts[f];
        ++c.non_empty;
        bool ok = false;
        if (formats[f].kind == std::string("state")) {
          ok = stdlib::StateCode(v).ok();
        } else if (formats[f].kind == std::string("country")) {
          ok = stdlib::CountryCode(v).ok();
        } else if (formats[f].kind == std::string("phone")) {
          auto p = stdlib::E164(v, region);
          ok = p.ok();
          if (ok && formats[f].at == phone_at) e164 = *p;
        } else {
          ok = stdlib::IsCurrencyCode(v);
        }
        if (ok) ++c.valid;
        else if (c.invalid.size() < 100000 || c.invalid.count(std::string(v))) ++c.invalid[std::string(v)];
      }
      if (name_at != SIZE_MAX) {
        const std::string name = NormalizeName(text[name_at]);
        const std::string domain = web_at == SIZE_MAX ? std::string() : WebsiteDomain(text[web_at]);
        std::string address;
        if (street_at != SIZE_MAX && postal_at != SIZE_MAX) {
          std::string s = NormalizeStreet(text[street_at]), p = NormalizePostal(text[postal_at]);
          if (!s.empty() && !p.empty()) address = s + "|" + p;
        }
        second_keys += !domain.empty() || !e164.empty() || !address.empty();
        std::string id = id_at == SIZE_MAX ? std::to_string(batch.lines[r]) : text[id_at];
        finder.Add(id, name, domain, e164, address);
      }
    }
  }
  if (!reader->error().empty()) {
    error = reader->error();
    return false;
  }
  // Fields the object has: projected ones, and probed ones with a value on some record.
  auto has = [&](const std::string& f) {
    size_t i = IndexOf(fields, f);
    return i != SIZE_MAX && (projected.count(f) || f == op.id_field || non_null[i] > 0);
  };
  uint64_t need = 0;
  for (size_t t = 0; t < tracked.size(); ++t) {
    if (!has(tracked[t].first)) continue;
    need |= uint64_t{1} << t;
    FieldCompleteness fc{tracked[t].first, tracked[t].second, 0};
    for (const auto& [mask, n] : masks)
      if (mask & (uint64_t{1} << t)) fc.present += n;
    out.completeness.push_back(std::move(fc));
  }
  for (const auto& [mask, n] : masks)
    if ((mask & need) == need) out.complete += n;
  for (size_t f = 0; f < formats.size(); ++f) {
    if (format_counts[f].non_empty == 0 && !projected.count(formats[f].field)) continue;
    FormatField ff{formats[f].field, formats[f].kind, format_counts[f].non_empty, format_counts[f].valid, {}};
    std::vector<std::pair<std::string, uint64_t>> inv(format_counts[f].invalid.begin(), format_counts[f].invalid.end());
    std::sort(inv.begin(), inv.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (inv.size() > options.top_invalid) inv.resize(options.top_invalid);
    ff.invalid = std::move(inv);
    out.formats.push_back(std::move(ff));
  }
  if (name_at != SIZE_MAX && has(roles.name) && second_keys > 0) {
    out.duplicates_measured = true;
    out.name_field = roles.name;
    out.duplicates = finder.duplicates();
    out.duplicate_groups = finder.groups();
    for (int r = 0; r < kDupRules; ++r) out.matched[r] = finder.matched(static_cast<DupRule>(r));
    out.examples = finder.examples();
  }
  return true;
}

}  // namespace

bool Measure(const plan::Plan& plan, const engine::Systems& systems, const Options& options, Measurement& out,
             std::string& error) {
  out.integration = plan.integration;
  std::vector<ObjectPlan> objects;
  for (const plan::Map& m : plan.maps) {
    ObjectPlan* op = nullptr;
    for (ObjectPlan& o : objects)
      if (o.system == m.source.system && o.object == m.source.object) op = &o;
    if (!op) {
      objects.push_back({m.source.system, m.source.object, m.source_id, {}, {}, {}, {}});
      op = &objects.back();
    }
    op->maps.push_back(m.name);
    if (op->id_field.empty()) op->id_field = m.source_id;
    for (size_t i = 0; i < m.projection.fields.size(); ++i) {
      if (IndexOf(op->fields, m.projection.fields[i]) != SIZE_MAX) continue;
      op->fields.push_back(m.projection.fields[i]);
      op->types.push_back(i < m.projection.types.size() ? m.projection.types[i] : plan::FieldType::kAny);
    }
    std::vector<std::pair<std::string, std::string>> key;
    KeyFields(m, key);
    for (auto& k : key) {
      bool seen = false;
      for (const auto& [f, w] : op->key) seen = seen || f == k.first;
      if (!seen) op->key.push_back(std::move(k));
    }
  }
  uint64_t complete = 0, dup_records = 0, dups = 0, non_empty = 0, valid = 0;
  for (const ObjectPlan& op : objects) {
    auto it = systems.by_name.find(op.system);
    if (it == systems.by_name.end() || !it->second) {
      error = "no connector for system `" + op.system + "`";
      return false;
    }
    ObjectMeasure om;
    om.system = op.system;
    om.object = op.object;
    om.maps = op.maps;
    if (!MeasureObject(op, *it->second, options, om, error)) {
      error = "reading " + op.system + "." + op.object + ": " + error;
      return false;
    }
    out.records += om.records;
    complete += om.complete;
    if (om.duplicates_measured) {
      dup_records += om.records;
      dups += om.duplicates;
    }
    for (const FormatField& f : om.formats) {
      non_empty += f.non_empty;
      valid += f.valid;
    }
    out.objects.push_back(std::move(om));
  }
  if (out.records) out.completeness = 100.0 * static_cast<double>(complete) / static_cast<double>(out.records);
  if (dup_records) out.duplicate_rate = 100.0 * static_cast<double>(dups) / static_cast<double>(dup_records);
  if (non_empty) out.format_consistency = 100.0 * static_cast<double>(valid) / static_cast<double>(non_empty);
  return true;
}

// ---------------------------------------------------------------- reports

namespace {

std::string Share(double part, double whole) {
  if (whole <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * part / whole);
  return buf;
}

std::string Pct(double p) {
  if (p < 0) return "not measured";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

double Round(double v, int digits) {
  double f = 1;
  for (int i = 0; i < digits; ++i) f *= 10;
  return static_cast<double>(static_cast<int64_t>(v * f + (v < 0 ? -0.5 : 0.5))) / f;
}

// The points of a measured criterion, "-" when it was not measured.
std::string Points(double percent, int (*points)(double)) {
  return percent < 0 ? std::string("-") : std::to_string(points(percent));
}

}  // namespace

std::string MeasurementText(const Measurement& m) {
  std::ostringstream o;
  o << "assess " << m.integration << ": " << m.records << " source records\n";
  o << "  key-field completeness  " << Pct(m.completeness) << " of records have every key field\n";
  o << "  duplicate rate          " << Pct(m.duplicate_rate) << "\n";
  o << "  format consistency      " << Pct(m.format_consistency) << " of state, country, phone and currency values parse\n";
  // The rubric's three measured criteria (score.h); the other two come from the answers file.
  o << "  rubric, measured part   completeness " << Points(m.completeness, CompletenessPoints) << "/30, duplicates "
    << Points(m.duplicate_rate, DuplicatePoints) << "/25, format " << Points(m.format_consistency, FormatPoints)
    << "/20\n";
  return o.str() + MeasurementObjectsText(m);
}

std::string MeasurementObjectsText(const Measurement& m) {
  std::ostringstream o;
  for (const ObjectMeasure& om : m.objects) {
    o << "\n" << om.system << "." << om.object << " (" << om.records << " records; read by";
    for (const std::string& map : om.maps) o << " " << map;
    o << ")";
    if (om.bad_lines) o << ", " << om.bad_lines << " lines not records";
    o << "\n";
    if (om.records == 0) continue;
    o << "  completeness: " << Share(static_cast<double>(om.complete), static_cast<double>(om.records))
      << " of records have all of";
    for (const FieldCompleteness& f : om.completeness) o << " " << f.field;
    o << "\n";
    for (const FieldCompleteness& f : om.completeness)
      o << "    " << f.field << " (" << f.why << "): " << Share(static_cast<double>(f.present), static_cast<double>(om.records))
        << " present\n";
    if (om.duplicates_measured) {
      o << "  duplicates: " << om.duplicates << " records (" << Share(static_cast<double>(om.duplicates), static_cast<double>(om.records))
        << ") in " << om.duplicate_groups << " groups, same " << om.name_field << " and";
      for (int r = 0; r < kDupRules; ++r) o << (r ? "," : "") << " " << DupRuleName(static_cast<DupRule>(r)) << " " << om.matched[r];
      o << "\n";
      for (const DuplicatePair& p : om.examples) o << "    " << p.first << " ~ " << p.second << " (" << DupRuleName(p.rule) << ")\n";
    } else {
      o << "  duplicates: not measured (no name with a website, phone or billing address)\n";
    }
    for (const FormatField& f : om.formats) {
      o << "  format " << f.field << " (" << f.kind << "): " << f.valid << "/" << f.non_empty << " valid ("
        << Share(static_cast<double>(f.valid), static_cast<double>(f.non_empty)) << ")";
      if (!f.invalid.empty()) {
        o << "; invalid:";
        for (size_t i = 0; i < f.invalid.size(); ++i)
          o << (i ? "," : "") << " \"" << f.invalid[i].first << "\" x" << f.invalid[i].second;
      }
      o << "\n";
    }
  }
  return o.str();
}

std::string MeasurementJson(const Measurement& m) { return MeasurementJsonValue(m).dump(2) + "\n"; }

nlohmann::json MeasurementJsonValue(const Measurement& m) {
  using nlohmann::json;
  auto pct = [](double p) { return p < 0 ? json(nullptr) : json(Round(p, 2)); };
  json j;
  j["integration"] = m.integration;
  j["records"] = m.records;
  j["overall"] = {{"completeness", pct(m.completeness)},
                  {"duplicate_rate", pct(m.duplicate_rate)},
                  {"format_consistency", pct(m.format_consistency)}};
  auto criterion = [&](double p, int (*points)(double), int max) {
    return json{{"percent", pct(p)}, {"points", p < 0 ? json(nullptr) : json(points(p))}, {"max_points", max}};
  };
  j["rubric"] = {{"completeness", criterion(m.completeness, CompletenessPoints, 30)},
                 {"duplicates", criterion(m.duplicate_rate, DuplicatePoints, 25)},
                 {"format", criterion(m.format_consistency, FormatPoints, 20)}};
  json objects = json::array();
  for (const ObjectMeasure& om : m.objects) {
    json o;
    o["system"] = om.system;
    o["object"] = om.object;
    o["maps"] = om.maps;
    o["records"] = om.records;
    o["bad_lines"] = om.bad_lines;
    json fields = json::array();
    for (const FieldCompleteness& f : om.completeness)
      fields.push_back({{"field", f.field}, {"why", f.why}, {"present", f.present}});
    o["completeness"] = {{"complete", om.complete}, {"fields", fields}};
    if (om.duplicates_measured) {
      json by_rule = json::object();
      for (int r = 0; r < kDupRules; ++r) by_rule[DupRuleName(static_cast<DupRule>(r))] = om.matched[r];
      json examples = json::array();
      for (const DuplicatePair& p : om.examples)
        examples.push_back({{"first", p.first}, {"second", p.second}, {"rule", DupRuleName(p.rule)}});
      o["duplicates"] = {{"name_field", om.name_field}, {"duplicates", om.duplicates}, {"groups", om.duplicate_groups},
                         {"matched_by_rule", by_rule}, {"examples", examples}};
    } else {
      o["duplicates"] = nullptr;
    }
    json formats = json::array();
    for (const FormatField& f : om.formats) {
      json inv = json::array();
      for (const auto& [v, n] : f.invalid) inv.push_back({{"value", v}, {"count", n}});
      formats.push_back({{"field", f.field}, {"kind", f.kind}, {"non_empty", f.non_empty}, {"valid", f.valid}, {"invalid", inv}});
    }
    o["formats"] = formats;
    objects.push_back(std::move(o));
  }
  j["objects"] = objects;
  return j;
}

}  // namespace crmx::assess
