// Defines the QuickBooks Online emulator (`crmx-emulate quickbooks`, docs/emulators.md): the
// Accounting API v3 under /v3/company/{realmId}/ and Intuit's OAuth 2.0 token endpoint, from
// Intuit's public documentation:
//   - query: `select * | count(*) | F1, F2 from Entity [where ...] [orderby F [asc|desc]]
//     [startposition N] [maxresults M]` (=, <, <=, >, >=, in, like, and; maxresults at most
//     1000, 100 when not given), answered {"QueryResponse": {"Customer": [...], "startPosition",
//     "maxResults"}, "time"};
//   - entity create/update: POST /{entity} (update when the body has an Id: SyncToken must be
//     current, else Fault 5010; `sparse: true` merges, else replaces), GET /{entity}/{id};
//   - batch: POST /batch, at most 30 BatchItemRequests, each answered by its bId;
//   - requestid: a write with a requestid seen before gets the first answer again, unapplied;
//   - validation Faults: 6240 duplicate DisplayName (Customer) or Name (Item), 2020 required
//     parameter, 2050 string length, 610 object not found, 2500 invalid reference, 5010 stale;
//   - computed fields: TotalAmt and Balance of Invoice and SalesReceipt from their lines;
//   - OAuth: grant_type=refresh_token with the client as Basic auth; every refresh rotates the
//     refresh token; the previous one is refused (invalid_grant) once --refresh-grace-ms passed;
//   - throttling: --rate-limit calls a minute and --batch-limit batches a minute per realm, and
//     --concurrency calls at once, answered 429 with a ThrottleExceeded (3001) Fault.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "emulators/auth.h"
#include "emulators/query.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

using Clock = std::chrono::steady_clock;

struct QbField {
  std::string name;
  bool required = false;
  bool writable = true;  // createable or updateable per the schema
  int64_t length = 0;
  std::vector<std::string> picklist;
};

struct Entity {
  std::string name;  // "Customer"
  std::map<std::string, QbField> fields;
};

// "2024-09-02T12:40:10-07:00": QuickBooks writes times in the company's zone (Pacific here).
std::string NowQbo() {
  std::time_t t = std::time(nullptr) - 7 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S-07:00", &tm);
  return buf;
}

Json Error(const std::string& message, const std::string& detail, const std::string& code,
           const std::string& element = "") {
  return Json{{"Message", message}, {"Detail", detail}, {"code", code}, {"element", element}};
}

Json FaultBody(const std::string& type, Json error) {
  return Json{{"Fault", {{"Error", Json::array({std::move(error)})}, {"type", type}}}, {"time", NowQbo()}};
}

// An item's or request's outcome: 200 with the entity, or a Fault (status 400 when alone).
struct Outcome {
  int status = 200;
  Json body;
};

Outcome Validation(const std::string& message, const std::string& detail, const std::string& code,
                   const std::string& element = "") {
  return Outcome{400, FaultBody("ValidationFault", Error(message, detail, code, element))};
}

// Exact sums of money: digits scaled to 6 decimals in an int64.
std::optional<int64_t> Micros(const Json& v) {
  auto text = ScalarText(v);
  if (!text) return std::nullopt;
  long double d = std::strtold(text->c_str(), nullptr);
  return static_cast<int64_t>(std::llround(d * 1000000.0L));
}
Json MoneyJson(int64_t micros) {
  bool neg = micros < 0;
  uint64_t m = static_cast<uint64_t>(neg ? -micros : micros);
  uint64_t cents = (m + 5000) / 10000;
  std::string s = std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
  return Number((neg ? "-" : "") + s);
}

const Json* At(const Json& record, const std::string& dotted) {
  const Json* at = &record;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string step = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(step)) return nullptr;
    at = &(*at)[step];
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

class QuickBooks : public Vendor {
 public:
  explicit QuickBooks(const Options& options) : options_(options) { refresh_ = options.refresh_token; }

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    if (!options_.schemas_dir.empty() &&
        !ForEachSchemaObject(options_.schemas_dir, [&](const std::string& name, const Json& o) { AddEntity(name, o); },
                             error)) {
      return false;
    }
    if (entities_.empty()) {
      // No schemas: the five entities this emulator knows, any field accepted.
      for (const char* n : {"Customer", "Invoice", "Item", "SalesReceipt", "Payment"}) entities_[n].name = n;
    }
    if (!options_.data_dir.empty()) {
      bool ok = store.Seed(
          options_.data_dir, [&](const std::string& stem) { return Canonical(stem); }, notes, error);
      if (!ok) return false;
    }
    for (const auto& [name, records] : store.Tables()) {
      for (const Json& r : records) {
        if (auto id = r.contains("Id") ? ScalarText(r["Id"]) : std::nullopt)
          next_id_ = std::max<int64_t>(next_id_, std::atoll(id->c_str()) + 1);
      }
    }
    return true;
  }

  // An entity of the schemas: complex types (Line, ReferenceType) are not endpoints.
  void AddEntity(const std::string& name, const Json& o) {
    if (o.value("object_kind", "entity") == "complex") return;
    Entity e;
    e.name = name;
    for (const Json& f : o.value("fields", Json::array())) {
      QbField qf;
      qf.name = f.value("name", "");
      qf.required = f.value("required_on_create", false);
      qf.writable = f.value("createable", true) || f.value("updateable", true);
      qf.length = f.contains("length") && f["length"].is_number() ? f["length"].get<int64_t>() : 0;
      if (f.contains("picklist") && f["picklist"].is_object() && f["picklist"].value("restricted", false))
        for (const Json& v : f["picklist"].value("values", Json::array())) qf.picklist.push_back(v.value("value", ""));
      e.fields[qf.name] = qf;
    }
    entities_[e.name] = std::move(e);
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/oauth2/v1/tokens/bearer"; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    std::string rest = Rest(req.path);
    if (rest.rfind("query", 0) == 0) return "query";
    if (rest == "batch") return "batch";
    return req.method == "GET" ? "read" : "write";
  }

  bool LimitsConcurrency() const override { return true; }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (!Authorized(req)) {
      SetJson(res, 401,
              FaultBody("AuthenticationFault",
                        Error("message=AuthenticationFailed; errorCode=003200; statusCode=401", "", "3200")));
      return;
    }
    if (req.path.rfind("/v3/company/", 0) != 0) {
      SetJson(res, 404, FaultBody("ValidationFault", Error("Unsupported Operation", "no such resource: " + req.path, "500")));
      return;
    }
    // The per-minute limits (500 requests, 40 batch requests a realm) before anything runs.
    auto now = Clock::now();
    bool batch = Rest(req.path) == "batch";
    if (!Admit(calls_, options_.qbo_rate_limit, now) || (batch && !Admit(batches_, options_.qbo_batch_limit, now))) {
      ++throttled_;
      Throttle(res);
      return;
    }
    std::string rest = Rest(req.path);
    std::string request_id = req.get_param_value("requestid");
    bool write = req.method == "POST" && rest.rfind("query", 0) != 0;
    if (write && !request_id.empty()) {
      auto seen = answers_.find(request_id);
      if (seen != answers_.end()) {
        ++replays_;
        res.status = seen->second.first;
        res.set_content(seen->second.second, "application/json;charset=UTF-8");
        return;
      }
    }
    std::string rid = request_id.empty() ? ctx.request_id : request_id;
    if (rest.rfind("query", 0) == 0) {
      std::string q = req.get_param_value("query");
      if (q.empty() && req.method == "POST") q = req.body;
      Outcome o = Query(ctx.store, q);
      SetJson(res, o.status, o.body);
      return;
    }
    Outcome o;
    if (rest == "batch" && req.method == "POST") {
      o = Batch(ctx.store, req.body, rid);
    } else if (req.method == "POST") {
      Json body = ParseExact(req.body);
      std::string entity = Canonical(rest);
      if (entity.empty() || !body.is_object()) {
        o = Validation("Request has invalid or unsupported property", "unknown entity or malformed body: " + rest,
                       "2010");
      } else {
        o = Write(ctx.store, entity, body, rid);
        if (o.status == 200) o.body = Json{{entity, o.body}, {"time", NowQbo()}};
      }
    } else if (req.method == "GET") {
      o = Read(ctx.store, rest);
    } else {
      o = Validation("Unsupported Operation", req.method + " is not supported", "500");
    }
    SetJson(res, o.status, o.body);
    if (write && !request_id.empty()) answers_[request_id] = {res.status, res.body};
  }

  void Refuse(int status, bool concurrency, httplib::Response& res) override {
    if (status == 429 || concurrency) {
      ++throttled_;
      Throttle(res);
      return;
    }
    SetJson(res, status, FaultBody("SystemFault", Error("An application error has occurred while processing your request",
                                                        "System Failure Error: service unavailable", "10000")));
  }

  void ExpireTokens() override { access_.clear(); }

  void Reset() override {
    answers_.clear();
    calls_.clear();
    batches_.clear();
  }

  Json Stats() const override {
    return Json{{"throttled", throttled_}, {"replays", replays_}, {"refreshes", refreshes_},
                {"refresh_token_rotations", rotations_}, {"stale", stale_}};
  }

 private:
  // The path after /v3/company/{realm}/.
  static std::string Rest(const std::string& path) {
    const std::string prefix = "/v3/company/";
    if (path.rfind(prefix, 0) != 0) return {};
    size_t slash = path.find('/', prefix.size());
    return slash == std::string::npos ? std::string() : path.substr(slash + 1);
  }

  // The schema's spelling of an entity named in any case ("customer" -> "Customer").
  std::string Canonical(const std::string& name) const {
    for (const auto& [n, e] : entities_)
      if (Lower(n) == Lower(name)) return n;
    return {};
  }

  static bool Admit(std::deque<Clock::time_point>& window, int limit, Clock::time_point now) {
    while (!window.empty() && now - window.front() >= std::chrono::minutes(1)) window.pop_front();
    if (limit > 0 && static_cast<int>(window.size()) >= limit) return false;
    window.push_back(now);
    return true;
  }

  static void Throttle(httplib::Response& res) {
    SetJson(res, 429,
            FaultBody("ThrottleExceeded", Error("message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                                "The request limit was reached.", "3001")));
  }

  bool Authorized(const httplib::Request& req) const {
    std::string h = req.get_header_value("Authorization");
    if (h.size() < 7 || Lower(h.substr(0, 7)) != "bearer ") return false;
    return access_.count(h.substr(7)) > 0;
  }

  // Intuit's token endpoint, refresh_token grant only (the authorization-code grant needs a
  // person at a browser). The client authenticates with Basic auth.
  void Token(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](int status, const std::string& code, const std::string& text) {
      SetJson(res, status, Json{{"error", code}, {"error_description", text}});
    };
    if (req.get_header_value("Authorization") != "Basic " + Base64(options_.client_id + ":" + options_.client_secret))
      return refuse(401, "invalid_client", "client authentication failed");
    if (req.get_param_value("grant_type") != "refresh_token")
      return refuse(400, "unsupported_grant_type", "only refresh_token is emulated");
    std::string given = req.get_param_value("refresh_token");
    auto now = Clock::now();
    bool current = given == refresh_;
    bool in_grace = given == previous_ && !previous_.empty() &&
                    now - rotated_at_ < std::chrono::milliseconds(options_.refresh_grace_ms);
    if (!current && !in_grace) return refuse(400, "invalid_grant", "Token invalid");
    ++refreshes_;
    if (current) {
      // Every refresh rotates (Intuit rotates at least every 24 hours): the strictest case.
      previous_ = refresh_;
      refresh_ = NewToken("rt-");
      rotated_at_ = now;
      ++rotations_;
    }
    std::string access = NewToken("at-");
    access_.insert(access);
    SetJson(res, 200, Json{{"token_type", "bearer"}, {"access_token", access}, {"expires_in", 3600},
                           {"refresh_token", refresh_}, {"x_refresh_token_expires_in", 8726400}});
  }

  // `select ... from E ...`: rewritten into the shared parser's SuiteQL form (string literals'
  // backslash escapes to '' doubling, ORDERBY, STARTPOSITION/MAXRESULTS and count(*) taken off).
  Outcome Query(Store& store, const std::string& text) {
    auto parse_error = [](const std::string& detail) {
      return Outcome{400, FaultBody("ValidationFault", Error("Error parsing query", "QueryParserError: " + detail, "4000"))};
    };
    std::string q;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (c == '\\' && i + 1 < text.size()) {
          char e = text[++i];
          q += e == '\'' ? std::string("''") : std::string(1, e);
          continue;
        }
        if (c == '\'') in_string = false;
        q += c;
        continue;
      }
      if (c == '\'') in_string = true;
      q += c;
    }
    if (in_string) return parse_error("unterminated string literal");
    int64_t start = 1, max = 100;
    bool count = false;
    auto take_number = [&](const std::string& word, int64_t& out) -> bool {
      std::string lower = Lower(q);
      size_t at = lower.rfind(" " + word + " ");
      if (at == std::string::npos) return true;
      size_t num = at + word.size() + 2;
      size_t end = num;
      while (end < q.size() && std::isdigit(static_cast<unsigned char>(q[end]))) ++end;
      if (end == num) return false;
      out = std::atoll(q.substr(num, end - num).c_str());
      q.erase(at, end - at);
      return true;
    };
    if (!take_number("maxresults", max) || !take_number("startposition", start) || !take_number("maxresults", max))
      return parse_error("STARTPOSITION and MAXRESULTS take a number");
    if (start < 1) start = 1;
    if (max < 1 || max > 1000) return parse_error("MAXRESULTS must be between 1 and 1000");
    std::string lower = Lower(q);
    for (size_t at = lower.find(" orderby "); at != std::string::npos; at = lower.find(" orderby ")) {
      q.replace(at, 9, " ORDER BY ");
      lower = Lower(q);
    }
    size_t cnt = lower.find("count(*)");
    if (cnt != std::string::npos) {
      count = true;
      q.replace(cnt, 8, "*");
    }
    crmx::emulate::Query parsed;
    std::string error;
    if (!ParseQuery(q, Dialect::kSuiteQl, parsed, error)) return parse_error(error);
    std::string entity = Canonical(parsed.from);
    if (entity.empty()) return parse_error("invalid entity `" + parsed.from + "`");
    const Entity& e = entities_.at(entity);
    for (const std::string& f : FieldsUsed(parsed)) {
      if (f == "*") continue;
      std::string top = f.substr(0, f.find('.'));
      if (!e.fields.empty() && !e.fields.count(top) && top != "Id" && top != "SyncToken" && top != "MetaData")
        return Outcome{400, FaultBody("ValidationFault", Error("Invalid query", "QueryValidationError: property '" + f +
                                                                                   "' is not queryable", "4001"))};
    }
    std::vector<const Json*> rows;
    for (const Json& r : store.Records(entity)) {
      FieldValue value = [&](const std::string& f) -> Json {
        const Json* v = At(r, f);
        return v ? *v : Json();
      };
      if (parsed.where && !Matches(*parsed.where, value, Dialect::kSuiteQl)) continue;
      rows.push_back(&r);
    }
    if (!parsed.order_by.empty()) {
      std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
        const Json* x = At(*a, parsed.order_by);
        const Json* y = At(*b, parsed.order_by);
        int c = CompareForSort(x ? *x : Json(), y ? *y : Json());
        return parsed.descending ? c > 0 : c < 0;
      });
    }
    Json qr = Json::object();
    if (count) {
      qr["totalCount"] = rows.size();
      return Outcome{200, Json{{"QueryResponse", qr}, {"time", NowQbo()}}};
    }
    Json list = Json::array();
    for (size_t i = static_cast<size_t>(start - 1); i < rows.size() && list.size() < static_cast<size_t>(max); ++i) {
      const Json& r = *rows[i];
      bool star = parsed.fields.empty() || parsed.fields.front() == "*";
      if (star) {
        list.push_back(r);
        continue;
      }
      Json p = Json::object();
      for (const char* always : {"Id", "SyncToken"})
        if (r.contains(always)) p[always] = r[always];
      for (const std::string& f : parsed.fields) {
        std::string top = f.substr(0, f.find('.'));
        if (r.contains(top)) p[top] = r[top];
      }
      p["domain"] = "QBO";
      p["sparse"] = true;
      list.push_back(std::move(p));
    }
    if (!list.empty()) {
      qr[entity] = list;
      qr["startPosition"] = start;
      qr["maxResults"] = list.size();
    }
    return Outcome{200, Json{{"QueryResponse", qr}, {"time", NowQbo()}}};
  }

  Outcome Read(Store& store, const std::string& rest) {
    size_t slash = rest.find('/');
    std::string entity = Canonical(rest.substr(0, slash));
    std::string id = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (entity.empty() || id.empty()) return NotFound("unknown resource " + rest);
    for (const Json& r : store.Records(entity))
      if (ScalarText(r.value("Id", Json())) == id) return Outcome{200, Json{{entity, r}, {"time", NowQbo()}}};
    return NotFound("Object Not Found : Something you're trying to use has been made inactive. Check the fields with "
                    "accounts, customers, items, vendors or employees.");
  }

  static Outcome NotFound(const std::string& detail) { return Validation("Object Not Found", detail, "610"); }

  // The key a journal entry names: DisplayName, Name or DocNumber.
  static std::string KeyOf(const Json& r) {
    for (const char* k : {"DisplayName", "Name", "DocNumber"})
      if (r.contains(k))
        if (auto t = ScalarText(r[k])) return *t;
    return {};
  }

  // Create (no Id) or update (Id and SyncToken) of one entity. 200 with the entity as stored.
  Outcome Write(Store& store, const std::string& entity, Json body, const std::string& request_id) {
    const Entity& e = entities_.at(entity);
    std::vector<Json>& table = store.Records(entity);
    bool update = body.contains("Id") && !body["Id"].is_null();
    Json* existing = nullptr;
    if (update) {
      std::string id = ScalarText(body["Id"]).value_or("");
      for (Json& r : table)
        if (ScalarText(r.value("Id", Json())) == id) existing = &r;
      if (existing == nullptr) return NotFound("Object Not Found : Another user has deleted this transaction.");
      if (!body.contains("SyncToken"))
        return Validation("Required param missing, need to supply the required value for the API",
                          "Required parameter SyncToken is missing in the request", "2020", "SyncToken");
      if (ScalarText(body["SyncToken"]) != ScalarText((*existing)["SyncToken"])) {
        ++stale_;
        return Validation("Stale Object Error",
                          "Stale Object Error : You and crmx were working on this at the same time. crmx finished "
                          "before you did, so your work was not saved.",
                          "5010");
      }
    }
    // The stored record after this write: sparse merges, full replaces (keeping identity).
    Json next = Json::object();
    if (update && body.value("sparse", false)) next = *existing;
    for (auto it = body.begin(); it != body.end(); ++it) {
      const std::string& k = it.key();
      if (k == "sparse" || k == "Id" || k == "SyncToken" || k == "MetaData" || k == "domain") continue;
      if (!e.fields.empty()) {
        auto f = e.fields.find(k);
        if (f == e.fields.end())
          return Validation("Request has invalid or unsupported property",
                            "Property Name:Unrecognized field \"" + k + "\" specified", "2010", k);
        if (!f->second.writable) continue;  // read-only fields are ignored, as the service does
        if (f->second.length > 0 && it.value().is_string() &&
            static_cast<int64_t>(it.value().get<std::string>().size()) > f->second.length)
          return Length(k, f->second.length, it.value().get<std::string>().size());
        if (!f->second.picklist.empty() && it.value().is_string() &&
            std::find(f->second.picklist.begin(), f->second.picklist.end(), it.value().get<std::string>()) ==
                f->second.picklist.end())
          return Validation("Invalid Enumeration", "Invalid Enumeration : " + it.value().get<std::string>(), "2170", k);
      }
      next[k] = it.value();
    }
    if (auto bad = Rules(store, entity, e, next, existing)) return *bad;
    Compute(entity, next);
    std::string now = NowQbo();
    if (update) {
      next["Id"] = (*existing)["Id"];
      int64_t token = std::atoll(ScalarText((*existing)["SyncToken"]).value_or("0").c_str());
      next["SyncToken"] = std::to_string(token + 1);
      std::string created = now;
      if (existing->contains("MetaData") && (*existing)["MetaData"].is_object())
        created = (*existing)["MetaData"].value("CreateTime", now);
      next["MetaData"] = Json{{"CreateTime", created}, {"LastUpdatedTime", now}};
    } else {
      next["Id"] = std::to_string(next_id_++);
      next["SyncToken"] = "0";
      next["MetaData"] = Json{{"CreateTime", now}, {"LastUpdatedTime", now}};
    }
    next["domain"] = "QBO";
    next["sparse"] = false;
    if (update) {
      *existing = next;
    } else {
      table.push_back(next);
    }
    store.Log({NowRfc3339(), entity, KeyOf(next), ScalarText(next["Id"]).value_or(""), update ? "updated" : "created",
               request_id});
    return Outcome{200, next};
  }

  static Outcome Length(const std::string& field, int64_t max, size_t got) {
    return Validation("String length is either shorter or longer than supported by specification",
                      "String length specified does not match the supported length. Min:0 Max:" + std::to_string(max) +
                          " supported. Supplied length:" + std::to_string(got),
                      "2050", field);
  }

  static Outcome Missing(const std::string& field) {
    return Validation("Required param missing, need to supply the required value for the API",
                      "Required parameter " + field + " is missing in the request", "2020", field);
  }

  // The documented business rules beyond the schema.
  std::optional<Outcome> Rules(Store& store, const std::string& entity, const Entity& e, const Json& next,
                               const Json* existing) {
    auto has = [&](const char* f) { return next.contains(f) && !next[f].is_null() && next[f] != Json(""); };
    if (existing == nullptr) {
      for (const auto& [name, f] : e.fields)
        if (f.required && !has(name.c_str())) return Missing(name);
    }
    if (entity == "Customer") {
      if (!has("DisplayName") && !has("GivenName") && !has("FamilyName") && !has("CompanyName") && !has("Title") &&
          !has("MiddleName") && !has("Suffix"))
        return Missing("DisplayName");
      if (has("DisplayName")) {
        std::string name = ScalarText(next["DisplayName"]).value_or("");
        if (name.size() > 500) return Length("DisplayName", 500, name.size());
        if (Taken(store, "Customer", "DisplayName", name, existing))
          return Validation("Duplicate Name Exists Error",
                            "The name supplied already exists. : Another customer, vendor or employee is already using "
                            "this name. Please use a different name.",
                            "6240");
      }
    }
    if (entity == "Item") {
      if (!has("Name")) return Missing("Name");
      std::string name = ScalarText(next["Name"]).value_or("");
      if (name.size() > 100) return Length("Name", 100, name.size());
      if (Taken(store, "Item", "Name", name, existing))
        return Validation("Duplicate Name Exists Error",
                          "The name supplied already exists. : Another product or service is already using this name. "
                          "Please use a different name.",
                          "6240");
    }
    if (entity == "Invoice" || entity == "SalesReceipt" || entity == "Payment") {
      if (entity != "SalesReceipt" && !has("CustomerRef")) return Missing("CustomerRef");
      if (has("CustomerRef") && !Exists(store, "Customer", next["CustomerRef"]))
        return Validation("Invalid Reference Id", "Invalid Reference Id : Customer assigned to this transaction has been "
                                                  "deleted or does not exist",
                          "2500", "CustomerRef");
    }
    if (entity == "Invoice" || entity == "SalesReceipt") {
      if (!next.contains("Line") || !next["Line"].is_array() || next["Line"].empty()) return Missing("Line");
      for (const Json& line : next["Line"]) {
        if (!line.is_object() || !line.contains("Amount")) return Missing("Line.Amount");
        if (!line.contains("DetailType")) return Missing("Line.DetailType");
        if (line.contains("SalesItemLineDetail") && line["SalesItemLineDetail"].contains("ItemRef") &&
            !Exists(store, "Item", line["SalesItemLineDetail"]["ItemRef"]))
          return Validation("Invalid Reference Id", "Invalid Reference Id : Item does not exist", "2500",
                            "Line.SalesItemLineDetail.ItemRef");
      }
    }
    return std::nullopt;
  }

  bool Taken(Store& store, const std::string& entity, const std::string& field, const std::string& name,
             const Json* self) {
    for (const Json& r : store.Records(entity)) {
      if (&r == self) continue;
      if (r.contains(field) && Lower(ScalarText(r[field]).value_or("")) == Lower(name)) return true;
    }
    return false;
  }

  bool Exists(Store& store, const std::string& entity, const Json& ref) {
    if (!entities_.count(entity)) return true;
    const Json* v = ref.is_object() ? (ref.contains("value") ? &ref["value"] : nullptr) : &ref;
    if (v == nullptr) return false;
    std::string id = ScalarText(*v).value_or("");
    for (const Json& r : store.Records(entity))
      if (ScalarText(r.value("Id", Json())) == id) return true;
    return false;
  }

  // TotalAmt (and a new transaction's Balance) from the lines; line Ids and the subtotal line.
  static void Compute(const std::string& entity, Json& r) {
    if (entity != "Invoice" && entity != "SalesReceipt") return;
    int64_t total = 0;
    Json lines = Json::array();
    int n = 0;
    for (Json line : r["Line"]) {
      if (line.value("DetailType", "") == "SubTotalLineDetail") continue;
      line["Id"] = std::to_string(++n);
      line["LineNum"] = n;
      if (line.value("DetailType", "") != "DiscountLineDetail") total += Micros(line["Amount"]).value_or(0);
      else total -= Micros(line["Amount"]).value_or(0);
      lines.push_back(std::move(line));
    }
    lines.push_back(Json{{"Amount", MoneyJson(total)}, {"DetailType", "SubTotalLineDetail"},
                         {"SubTotalLineDetail", Json::object()}});
    r["Line"] = lines;
    r["TotalAmt"] = MoneyJson(total);
    r["Balance"] = entity == "SalesReceipt" ? MoneyJson(0) : MoneyJson(total);
  }

  Outcome Batch(Store& store, const std::string& text, const std::string& request_id) {
    Json body = ParseExact(text);
    if (!body.is_object() || !body.contains("BatchItemRequest") || !body["BatchItemRequest"].is_array())
      return Validation("Request has invalid or unsupported property", "BatchItemRequest is missing", "2010");
    if (body["BatchItemRequest"].size() > 30)
      return Validation("Batch size exceeded", "The maximum number of BatchItemRequests in a batch is 30", "4002");
    Json out = Json::array();
    for (const Json& item : body["BatchItemRequest"]) {
      std::string bid = item.value("bId", "");
      Json answer = Json{{"bId", bid}};
      if (item.contains("Query")) {
        Outcome o = Query(store, item["Query"].get<std::string>());
        if (o.status == 200) answer["QueryResponse"] = o.body["QueryResponse"];
        else answer["Fault"] = o.body["Fault"];
        out.push_back(answer);
        continue;
      }
      std::string op = item.value("operation", "");
      std::string entity;
      for (auto it = item.begin(); it != item.end(); ++it)
        if (it.key() != "bId" && it.key() != "operation" && it.key() != "optionsData") entity = it.key();
      std::string canonical = Canonical(entity);
      Outcome o;
      if (canonical.empty()) {
        o = Validation("Request has invalid or unsupported property", "unknown entity `" + entity + "`", "2010");
      } else if (op == "create" && item[entity].contains("Id")) {
        o = Validation("Request has invalid or unsupported property", "a create may not name an Id", "2010", "Id");
      } else if (op == "create" || op == "update") {
        Json payload = item[entity];
        if (op == "update" && !payload.contains("Id")) o = Missing("Id");
        else o = Write(store, canonical, payload, request_id + "#" + bid);
      } else {
        o = Validation("Unsupported Operation", "operation `" + op + "` is not emulated", "500");
      }
      if (o.status == 200) answer[canonical] = o.body;
      else answer["Fault"] = o.body["Fault"];
      out.push_back(answer);
    }
    return Outcome{200, Json{{"BatchItemResponse", out}, {"time", NowQbo()}}};
  }

  const Options& options_;
  std::map<std::string, Entity> entities_;
  int64_t next_id_ = 1;
  std::set<std::string> access_;
  std::string refresh_, previous_;
  Clock::time_point rotated_at_;
  std::map<std::string, std::pair<int, std::string>> answers_;  // requestid -> status, body
  std::deque<Clock::time_point> calls_, batches_;
  uint64_t throttled_ = 0, replays_ = 0, refreshes_ = 0, rotations_ = 0, stale_ = 0;
};

}  // namespace

std::unique_ptr<Vendor> MakeQuickBooks(const Options& options) { return std::make_unique<QuickBooks>(options); }

}  // namespace crmx::emulate
