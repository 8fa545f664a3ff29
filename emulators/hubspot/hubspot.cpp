// Defines the HubSpot CRM v3 emulator: records of the object types whose property definitions
// `--schemas` holds (`<objectType>.properties.json`, the properties API's answer, as in
// schemas/hubspot/), served through
//   GET  /crm/v3/properties/{objectType}                  the definitions, as loaded
//   GET  /crm/v3/objects/{objectType}?properties=&after=&limit=   list, paged by `after`
//   GET  /crm/v3/objects/{objectType}/{id}
//   POST /crm/v3/objects/{objectType}/search              filterGroups, sorts, `after`; at most
//                                                         10,000 results a search; 4 calls/s
//   POST /crm/v3/objects/{objectType}/batch/upsert|create|update   100 inputs at most
//   POST /crm/v4/associations/{from}/{to}/batch/associate/default
//   POST /crm/v4/associations/{from}/{to}/batch/read       1,000 ids at most; 500 a record a
//                                                         page, paged by each input's `after`
//   GET  /crm/v4/objects/{from}/{id}/associations/{to}
//   GET  /crm/v3/objects/{objectType}?associations=a,b    ids inline, 100 a type a record
//   POST /oauth/v1/token                                  refresh_token grant
// Associations are both ways (a deal associated to a company is one of the company's deals),
// written through the API or seeded (a seed record's `associations`: {"companies": ["3001"]}).
// With `hs_object_id`, `createdate` and `hs_lastmodifieddate` kept by the emulator, values
// checked against the definitions (unknown and read-only properties, enumeration options,
// numbers, booleans, dates, unique values), HubSpot's error bodies ({status, message,
// correlationId, category, errors[]}), the rate limits (a rolling 10-second window of
// --burst-limit calls, --daily-limit calls a day) with the X-HubSpot-RateLimit-* headers, and
// 429 bodies naming the policy (TEN_SECONDLY_ROLLING, DAILY, SECONDLY for search).
// docs/emulators.md ("HubSpot") cites the pages these shapes come from.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/query.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

using Clock = std::chrono::steady_clock;

struct Property {
  std::string name, type, field_type;
  bool read_only = false, unique = false;
  std::vector<std::string> options;  // enumeration: the allowed values (hidden ones included)
};

struct ObjectType {
  std::string name;  // "companies"
  Json definitions;  // the file's `results`, answered by the properties API
  std::vector<Property> properties;
  std::map<std::string, size_t> by_name;
  const Property* Find(const std::string& n) const {
    auto it = by_name.find(n);
    return it == by_name.end() ? nullptr : &properties[it->second];
  }
};

// The object types a seed file or a path may name: "companies", or the crmx object name.
std::string TypeOfName(const std::string& stem) {
  static const std::map<std::string, std::string> kNames = {
      {"company", "companies"}, {"contact", "contacts"}, {"deal", "deals"},
      {"lineitem", "line_items"}, {"product", "products"}, {"quote", "quotes"}};
  std::string lower = Lower(stem);
  auto it = kNames.find(lower);
  return it == kNames.end() ? lower : it->second;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2024-09-02T19:40:10.123Z", as HubSpot writes datetimes.
std::string IsoMillis(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

class HubSpot : public Vendor {
 public:
  explicit HubSpot(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    store_ = &store;
    if (options_.schemas_dir.empty()) {
      error = "hubspot needs --schemas: a directory of <objectType>.properties.json (schemas/hubspot)";
      return false;
    }
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(options_.schemas_dir, ec)) files.push_back(entry.path());
    if (ec) {
      error = "cannot read schemas directory " + options_.schemas_dir + ": " + ec.message();
      return false;
    }
    std::sort(files.begin(), files.end());
    const std::string suffix = ".properties.json";
    for (const auto& path : files) {
      std::string file = path.filename().string();
      if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      std::ifstream in(path);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      Json d = Json::parse(text, nullptr, false);
      if (!d.is_object() || !d.contains("results") || !d["results"].is_array()) {
        error = path.string() + ": not HubSpot property definitions (no `results` list)";
        return false;
      }
      ObjectType t;
      t.name = d.value("objectType", file.substr(0, file.size() - suffix.size()));
      t.definitions = d["results"];
      for (const Json& p : d["results"]) {
        Property prop;
        prop.name = p.value("name", "");
        prop.type = p.value("type", "string");
        prop.field_type = p.value("fieldType", "");
        prop.read_only = p.value("calculated", false) ||
                         (p.contains("modificationMetadata") && p["modificationMetadata"].value("readOnlyValue", false));
        prop.unique = p.value("hasUniqueValue", false);
        if (p.contains("options") && p["options"].is_array())
          for (const Json& o : p["options"]) prop.options.push_back(o.value("value", ""));
        t.by_name[prop.name] = t.properties.size();
        t.properties.push_back(std::move(prop));
      }
      types_[t.name] = std::move(t);
    }
    if (types_.empty()) {
      error = options_.schemas_dir + " has no <objectType>.properties.json";
      return false;
    }
    // Seed records (`companies.jsonl`, or `Company.jsonl`): flat property maps or HubSpot's
    // {id, properties} shape; each gets what HubSpot keeps on every record: an id, creation and
    // change times. Values are kept as strings, as HubSpot answers them.
    std::vector<std::pair<std::string, std::string>> seeds;
    if (!options_.data_dir.empty() && !ListJsonl(options_.data_dir, seeds, error)) return false;
    const std::string now = IsoMillis(NowMillis());
    for (const auto& [path, stem] : seeds) {
      std::string type = TypeOfName(stem);
      if (!types_.count(type)) {
        notes.push_back(path + ": no property definitions for object type `" + stem + "`, skipped");
        continue;
      }
      std::ifstream in(path);
      std::string line;
      int line_no = 0;
      while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Json r = ParseExact(line);
        if (r.is_discarded() || !r.is_object()) {
          notes.push_back(path + ":" + std::to_string(line_no) + ": not a JSON object, skipped");
          continue;
        }
        Json props = r.contains("properties") && r["properties"].is_object() ? r["properties"] : r;
        Json flat = Json::object();
        for (auto it = props.begin(); it != props.end(); ++it) {
          if (it.key() == "id") continue;
          flat[it.key()] = Stringify(it.value());
        }
        std::string id = r.contains("id") ? ScalarText(r["id"]).value_or("")
                                          : ScalarText(flat.value("hs_object_id", Json())).value_or("");
        if (id.empty()) id = std::to_string(NextId());
        next_id_ = std::max<uint64_t>(next_id_, std::strtoull(id.c_str(), nullptr, 10) + 1);
        flat["hs_object_id"] = id;
        // Seeded associations: {"companies": ["3001"]}, ids or {"id"} objects, or HubSpot's
        // {"companies": {"results": [{"id": "3001"}]}}.
        if (r.contains("associations") && r["associations"].is_object()) {
          flat.erase("associations");
          for (auto it = r["associations"].begin(); it != r["associations"].end(); ++it) {
            const Json* list = &it.value();
            if (list->is_object() && list->contains("results")) list = &(*list)["results"];
            if (!list->is_array()) continue;
            for (const Json& x : *list) {
              std::string to = ScalarText(x.is_object() ? x.value("id", Json()) : x).value_or("");
              if (!to.empty()) seed_links_.push_back({type, id, TypeOfName(it.key()), to});
            }
          }
        }
        if (!flat.contains("createdate")) flat["createdate"] = now;
        if (!flat.contains("hs_lastmodifieddate")) flat["hs_lastmodifieddate"] = flat["createdate"];
        store.AddSeed(type, std::move(flat));
      }
    }
    size_t linked = 0;
    for (const auto& l : seed_links_) {
      if (!types_.count(l.to_type)) {
        notes.push_back("hubspot: a seeded association to `" + l.to_type + "` (no such object type) is skipped");
        continue;
      }
      // HubSpot keeps no association to a record that does not exist.
      if (!FindById(l.from_type, l.from_id) || !FindById(l.to_type, l.to_id)) {
        notes.push_back("hubspot: seeded association " + l.from_type + " " + l.from_id + " -> " + l.to_type + " " +
                        l.to_id + ": no such record, skipped");
        continue;
      }
      linked += Link(l.from_type, l.from_id, l.to_type, l.to_id) ? 1 : 0;
    }
    seeded_associations_ = associations_;
    notes.push_back("hubspot: " + std::to_string(types_.size()) + " object types, " + std::to_string(linked) +
                    " seeded associations; private app token and OAuth refresh");
    return true;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/oauth/v1/token"; }
  bool LimitsConcurrency() const override { return false; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    const std::string& p = req.path;
    if (p.rfind("/crm/v3/properties/", 0) == 0) return "properties";
    if (p.rfind("/crm/v4/", 0) == 0 && p.size() > 11 && p.compare(p.size() - 11, 11, "/batch/read") == 0)
      return "association-read";
    if (p.rfind("/crm/v4/", 0) == 0) return "associations";
    if (p.size() > 7 && p.compare(p.size() - 7, 7, "/search") == 0) return "search";
    for (const char* op : {"upsert", "create", "update"})
      if (p.find(std::string("/batch/") + op) != std::string::npos) return op;
    return p.rfind("/crm/v3/objects/", 0) == 0 ? "list" : "other";
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (!Authorized(req)) {
      return SetJson(res, 401, ErrorBody("Authentication credentials not found. This API supports OAuth 2.0 "
                                         "authentication and you can find more details at "
                                         "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                                         "INVALID_AUTHENTICATION"));
    }
    const bool search = Endpoint(req) == "search";
    if (!Admit(search, res)) return;
    std::vector<std::string> parts;
    for (size_t start = 1; start <= req.path.size();) {
      size_t slash = req.path.find('/', start);
      parts.push_back(req.path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    // crm v3 properties {type} | crm v3 objects {type} [...] | crm v4 ...
    if (parts.size() < 4 || parts[0] != "crm") return NotFound(res);
    if (parts[1] == "v3" && parts[2] == "properties" && parts.size() == 4 && req.method == "GET") {
      const ObjectType* t = Type(parts[3]);
      if (!t) return UnknownType(res, parts[3]);
      return SetJson(res, 200, Json{{"results", t->definitions}});
    }
    if (parts[1] == "v4") return Associations(req, res, ctx, parts);
    if (parts[1] != "v3" || parts[2] != "objects") return NotFound(res);
    const ObjectType* t = Type(parts[3]);
    if (!t) return UnknownType(res, parts[3]);
    if (parts.size() == 4 && req.method == "GET") return List(req, res, *t);
    if (parts.size() == 5 && parts[4] == "search" && req.method == "POST") return Search(req, res, *t);
    if (parts.size() == 5 && req.method == "GET") return Get(req, res, *t, parts[4]);
    if (parts.size() == 6 && parts[4] == "batch" && req.method == "POST") return Batch(req, res, ctx, *t, parts[5]);
    NotFound(res);
  }

  void Refuse(int status, bool, httplib::Response& res) override {
    if (status == 429) {
      Json body = ErrorBody("You have reached your ten_secondly_rolling limit.", "RATE_LIMITS");
      body["errorType"] = "RATE_LIMIT";
      body["policyName"] = "TEN_SECONDLY_ROLLING";
      return SetJson(res, 429, body);
    }
    SetJson(res, 503, ErrorBody("Service Unavailable", "SERVICE_UNAVAILABLE"));
  }

  void ExpireTokens() override { oauth_tokens_.clear(); }
  void Reset() override {
    burst_.clear();
    search_.clear();
    daily_ = 0;
    associations_ = seeded_associations_;
  }
  Json Stats() const override {
    return Json{{"daily_used", daily_}, {"daily_limit", options_.daily_limit}, {"burst_limit", options_.burst_limit},
                {"rate_limited", rate_limited_}};
  }

 private:
  // {status, message, correlationId, category}: HubSpot's error body.
  Json ErrorBody(const std::string& message, const std::string& category) {
    return Json{{"status", "error"}, {"message", message}, {"correlationId", CorrelationId()}, {"category", category}};
  }
  std::string CorrelationId() {
    const unsigned long long n = ++correlation_;
    char buf[48];
    std::snprintf(buf, sizeof buf, "c0%06llx-0000-4000-8000-%012llx", n, n * 7919);
    return buf;
  }
  void NotFound(httplib::Response& res) { SetJson(res, 404, ErrorBody("resource not found", "OBJECT_NOT_FOUND")); }
  void UnknownType(httplib::Response& res, const std::string& type) {
    SetJson(res, 400, ErrorBody("Unable to infer object type from: " + type, "VALIDATION_ERROR"));
  }

  const ObjectType* Type(const std::string& name) const {
    auto it = types_.find(TypeOfName(name));
    return it == types_.end() ? nullptr : &it->second;
  }

  // A property value as HubSpot keeps it: a string (numbers with their digits).
  static Json Stringify(const Json& v) {
    if (v.is_null()) return v;
    if (IsNumber(v)) return NumberText(v);
    if (v.is_string()) return v;
    if (auto t = ScalarText(v)) return *t;
    return DumpExact(v);
  }

  bool Authorized(const httplib::Request& req) const {
    std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) != 0) return false;
    std::string token = h.substr(7);
    return token == options_.access_token || oauth_tokens_.count(token) > 0;
  }

  // POST /oauth/v1/token, grant_type=refresh_token (form-encoded, as HubSpot's OAuth docs).
  void Token(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](const std::string& status, const std::string& message) {
      SetJson(res, 400, Json{{"status", status}, {"message", message}, {"correlationId", CorrelationId()}});
    };
    if (req.get_param_value("grant_type") != "refresh_token") return refuse("BAD_GRANT_TYPE", "grant_type must be refresh_token");
    if (req.get_param_value("client_id") != options_.client_id || req.get_param_value("client_secret") != options_.client_secret)
      return refuse("BAD_CLIENT_ID", "missing or unknown client id or secret");
    if (req.get_param_value("refresh_token") != options_.refresh_token)
      return refuse("BAD_REFRESH_TOKEN", "missing or unknown refresh token");
    std::string token = NewToken("hs-oauth-");
    oauth_tokens_.insert(token);
    SetJson(res, 200, Json{{"token_type", "bearer"}, {"refresh_token", options_.refresh_token},
                           {"access_token", token}, {"expires_in", 1800}});
  }

  // The rate limits: a rolling window of --burst-interval-ms holding --burst-limit calls, a
  // day's --daily-limit, and search's 4 calls a second. Every answer but search's carries the
  // X-HubSpot-RateLimit-* headers (HubSpot's search endpoints do not send them).
  bool Admit(bool search, httplib::Response& res) {
    const auto now = Clock::now();
    const auto interval = std::chrono::milliseconds(options_.burst_interval_ms);
    while (!burst_.empty() && now - burst_.front() >= interval) burst_.pop_front();
    while (!search_.empty() && now - search_.front() >= std::chrono::seconds(1)) search_.pop_front();
    auto limited = [&](const std::string& policy, const std::string& message) {
      ++rate_limited_;
      Json body = ErrorBody(message, "RATE_LIMITS");
      body["errorType"] = "RATE_LIMIT";
      body["policyName"] = policy;
      SetJson(res, 429, body);
      if (!search) Headers(res);
      return false;
    };
    if (daily_ >= options_.daily_limit) return limited("DAILY", "You have reached your daily limit.");
    if (static_cast<int64_t>(burst_.size()) >= options_.burst_limit)
      return limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
    if (search && static_cast<int>(search_.size()) >= options_.search_per_second)
      return limited("SECONDLY", "You have reached your secondly limit.");
    ++daily_;
    burst_.push_back(now);
    if (search) search_.push_back(now);
    if (!search) Headers(res);
    return true;
  }

  void Headers(httplib::Response& res) const {
    const int64_t per_second = std::max<int64_t>(1, options_.burst_limit * 1000 / std::max(1, options_.burst_interval_ms));
    const auto now = Clock::now();
    int64_t last_second = std::count_if(burst_.begin(), burst_.end(),
                                        [&](Clock::time_point t) { return now - t < std::chrono::seconds(1); });
    res.set_header("X-HubSpot-RateLimit-Daily", std::to_string(options_.daily_limit));
    res.set_header("X-HubSpot-RateLimit-Daily-Remaining", std::to_string(std::max<int64_t>(0, options_.daily_limit - daily_)));
    res.set_header("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(options_.burst_interval_ms));
    res.set_header("X-HubSpot-RateLimit-Max", std::to_string(options_.burst_limit));
    res.set_header("X-HubSpot-RateLimit-Remaining",
                   std::to_string(std::max<int64_t>(0, options_.burst_limit - static_cast<int64_t>(burst_.size()))));
    res.set_header("X-HubSpot-RateLimit-Secondly", std::to_string(per_second));
    res.set_header("X-HubSpot-RateLimit-Secondly-Remaining", std::to_string(std::max<int64_t>(0, per_second - last_second)));
  }

  uint64_t NextId() { return next_id_++; }

  Json* FindById(const std::string& type, const std::string& id) {
    for (Json& r : store_->Records(type))
      if (r.value("hs_object_id", Json()) == id) return &r;
    return nullptr;
  }

  // The record as HubSpot answers it: id, the asked properties (and the three it always
  // sends), createdAt, updatedAt, archived.
  Json Answer(const Json& r, const std::vector<std::string>& props) const {
    Json p = Json::object();
    for (const char* always : {"createdate", "hs_lastmodifieddate", "hs_object_id"}) p[always] = r.value(always, Json());
    for (const auto& name : props) p[name] = r.contains(name) ? r[name] : Json();
    return Json{{"id", r.value("hs_object_id", Json())}, {"properties", p}, {"createdAt", r.value("createdate", Json())},
                {"updatedAt", r.value("hs_lastmodifieddate", Json())}, {"archived", false}};
  }

  // Unknown names in `properties` are left out of answers, as HubSpot does for reads.
  std::vector<std::string> Known(const ObjectType& t, const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (t.Find(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    return out;
  }

  static std::vector<std::string> SplitComma(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }

  // GET /crm/v3/objects/{type}: records in id order from `after` (an id: stable while
  // records are added), `limit` (default 10, at most 100).
  void List(const httplib::Request& req, httplib::Response& res, const ObjectType& t) {
    int64_t limit = req.has_param("limit") ? std::atoll(req.get_param_value("limit").c_str()) : 10;
    if (limit < 1 || limit > 100) {
      return SetJson(res, 400, ErrorBody("limit must be between 1 and 100, was " + std::to_string(limit), "VALIDATION_ERROR"));
    }
    uint64_t after = req.has_param("after") ? std::strtoull(req.get_param_value("after").c_str(), nullptr, 10) : 0;
    std::vector<std::string> names;
    for (size_t i = 0; i < req.get_param_value_count("properties"); ++i)
      for (const auto& n : SplitComma(req.get_param_value("properties", i))) names.push_back(n);
    names = Known(t, names);
    // `associations`: the object types whose associated ids each record carries; an unknown
    // one is left out, as HubSpot ignores it.
    std::vector<std::string> with;
    for (size_t i = 0; i < req.get_param_value_count("associations"); ++i)
      for (const auto& n : SplitComma(req.get_param_value("associations", i)))
        if (const ObjectType* to = Type(n); to && std::find(with.begin(), with.end(), to->name) == with.end())
          with.push_back(to->name);
    std::vector<const Json*> rows;
    for (const Json& r : store_->Records(t.name)) rows.push_back(&r);
    std::sort(rows.begin(), rows.end(), [](const Json* a, const Json* b) { return IdOf(*a) < IdOf(*b); });
    Json results = Json::array();
    Json body = Json::object();
    for (const Json* r : rows) {
      if (IdOf(*r) < after) continue;
      if (static_cast<int64_t>(results.size()) == limit) {
        std::string next = std::to_string(IdOf(*r));
        body["paging"] = Json{{"next", {{"after", next}, {"link", "/crm/v3/objects/" + t.name + "?after=" + next}}}};
        break;
      }
      results.push_back(Answer(*r, names));
      if (!with.empty()) InlineAssociations(t.name, *r, with, results.back());
    }
    body["results"] = std::move(results);
    SetJson(res, 200, body);
  }

  static uint64_t IdOf(const Json& r) {
    return std::strtoull(ScalarText(r.value("hs_object_id", Json())).value_or("0").c_str(), nullptr, 10);
  }

  void Get(const httplib::Request& req, httplib::Response& res, const ObjectType& t, const std::string& id) {
    const Json* r = FindById(t.name, id);
    if (!r) return SetJson(res, 404, ErrorBody("Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND"));
    SetJson(res, 200, Answer(*r, Known(t, SplitComma(req.get_param_value("properties")))));
  }

  // A filter value as HubSpot compares it: datetimes and dates as instants (epoch
  // milliseconds or ISO 8601), numbers as numbers, else text.
  static std::optional<long double> Instant(const Property* p, const Json& v) {
    auto text = ScalarText(v);
    if (!text || text->empty()) return std::nullopt;
    if (p && (p->type == "datetime" || p->type == "date")) {
      bool digits = std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits) return static_cast<long double>(std::strtoll(text->c_str(), nullptr, 10));
      if (auto ms = ParseInstant(*text)) return static_cast<long double>(*ms);
      return std::nullopt;
    }
    if (p && p->type == "number") return NumberValue(Number(*text));
    return std::nullopt;
  }

  static int Compare(const Property* p, const Json& a, const Json& b) {
    auto x = Instant(p, a), y = Instant(p, b);
    if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
    std::string s = ScalarText(a).value_or(""), u = ScalarText(b).value_or("");
    return s < u ? -1 : s > u ? 1 : 0;
  }

  bool FilterMatches(const ObjectType& t, const Json& r, const Json& f, std::string& error) {
    const std::string name = f.value("propertyName", "");
    const std::string op = f.value("operator", "EQ");
    const Property* p = t.Find(name);
    if (!p) {
      error = "There was a problem with the request. Property \"" + name + "\" does not exist";
      return false;
    }
    Json have = r.contains(name) ? r[name] : Json();
    bool present = !have.is_null() && ScalarText(have).value_or("") != "";
    if (op == "HAS_PROPERTY") return present;
    if (op == "NOT_HAS_PROPERTY") return !present;
    if (op == "IN" || op == "NOT_IN") {
      bool in = false;
      if (f.contains("values") && f["values"].is_array())
        for (const Json& v : f["values"]) in = in || (present && Compare(p, have, v) == 0);
      return op == "IN" ? in : !in;
    }
    if (!present) return op == "NEQ";
    int c = Compare(p, have, f.value("value", Json()));
    if (op == "EQ") return c == 0;
    if (op == "NEQ") return c != 0;
    if (op == "LT") return c < 0;
    if (op == "LTE") return c <= 0;
    if (op == "GT") return c > 0;
    if (op == "GTE") return c >= 0;
    error = "There was a problem with the request. Unknown operator " + op;
    return false;
  }

  // POST /crm/v3/objects/{type}/search. At most 200 a page; `after` an offset; no result past
  // the 10,000th (HubSpot's documented cap: a search pages no further).
  void Search(const httplib::Request& req, httplib::Response& res, const ObjectType& t) {
    Json body = ParseExact(req.body);
    if (body.is_discarded() || !body.is_object()) return SetJson(res, 400, ErrorBody("Invalid input JSON", "VALIDATION_ERROR"));
    int64_t limit = body.contains("limit") ? std::atoll(ScalarText(body["limit"]).value_or("10").c_str()) : 10;
    if (limit < 1 || limit > 200) {
      return SetJson(res, 400, ErrorBody("limit must be between 1 and 200, was " + std::to_string(limit), "VALIDATION_ERROR"));
    }
    int64_t after = body.contains("after") ? std::atoll(ScalarText(body["after"]).value_or("0").c_str()) : 0;
    if (after + limit > 10000) {
      return SetJson(res, 400, ErrorBody("The maximum number of results a search can return is 10,000: `after` " +
                                             std::to_string(after) + " with `limit` " + std::to_string(limit) +
                                             " pages past it. Narrow the search (a filter on a later "
                                             "hs_lastmodifieddate) and page again.",
                                         "VALIDATION_ERROR"));
    }
    std::vector<const Json*> rows;
    std::string error;
    for (const Json& r : store_->Records(t.name)) {
      bool keep = true;
      if (body.contains("filterGroups") && body["filterGroups"].is_array() && !body["filterGroups"].empty()) {
        keep = false;
        for (const Json& g : body["filterGroups"]) {
          bool all = true;
          if (g.contains("filters"))
            for (const Json& f : g["filters"]) all = all && FilterMatches(t, r, f, error);
          keep = keep || all;
        }
      }
      if (!error.empty()) return SetJson(res, 400, ErrorBody(error, "VALIDATION_ERROR"));
      if (keep) rows.push_back(&r);
    }
    std::string sort_by = "hs_object_id";
    bool descending = false;
    if (body.contains("sorts") && body["sorts"].is_array() && !body["sorts"].empty()) {
      const Json& s = body["sorts"][0];
      if (s.is_string()) {
        sort_by = s.get<std::string>();
      } else {
        sort_by = s.value("propertyName", "hs_object_id");
        descending = s.value("direction", "ASCENDING") == "DESCENDING";
      }
    }
    const Property* sp = t.Find(sort_by);
    std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
      int c = Compare(sp, a->value(sort_by, Json()), b->value(sort_by, Json()));
      if (c == 0) return IdOf(*a) < IdOf(*b);
      return descending ? c > 0 : c < 0;
    });
    std::vector<std::string> names;
    if (body.contains("properties") && body["properties"].is_array())
      for (const Json& n : body["properties"])
        if (n.is_string()) names.push_back(n.get<std::string>());
    names = Known(t, names);
    Json results = Json::array();
    for (int64_t i = after; i < static_cast<int64_t>(rows.size()) && i < after + limit; ++i)
      results.push_back(Answer(*rows[static_cast<size_t>(i)], names));
    Json out = Json::object();
    out["total"] = rows.size();
    out["results"] = std::move(results);
    if (after + limit < static_cast<int64_t>(rows.size()) && after + limit < 10000)
      out["paging"] = Json{{"next", {{"after", std::to_string(after + limit)}}}};
    SetJson(res, 200, out);
  }

  // The problems of one property value, as HubSpot's validation names them (empty: fine).
  struct Problem {
    std::string code, message, name;
  };
  std::optional<Problem> CheckValue(const ObjectType& t, const std::string& name, const Json& value, bool create,
                                    const Json* self) {
    const Property* p = t.Find(name);
    if (!p) return Problem{"PROPERTY_DOESNT_EXIST", "Property \"" + name + "\" does not exist", name};
    if (p->read_only)
      return Problem{"READ_ONLY_VALUE", name + " is a read only property; its value cannot be set.", name};
    if (value.is_null()) return std::nullopt;
    std::string text = ScalarText(value).value_or(DumpExact(value));
    if (text.empty()) return std::nullopt;  // clears the value
    if (p->type == "enumeration" && !p->options.empty()) {
      std::vector<std::string> values = {text};
      if (p->field_type == "checkbox") values = SplitSemicolon(text);
      for (const auto& v : values) {
        if (std::find(p->options.begin(), p->options.end(), v) == p->options.end()) {
          std::string allowed;
          for (const auto& o : p->options) allowed += (allowed.empty() ? "" : ", ") + o;
          return Problem{"INVALID_OPTION", v + " was not one of the allowed options: [" + allowed + "]", name};
        }
      }
    }
    if (p->type == "number" && !NumberValue(Number(text)))
      return Problem{"INVALID_DECIMAL", text + " is not a valid decimal", name};
    if (p->type == "bool" && text != "true" && text != "false")
      return Problem{"INVALID_BOOLEAN", text + " is not a valid boolean: use true or false", name};
    if ((p->type == "date" || p->type == "datetime") && !Instant(p, value))
      return Problem{"INVALID_DATE", text + " is not a valid date: use ISO 8601 or epoch milliseconds", name};
    if (p->unique) {
      for (const Json& other : store_->Records(t.name)) {
        if (&other == self) continue;
        if (other.contains(name) && ScalarText(other[name]).value_or("") == text)
          return Problem{"OBJECT_ALREADY_EXISTS",
                         "A " + t.name + " with " + name + " " + text + " already exists (hs_object_id " +
                             ScalarText(other.value("hs_object_id", Json())).value_or("") + ")",
                         name};
      }
    }
    (void)create;
    return std::nullopt;
  }

  static std::vector<std::string> SplitSemicolon(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
      size_t semi = s.find(';', start);
      out.push_back(s.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
      if (semi == std::string::npos) return out;
      start = semi + 1;
    }
  }

  // One batch error: {status, category, message, context, errors[]} as HubSpot's multi-status
  // answers list them.
  Json BatchError(const std::string& category, const std::string& message, const std::string& context_key,
                  const std::string& context_value, const std::vector<Problem>& problems) {
    Json e{{"status", "error"}, {"category", category}, {"message", message},
           {"context", Json{{context_key, Json::array({context_value})}}}};
    Json details = Json::array();
    for (const auto& p : problems)
      details.push_back(Json{{"message", p.message}, {"code", p.code}, {"context", {{"propertyName", {p.name}}}}});
    if (!details.empty()) e["errors"] = std::move(details);
    return e;
  }

  // POST /crm/v3/objects/{type}/batch/{upsert|create|update}.
  void Batch(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const ObjectType& t,
             const std::string& op) {
    if (op != "upsert" && op != "create" && op != "update") return NotFound(res);
    Json body = ParseExact(req.body);
    if (body.is_discarded() || !body.is_object() || !body.contains("inputs") || !body["inputs"].is_array()) {
      return SetJson(res, 400, ErrorBody("Invalid input JSON on line 1: `inputs` is required", "VALIDATION_ERROR"));
    }
    const Json& inputs = body["inputs"];
    if (inputs.size() > 100) {
      return SetJson(res, 400, ErrorBody("Batch size " + std::to_string(inputs.size()) + " exceeds the limit of 100",
                                         "VALIDATION_ERROR"));
    }
    // Checks that refuse the whole batch: an idProperty that is not unique, duplicate ids.
    std::set<std::string> seen;
    for (const Json& in : inputs) {
      if (op == "create") break;
      std::string id = ScalarText(in.value("id", Json())).value_or("");
      if (op == "upsert") {
        std::string id_property = in.value("idProperty", "");
        const Property* p = t.Find(id_property);
        bool unique = p && (p->unique || (t.name == "contacts" && id_property == "email"));
        if (!unique || id_property == "hs_object_id") {
          return SetJson(res, 400, ErrorBody("Property \"" + id_property + "\" of " + t.name +
                                                 " is not a unique value property: upsert needs an idProperty "
                                                 "with hasUniqueValue",
                                             "VALIDATION_ERROR"));
        }
      }
      if (id.empty()) return SetJson(res, 400, ErrorBody("Input is missing `id`", "VALIDATION_ERROR"));
      if (!seen.insert(id).second)
        return SetJson(res, 400, ErrorBody("Duplicate IDs found in batch input: [" + id + "]. IDs must be unique",
                                           "VALIDATION_ERROR"));
    }
    Json results = Json::array();
    Json errors = Json::array();
    const std::string started = IsoMillis(NowMillis());
    for (size_t index = 0; index < inputs.size(); ++index) {
      const Json& in = inputs[index];
      Json props = in.contains("properties") && in["properties"].is_object() ? in["properties"] : Json::object();
      std::string id = ScalarText(in.value("id", Json())).value_or("");
      std::string id_property = op == "upsert" ? in.value("idProperty", "") : "hs_object_id";
      Json* existing = nullptr;
      if (op == "update") {
        existing = FindById(t.name, id);
        if (!existing) {
          errors.push_back(BatchError("OBJECT_NOT_FOUND", "Could not get some " + t.name + " objects, they may be "
                                                          "deleted or not exist. Check that ids are valid.",
                                      "ids", id, {}));
          continue;
        }
      } else if (op == "upsert") {
        for (Json& r : store_->Records(t.name))
          if (r.contains(id_property) && ScalarText(r[id_property]).value_or("") == id) existing = &r;
        props[id_property] = id;
      }
      std::vector<Problem> problems;
      for (auto it = props.begin(); it != props.end(); ++it) {
        // The idProperty's own value is the match, not a change.
        if (op == "upsert" && it.key() == id_property && existing) continue;
        if (auto p = CheckValue(t, it.key(), it.value(), !existing, existing)) problems.push_back(*p);
      }
      if (!problems.empty()) {
        std::string message = "Property values were not valid: ";
        for (const auto& p : problems) message += "[" + p.name + ": " + p.message + "]";
        bool conflict = std::all_of(problems.begin(), problems.end(),
                                    [](const Problem& p) { return p.code == "OBJECT_ALREADY_EXISTS"; });
        std::string context_key = op == "create" ? "index" : op == "upsert" ? id_property : "ids";
        std::string context_value = op == "create" ? std::to_string(index) : id;
        errors.push_back(BatchError(conflict ? "CONFLICT" : "VALIDATION_ERROR", message, context_key, context_value, problems));
        continue;
      }
      const int64_t now = Stamp();
      const bool created = existing == nullptr;
      if (created) {
        Json r = Json::object();
        r["hs_object_id"] = std::to_string(NextId());
        r["createdate"] = IsoMillis(now);
        store_->Records(t.name).push_back(std::move(r));
        existing = &store_->Records(t.name).back();
      }
      for (auto it = props.begin(); it != props.end(); ++it) (*existing)[it.key()] = Stringify(it.value());
      (*existing)["hs_lastmodifieddate"] = IsoMillis(now);
      std::string record_id = ScalarText((*existing)["hs_object_id"]).value_or("");
      ctx.store.Log({NowRfc3339(), t.name, op == "upsert" ? id : "", record_id, created ? "created" : "updated",
                     ctx.request_id});
      std::vector<std::string> names;
      for (auto it = props.begin(); it != props.end(); ++it) names.push_back(it.key());
      Json answer = Answer(*existing, names);
      if (op == "upsert") answer["new"] = created;
      // Associations given on create (batch/create's inputs[].associations).
      if (op == "create" && in.contains("associations") && in["associations"].is_array()) {
        for (const Json& a : in["associations"]) {
          std::string to_id = ScalarText(a.contains("to") ? a["to"].value("id", Json()) : Json()).value_or("");
          std::string to_type = a.value("toObjectType", "");
          if (!to_id.empty() && !to_type.empty()) Associate(ctx, t.name, record_id, TypeOfName(to_type), to_id);
        }
      }
      results.push_back(std::move(answer));
    }
    Json out{{"status", "COMPLETE"}, {"results", results}, {"startedAt", started}, {"completedAt", IsoMillis(NowMillis())}};
    if (!errors.empty()) {
      out["numErrors"] = errors.size();
      out["errors"] = errors;
    }
    SetJson(res, errors.empty() ? (op == "create" ? 201 : 200) : 207, out);
  }

  // Change times strictly increase, so a cursor on hs_lastmodifieddate orders every write.
  int64_t Stamp() {
    last_stamp_ = std::max(NowMillis(), last_stamp_ + 1);
    return last_stamp_;
  }

  bool Associate(CallContext& ctx, const std::string& from_type, const std::string& from_id, const std::string& to_type,
                 const std::string& to_id) {
    if (!Link(from_type, from_id, to_type, to_id)) return false;
    ctx.store.Log({NowRfc3339(), from_type + "->" + to_type, to_id, from_id, "associated", ctx.request_id});
    return true;
  }

  // Records the association both ways (HubSpot's associations are); false when it was there.
  bool Link(const std::string& from_type, const std::string& from_id, const std::string& to_type, const std::string& to_id) {
    auto add = [&](const std::string& a_type, const std::string& a, const std::string& b_type, const std::string& b) {
      Json& table = associations_[a_type + "/" + b_type];
      if (!table.is_object()) table = Json::object();
      Json& list = table[a];
      if (!list.is_array()) list = Json::array();
      for (const Json& x : list)
        if (x == b) return false;
      list.push_back(b);
      return true;
    };
    bool added = add(from_type, from_id, to_type, to_id);
    add(to_type, to_id, from_type, from_id);
    return added;
  }

  // The ids associated with `from_type` record `from_id`, of `to_type`, in the order written.
  std::vector<std::string> Linked(const std::string& from_type, const std::string& from_id, const std::string& to_type) const {
    std::vector<std::string> out;
    auto table = associations_.find(from_type + "/" + to_type);
    if (table == associations_.end() || !table->second.contains(from_id)) return out;
    for (const Json& id : table->second[from_id]) out.push_back(ScalarText(id).value_or(""));
    return out;
  }

  // "deals", "companies" -> "deal_to_company": the default association's label in v3 answers.
  static std::string Singular(const std::string& type) {
    if (type.size() > 3 && type.compare(type.size() - 3, 3, "ies") == 0) return type.substr(0, type.size() - 3) + "y";
    if (type.size() > 1 && type.back() == 's') return type.substr(0, type.size() - 1);
    return type;
  }

  // A list answer's record with its associations of `types`: `"associations": {type:
  // {"results": [{"id", "type"}], "paging"}}`, kInlineAssociations a type (the rest through the
  // batch read from `paging.next.after`); a type the record has none of is left out.
  void InlineAssociations(const std::string& from_type, const Json& r, const std::vector<std::string>& types, Json& answer) const {
    const std::string id = ScalarText(r.value("hs_object_id", Json())).value_or("");
    Json all = Json::object();
    for (const std::string& to_type : types) {
      std::vector<std::string> ids = Linked(from_type, id, to_type);
      if (ids.empty()) continue;
      Json results = Json::array();
      for (size_t i = 0; i < ids.size() && i < kInlineAssociations; ++i)
        results.push_back(Json{{"id", ids[i]}, {"type", Singular(from_type) + "_to_" + Singular(to_type)}});
      Json collection{{"results", std::move(results)}};
      if (ids.size() > kInlineAssociations)
        collection["paging"] = Json{{"next", {{"after", PageToken(kInlineAssociations)}}}};
      all[to_type] = std::move(collection);
    }
    if (!all.empty()) answer["associations"] = std::move(all);
  }

  // Opaque page tokens of a record's associations (an offset, base64 as HubSpot's look).
  static std::string PageToken(size_t offset) {
    static const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text = "MC0" + std::to_string(offset), out;
    for (size_t i = 0; i < text.size(); i += 3) {
      uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(text[i])) << 16;
      if (i + 1 < text.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(text[i + 1])) << 8;
      if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
      out += kDigits[(n >> 18) & 63];
      out += kDigits[(n >> 12) & 63];
      out += i + 1 < text.size() ? kDigits[(n >> 6) & 63] : '=';
      out += i + 2 < text.size() ? kDigits[n & 63] : '=';
    }
    return out;
  }
  static std::optional<size_t> PageOffset(const std::string& token) {
    std::string text;
    uint32_t n = 0;
    int bits = 0;
    for (char c : token) {
      if (c == '=') break;
      const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const char* at = std::strchr(kDigits, c);
      if (at == nullptr || c == 0) return std::nullopt;
      n = (n << 6) | static_cast<uint32_t>(at - kDigits);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        text += static_cast<char>((n >> bits) & 0xff);
      }
    }
    if (text.rfind("MC0", 0) != 0 || text.size() == 3) return std::nullopt;
    for (size_t i = 3; i < text.size(); ++i)
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
    return static_cast<size_t>(std::strtoull(text.c_str() + 3, nullptr, 10));
  }

  // POST /crm/v4/associations/{from}/{to}/batch/associate/default, GET
  // /crm/v4/objects/{from}/{id}/associations/{to}.
  void Associations(const httplib::Request& req, httplib::Response& res, CallContext& ctx,
                    const std::vector<std::string>& parts) {
    if (parts.size() == 8 && parts[2] == "associations" && parts[5] == "batch" && parts[6] == "associate" &&
        parts[7] == "default" && req.method == "POST") {
      const ObjectType* from = Type(parts[3]);
      const ObjectType* to = Type(parts[4]);
      if (!from || !to) return UnknownType(res, from ? parts[4] : parts[3]);
      Json body = ParseExact(req.body);
      if (body.is_discarded() || !body.contains("inputs") || !body["inputs"].is_array())
        return SetJson(res, 400, ErrorBody("Invalid input JSON: `inputs` is required", "VALIDATION_ERROR"));
      Json results = Json::array(), errors = Json::array();
      for (const Json& in : body["inputs"]) {
        std::string from_id = ScalarText(in.contains("from") ? in["from"].value("id", Json()) : Json()).value_or("");
        std::string to_id = ScalarText(in.contains("to") ? in["to"].value("id", Json()) : Json()).value_or("");
        if (!FindById(from->name, from_id) || !FindById(to->name, to_id)) {
          errors.push_back(BatchError("OBJECT_NOT_FOUND", "No " + (FindById(from->name, from_id) ? to->name : from->name) +
                                                              " with id " + (FindById(from->name, from_id) ? to_id : from_id),
                                      "fromObjectId", from_id, {}));
          continue;
        }
        Associate(ctx, from->name, from_id, to->name, to_id);
        results.push_back(Json{{"fromObjectTypeId", from->name}, {"fromObjectId", from_id},
                               {"toObjectTypeId", to->name}, {"toObjectId", to_id},
                               {"labels", Json::array()}});
      }
      Json out{{"status", "COMPLETE"}, {"results", results}};
      if (!errors.empty()) {
        out["numErrors"] = errors.size();
        out["errors"] = errors;
      }
      return SetJson(res, errors.empty() ? 200 : 207, out);
    }
    if (parts.size() == 7 && parts[2] == "associations" && parts[5] == "batch" && parts[6] == "read" &&
        req.method == "POST") {
      return BatchRead(req, res, parts);
    }
    if (parts.size() == 7 && parts[2] == "objects" && parts[5] == "associations" && req.method == "GET") {
      const ObjectType* from = Type(parts[3]);
      const ObjectType* to = Type(parts[6]);
      if (!from || !to) return UnknownType(res, from ? parts[6] : parts[3]);
      Json results = Json::array();
      auto table = associations_.find(from->name + "/" + to->name);
      if (table != associations_.end() && table->second.contains(parts[4])) {
        for (const Json& id : table->second[parts[4]])
          results.push_back(Json{{"toObjectId", id}, {"associationTypes", Json::array()}});
      }
      return SetJson(res, 200, Json{{"results", results}});
    }
    NotFound(res);
  }

  // POST /crm/v4/associations/{from}/{to}/batch/read: per input {id, after}, its associated
  // ids from `after`, kAssociationPage a page (`paging.next.after` when more). More than
  // kAssociationReadMax inputs: 400. A record with none, or that does not exist: an error
  // naming it in `context.fromObjectId` (207).
  void BatchRead(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& parts) {
    const ObjectType* from = Type(parts[3]);
    const ObjectType* to = Type(parts[4]);
    if (!from || !to) return UnknownType(res, from ? parts[4] : parts[3]);
    Json body = ParseExact(req.body);
    if (body.is_discarded() || !body.is_object() || !body.contains("inputs") || !body["inputs"].is_array())
      return SetJson(res, 400, ErrorBody("Invalid input JSON on line 1: `inputs` is required", "VALIDATION_ERROR"));
    const Json& inputs = body["inputs"];
    if (inputs.size() > kAssociationReadMax) {
      return SetJson(res, 400, ErrorBody("Batch read of associations is limited to " + std::to_string(kAssociationReadMax) +
                                             " inputs, was " + std::to_string(inputs.size()),
                                         "VALIDATION_ERROR"));
    }
    const std::string started = IsoMillis(NowMillis());
    Json results = Json::array(), errors = Json::array();
    for (const Json& in : inputs) {
      std::string id = ScalarText(in.is_object() ? in.value("id", Json()) : Json()).value_or("");
      std::string after = in.is_object() ? ScalarText(in.value("after", Json())).value_or("") : "";
      size_t offset = 0;
      if (!after.empty()) {
        auto o = PageOffset(after);
        if (!o) {
          return SetJson(res, 400, ErrorBody("Invalid after token `" + after + "` for " + from->name + " " + id,
                                             "VALIDATION_ERROR"));
        }
        offset = *o;
      }
      std::vector<std::string> ids = FindById(from->name, id) ? Linked(from->name, id, to->name) : std::vector<std::string>{};
      if (ids.empty()) {
        Json e{{"status", "error"},
               {"category", "OBJECT_NOT_FOUND"},
               {"subCategory", "crm.associations.NO_ASSOCIATIONS_FOUND"},
               {"message", "No " + to->name + " is associated with " + Singular(from->name) + " " + id + "."},
               {"context", {{"fromObjectId", Json::array({id})}}}};
        errors.push_back(std::move(e));
        continue;
      }
      Json list = Json::array();
      for (size_t i = offset; i < ids.size() && i < offset + kAssociationPage; ++i)
        list.push_back(Json{{"toObjectId", ids[i]},
                            {"associationTypes", Json::array({Json{{"category", "HUBSPOT_DEFINED"},
                                                                   {"typeId", DefaultTypeId(from->name, to->name)},
                                                                   {"label", nullptr}}})}});
      Json result{{"from", {{"id", id}}}, {"to", std::move(list)}};
      if (offset + kAssociationPage < ids.size())
        result["paging"] = Json{{"next", {{"after", PageToken(offset + kAssociationPage)}}}};
      results.push_back(std::move(result));
    }
    Json out{{"status", "COMPLETE"}, {"results", results}, {"startedAt", started}, {"completedAt", IsoMillis(NowMillis())}};
    if (!errors.empty()) {
      out["numErrors"] = errors.size();
      out["errors"] = errors;
    }
    SetJson(res, errors.empty() ? 200 : 207, out);
  }

  // HubSpot's default association type ids (deal to company 5, company to deal 6, deal to line
  // item 19, line item to deal 20, contact to company 1, company to contact 2, contact to deal
  // 4, deal to contact 3); 0 for another pair.
  static int DefaultTypeId(const std::string& from, const std::string& to) {
    static const std::map<std::pair<std::string, std::string>, int> kIds = {
        {{"contacts", "companies"}, 1}, {{"companies", "contacts"}, 2},  {{"deals", "contacts"}, 3},
        {{"contacts", "deals"}, 4},     {{"deals", "companies"}, 5},     {{"companies", "deals"}, 6},
        {{"deals", "line_items"}, 19},  {{"line_items", "deals"}, 20},
    };
    auto it = kIds.find({from, to});
    return it == kIds.end() ? 0 : it->second;
  }

  static constexpr size_t kAssociationReadMax = 1000;  // inputs of a batch read (changelog, 2025-02-10)
  static constexpr size_t kAssociationPage = 500;      // a record's associations a page (v4's limit default)
  static constexpr size_t kInlineAssociations = 100;   // a type's ids inline in a list answer

  struct SeedLink {
    std::string from_type, from_id, to_type, to_id;
  };

  const Options& options_;
  Store* store_ = nullptr;
  std::vector<SeedLink> seed_links_;
  std::map<std::string, Json> seeded_associations_;  // associations_ as loaded: what Reset restores
  std::map<std::string, ObjectType> types_;
  std::set<std::string> oauth_tokens_;
  std::map<std::string, Json> associations_;  // "deals/companies" -> {from id: [to ids]}
  std::deque<Clock::time_point> burst_, search_;
  int64_t daily_ = 0;
  uint64_t rate_limited_ = 0;
  uint64_t next_id_ = 1001;
  uint64_t correlation_ = 0;
  int64_t last_stamp_ = 0;
};

}  // namespace

std::unique_ptr<Vendor> MakeHubSpot(const Options& options) { return std::make_unique<HubSpot>(options); }

}  // namespace crmx::emulate
