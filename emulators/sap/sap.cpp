// Defines the SAP S/4HANA Cloud emulator (OData V2, SAP Gateway): the entity sets its
// `--schemas` (crmx schema JSON) describe, under any service root /sap/opu/odata/sap/<SERVICE>/
// (A_SalesOrder* only under API_SALES_ORDER_SRV, A_BusinessPartner/A_Customer* only under
// API_BUSINESS_PARTNER), served through
//   GET    <root>/                        the service document; `X-CSRF-Token: Fetch` issues a
//                                         token tied to the SAP_SESSIONID cookie it sets
//   GET    <root>/<Set>?$select&$filter&$orderby&$top&$skip&$skiptoken&$inlinecount&$expand
//                                         d.results (+ d.__count), server paging by --page-size
//                                         with d.__next (a $skiptoken link)
//   GET    <root>/<Set>(<key>)[/to_Item]  one entity (d), or its items
//   POST   <root>/<Set>                   create; A_SalesOrder assigns SalesOrder, deep insert of
//                                         to_Item (`{"results": [...]}` or `[...]`) numbering
//                                         SalesOrderItem 10, 20, ...
//   PATCH|PUT|MERGE <root>/<Set>(<key>)   update; If-Match required (428), must be the current
//                                         ETag (412)
//   DELETE <root>/<Set>(<key>)
//   POST   <root>/$batch                  multipart/mixed: retrieve parts and changesets, each
//                                         changeset all or none
//   POST   /sap/bc/sec/oauth2/token       client credentials, the client as HTTP Basic auth
// Every API call needs basic auth (--sap-user/--sap-password) or a bearer token from the token
// endpoint; every modifying call (and $batch) needs the CSRF token of its session cookie, else
// 403 with `x-csrf-token: Required`. Values are checked against the schema (unknown and
// read-only properties, MaxLength, decimal scale, required on create); errors are SAP's V2
// body {"error":{"code","message":{"lang","value"},"innererror":{"errordetails":[...]}}}.
// V2 JSON: dates as "/Date(ms)/" (Edm.DateTime) and "/Date(ms+0000)/" (Edm.DateTimeOffset),
// decimals as strings, `__metadata` {id, uri, type, etag}. docs/emulators.md ("SAP") cites
// the pages these shapes come from.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/server.h"
#include "runtime/connectors/sap/multipart.h"

namespace crmx::emulate {
namespace {

namespace mp = crmx::sap_multipart;

constexpr const char* kCookie = "SAP_SESSIONID_CRX_100";

struct Field {
  std::string name, type;  // crmx schema types: string, decimal, int, bool, date, datetime, ...
  int64_t length = 0;
  int scale = -1;
  bool createable = true, updateable = true, required = false, key = false;
  std::string nav;  // a navigation property: the entity set of its items ("A_SalesOrderItem")
};

struct EntitySet {
  std::string name;
  std::vector<Field> fields;
  std::vector<std::string> keys;
  const Field* Find(const std::string& n) const {
    for (const Field& f : fields)
      if (f.name == n) return &f;
    return nullptr;
  }
};

bool IsTime(const std::string& t) { return t == "datetime" || t == "date"; }
bool IsNum(const std::string& t) { return t == "decimal" || t == "int" || t == "integer" || t == "double"; }

// Milliseconds since the epoch of "YYYY-MM-DD[THH:MM:SS[.fff]][Z|+hh:mm|+hhmm]" or "/Date(ms[+-hhmm])/".
std::optional<int64_t> ParseTime(const std::string& s) {
  if (s.rfind("/Date(", 0) == 0) {
    char* end = nullptr;
    long long ms = std::strtoll(s.c_str() + 6, &end, 10);
    if (end == s.c_str() + 6) return std::nullopt;
    return ms;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) return std::nullopt;
  int64_t ms = 0;
  if (s.size() >= 19 && (s[10] == 'T' || s[10] == ' ')) {
    if (std::sscanf(s.c_str() + 11, "%2d:%2d:%2d", &h, &mi, &sec) != 3) return std::nullopt;
    size_t at = 19;
    if (at < s.size() && s[at] == '.') {
      int digits = 0;
      int64_t frac = 0;
      for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at)
        if (digits++ < 3) frac = frac * 10 + (s[at] - '0');
      while (digits++ < 3) frac *= 10;
      ms = frac;
    }
    if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
      int oh = 0, om = 0;
      std::string off = s.substr(at + 1);
      off.erase(std::remove(off.begin(), off.end(), ':'), off.end());
      if (off.size() >= 4) {
        oh = std::atoi(off.substr(0, 2).c_str());
        om = std::atoi(off.substr(2, 2).c_str());
      }
      ms -= (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60) * 1000LL;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string IsoOf(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// SAP's V2 error body.
Json ErrorBody(const std::string& code, const std::string& message, const std::string& target = "") {
  Json detail = {{"code", code}, {"message", message}, {"propertyref", ""}, {"severity", "error"}, {"target", target}};
  return Json{{"error",
               {{"code", code},
                {"message", {{"lang", "en"}, {"value", message}}},
                {"innererror",
                 {{"application", {{"component_id", "SD-SLS-API"}, {"service_namespace", "/SAP/"}}},
                  {"transactionid", NewToken("")},
                  {"errordetails", Json::array({detail})}}}}}};
}

// A failed operation inside the handlers: status and SAP error.
struct Failure {
  int status = 0;
  Json body;
};

// ---- $filter: OData V2 boolean expressions over properties and literals ----

struct Val {
  enum Kind { kNull, kNum, kStr, kBool, kTime } kind = kNull;
  long double num = 0;
  std::string str;
  bool b = false;
};

class FilterParser {
 public:
  explicit FilterParser(const std::string& text) : s_(text) {}
  // The syntax tree as nested Json: {"op": "and", "args": [...]}, {"field": X}, {"lit": Val}.
  bool Parse(Json& out, std::string& error) {
    if (!Or(out) || (Skip(), pos_ != s_.size())) {
      error = "Invalid filter expression at position " + std::to_string(pos_) + ": '" + s_ + "'";
      return false;
    }
    return true;
  }

 private:
  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool Word(const char* w) {
    Skip();
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    size_t after = pos_ + n;
    if (after < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[after])) || s_[after] == '_')) return false;
    pos_ = after;
    return true;
  }
  bool Or(Json& out) {
    if (!And(out)) return false;
    while (Word("or")) {
      Json r;
      if (!And(r)) return false;
      out = Json{{"op", "or"}, {"args", Json::array({out, r})}};
    }
    return true;
  }
  bool And(Json& out) {
    if (!Unary(out)) return false;
    while (Word("and")) {
      Json r;
      if (!Unary(r)) return false;
      out = Json{{"op", "and"}, {"args", Json::array({out, r})}};
    }
    return true;
  }
  bool Unary(Json& out) {
    if (Word("not")) {
      Json a;
      if (!Unary(a)) return false;
      out = Json{{"op", "not"}, {"args", Json::array({a})}};
      return true;
    }
    Json left;
    if (!Operand(left)) return false;
    for (const char* op : {"eq", "ne", "gt", "ge", "lt", "le"}) {
      if (Word(op)) {
        Json right;
        if (!Operand(right)) return false;
        out = Json{{"op", op}, {"args", Json::array({left, right})}};
        return true;
      }
    }
    out = left;  // a boolean function or a parenthesized expression
    return true;
  }
  bool Operand(Json& out) {
    Skip();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      if (!Or(out)) return false;
      Skip();
      if (pos_ >= s_.size() || s_[pos_] != ')') return false;
      ++pos_;
      return true;
    }
    if (c == '\'') return Quoted(out, "str");
    for (const char* prefix : {"datetimeoffset", "datetime", "guid", "time"}) {
      size_t n = std::strlen(prefix);
      if (s_.compare(pos_, n, prefix) == 0 && pos_ + n < s_.size() && s_[pos_ + n] == '\'') {
        pos_ += n;
        return Quoted(out, std::string(prefix) == "datetimeoffset" || std::string(prefix) == "datetime" ? "time" : "str");
      }
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos_++;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
      std::string digits = s_.substr(start, pos_ - start);
      if (pos_ < s_.size() && std::strchr("MmLldDfF", s_[pos_]) != nullptr) ++pos_;  // Edm type suffixes
      out = Json{{"num", digits}};
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '/'))
      ++pos_;
    std::string name = s_.substr(start, pos_ - start);
    if (name.empty()) return false;
    if (name == "null") {
      out = Json{{"null", true}};
      return true;
    }
    if (name == "true" || name == "false") {
      out = Json{{"bool", name == "true"}};
      return true;
    }
    Skip();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      // substringof('x', F), startswith(F, 'x'), endswith(F, 'x')
      ++pos_;
      Json args = Json::array();
      for (;;) {
        Json a;
        if (!Operand(a)) return false;
        args.push_back(a);
        Skip();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return false;
      }
      if (name != "substringof" && name != "startswith" && name != "endswith") return false;
      out = Json{{"op", name}, {"args", args}};
      return true;
    }
    out = Json{{"field", name}};
    return true;
  }
  bool Quoted(Json& out, const char* kind) {
    ++pos_;  // the opening quote
    std::string text;
    while (pos_ < s_.size()) {
      if (s_[pos_] == '\'') {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
          text += '\'';
          pos_ += 2;
          continue;
        }
        ++pos_;
        out = Json{{kind, text}};
        return true;
      }
      text += s_[pos_++];
    }
    return false;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

class Sap : public Vendor {
 public:
  explicit Sap(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    if (options_.schemas_dir.empty()) {
      error = "sap needs --schemas: a directory of crmx schema JSON (crmxc schema import of the EDMX or OpenAPI files)";
      return false;
    }
    if (!ForEachSchemaObject(options_.schemas_dir, [&](const std::string& name, const Json& o) { AddSet(name, o); }, error)) {
      return false;
    }
    if (sets_.empty()) {
      error = options_.schemas_dir + ": no entity sets in the schemas";
      return false;
    }
    if (!options_.data_dir.empty()) {
      bool ok = store.Seed(
          options_.data_dir, [&](const std::string& stem) { return sets_.count(stem) ? stem : std::string(); }, notes,
          error);
      if (!ok) return false;
    }
    for (auto& [name, records] : store.Tables()) {
      (void)name;
      for (const Json& r : records)
        if (r.contains("SalesOrder") && r["SalesOrder"].is_string())
          next_order_ = std::max<int64_t>(next_order_, std::atoll(r["SalesOrder"].get<std::string>().c_str()) + 1);
    }
    return true;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/sap/bc/sec/oauth2/token"; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    if (req.path.ends_with("/$batch")) return "batch";
    if (req.has_header("X-CSRF-Token") && req.get_header_value("X-CSRF-Token") == "Fetch") return "csrf";
    return Lower(req.method);
  }
  bool LimitsConcurrency() const override { return false; }

  void Refuse(int status, bool, httplib::Response& res) override {
    if (status == 429) {
      SetJson(res, 429, ErrorBody("/IWFND/CM_BEC/026", "Rate limit exceeded; retry after the time in Retry-After"));
    } else {
      res.status = status;
      res.set_content("<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html");
    }
  }
  void ExpireTokens() override {
    tokens_.clear();
    csrf_.clear();
  }
  void Reset() override { csrf_.clear(); }
  Json Stats() const override {
    return Json{{"csrf_fetches", csrf_fetches_}, {"csrf_refused", csrf_refused_}, {"logins", logins_},
                {"batches", batches_}, {"changesets_failed", changesets_failed_}};
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (!Authorized(req)) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"SAP NetWeaver Application Server [CRX/100]\"");
      res.set_content("Logon failed", "text/plain");
      return;
    }
    // /sap/opu/odata/sap/<SERVICE>/<rest>
    const std::string prefix = "/sap/opu/odata/sap/";
    if (req.path.rfind(prefix, 0) != 0) {
      SetJson(res, 404, ErrorBody("/IWFND/MED/170", "No service found for namespace '', name '" + req.path + "'"));
      return;
    }
    std::string rest = req.path.substr(prefix.size());
    size_t slash = rest.find('/');
    std::string service = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
    root_url_ = ctx.base_url + prefix + service + "/";
    bool fetch = req.has_header("X-CSRF-Token") && Lower(req.get_header_value("X-CSRF-Token")) == "fetch";
    if (fetch && req.method == "GET") IssueCsrf(req, res);
    bool modifying = req.method != "GET" && req.method != "HEAD";
    if (modifying && !CsrfValid(req)) {
      ++csrf_refused_;
      res.status = 403;
      res.set_header("x-csrf-token", "Required");
      res.set_content("CSRF token validation failed", "text/plain");
      return;
    }
    if (path.empty() || path == "$metadata") {
      if (req.method != "GET") {
        SetJson(res, 405, ErrorBody("/IWFND/CM_MGW/004", "Method not allowed"));
        return;
      }
      Json sets = Json::array();
      for (const auto& [name, set] : sets_)
        if (InService(service, name)) sets.push_back(name);
      SetJson(res, 200, Json{{"d", {{"EntitySets", sets}}}});
      return;
    }
    if (path == "$batch") {
      if (req.method != "POST") {
        SetJson(res, 405, ErrorBody("/IWFND/CM_MGW/004", "Method not allowed"));
        return;
      }
      return Batch(req, res, ctx, service);
    }
    std::string method = req.method;
    if (method == "POST" && req.has_header("X-HTTP-Method")) method = req.get_header_value("X-HTTP-Method");
    mp::Message in;
    in.method = method;
    in.target = path;
    for (const auto& [k, v] : req.params) {
      in.target += (in.target.find('?') == std::string::npos ? "?" : "&") + k + "=" + UrlEncode(v);
    }
    for (const auto& [k, v] : req.headers) in.headers.emplace_back(k, v);
    in.body = req.body;
    std::vector<JournalEntry> journal;
    mp::Message out = Execute(in, ctx, service, journal);
    for (JournalEntry& e : journal) ctx.store.Log(std::move(e));
    res.status = out.status;
    for (const auto& [k, v] : out.headers)
      if (Lower(k) != "content-type") res.set_header(k, v);
    res.set_content(out.body, out.status == 204 ? "text/plain" : "application/json;charset=utf-8");
  }

 private:
  // ---- schema ----
  void AddSet(const std::string& type_name, const Json& object) {
    EntitySet set;
    // An EDMX import names objects by entity type (A_BusinessPartnerType) and keeps the set.
    std::string name = type_name;
    if (object.contains("extensions") && object["extensions"].is_object() &&
        object["extensions"].contains("EntitySet") && object["extensions"]["EntitySet"].is_string())
      name = object["extensions"]["EntitySet"].get<std::string>();
    set.name = name;
    for (const auto& k : object.value("key", Json::array()))
      if (k.is_string()) set.keys.push_back(k.get<std::string>());
    for (const auto& f : object.value("fields", Json::array())) {
      Field field;
      field.name = f.value("name", "");
      const Json& type = f.contains("type") ? f["type"] : Json("string");
      if (type.is_object()) {
        field.type = type.value("kind", "");
        if (field.type == "list" && type.contains("element")) {
          const Json& e = type["element"];
          field.nav = e.value("name", e.value("object", ""));
          if (field.nav.empty() && e.contains("extensions")) field.nav = e["extensions"].value("entity_set", "");
        }
      } else {
        field.type = type.is_string() ? type.get<std::string>() : "string";
      }
      if (f.contains("length") && f["length"].is_number()) field.length = f["length"].get<int64_t>();
      if (f.contains("max_length") && f["max_length"].is_number()) field.length = f["max_length"].get<int64_t>();
      if (f.contains("scale") && f["scale"].is_number()) field.scale = f["scale"].get<int>();
      field.createable = f.value("createable", true);
      field.updateable = f.value("updateable", true);
      field.required = f.value("required_on_create", false);
      field.key = f.value("key", false);
      if (field.key && std::find(set.keys.begin(), set.keys.end(), field.name) == set.keys.end())
        set.keys.push_back(field.name);
      set.fields.push_back(field);
    }
    // An OpenAPI import has no keys: SAP's, for the sets this emulator knows.
    static const std::map<std::string, std::vector<std::string>> kKeys = {
        {"A_SalesOrder", {"SalesOrder"}},
        {"A_SalesOrderItem", {"SalesOrder", "SalesOrderItem"}},
        {"A_BusinessPartner", {"BusinessPartner"}},
        {"A_Customer", {"Customer"}}};
    if (set.keys.empty() && kKeys.count(name)) set.keys = kKeys.at(name);
    for (Field& f : set.fields)
      if (std::find(set.keys.begin(), set.keys.end(), f.name) != set.keys.end()) f.key = true;
    // The navigation to the items of an order (the schema's list field, or SAP's name).
    if (name == "A_SalesOrder") {
      for (Field& f : set.fields)
        if (f.name == "to_Item") f.nav = "A_SalesOrderItem";
      if (!set.Find("to_Item")) {
        Field f;
        f.name = "to_Item";
        f.type = "list";
        f.nav = "A_SalesOrderItem";
        set.fields.push_back(f);
      }
    }
    sets_[name] = std::move(set);
  }

  static bool InService(const std::string& service, const std::string& set) {
    if (set.rfind("A_SalesOrder", 0) == 0) return service == "API_SALES_ORDER_SRV";
    if (set.rfind("A_BusinessPartner", 0) == 0 || set.rfind("A_Customer", 0) == 0 || set.rfind("A_Supplier", 0) == 0)
      return service == "API_BUSINESS_PARTNER";
    return true;
  }

  // ---- auth ----
  void Token(const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    std::string expected = "Basic " + Base64(options_.client_id + ":" + options_.client_secret);
    std::string grant = req.has_param("grant_type") ? req.get_param_value("grant_type") : "";
    if (grant.empty()) {
      // The form is in the body.
      httplib::Params params;
      httplib::detail::parse_query_text(req.body, params);
      auto it = params.find("grant_type");
      if (it != params.end()) grant = it->second;
    }
    if (auth != expected) {
      res.set_header("WWW-Authenticate", "Basic realm=\"OAuth\"");
      SetJson(res, 401, Json{{"error", "invalid_client"}, {"error_description", "Client authentication failed"}});
      return;
    }
    if (grant != "client_credentials") {
      SetJson(res, 400, Json{{"error", "unsupported_grant_type"}, {"error_description", "grant_type must be client_credentials"}});
      return;
    }
    ++logins_;
    std::string token = NewToken("sap-");
    tokens_.insert(token);
    SetJson(res, 200, Json{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", 3600},
                           {"scope", "API_SALES_ORDER_SRV_0001 API_BUSINESS_PARTNER_0001"}});
  }

  bool Authorized(const httplib::Request& req) const {
    std::string auth = req.get_header_value("Authorization");
    if (auth == "Basic " + Base64(options_.sap_user + ":" + options_.sap_password)) return true;
    return auth.rfind("Bearer ", 0) == 0 && tokens_.count(auth.substr(7)) > 0;
  }

  static std::string SessionOf(const httplib::Request& req) {
    std::string cookies = req.get_header_value("Cookie");
    std::string key = std::string(kCookie) + "=";
    size_t at = cookies.find(key);
    if (at == std::string::npos) return {};
    size_t end = cookies.find(';', at);
    return cookies.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
  }

  void IssueCsrf(const httplib::Request& req, httplib::Response& res) {
    ++csrf_fetches_;
    std::string session = SessionOf(req);
    if (session.empty() || csrf_.count(session) == 0) {
      session = NewToken("");
      res.set_header("Set-Cookie", std::string(kCookie) + "=" + session + "; path=/; HttpOnly");
    }
    Csrf& c = csrf_[session];
    if (c.token.empty()) {
      c.token = Base64(NewToken("")).substr(0, 24);
      c.uses = 0;
    }
    res.set_header("x-csrf-token", c.token);
  }

  bool CsrfValid(const httplib::Request& req) {
    std::string session = SessionOf(req);
    auto it = csrf_.find(session);
    if (session.empty() || it == csrf_.end() || !req.has_header("X-CSRF-Token") ||
        req.get_header_value("X-CSRF-Token") != it->second.token)
      return false;
    if (options_.csrf_lifetime > 0 && ++it->second.uses > options_.csrf_lifetime) {
      csrf_.erase(it);
      return false;
    }
    return true;
  }

  // ---- $batch ----
  void Batch(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const std::string& service) {
    ++batches_;
    std::vector<mp::Part> parts;
    std::string error;
    if (!mp::Parse(req.body, mp::Boundary(req.get_header_value("Content-Type")), parts, error)) {
      SetJson(res, 400, ErrorBody("/IWFND/CM_MGW/007", "Batch request is not well formed: " + error));
      return;
    }
    std::vector<mp::Part> answers;
    for (const mp::Part& part : parts) {
      mp::Part answer;
      answer.changeset = part.changeset;
      if (!part.changeset) {
        const mp::Message& m = part.messages.front();
        if (m.method != "GET") {
          answer.messages.push_back(Answer(400, ErrorBody("/IWFND/CM_MGW/007",
                                                         "A modifying request must be inside a changeset")));
        } else {
          std::vector<JournalEntry> none;
          answer.messages.push_back(Execute(m, ctx, service, none));
        }
        answers.push_back(std::move(answer));
        continue;
      }
      // A changeset: all or none. The tables it may touch are copied first and put back
      // when one of its requests fails; its journal entries are logged only when all succeed.
      std::map<std::string, std::vector<Json>> saved;
      for (const auto& [name, set] : sets_) saved[name] = ctx.store.Records(name);
      int64_t saved_next = next_order_;
      std::vector<JournalEntry> journal;
      std::optional<mp::Message> failed;
      for (const mp::Message& m : part.messages) {
        if (m.method == "GET") {
          failed = Answer(400, ErrorBody("/IWFND/CM_MGW/007", "A changeset cannot contain a retrieve request"));
          break;
        }
        mp::Message out = Execute(m, ctx, service, journal);
        if (out.status >= 400) {
          failed = out;
          break;
        }
        answer.messages.push_back(std::move(out));
      }
      if (failed) {
        ++changesets_failed_;
        for (auto& [name, records] : saved) ctx.store.Records(name) = std::move(records);
        next_order_ = saved_next;
        // The changeset's answer is the failing request's answer alone.
        answer.changeset = false;
        answer.messages = {*failed};
      } else {
        for (JournalEntry& e : journal) ctx.store.Log(std::move(e));
      }
      answers.push_back(std::move(answer));
    }
    std::string boundary = "batch_" + NewToken("").substr(0, 12);
    res.status = 202;
    res.set_content(mp::Build(boundary, answers), ("multipart/mixed; boundary=" + boundary).c_str());
  }

  static mp::Message Answer(int status, const Json& body) {
    mp::Message m;
    m.status = status;
    m.headers = {{"Content-Type", "application/json"}};
    m.body = DumpExact(body);
    return m;
  }

  // ---- one request (direct or inside a batch) ----
  mp::Message Execute(const mp::Message& in, CallContext& ctx, const std::string& service,
                      std::vector<JournalEntry>& journal) {
    std::string target = in.target;
    std::string query;
    if (size_t q = target.find('?'); q != std::string::npos) {
      query = target.substr(q + 1);
      target = target.substr(0, q);
    }
    httplib::Params params;
    httplib::detail::parse_query_text(query, params);
    // <Set>, <Set>(<key>), <Set>(<key>)/to_Item
    std::string set_name = target, key_text, nav;
    if (size_t p = target.find('('); p != std::string::npos) {
      size_t close = target.find(')', p);
      if (close == std::string::npos) return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/003", "Invalid key predicate"));
      set_name = target.substr(0, p);
      key_text = target.substr(p + 1, close - p - 1);
      if (close + 1 < target.size()) {
        if (target[close + 1] != '/') return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/003", "Invalid URI " + target));
        nav = target.substr(close + 2);
      }
    }
    auto it = sets_.find(set_name);
    if (it == sets_.end() || !InService(service, set_name))
      return Answer(404, ErrorBody("/IWFND/CM_MGW/020", "Resource not found for segment '" + set_name + "'"));
    const EntitySet& set = it->second;
    std::string method = in.method;
    if (method == "MERGE") method = "PATCH";
    try {
      if (key_text.empty()) {
        if (method == "GET") return Query(set, params, ctx);
        if (method == "POST") return Create(set, in.body, ctx, journal, nullptr);
        return Answer(405, ErrorBody("/IWFND/CM_MGW/004", "Method " + method + " not allowed on an entity set"));
      }
      std::map<std::string, std::string> key;
      if (!ParseKey(set, key_text, key))
        return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/003", "Invalid key predicate '" + key_text + "'"));
      long at = FindByKey(ctx.store.Records(set.name), set, key);
      if (at < 0)
        return Answer(404, ErrorBody("/IWBEP/CM_MGW_RT/020", "Resource not found for segment '" + target + "'"));
      Json& record = ctx.store.Records(set.name)[static_cast<size_t>(at)];
      if (method == "GET" && nav.empty()) {
        mp::Message m = Answer(200, Json{{"d", Wire(set, record, params)}});
        m.headers.emplace_back("etag", ETag(record));
        return m;
      }
      if (method == "GET") return Items(set, record, nav, ctx);
      if (!nav.empty()) return Answer(405, ErrorBody("/IWFND/CM_MGW/004", "Method not allowed on a navigation"));
      if (method == "PATCH" || method == "PUT") return Update(set, record, in, ctx, journal);
      if (method == "DELETE") {
        if (auto pre = Precondition(in, record)) return *pre;
        journal.push_back({NowRfc(), set.name, "", KeyOf(set, record), "deleted", ctx.request_id});
        ctx.store.Records(set.name).erase(ctx.store.Records(set.name).begin() + at);
        mp::Message m;
        m.status = 204;
        return m;
      }
      return Answer(405, ErrorBody("/IWFND/CM_MGW/004", "Method " + method + " not allowed"));
    } catch (const Failure& f) {
      return Answer(f.status, f.body);
    }
  }

  static std::string NowRfc() { return IsoOf(NowMs()); }

  bool ParseKey(const EntitySet& set, const std::string& text, std::map<std::string, std::string>& key) const {
    // 'X' for one key; A='X',B='Y' for several.
    auto unquote = [](std::string v) {
      if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        out += v[i];
        if (v[i] == '\'' && i + 1 < v.size() && v[i + 1] == '\'') ++i;
      }
      return out;
    };
    std::string decoded = httplib::detail::decode_url(text, false);
    if (decoded.find('=') == std::string::npos) {
      if (set.keys.size() != 1) return false;
      key[set.keys[0]] = unquote(decoded);
      return true;
    }
    size_t start = 0;
    while (start < decoded.size()) {
      size_t eq = decoded.find('=', start);
      if (eq == std::string::npos) return false;
      // A comma inside quotes is part of the value.
      size_t end = eq + 1;
      bool quoted = false;
      for (; end < decoded.size(); ++end) {
        if (decoded[end] == '\'') quoted = !quoted;
        if (decoded[end] == ',' && !quoted) break;
      }
      key[decoded.substr(start, eq - start)] = unquote(decoded.substr(eq + 1, end - eq - 1));
      start = end + 1;
    }
    for (const std::string& k : set.keys)
      if (!key.count(k)) return false;
    return true;
  }

  static long FindByKey(const std::vector<Json>& records, const EntitySet& set,
                        const std::map<std::string, std::string>& key) {
    for (size_t i = 0; i < records.size(); ++i) {
      bool all = true;
      for (const auto& [k, v] : key) {
        auto t = records[i].contains(k) ? ScalarText(records[i][k]) : std::nullopt;
        if (!t || *t != v) all = false;
      }
      if (all && !key.empty()) return static_cast<long>(i);
    }
    (void)set;
    return -1;
  }

  static std::string KeyOf(const EntitySet& set, const Json& record) {
    std::string out;
    for (const std::string& k : set.keys) {
      auto t = record.contains(k) ? ScalarText(record[k]) : std::nullopt;
      out += (out.empty() ? "" : ",") + t.value_or("");
    }
    return out;
  }

  std::string UriOf(const EntitySet& set, const Json& record) const {
    std::string pred;
    for (const std::string& k : set.keys) {
      auto t = record.contains(k) ? ScalarText(record[k]) : std::nullopt;
      std::string q = "'" + t.value_or("") + "'";
      pred += set.keys.size() == 1 ? q : (pred.empty() ? "" : ",") + k + "=" + q;
    }
    return root_url_ + set.name + "(" + pred + ")";
  }

  static std::string ETag(const Json& record) {
    std::string changed = record.value("__changed", "");
    return "W/\"datetimeoffset'" + UrlEncode(changed) + "'\"";
  }

  // A record as V2 JSON answers it: __metadata, dates as /Date(ms)/, decimals as strings.
  Json Wire(const EntitySet& set, const Json& record, const httplib::Params& params) const {
    std::set<std::string> select;
    auto sel = params.find("$select");
    if (sel != params.end()) {
      std::string s = sel->second;
      for (size_t start = 0; start <= s.size();) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(' '));
        if (!item.empty()) select.insert(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    bool expand_items = params.count("$expand") && params.find("$expand")->second.find("to_Item") != std::string::npos;
    Json out = Json::object();
    out["__metadata"] = {{"id", UriOf(set, record)}, {"uri", UriOf(set, record)},
                         {"type", "API." + set.name + "Type"}, {"etag", ETag(record)}};
    for (const Field& f : set.fields) {
      if (!select.empty() && !select.count(f.name) && !select.count("*")) continue;
      if (!f.nav.empty()) {
        auto table = store_items_ ? store_items_->find(f.nav) : std::map<std::string, std::vector<Json>>::const_iterator();
        if (expand_items && f.name == "to_Item" && sets_.count(f.nav) && store_items_ && table != store_items_->end()) {
          Json results = Json::array();
          for (const Json& item : table->second)
            if (ScalarText(item.value("SalesOrder", Json())) == ScalarText(record.value("SalesOrder", Json())))
              results.push_back(Wire(sets_.at(f.nav), item, {}));
          out[f.name] = {{"results", results}};
        } else {
          out[f.name] = {{"__deferred", {{"uri", UriOf(set, record) + "/" + f.name}}}};
        }
        continue;
      }
      if (!record.contains(f.name) || record[f.name].is_null()) {
        out[f.name] = nullptr;
        continue;
      }
      const Json& v = record[f.name];
      if (IsTime(f.type)) {
        auto ms = ScalarText(v) ? ParseTime(*ScalarText(v)) : std::nullopt;
        out[f.name] = ms ? Json("/Date(" + std::to_string(*ms) + (f.type == "datetime" ? "+0000" : "") + ")/") : v;
      } else if (f.type == "decimal") {
        // Edm.Decimal is a string in V2 JSON, written with the property's Scale digits.
        std::string digits = ScalarText(v).value_or("");
        if (f.scale > 0 && !digits.empty()) {
          size_t dot = digits.find('.');
          size_t have = dot == std::string::npos ? 0 : digits.size() - dot - 1;
          if (dot == std::string::npos) digits += '.';
          if (static_cast<int>(have) < f.scale) digits.append(static_cast<size_t>(f.scale) - have, '0');
        }
        out[f.name] = digits;
      } else {
        out[f.name] = v;
      }
    }
    return out;
  }

  // ---- reads ----
  mp::Message Query(const EntitySet& set, const httplib::Params& params, CallContext& ctx) {
    store_items_ = &ctx.store.Tables();
    std::vector<const Json*> rows;
    Json filter;
    auto f = params.find("$filter");
    if (f != params.end()) {
      std::string error;
      FilterParser parser(f->second);
      if (!parser.Parse(filter, error)) return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/016", error));
    }
    for (const Json& r : ctx.store.Records(set.name)) {
      if (!filter.is_null()) {
        std::string error;
        Val v = Eval(set, filter, r, error);
        if (!error.empty()) return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/016", error));
        if (v.kind != Val::kBool || !v.b) continue;
      }
      rows.push_back(&r);
    }
    if (auto o = params.find("$orderby"); o != params.end()) {
      std::vector<std::pair<std::string, bool>> keys;  // field, descending
      std::string s = o->second;
      for (size_t start = 0; start <= s.size();) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(' '));
        bool desc = item.ends_with(" desc");
        item = item.substr(0, item.find(' '));
        if (!set.Find(item))
          return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/016", "Property '" + item + "' not found in $orderby"));
        keys.emplace_back(item, desc);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
        for (const auto& [k, desc] : keys) {
          int c = Compare(FieldVal(set, *a, k), FieldVal(set, *b, k));
          if (c != 0) return desc ? c > 0 : c < 0;
        }
        return false;
      });
    }
    size_t total = rows.size();
    size_t skip = 0, top = rows.size();
    auto number = [&](const char* name, size_t& out) -> bool {
      auto p = params.find(name);
      if (p == params.end()) return true;
      char* end = nullptr;
      long long n = std::strtoll(p->second.c_str(), &end, 10);
      if (end == p->second.c_str() || *end != '\0' || n < 0) return false;
      out = static_cast<size_t>(n);
      return true;
    };
    size_t token = 0;
    if (!number("$skip", skip) || !number("$top", top) || !number("$skiptoken", token))
      return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/016", "Invalid $skip, $top or $skiptoken"));
    skip += token;
    size_t page = static_cast<size_t>(std::max(1, options_.page_size));
    size_t end = std::min(rows.size(), skip + top);
    bool more = false;
    if (skip < end && end - skip > page) {
      end = skip + page;
      more = true;
    }
    Json results = Json::array();
    for (size_t i = skip; i < end && i < rows.size(); ++i) results.push_back(Wire(set, *rows[i], params));
    Json d = Json::object();
    if (auto c = params.find("$inlinecount"); c != params.end() && c->second == "allpages")
      d["__count"] = std::to_string(total);
    d["results"] = results;
    if (more) {
      // The link repeats the request's options with the next $skiptoken (SAP Gateway's server paging).
      std::string next = root_url_ + set.name + "?";
      bool first = true;
      for (const auto& [k, v] : params) {
        if (k == "$skiptoken" || k == "$skip" || k == "$top") continue;
        next += (first ? "" : "&") + k + "=" + UrlEncode(v);
        first = false;
      }
      size_t remaining_top = params.count("$top") ? top - (end - (skip)) : 0;
      if (params.count("$top")) next += (first ? "" : "&") + std::string("$top=") + std::to_string(remaining_top), first = false;
      next += (first ? "" : "&") + std::string("$skiptoken=") + std::to_string(end);
      d["__next"] = next;
    }
    return Answer(200, Json{{"d", d}});
  }

  mp::Message Items(const EntitySet& set, const Json& record, const std::string& nav, CallContext& ctx) {
    const Field* f = set.Find(nav);
    if (f == nullptr || f->nav.empty() || !sets_.count(f->nav))
      return Answer(404, ErrorBody("/IWBEP/CM_MGW_RT/020", "Resource not found for segment '" + nav + "'"));
    Json results = Json::array();
    for (const Json& item : ctx.store.Records(f->nav))
      if (ScalarText(item.value("SalesOrder", Json())) == ScalarText(record.value("SalesOrder", Json())))
        results.push_back(Wire(sets_.at(f->nav), item, {}));
    return Answer(200, Json{{"d", {{"results", results}}}});
  }

  Val FieldVal(const EntitySet& set, const Json& record, const std::string& name) const {
    Val v;
    const Field* f = set.Find(name);
    if (!record.contains(name) || record[name].is_null()) return v;
    auto text = ScalarText(record[name]);
    if (!text) return v;
    if (record[name].is_boolean()) {
      v.kind = Val::kBool;
      v.b = record[name].get<bool>();
    } else if (f && IsTime(f->type)) {
      auto ms = ParseTime(*text);
      if (!ms) return v;
      v.kind = Val::kTime;
      v.num = static_cast<long double>(*ms);
    } else if (f && IsNum(f->type)) {
      v.kind = Val::kNum;
      v.num = std::strtold(text->c_str(), nullptr);
    } else {
      v.kind = Val::kStr;
      v.str = *text;
    }
    return v;
  }

  static int Compare(const Val& a, const Val& b) {
    if (a.kind == Val::kNull || b.kind == Val::kNull) return a.kind == b.kind ? 0 : (a.kind == Val::kNull ? -1 : 1);
    if (a.kind == Val::kStr && b.kind == Val::kStr) return a.str < b.str ? -1 : a.str > b.str ? 1 : 0;
    if (a.kind == Val::kBool && b.kind == Val::kBool) return a.b == b.b ? 0 : (a.b ? 1 : -1);
    return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
  }

  Val Eval(const EntitySet& set, const Json& node, const Json& record, std::string& error) const {
    Val v;
    if (node.contains("field")) {
      std::string name = node["field"];
      if (!set.Find(name)) error = "Property '" + name + "' not found in type '" + set.name + "Type'";
      return FieldVal(set, record, name);
    }
    if (node.contains("null")) return v;
    if (node.contains("bool")) {
      v.kind = Val::kBool;
      v.b = node["bool"].get<bool>();
      return v;
    }
    if (node.contains("num")) {
      v.kind = Val::kNum;
      v.num = std::strtold(node["num"].get<std::string>().c_str(), nullptr);
      return v;
    }
    if (node.contains("str")) {
      v.kind = Val::kStr;
      v.str = node["str"];
      return v;
    }
    if (node.contains("time")) {
      auto ms = ParseTime(node["time"].get<std::string>());
      if (!ms) {
        error = "Invalid date literal '" + node["time"].get<std::string>() + "'";
        return v;
      }
      v.kind = Val::kTime;
      v.num = static_cast<long double>(*ms);
      return v;
    }
    std::string op = node["op"];
    const Json& args = node["args"];
    v.kind = Val::kBool;
    if (op == "and" || op == "or") {
      Val a = Eval(set, args[0], record, error), b = Eval(set, args[1], record, error);
      v.b = op == "and" ? (a.b && b.b) : (a.b || b.b);
      return v;
    }
    if (op == "not") {
      v.b = !Eval(set, args[0], record, error).b;
      return v;
    }
    if (op == "substringof" || op == "startswith" || op == "endswith") {
      if (args.size() != 2) {
        error = op + " takes two arguments";
        return v;
      }
      Val a = Eval(set, args[0], record, error), b = Eval(set, args[1], record, error);
      if (op == "substringof") v.b = b.str.find(a.str) != std::string::npos;
      else if (op == "startswith") v.b = a.str.rfind(b.str, 0) == 0;
      else v.b = a.str.size() >= b.str.size() && a.str.compare(a.str.size() - b.str.size(), b.str.size(), b.str) == 0;
      return v;
    }
    Val a = Eval(set, args[0], record, error), b = Eval(set, args[1], record, error);
    if (a.kind == Val::kNull || b.kind == Val::kNull) {
      // null eq null is true; any ordering with null is false (OData V2, 2.2.3.6.1.1).
      bool both = a.kind == b.kind;
      v.b = op == "eq" ? both : op == "ne" ? !both : false;
      return v;
    }
    int c = Compare(a, b);
    v.b = op == "eq" ? c == 0 : op == "ne" ? c != 0 : op == "gt" ? c > 0 : op == "ge" ? c >= 0 : op == "lt" ? c < 0 : c <= 0;
    return v;
  }

  // ---- writes ----
  // Checks one property of a write and stores it in `record`.
  void Put(const EntitySet& set, Json& record, const std::string& name, const Json& value, bool create) const {
    const Field* f = set.Find(name);
    if (f == nullptr)
      throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Property '" + name + "' is invalid", name)};
    if (create ? !f->createable : !f->updateable) {
      throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/011", "Property '" + name + "' is read-only", name)};
    }
    if (value.is_null()) {
      record[name] = nullptr;
      return;
    }
    auto text = ScalarText(value);
    if (!text) throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Property '" + name + "' has an invalid value", name)};
    // MaxLength counts characters, not UTF-8 bytes ("Lumière" is 7).
    int64_t chars = std::count_if(text->begin(), text->end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    if (f->length > 0 && !IsTime(f->type) && !IsNum(f->type) && chars > f->length) {
      throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010",
                                   "Value '" + *text + "' is too long for property '" + name + "' (MaxLength " +
                                       std::to_string(f->length) + ")",
                                   name)};
    }
    if (IsTime(f->type)) {
      auto ms = ParseTime(*text);
      if (!ms) throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Invalid date '" + *text + "' for '" + name + "'", name)};
      record[name] = IsoOf(*ms);
      return;
    }
    if (IsNum(f->type)) {
      char* end = nullptr;
      std::strtold(text->c_str(), &end);
      if (end == text->c_str() || *end != '\0')
        throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Invalid number '" + *text + "' for '" + name + "'", name)};
      size_t dot = text->find('.');
      if (f->scale >= 0 && dot != std::string::npos) {
        std::string frac = text->substr(dot + 1);
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
        if (static_cast<int>(frac.size()) > f->scale)
          throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010",
                                       "Value '" + *text + "' has more decimals than property '" + name + "' (scale " +
                                           std::to_string(f->scale) + ")",
                                       name)};
      }
      record[name] = Number(*text);
      return;
    }
    record[name] = value.is_boolean() ? value : Json(*text);
  }

  void Stamp(Json& record) {
    // Unique and increasing: an ETag changes with every write.
    int64_t now = std::max(NowMs(), last_stamp_ + 1);
    last_stamp_ = now;
    record["__changed"] = IsoOf(now);
    for (const char* f : {"LastChangeDateTime"}) record[f] = IsoOf(now);
  }

  mp::Message Create(const EntitySet& set, const std::string& body, CallContext& ctx, std::vector<JournalEntry>& journal,
                     const Json* parent) {
    Json in = ParseExact(body);
    if (!in.is_object())
      return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/001", "The request body is not a JSON object"));
    // {"d": {...}} is accepted as well.
    if (in.contains("d") && in["d"].is_object()) in = Json(in["d"]);
    Json record = Json::object();
    Json items = Json::array();
    try {
      for (auto it = in.begin(); it != in.end(); ++it) {
        if (it.key() == "__metadata") continue;
        const Field* f = set.Find(it.key());
        if (f != nullptr && !f->nav.empty()) {
          const Json& v = it.value();
          const Json& list = v.is_object() && v.contains("results") ? v["results"] : v;
          if (!list.is_array())
            throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Navigation '" + it.key() + "' needs a list", it.key())};
          for (const Json& item : list) items.push_back(item);
          continue;
        }
        bool key_assigned = set.name == "A_SalesOrder" && it.key() == "SalesOrder";
        if (key_assigned) continue;  // internal numbering: a given SalesOrder is ignored
        Put(set, record, it.key(), it.value(), true);
      }
      if (parent != nullptr) record["SalesOrder"] = (*parent)["SalesOrder"];
      // Numbering: sales orders internally; items 10, 20, ...; a business partner when none given.
      if (set.name == "A_SalesOrder") record["SalesOrder"] = std::to_string(next_order_++);
      if (set.name == "A_BusinessPartner" && (!record.contains("BusinessPartner") || record["BusinessPartner"].is_null()))
        record["BusinessPartner"] = std::to_string(next_partner_++);
      for (const Field& f : set.fields) {
        if (!f.required || f.key || !f.nav.empty()) continue;
        if (set.name == "A_SalesOrderItem" && f.name == "SalesOrderItem") continue;
        if (!record.contains(f.name) || record[f.name].is_null() || ScalarText(record[f.name]).value_or("").empty())
          throw Failure{400, ErrorBody("V1/391", "Property '" + f.name + "' is required", f.name)};
      }
      for (const std::string& k : set.keys) {
        if (set.name == "A_SalesOrderItem" && k == "SalesOrderItem") continue;
        if (!record.contains(k) || record[k].is_null())
          throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/003", "Key property '" + k + "' is missing", k)};
      }
      std::map<std::string, std::string> key;
      for (const std::string& k : set.keys)
        if (record.contains(k)) key[k] = ScalarText(record[k]).value_or("");
      if (!(set.name == "A_SalesOrderItem" && !record.contains("SalesOrderItem")) &&
          FindByKey(ctx.store.Records(set.name), set, key) >= 0)
        throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/005", "Entity " + KeyOf(set, record) + " already exists")};
    } catch (const Failure& f) {
      return Answer(f.status, f.body);
    }
    if (set.name == "A_SalesOrderItem" && (!record.contains("SalesOrderItem") || record["SalesOrderItem"].is_null())) {
      int n = 0;
      for (const Json& item : ctx.store.Records(set.name))
        if (ScalarText(item.value("SalesOrder", Json())) == ScalarText(record.value("SalesOrder", Json()))) ++n;
      record["SalesOrderItem"] = std::to_string((n + 1) * 10);
    }
    Stamp(record);
    if (set.Find("CreationDate")) record["CreationDate"] = IsoOf(NowMs() / 86400000 * 86400000);
    ctx.store.Records(set.name).push_back(record);
    std::string key_field = set.name == "A_SalesOrder" ? "ExternalDocumentID" : "";
    std::string ext = key_field.empty() ? "" : ScalarText(record.value(key_field, Json())).value_or("");
    journal.push_back({NowRfc(), set.name, ext.empty() ? KeyOf(set, record) : ext, KeyOf(set, record), "created",
                       ctx.request_id});
    // Deep insert: the items, under the same all-or-none.
    if (!items.empty()) {
      const Field* nav = set.Find("to_Item");
      auto item_set = nav ? sets_.find(nav->nav) : sets_.end();
      if (item_set == sets_.end())
        return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/020", "No entity set for the items of " + set.name));
      for (const Json& item : items) {
        mp::Message m = Create(item_set->second, DumpExact(item), ctx, journal, &ctx.store.Records(set.name).back());
        if (m.status >= 400) {
          // Undo the order and the items already inserted.
          std::string so = ScalarText(record["SalesOrder"]).value_or("");
          auto& orders = ctx.store.Records(set.name);
          orders.erase(std::remove_if(orders.begin(), orders.end(),
                                      [&](const Json& r) { return ScalarText(r.value("SalesOrder", Json())) == so; }),
                       orders.end());
          auto& lines = ctx.store.Records(item_set->first);
          lines.erase(std::remove_if(lines.begin(), lines.end(),
                                     [&](const Json& r) { return ScalarText(r.value("SalesOrder", Json())) == so; }),
                      lines.end());
          journal.erase(std::remove_if(journal.begin(), journal.end(),
                                       [&](const JournalEntry& e) { return e.id.rfind(so, 0) == 0; }),
                        journal.end());
          return m;
        }
      }
    }
    store_items_ = &ctx.store.Tables();
    mp::Message m = Answer(201, Json{{"d", Wire(set, ctx.store.Records(set.name).back(), {})}});
    m.headers.emplace_back("location", UriOf(set, record));
    m.headers.emplace_back("etag", ETag(record));
    return m;
  }

  std::optional<mp::Message> Precondition(const mp::Message& in, const Json& record) const {
    std::string match = in.Header("If-Match");
    if (match.empty())
      return Answer(428, ErrorBody("/IWBEP/CM_MGW_RT/097", "Precondition required: send the entity's ETag in If-Match"));
    // cpp-httplib percent-decodes request header values (not inside a $batch part): the ETag's
    // `%3A` arrives as `:` on a direct request.
    if (match != "*" && match != ETag(record) && match != httplib::detail::decode_url(ETag(record), false))
      return Answer(412, ErrorBody("/IWBEP/CM_MGW_RT/098", "Precondition failed: the entity was changed (ETag mismatch)"));
    return std::nullopt;
  }

  mp::Message Update(const EntitySet& set, Json& record, const mp::Message& in, CallContext& ctx,
                     std::vector<JournalEntry>& journal) {
    if (auto pre = Precondition(in, record)) return *pre;
    Json body = ParseExact(in.body);
    if (!body.is_object()) return Answer(400, ErrorBody("/IWBEP/CM_MGW_RT/001", "The request body is not a JSON object"));
    Json updated = record;
    try {
      for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() == "__metadata") continue;
        const Field* f = set.Find(it.key());
        if (f != nullptr && !f->nav.empty())
          throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/010", "Deep update of '" + it.key() + "' is not supported", it.key())};
        if (f != nullptr && f->key) {
          if (ScalarText(it.value()) != ScalarText(record.value(it.key(), Json())))
            throw Failure{400, ErrorBody("/IWBEP/CM_MGW_RT/011", "Key property '" + it.key() + "' cannot be changed", it.key())};
          continue;
        }
        Put(set, updated, it.key(), it.value(), false);
      }
    } catch (const Failure& f) {
      return Answer(f.status, f.body);
    }
    Stamp(updated);
    record = updated;
    std::string ext = set.name == "A_SalesOrder" ? ScalarText(record.value("ExternalDocumentID", Json())).value_or("") : "";
    journal.push_back({NowRfc(), set.name, ext.empty() ? KeyOf(set, record) : ext, KeyOf(set, record), "updated",
                       ctx.request_id});
    mp::Message m;
    m.status = 204;
    m.headers.emplace_back("etag", ETag(record));
    return m;
  }

  struct Csrf {
    std::string token;
    int uses = 0;
  };

  const Options& options_;
  std::map<std::string, EntitySet> sets_;
  std::set<std::string> tokens_;
  std::map<std::string, Csrf> csrf_;  // by session cookie
  const std::map<std::string, std::vector<Json>>* store_items_ = nullptr;
  std::string root_url_;
  int64_t next_order_ = 1000000;
  int64_t next_partner_ = 10000000;
  int64_t last_stamp_ = 0;
  uint64_t csrf_fetches_ = 0, csrf_refused_ = 0, logins_ = 0, batches_ = 0, changesets_failed_ = 0;
};

}  // namespace

std::unique_ptr<Vendor> MakeSap(const Options& options) { return std::make_unique<Sap>(options); }

}  // namespace crmx::emulate
