// Defines the Salesforce REST API emulator: the OAuth 2.0 token endpoint (client
// credentials and JWT bearer flows), SOQL query and queryAll with query locators, sObject
// Collections upsert, create and update with per-record validation from the objects' describe
// JSON, record read
// and delete, describe and limits, and the API request limit reported in Sforce-Limit-Info.
// Shapes follow the REST API Developer Guide (see docs/emulators.md for the pages).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <unordered_map>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/query.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

// One field of an object's describe, the parts the emulator checks.
struct Field {
  std::string name, type, relationship;
  bool nillable = true, createable = false, updateable = false, defaulted = false, external_id = false;
  bool restricted = false;
  int64_t length = 0;
  std::vector<std::string> picklist;
  std::vector<std::string> reference_to;
};

struct SObject {
  std::string name, key_prefix;
  std::vector<Field> fields;
  std::map<std::string, size_t> by_lower;  // lowercase field name -> index
  Json describe;
  const Field* Find(std::string_view field) const {
    auto it = by_lower.find(Lower(field));
    return it == by_lower.end() ? nullptr : &fields[it->second];
  }
};

bool IsTextType(const std::string& t) {
  return t == "string" || t == "textarea" || t == "picklist" || t == "multipicklist" || t == "email" ||
         t == "phone" || t == "url" || t == "combobox" || t == "encryptedstring";
}
bool IsNumberType(const std::string& t) {
  return t == "int" || t == "double" || t == "currency" || t == "percent" || t == "long";
}

// Salesforce's 18-character id: the 15-character id and three characters that encode which
// of its letters are upper case, five at a time.
std::string EighteenCharId(const std::string& id15) {
  static const char* kSuffix = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string out = id15;
  for (int chunk = 0; chunk < 3; ++chunk) {
    int flags = 0;
    for (int j = 0; j < 5; ++j) {
      char c = id15[chunk * 5 + j];
      if (c >= 'A' && c <= 'Z') flags |= 1 << j;
    }
    out += kSuffix[flags];
  }
  return out;
}

std::string MakeId(const std::string& prefix, uint64_t n) {
  static const char* kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string tail(9, '0');
  for (int i = 8; i >= 0 && n > 0; --i, n /= 62) tail[i] = kBase62[n % 62];
  // Pod "Em" and a reserved "0" mark ids the emulator made.
  return EighteenCharId(prefix.substr(0, 3) + "Em0" + tail);
}

Json Error(const std::string& code, const std::string& message) {
  return Json::array({Json{{"message", message}, {"errorCode", code}}});
}
Json RecordError(const std::string& code, const std::string& message, std::vector<std::string> fields) {
  return Json{{"statusCode", code}, {"message", message}, {"fields", fields}};
}

size_t Utf8Length(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

class Salesforce : public Vendor {
 public:
  explicit Salesforce(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    // The server owns the store and keeps it for as long as it calls this vendor.
    store_ = &store;
    if (!options_.schemas_dir.empty()) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(options_.schemas_dir, ec)) {
        std::string file = entry.path().filename().string();
        const std::string suffix = ".describe.json";
        if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        std::ifstream in(entry.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        Json d = Json::parse(text, nullptr, false);
        if (!d.is_object() || !d.contains("fields")) {
          error = entry.path().string() + ": not an sObject describe";
          return false;
        }
        AddObject(d, file.substr(0, file.size() - suffix.size()));
      }
      if (ec) {
        error = "cannot read schemas directory " + options_.schemas_dir + ": " + ec.message();
        return false;
      }
    }
    // User is a standard object every org has: without a describe of it, a built-in one.
    if (!Object("User")) AddObject(BuiltinUserDescribe(), "User");
    bool seeded = options_.data_dir.empty() || store.Seed(
        options_.data_dir,
        [&](const std::string& stem) {
          auto it = objects_.find(Lower(stem));
          return it == objects_.end() ? std::string() : it->second.name;
        },
        notes, error);
    if (!seeded) return false;
    // A few users (docs/emulators.md), unless the seed data has users of those ids.
    std::set<std::string> ids;
    for (const Json& u : store.Records(Object("User")->name)) ids.insert(ScalarText(u.value("Id", Json())).value_or(""));
    for (Json u : BuiltinUsers())
      if (!ids.count(u["Id"].get<std::string>())) store.AddSeed(Object("User")->name, std::move(u));
    return true;
  }

  // The describe of the built-in User: the fields a lookup of a record's owner reads.
  static Json BuiltinUserDescribe() {
    auto field = [](const char* name, const char* type, bool nillable) {
      return Json{{"name", name}, {"type", type}, {"nillable", nillable}, {"createable", std::string(name) != "Id"},
                  {"updateable", std::string(name) != "Id"}, {"length", std::string(type) == "id" ? 18 : 80}};
    };
    return Json{{"name", "User"},
                {"keyPrefix", "005"},
                {"fields", Json::array({field("Id", "id", false), field("Username", "string", false),
                                        field("FirstName", "string", true), field("LastName", "string", false),
                                        field("Name", "string", true), field("Email", "email", false),
                                        field("IsActive", "boolean", false), field("SystemModstamp", "datetime", true)})}};
  }

  // The built-in users: the one the emulator stamps on the records it creates (OwnerId,
  // CreatedById) and three sales reps.
  static std::vector<Json> BuiltinUsers() {
    std::vector<Json> out;
    const char* users[][4] = {{"005Em0000000001AAA", "Integration", "User", "integration@acme.example"},
                              {"005Em0000000002IAA", "Ann", "Lee", "ann.lee@acme.example"},
                              {"005Em0000000003IAA", "Ben", "Ortiz", "ben.ortiz@acme.example"},
                              {"005Em0000000004IAA", "Chen", "Wu", "chen.wu@acme.example"}};
    for (const auto& u : users)
      out.push_back(Json{{"Id", u[0]}, {"Username", u[3]}, {"FirstName", u[1]}, {"LastName", u[2]},
                         {"Name", std::string(u[1]) + " " + u[2]}, {"Email", u[3]}, {"IsActive", true},
                         {"SystemModstamp", "2024-01-02T09:00:00.000+0000"}});
    return out;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/services/oauth2/token"; }
  bool LimitsConcurrency() const override { return false; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    std::smatch m;
    static const std::regex kApi("^/services/data/v[0-9]+\\.[0-9]+/([A-Za-z]+)(/.*)?$");
    if (!std::regex_match(req.path, m, kApi)) return "other";
    std::string first = m[1];
    if (first == "composite") {
      if (std::count(req.path.begin(), req.path.end(), '/') > 6) return "upsert";
      return req.method == "POST" ? "create" : "update";
    }
    if (first == "sobjects") return req.path.find("/describe") != std::string::npos ? "describe" : "sobject";
    return first;  // query, queryAll, limits
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res, ctx);
    static const std::regex kApi("^/services/data/(v[0-9]+\\.[0-9]+)/(.*)$");
    std::smatch m;
    if (!std::regex_match(req.path, m, kApi)) {
      SetJson(res, 404, Error("NOT_FOUND", "The requested resource does not exist"));
      return;
    }
    if (!Authorized(req)) {
      SetJson(res, 401, Error("INVALID_SESSION_ID", "Session expired or invalid"));
      return;
    }
    ++usage_;
    res.set_header("Sforce-Limit-Info", "api-usage=" + std::to_string(usage_) + "/" + std::to_string(options_.api_limit));
    if (usage_ > options_.api_limit) {
      SetJson(res, 403, Error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
      return;
    }
    const std::string version = m[1];
    const std::string rest = m[2];
    std::vector<std::string> parts;
    for (size_t start = 0; start <= rest.size();) {
      size_t slash = rest.find('/', start);
      parts.push_back(rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    const std::string& method = req.method;
    if ((parts[0] == "query" || parts[0] == "queryAll") && method == "GET") {
      if (parts.size() == 1) return Query(req, res, version, parts[0] == "queryAll");
      if (parts.size() == 2) return More(res, parts[1]);
    } else if (parts[0] == "composite" && parts.size() == 4 && parts[1] == "sobjects" && method == "PATCH") {
      return Upsert(req, res, ctx, parts[2], parts[3]);
    } else if (parts[0] == "composite" && parts.size() == 2 && parts[1] == "sobjects" &&
               (method == "PATCH" || method == "POST")) {
      return Collection(req, res, ctx, method == "PATCH" ? Op::kUpdate : Op::kCreate, nullptr, nullptr);
    } else if (parts[0] == "sobjects" && parts.size() == 3 && parts[2] == "describe" && method == "GET") {
      const SObject* o = Object(parts[1]);
      if (o) return SetJson(res, 200, o->describe);
      return SetJson(res, 404, Error("NOT_FOUND", "The requested resource does not exist"));
    } else if (parts[0] == "sobjects" && parts.size() == 3 && (method == "GET" || method == "DELETE")) {
      return Record(res, ctx, version, parts[1], parts[2], method == "DELETE");
    } else if (parts[0] == "limits" && parts.size() == 1 && method == "GET") {
      return SetJson(res, 200, Json{{"DailyApiRequests", {{"Max", options_.api_limit},
                                                          {"Remaining", std::max<int64_t>(0, options_.api_limit - usage_)}}}});
    }
    SetJson(res, 404, Error("NOT_FOUND", "The requested resource does not exist"));
  }

  void Refuse(int status, bool, httplib::Response& res) override {
    // Salesforce answers an overloaded server with 503 and its own body; a 429 is what a
    // proxy or the Connect limit returns. Both carry the list-of-errors body.
    if (status == 429) {
      SetJson(res, 429, Error("REQUEST_LIMIT_EXCEEDED", "Too many requests, retry later."));
    } else {
      SetJson(res, 503, Error("SERVER_UNAVAILABLE", "Server temporarily unavailable, retry later."));
    }
  }

  void ExpireTokens() override { tokens_.clear(); }
  void Reset() override { cursors_.clear(); }
  Json Stats() const override { return Json{{"api_usage", usage_}, {"api_limit", options_.api_limit}}; }

 private:
  void AddObject(const Json& d, const std::string& file_stem) {
    SObject o;
    o.name = d.value("name", file_stem);
    o.describe = d;
    std::string prefix = d.contains("keyPrefix") && d["keyPrefix"].is_string() ? d["keyPrefix"].get<std::string>() : "";
    // Without a keyPrefix: three characters of the name, so ids still tell objects apart.
    if (prefix.size() != 3) prefix = (o.name + "xxx").substr(0, 3);
    o.key_prefix = prefix;
    for (const auto& f : d["fields"]) {
      Field field;
      field.name = f.value("name", "");
      field.type = f.value("type", "string");
      field.nillable = f.value("nillable", true);
      field.createable = f.value("createable", false);
      field.updateable = f.value("updateable", false);
      field.defaulted = f.value("defaultedOnCreate", false);
      field.external_id = f.value("externalId", false);
      field.restricted = f.value("restrictedPicklist", false);
      field.length = f.contains("length") && f["length"].is_number() ? f["length"].get<int64_t>() : 0;
      if (f.contains("relationshipName") && f["relationshipName"].is_string()) field.relationship = f["relationshipName"];
      if (f.contains("referenceTo") && f["referenceTo"].is_array()) {
        for (const auto& r : f["referenceTo"]) field.reference_to.push_back(r.get<std::string>());
      }
      if (f.contains("picklistValues") && f["picklistValues"].is_array()) {
        for (const auto& p : f["picklistValues"]) {
          if (p.value("active", true)) field.picklist.push_back(p.value("value", ""));
        }
      }
      o.by_lower[Lower(field.name)] = o.fields.size();
      o.fields.push_back(std::move(field));
    }
    objects_[Lower(o.name)] = std::move(o);
  }

  const SObject* Object(const std::string& name) const {
    auto it = objects_.find(Lower(name));
    return it == objects_.end() ? nullptr : &it->second;
  }

  bool Authorized(const httplib::Request& req) const {
    std::string h = req.get_header_value("Authorization");
    return h.rfind("Bearer ", 0) == 0 && tokens_.count(h.substr(7));
  }

  void Token(const httplib::Request& req, httplib::Response& res, CallContext& ctx) {
    const std::string grant = req.get_param_value("grant_type");
    auto refuse = [&](const std::string& code, const std::string& description) {
      SetJson(res, 400, Json{{"error", code}, {"error_description", description}});
    };
    if (grant == "client_credentials") {
      if (req.get_param_value("client_id") != options_.client_id ||
          req.get_param_value("client_secret") != options_.client_secret) {
        return refuse("invalid_client", "invalid client credentials");
      }
    } else if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      Json header, claims;
      std::string error;
      if (!DecodeJwt(req.get_param_value("assertion"), header, claims, error)) return refuse("invalid_grant", error);
      auto missing = MissingClaims(claims, {"iss", "sub", "aud", "exp"});
      if (!missing.empty()) return refuse("invalid_grant", "missing claim " + missing[0]);
      if (claims["iss"] != options_.client_id) return refuse("invalid_client_id", "client identifier invalid");
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
      if (!claims["exp"].is_number() || claims["exp"].get<int64_t>() < now.count()) {
        return refuse("invalid_grant", "expired access/refresh token");
      }
    } else {
      return refuse("unsupported_grant_type", "grant type not supported");
    }
    std::string token = NewToken("00DEm0000000001!");
    tokens_.insert(token);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    std::string issued_at = std::to_string(ms.count());
    std::string id = ctx.base_url + "/id/00DEm0000000001EAA/005Em0000000001AAA";
    // The signature Salesforce documents: Base64(HMAC-SHA256(client secret, id + issued_at)).
    SetJson(res, 200, Json{{"access_token", token},
                           {"instance_url", ctx.base_url},
                           {"id", id},
                           {"token_type", "Bearer"},
                           {"issued_at", issued_at},
                           {"signature", Base64(HmacSha256(options_.client_secret, id + issued_at))}});
  }

  // The value of `path` ("Name", "Account.Name") on `record`; null when absent.
  Json Resolve(const SObject& o, const Json& record, const std::string& path) {
    size_t dot = path.find('.');
    if (dot == std::string::npos) {
      const Field* f = o.Find(path);
      return f && record.contains(f->name) ? record[f->name] : Json();
    }
    const Field* ref = RelationshipField(o, path.substr(0, dot));
    if (!ref || !record.contains(ref->name) || !record[ref->name].is_string()) return Json();
    const SObject* target = Object(ref->reference_to[0]);
    const Json* parent = FindById(target->name, record[ref->name].get<std::string>());
    return parent ? Resolve(*target, *parent, path.substr(dot + 1)) : Json();
  }

  const Field* RelationshipField(const SObject& o, const std::string& relationship) const {
    for (const auto& f : o.fields) {
      if (!f.relationship.empty() && Lower(f.relationship) == Lower(relationship) && !f.reference_to.empty() &&
          Object(f.reference_to[0])) {
        return &f;
      }
    }
    return nullptr;
  }

  Json* FindById(const std::string& object, const std::string& id) {
    // 15- and 18-character forms name the same record.
    for (auto& r : store_->Records(object)) {
      if (r.contains("Id") && r["Id"].is_string() && r["Id"].get<std::string>().substr(0, 15) == id.substr(0, 15)) return &r;
    }
    return nullptr;
  }

  // An unknown field's error, in Salesforce's words; empty when `path` is a field of `o`.
  std::string CheckField(const SObject& o, const std::string& path) const {
    size_t dot = path.find('.');
    if (dot == std::string::npos) {
      if (o.Find(path)) return {};
      return "\nERROR at Row:1:Column:1\nNo such column '" + path + "' on entity '" + o.name +
             "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
             "name. Please reference your WSDL or the describe call for the appropriate names.";
    }
    const Field* ref = RelationshipField(o, path.substr(0, dot));
    if (!ref) {
      return "\nERROR at Row:1:Column:1\nDidn't understand relationship '" + path.substr(0, dot) +
             "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' "
             "after the custom relationship name. Please reference your WSDL or the describe call for the "
             "appropriate names.";
    }
    return CheckField(*Object(ref->reference_to[0]), path.substr(dot + 1));
  }

  Json Attributes(const std::string& version, const SObject& o, const Json& record) const {
    std::string id = record.contains("Id") && record["Id"].is_string() ? record["Id"].get<std::string>() : "";
    return Json{{"type", o.name}, {"url", "/services/data/" + version + "/sobjects/" + o.name + "/" + id}};
  }

  // The record as a query returns it: attributes, then the selected fields in select order,
  // a relationship path as a nested record.
  Json Project(const std::string& version, const SObject& o, const Json& record, const std::vector<std::string>& fields) {
    Json out = Json::object();
    out["attributes"] = Attributes(version, o, record);
    for (const auto& path : fields) {
      size_t dot = path.find('.');
      if (dot == std::string::npos) {
        const Field* f = o.Find(path);
        out[f->name] = record.contains(f->name) ? record[f->name] : Json();
        continue;
      }
      const Field* ref = RelationshipField(o, path.substr(0, dot));
      const SObject* target = Object(ref->reference_to[0]);
      const Json* parent = record.contains(ref->name) && record[ref->name].is_string()
                               ? FindById(target->name, record[ref->name].get<std::string>())
                               : nullptr;
      if (!parent) {
        out[ref->relationship] = Json();
        continue;
      }
      Json nested = Project(version, *target, *parent, {path.substr(dot + 1)});
      Json& slot = out[ref->relationship];
      if (!slot.is_object()) slot = Json::object();
      for (auto it = nested.begin(); it != nested.end(); ++it) slot[it.key()] = it.value();
    }
    return out;
  }

  void Query(const httplib::Request& req, httplib::Response& res, const std::string& version, bool all) {
    struct crmx::emulate::Query q;
    std::string error;
    if (!ParseQuery(req.get_param_value("q"), Dialect::kSoql, q, error)) {
      return SetJson(res, 400, Error("MALFORMED_QUERY", error));
    }
    const SObject* o = Object(q.from);
    if (!o) {
      return SetJson(res, 400, Error("INVALID_TYPE", "\nERROR at Row:1:Column:1\nsObject type '" + q.from +
                                                         "' is not supported. If you are attempting to use a custom "
                                                         "object, be sure to append the '__c' after the entity name."));
    }
    for (const auto& f : FieldsUsed(q)) {
      std::string message = CheckField(*o, f);
      if (!message.empty()) return SetJson(res, 400, Error("INVALID_FIELD", message));
    }
    std::vector<const Json*> rows;
    for (const auto& r : store_->Records(o->name)) {
      // query leaves deleted records out before WHERE, so even `WHERE IsDeleted = true` finds
      // none; queryAll keeps them.
      if (!all && IsDeleted(r)) continue;
      if (q.where && !Matches(*q.where, [&](const std::string& f) { return Resolve(*o, r, f); }, Dialect::kSoql)) continue;
      rows.push_back(&r);
    }
    if (!q.order_by.empty()) {
      std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
        Json va = Resolve(*o, *a, q.order_by), vb = Resolve(*o, *b, q.order_by);
        if (va.is_null() != vb.is_null()) return va.is_null() != q.nulls_last;
        int c = CompareForSort(va, vb);
        return q.descending ? c > 0 : c < 0;
      });
    }
    if (q.count) {
      // COUNT(): the number in totalSize, no records.
      return SetJson(res, 200, Json{{"totalSize", rows.size()}, {"done", true}, {"records", Json::array()}});
    }
    size_t from = std::min<size_t>(static_cast<size_t>(q.offset), rows.size());
    size_t to = q.limit >= 0 ? std::min(rows.size(), from + static_cast<size_t>(q.limit)) : rows.size();
    Cursor cursor;
    cursor.version = version;
    for (size_t i = from; i < to; ++i) cursor.records.push_back(Project(version, *o, *rows[i], q.fields));
    cursor.batch = static_cast<size_t>(options_.page_size);
    std::string query_options = req.get_header_value("Sforce-Query-Options");
    if (auto at = query_options.find("batchSize="); at != std::string::npos) {
      // The documented range: at least 200, at most 2,000.
      cursor.batch = static_cast<size_t>(std::clamp(std::atoi(query_options.c_str() + at + 10), 200, 2000));
    }
    std::string locator = MakeId("01g", ++cursor_seq_);
    cursors_[locator] = std::move(cursor);
    Page(res, locator, 0);
  }

  void More(httplib::Response& res, const std::string& locator_and_offset) {
    size_t dash = locator_and_offset.find('-');
    auto it = cursors_.find(locator_and_offset.substr(0, dash));
    if (dash == std::string::npos || it == cursors_.end()) {
      return SetJson(res, 400, Error("INVALID_QUERY_LOCATOR", "invalid query locator"));
    }
    Page(res, it->first, static_cast<size_t>(std::atoll(locator_and_offset.c_str() + dash + 1)));
  }

  void Page(httplib::Response& res, const std::string& locator, size_t offset) {
    Cursor& c = cursors_[locator];
    size_t end = std::min(c.records.size(), offset + c.batch);
    Json body = Json::object();
    body["totalSize"] = c.records.size();
    body["done"] = end >= c.records.size();
    if (end < c.records.size()) {
      body["nextRecordsUrl"] = "/services/data/" + c.version + "/query/" + locator + "-" + std::to_string(end);
    }
    Json records = Json::array();
    for (size_t i = std::min(offset, end); i < end; ++i) records.push_back(c.records[i]);
    body["records"] = std::move(records);
    if (end >= c.records.size()) cursors_.erase(locator);
    SetJson(res, 200, body);
  }

  // GET or DELETE sobjects/{Object}/{Id}. A deleted record stays in the store (the recycle
  // bin) with IsDeleted true: queryAll returns it, query and GET do not, and a second DELETE
  // answers 404 ENTITY_IS_DELETED.
  void Record(httplib::Response& res, CallContext& ctx, const std::string& version, const std::string& object,
              const std::string& id, bool remove) {
    const SObject* o = Object(object);
    Json* record = o ? FindById(o->name, id) : nullptr;
    if (record && remove && IsDeleted(*record)) {
      // The body client libraries see for a record already in the recycle bin (django-salesforce
      // accepts exactly this 404 as "deleted before"); Salesforce's REST guide only says 404.
      return SetJson(res, 404, Json::array({Json{{"message", "entity is deleted"},
                                                 {"errorCode", "ENTITY_IS_DELETED"},
                                                 {"fields", Json::array()}}}));
    }
    if (!record || IsDeleted(*record)) {
      return SetJson(res, 404, Error("NOT_FOUND", "The requested resource does not exist"));
    }
    if (!remove) {
      Json out = Json::object();
      out["attributes"] = Attributes(version, *o, *record);
      for (auto it = record->begin(); it != record->end(); ++it) out[it.key()] = it.value();
      return SetJson(res, 200, out);
    }
    // A delete is a change: SystemModstamp moves (getDeleted's deletedDate is read from it), so
    // a read from a SystemModstamp cursor with queryAll sees the deletion.
    (*record)["IsDeleted"] = true;
    const std::string now = NowSalesforce();
    for (const char* f : {"LastModifiedDate", "SystemModstamp"}) {
      if (o->Find(f)) (*record)[f] = now;
    }
    if (o->Find("LastModifiedById")) (*record)["LastModifiedById"] = "005Em0000000001AAA";
    ctx.store.Log({NowRfc3339(), o->name, "", ScalarText(record->value("Id", Json())).value_or(""), "deleted", ctx.request_id});
    res.status = 204;
  }

  static bool IsDeleted(const Json& record) { return record.contains("IsDeleted") && record["IsDeleted"] == true; }

  // The three sObject Collections writes: upsert by a key field, create, update by Id.
  enum class Op { kUpsert, kCreate, kUpdate };

  // What one record of a collection will do, or why it cannot.
  struct Plan {
    std::vector<Json> errors;
    // The stored record it updates, by index (a create in the same call may move the records).
    std::optional<size_t> existing;
    std::string key;  // the key value (upsert, update)
    const SObject* object = nullptr;
  };

  Plan Validate(const SObject& o, Op op, const Field* key_field, const Json& record,
                const std::map<std::string, int>& key_counts) {
    Plan plan;
    plan.object = &o;
    auto fail = [&](const std::string& code, const std::string& message, std::vector<std::string> fields) {
      plan.errors.push_back(RecordError(code, message, std::move(fields)));
    };
    if (op != Op::kCreate) {
      const bool by_id = key_field->name == "Id";
      Json key_value;
      for (auto it = record.begin(); it != record.end(); ++it) {
        if (Lower(it.key()) == Lower(key_field->name)) key_value = it.value();
      }
      auto key_text = ScalarText(key_value);
      if (!key_text || key_text->empty()) {
        fail("MISSING_ARGUMENT", key_field->name + " not specified", {});
        return plan;
      }
      plan.key = *key_text;
      if (key_counts.at(*key_text) > 1) {
        fail("DUPLICATE_VALUE", std::string(by_id ? "Duplicate id specified: " : "Duplicate external id specified: ") +
                                    *key_text, {key_field->name});
        return plan;
      }
      std::vector<size_t> matches;
      bool deleted = false;
      const auto& stored = store_->Records(o.name);
      for (size_t i = 0; i < stored.size(); ++i) {
        const Json& r = stored[i];
        auto v = r.contains(key_field->name) ? ScalarText(r[key_field->name]) : std::nullopt;
        if (!v || !(by_id ? v->substr(0, 15) == key_text->substr(0, 15) : *v == *key_text)) continue;
        // A deleted record is in the recycle bin: upserts do not match it, updates are refused.
        if (IsDeleted(r)) {
          deleted = true;
          continue;
        }
        matches.push_back(i);
      }
      if (matches.size() > 1) {
        std::string ids;
        for (size_t m : matches) ids += (ids.empty() ? "" : ", ") + ScalarText(stored[m].value("Id", Json())).value_or("");
        fail("DUPLICATE_EXTERNAL_ID",
             key_field->name + ": more than one record found for external id field: [" + ids + "]", {key_field->name});
        return plan;
      }
      if (by_id && matches.empty()) {
        if (deleted) {
          fail("ENTITY_IS_DELETED", "entity is deleted", {});
        } else {
          fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {});
        }
        return plan;
      }
      if (!matches.empty()) plan.existing = matches[0];
    }
    const bool create = !plan.existing;
    std::vector<std::string> missing;
    for (auto it = record.begin(); it != record.end(); ++it) {
      if (it.key() == "attributes") continue;
      const Field* f = o.Find(it.key());
      if (!f) {
        fail("INVALID_FIELD", "No such column '" + it.key() + "' on sobject of type " + o.name, {});
        continue;
      }
      if (f == key_field) continue;
      if (create ? !f->createable : !f->updateable) {
        fail("INVALID_FIELD_FOR_INSERT_UPDATE",
             std::string("Unable to ") + (create ? "create" : "update") + " fields: " + f->name +
                 ". Please check the security settings of this field and verify that it is read/write for your "
                 "profile or permission set.",
             {f->name});
        continue;
      }
      const Json& v = it.value();
      if (v.is_null()) {
        if (!f->nillable && f->type != "boolean") missing.push_back(f->name);
        continue;
      }
      if ((IsNumberType(f->type) && !IsNumber(v)) || (f->type == "boolean" && !v.is_boolean()) ||
          (!IsNumberType(f->type) && f->type != "boolean" && !v.is_string())) {
        fail("INVALID_TYPE_ON_FIELD_IN_RECORD", f->name + ": value not of required type: " + DumpExact(v), {f->name});
        continue;
      }
      if (IsTextType(f->type) && f->length > 0 && Utf8Length(v.get<std::string>()) > static_cast<size_t>(f->length)) {
        fail("STRING_TOO_LONG",
             f->name + ": data value too large: " + v.get<std::string>() + " (max length=" + std::to_string(f->length) + ")",
             {f->name});
        continue;
      }
      if (f->type == "picklist" && f->restricted &&
          std::find(f->picklist.begin(), f->picklist.end(), v.get<std::string>()) == f->picklist.end()) {
        fail("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             f->name + ": bad value for restricted picklist field: " + v.get<std::string>(), {f->name});
        continue;
      }
      if (f->type == "reference" && !f->reference_to.empty() && Object(f->reference_to[0]) &&
          !FindById(Object(f->reference_to[0])->name, v.get<std::string>())) {
        fail("INVALID_CROSS_REFERENCE_KEY", f->name + ": id value of incorrect type: " + v.get<std::string>(), {f->name});
      }
    }
    if (create) {
      for (const auto& f : o.fields) {
        if (!f.createable || f.nillable || f.defaulted || f.type == "boolean" || &f == key_field) continue;
        bool given = false;
        for (auto it = record.begin(); it != record.end(); ++it) {
          if (Lower(it.key()) == Lower(f.name) && !it.value().is_null()) given = true;
        }
        if (!given && std::find(missing.begin(), missing.end(), f.name) == missing.end()) missing.push_back(f.name);
      }
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      plan.errors.insert(plan.errors.begin(),
                         RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + list + "]", missing));
    }
    return plan;
  }

  // PATCH composite/sobjects/{Object}/{KeyField}: upsert by the key.
  void Upsert(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const std::string& object,
              const std::string& key_name) {
    const SObject* o = Object(object);
    if (!o) return SetJson(res, 404, Error("NOT_FOUND", "The requested resource does not exist"));
    const Field* key_field = o->Find(key_name);
    if (!key_field) {
      return SetJson(res, 404, Error("NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + key_name));
    }
    if (key_field->name != "Id" && !key_field->external_id) {
      return SetJson(res, 400, Error("INVALID_FIELD", "Field name provided, " + key_field->name +
                                                          " is not an External ID or indexed field for " + o->name));
    }
    Collection(req, res, ctx, Op::kUpsert, o, key_field);
  }

  // Runs a collection write: `object` and `key_field` name the upsert's object and key; for
  // create and update (null object) each record's attributes.type names its object.
  void Collection(const httplib::Request& req, httplib::Response& res, CallContext& ctx, Op op, const SObject* object,
                  const Field* key_field) {
    Json body = ParseExact(req.body);
    if (!body.is_object() || !body.contains("records") || !body["records"].is_array()) {
      return SetJson(res, 400, Error("JSON_PARSER_ERROR", "The request body must be an object with a records array"));
    }
    const Json& records = body["records"];
    if (records.size() > 200) {
      return SetJson(res, 400, Error("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"));
    }
    const bool all_or_none = body.contains("allOrNone") && body["allOrNone"] == true;
    const std::string key_name = op == Op::kUpdate ? "Id" : key_field ? key_field->name : "";
    std::map<std::string, int> key_counts;
    for (const auto& r : records) {
      for (auto it = r.begin(); r.is_object() && it != r.end() && !key_name.empty(); ++it) {
        if (Lower(it.key()) == Lower(key_name)) {
          if (auto t = ScalarText(it.value())) ++key_counts[*t];
        }
      }
    }
    std::vector<Plan> plans;
    bool any_failed = false;
    for (const auto& r : records) {
      std::string type = r.is_object() && r.contains("attributes") && r["attributes"].is_object()
                             ? ScalarText(r["attributes"].value("type", Json())).value_or("")
                             : "";
      const SObject* o = object ? object : Object(type);
      if (!o || Lower(type) != Lower(o->name)) {
        Plan p;
        p.errors.push_back(RecordError("INVALID_TYPE", "Each record must have attributes with a known type" +
                                                           (object ? " (" + object->name + ")" : std::string()), {}));
        plans.push_back(std::move(p));
      } else {
        plans.push_back(Validate(*o, op, op == Op::kUpdate ? o->Find("Id") : key_field, r, key_counts));
      }
      any_failed = any_failed || !plans.back().errors.empty();
    }
    Json results = Json::array();
    for (size_t i = 0; i < plans.size(); ++i) {
      Plan& p = plans[i];
      if (!p.errors.empty() || (all_or_none && any_failed)) {
        Json errors = p.errors;
        if (errors.empty()) {
          errors.push_back(RecordError("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                       "Record rolled back because not all records were valid and the request was "
                                       "using AllOrNone header",
                                       {}));
        }
        results.push_back(Json{{"id", nullptr}, {"success", false}, {"errors", errors}});
        continue;
      }
      const std::string journal_key = op == Op::kUpsert && key_field->name != "Id" ? p.key : "";
      std::string id = Apply(*p.object, journal_key, records[i], p, ctx);
      Json result = Json{{"id", id}, {"success", true}, {"errors", Json::array()}};
      if (op == Op::kUpsert) result["created"] = !p.existing;
      results.push_back(std::move(result));
    }
    SetJson(res, 200, results);
  }

  std::string Apply(const SObject& o, const std::string& journal_key, const Json& record, const Plan& plan,
                    CallContext& ctx) {
    const std::string now = NowSalesforce();
    const std::string user = "005Em0000000001AAA";
    auto& stored = store_->Records(o.name);
    Json* target = plan.existing ? &stored[*plan.existing] : nullptr;
    if (!target) {
      Json fresh = Json::object();
      fresh["Id"] = MakeId(o.key_prefix, ++id_seq_);
      for (const char* f : {"IsDeleted", "OwnerId", "CreatedDate", "CreatedById"}) {
        if (!o.Find(f)) continue;
        fresh[f] = std::string(f) == "IsDeleted" ? Json(false) : std::string(f) == "CreatedDate" ? Json(now) : Json(user);
      }
      stored.push_back(std::move(fresh));
      target = &stored.back();
    }
    for (auto it = record.begin(); it != record.end(); ++it) {
      if (it.key() == "attributes") continue;
      (*target)[o.Find(it.key())->name] = it.value();
    }
    for (const char* f : {"LastModifiedDate", "SystemModstamp"}) {
      if (o.Find(f)) (*target)[f] = now;
    }
    if (o.Find("LastModifiedById")) (*target)["LastModifiedById"] = user;
    std::string id = ScalarText(target->value("Id", Json())).value_or("");
    ctx.store.Log({NowRfc3339(), o.name, journal_key, id,
                   plan.existing ? "updated" : "created", ctx.request_id});
    return id;
  }

  struct Cursor {
    std::vector<Json> records;
    size_t batch = 2000;
    std::string version;
  };

 private:
  Options options_;
  Store* store_ = nullptr;
  std::map<std::string, SObject> objects_;  // by lowercase name
  std::set<std::string> tokens_;
  int64_t usage_ = 0;
  std::map<std::string, Cursor> cursors_;
  uint64_t cursor_seq_ = 0;
  uint64_t id_seq_ = 0;
};

}  // namespace

std::unique_ptr<Vendor> MakeSalesforce(const Options& options) { return std::make_unique<Salesforce>(options); }

}  // namespace crmx::emulate
