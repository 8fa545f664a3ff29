// Defines the NetSuite REST web services emulator: the OAuth 2.0 client-credentials token
// endpoint (JWT client assertion), token-based authentication (OAuth 1.0a, HMAC-SHA256,
// verified), SuiteQL queries with limit/offset paging, the record API (create, read,
// update, upsert by external id, delete) with validation from crmx normalized schemas, the
// idempotency key, and the concurrency limit; and of SOAP web services, getDeleted over the
// log of deleted records, signed by a token passport (netsuite_soap.h). Shapes follow the
// SuiteTalk REST and SOAP Web Services guides (see docs/emulators.md for the pages).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/netsuite/netsuite_soap.h"
#include "emulators/query.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

// One field of a record type, from a crmx normalized schema.
struct NsField {
  std::string name;    // the REST name ("companyName"; a sublist's is its sublist id, "item")
  std::string label;   // for "Please enter value(s) for: Company Name"
  std::string column;  // the SuiteQL column ("companyname")
  std::string type;    // crmx type: string, bool, currency, reference, picklist, date, ...
  bool select = false; // a NetSuite select field: written and read as {"id", "refName"}
  bool required = false, createable = false, updateable = false;
  int64_t length = 0;
  std::vector<std::string> picklist;  // values; a select's id is its 1-based position
  bool restricted = false;
  std::vector<std::string> targets;   // reference: the record types it may name
  std::optional<Json> default_value;
  std::vector<NsField> lines;         // a sublist's line fields
  bool sublist = false;
};

struct RecordType {
  std::string name;   // schema object name ("SalesOrder"), the store's key
  std::string rest;   // REST record type id ("salesOrder")
  std::vector<NsField> fields;
  std::string tran_code;    // SuiteQL transaction.type ("SalesOrd") when a transaction
  std::string tran_prefix;  // tranId prefix ("SO")
  const NsField* Find(std::string_view field) const {
    for (const auto& f : fields) {
      if (f.name == field) return &f;
    }
    return nullptr;
  }
};

std::string ProblemType(int status) {
  switch (status) {
    case 400: return "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1";
    case 401: return "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2";
    case 404: return "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5";
    case 429: return "https://www.rfc-editor.org/rfc/rfc6585.html#section-4";
    default: return "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4";
  }
}
const char* Title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

Json Detail(const std::string& detail, const std::string& code, const std::string& path = "") {
  Json d = Json{{"detail", detail}, {"o:errorCode", code}};
  if (!path.empty()) d["o:errorPath"] = path;
  return d;
}

void Problem(httplib::Response& res, int status, Json details) {
  SetJson(res, status, Json{{"type", ProblemType(status)}, {"title", Title(status)}, {"status", status},
                            {"o:errorDetails", std::move(details)}});
}

NsField ReadField(const Json& f) {
  NsField field;
  field.name = f.value("name", "");
  field.label = f.value("label", field.name);
  const Json& ext = f.contains("extensions") ? f["extensions"] : Json::object();
  field.column = Lower(ext.value("internalId", field.name));
  field.createable = f.value("createable", false);
  field.updateable = f.value("updateable", false);
  field.required = f.value("required_on_create", false);
  field.length = f.contains("length") && f["length"].is_number() ? f["length"].get<int64_t>() : 0;
  field.select = f.value("source_type", "") == "select";
  if (f.contains("default") && f["default"].is_string()) {
    std::string d = f["default"];
    field.default_value = d == "true" ? Json(true) : d == "false" ? Json(false) : Json(d);
  }
  if (f.contains("picklist") && f["picklist"].is_object()) {
    field.restricted = f["picklist"].value("restricted", false);
    for (const auto& v : f["picklist"].value("values", Json::array())) field.picklist.push_back(v.value("value", ""));
  }
  if (f.contains("references") && f["references"].is_object()) {
    for (const auto& t : f["references"].value("targets", Json::array())) field.targets.push_back(t.get<std::string>());
  }
  const Json& type = f.contains("type") ? f["type"] : Json("string");
  if (type.is_object() && type.value("kind", "") == "list" && type.contains("element") &&
      type["element"].value("kind", "") == "object") {
    // A sublist: REST names it by its sublist id ({"item": {"items": [...]}}).
    const Json& element = type["element"];
    field.sublist = true;
    field.type = "sublist";
    if (element.contains("extensions") && element["extensions"].contains("sublist")) {
      field.name = element["extensions"]["sublist"].get<std::string>();
    }
    for (const auto& line : element.value("fields", Json::array())) field.lines.push_back(ReadField(line));
  } else {
    field.type = type.is_string() ? type.get<std::string>() : "string";
  }
  return field;
}

bool IsTextType(const std::string& t) {
  return t == "string" || t == "text" || t == "email" || t == "phone" || t == "url";
}
bool IsNumberType(const std::string& t) {
  return t == "currency" || t == "decimal" || t == "double" || t == "int" || t == "integer" || t == "percent";
}

class NetSuite : public Vendor {
 public:
  explicit NetSuite(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    store_ = &store;
    if (!options_.schemas_dir.empty()) {
      if (!ForEachSchemaObject(options_.schemas_dir, [&](const std::string& name, const Json& o) { AddType(name, o); }, error)) {
        return false;
      }
    }
    if (!options_.data_dir.empty()) {
      bool ok = store.Seed(
          options_.data_dir,
          [&](const std::string& stem) {
            const RecordType* t = Type(stem);
            return t ? t->name : std::string();
          },
          notes, error);
      if (!ok) return false;
    }
    // New internal ids continue after the largest seeded one.
    for (const auto& [name, records] : store.Tables()) {
      for (const auto& r : records) {
        if (auto id = r.contains("id") ? ScalarText(r["id"]) : std::nullopt) {
          next_id_ = std::max<int64_t>(next_id_, std::atoll(id->c_str()) + 1);
        }
      }
    }
    return true;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override {
    return req.path == "/services/rest/auth/oauth2/v1/token";
  }
  bool LimitsConcurrency() const override { return true; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    if (IsSoap(req)) return "getDeleted";
    if (req.path == "/services/rest/query/v1/suiteql") return "suiteql";
    if (req.path.rfind("/services/rest/record/v1/", 0) == 0) {
      if (req.method == "PUT") return "record_upsert";
      if (req.method == "POST") return "record_create";
      if (req.method == "PATCH") return "record_update";
      if (req.method == "DELETE") return "record_delete";
      return "record_get";
    }
    return "other";
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (IsSoap(req)) return Soap(req, res);
    std::string auth_error;
    if (!Authorized(req, ctx, auth_error)) {
      return Problem(res, 401, Json::array({Detail("Invalid login attempt. For more details, see the Login Audit Trail "
                                                   "in the NetSuite UI at Setup > Users/Roles > User Management > View "
                                                   "Login Audit Trail.",
                                                   "INVALID_LOGIN")}));
    }
    if (req.path == "/services/rest/query/v1/suiteql" && req.method == "POST") return SuiteQl(req, res, ctx);
    static const std::regex kRecord("^/services/rest/record/v1/([A-Za-z0-9_]+)(/([^/]+))?$");
    std::smatch m;
    if (!std::regex_match(req.path, m, kRecord)) {
      return Problem(res, 404, Json::array({Detail("Record type or resource not found: " + req.path, "NONEXISTENT_ID")}));
    }
    const RecordType* type = Type(m[1]);
    if (!type) {
      return Problem(res, 404, Json::array({Detail("Record type '" + std::string(m[1]) + "' does not exist.",
                                                   "NONEXISTENT_ID")}));
    }
    const std::string target = m[3];
    const std::string key = req.get_header_value("X-NetSuite-Idempotency-Key");
    if (req.method != "GET" && !key.empty()) {
      auto it = replies_.find(key);
      if (it != replies_.end()) {
        // The same key: nothing is applied again. NetSuite documents the answer (for
        // asynchronous requests) as 400 Conflict pointing at the first request; --idempotency
        // replay answers what the first call was answered instead.
        if (options_.idempotency == "replay") {
          res = it->second;
          return;
        }
        SetJson(res, 400, Json{{"type", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.10"},
                               {"title", "Conflict"},
                               {"status", 400},
                               {"o:errorDetails", Json::array({Detail("A request with the same idempotency key is already "
                                                                      "submitted. See the \"Location\" header for a link "
                                                                      "to the previously submitted job",
                                                                      "IDEMPOTENCY_ERROR")})}});
        if (it->second.has_header("Location")) res.set_header("Location", it->second.get_header_value("Location"));
        return;
      }
      ctx.request_id = key;
    }
    if (req.method == "GET" && !target.empty()) {
      Read(res, ctx, *type, target);
    } else if (req.method == "POST" && target.empty()) {
      Write(req, res, ctx, *type, std::nullopt, "");
    } else if (req.method == "PUT" && target.rfind("eid:", 0) == 0) {
      Write(req, res, ctx, *type, std::nullopt, target.substr(4));
    } else if (req.method == "DELETE" && !target.empty()) {
      Delete(res, ctx, *type, target);
    } else if (req.method == "PATCH" && !target.empty()) {
      std::optional<size_t> index = Find(*type, target);
      if (!index) {
        Problem(res, 404, Json::array({Detail("The record instance does not exist. Provide a valid record instance ID.",
                                              "NONEXISTENT_ID")}));
      } else {
        Write(req, res, ctx, *type, index, "");
      }
    } else {
      Problem(res, 405, Json::array({Detail("Method not allowed: " + req.method + " " + req.path, "METHOD_NOT_ALLOWED")}));
    }
    if (req.method != "GET" && !key.empty()) replies_[key] = res;
  }

  void Refuse(int status, bool concurrency, httplib::Response& res) override {
    if (status == 429 && options_.limit_style == "sss") {
      // The older form (RESTlets, and REST before 429 answers): 400 with a SuiteScript code.
      return Problem(res, 400, Json::array({Detail("Request limit exceeded. Request blocked.", "SSS_REQUEST_LIMIT_EXCEEDED")}));
    }
    if (status == 429) {
      return Problem(res, 429, Json::array({Detail(concurrency ? "Concurrent request limit exceeded. Request blocked."
                                                               : "Request limit exceeded. Request blocked.",
                                                   "CONCURRENCY_LIMIT_EXCEEDED")}));
    }
    Problem(res, 503, Json::array({Detail("The service is temporarily unavailable. Try again later.", "SERVICE_UNAVAILABLE")}));
  }

  void ExpireTokens() override { tokens_.clear(); }
  void Reset() override {
    replies_.clear();
    // The store is back to its seed: nothing is deleted.
    deleted_.clear();
  }
  Json Stats() const override {
    return Json{{"tokens", tokens_.size()}, {"idempotency_keys", replies_.size()}, {"deleted", deleted_.size()}};
  }

 private:
  void AddType(const std::string& name, const Json& object) {
    RecordType t;
    t.name = name;
    t.rest = name;
    if (!t.rest.empty()) t.rest[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(t.rest[0])));
    for (const auto& f : object.value("fields", Json::array())) t.fields.push_back(ReadField(f));
    if (t.Find("tranId")) {
      // SuiteQL's transaction.type codes and the default numbering prefixes.
      static const std::map<std::string, std::pair<std::string, std::string>> kTransactions = {
          {"SalesOrder", {"SalesOrd", "SO"}}, {"Invoice", {"CustInvc", "INV"}},
          {"Estimate", {"Estimate", "EST"}},  {"CashSale", {"CashSale", "CS"}}};
      auto it = kTransactions.find(name);
      t.tran_code = it != kTransactions.end() ? it->second.first : name;
      t.tran_prefix = it != kTransactions.end() ? it->second.second : name.substr(0, 2);
    }
    types_.push_back(std::move(t));
  }

  // A record type by REST id, SuiteQL table or schema name, in any case.
  const RecordType* Type(const std::string& name) const {
    for (const auto& t : types_) {
      if (Lower(t.rest) == Lower(name) || Lower(t.name) == Lower(name)) return &t;
    }
    return nullptr;
  }

  // The record `target` names: an internal id or "eid:<external id>".
  std::optional<size_t> Find(const RecordType& type, const std::string& target) const {
    const bool by_eid = target.rfind("eid:", 0) == 0;
    const std::string want = by_eid ? target.substr(4) : target;
    const auto& records = store_->Records(type.name);
    for (size_t i = 0; i < records.size(); ++i) {
      const char* field = by_eid ? "externalId" : "id";
      if (records[i].contains(field) && ScalarText(records[i][field]) == want) return i;
    }
    return std::nullopt;
  }

  bool Authorized(const httplib::Request& req, CallContext& ctx, std::string& error) {
    std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) == 0) return tokens_.count(h.substr(7)) > 0;
    OAuth1Secrets secrets{options_.consumer_key, options_.consumer_secret, options_.token_id, options_.token_secret};
    return VerifyOAuth1(req, ctx.base_url, secrets, nonces_, error);
  }

  void Token(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](const std::string& code) { SetJson(res, 400, Json{{"error", code}}); };
    if (req.get_param_value("grant_type") != "client_credentials") return refuse("unsupported_grant_type");
    if (req.get_param_value("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return refuse("invalid_request");
    }
    Json header, claims;
    std::string error;
    if (!DecodeJwt(req.get_param_value("client_assertion"), header, claims, error) || !header.contains("kid") ||
        !MissingClaims(claims, {"iss", "scope", "aud", "exp", "iat"}).empty()) {
      return refuse("invalid_request");
    }
    if (claims["iss"] != options_.consumer_key) return refuse("invalid_client");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    if (!claims["exp"].is_number() || claims["exp"].get<int64_t>() < now.count()) return refuse("invalid_grant");
    std::string token = NewToken("ns-emulator-");
    tokens_.insert(token);
    SetJson(res, 200, Json{{"access_token", token}, {"expires_in", "3600"}, {"token_type", "bearer"}});
  }

  // A field's value as SuiteQL returns it: text for everything (numbers keep their digits,
  // booleans are "T"/"F", a select is its id); nullopt (the column is left out) for null.
  static std::optional<std::string> Column(const Json& v) {
    if (v.is_null()) return std::nullopt;
    if (v.is_boolean()) return std::string(v.get<bool>() ? "T" : "F");
    if (v.is_object()) return v.contains("id") ? ScalarText(v["id"]) : std::nullopt;
    return ScalarText(v);
  }

  void SuiteQl(const httplib::Request& req, httplib::Response& res, CallContext& ctx) {
    auto invalid = [&](const std::string& why) {
      Problem(res, 400, Json::array({Detail("Invalid search query. Detailed unprocessed description follows. " + why,
                                            "INVALID_PARAMETER")}));
    };
    if (Lower(req.get_header_value("Prefer")) != "transient") {
      return Problem(res, 400, Json::array({Detail("The request must have the header 'Prefer: transient'.", "INVALID_HEADER")}));
    }
    int64_t limit = req.has_param("limit") ? std::atoll(req.get_param_value("limit").c_str()) : 1000;
    int64_t offset = req.has_param("offset") ? std::atoll(req.get_param_value("offset").c_str()) : 0;
    if (limit < 1 || limit > 1000) {
      return Problem(res, 400, Json::array({Detail("Invalid 'limit' parameter value. The value must be between 1 and 1000.",
                                                   "INVALID_PARAMETER")}));
    }
    if (offset < 0 || offset % limit != 0) {
      return Problem(res, 400, Json::array({Detail("Invalid 'offset' parameter value. The offset must be a multiple of the limit.",
                                                   "INVALID_PARAMETER")}));
    }
    Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("q") || !body["q"].is_string()) {
      return Problem(res, 400, Json::array({Detail("The request body must be a JSON object with a string 'q'.", "INVALID_CONTENT")}));
    }
    struct crmx::emulate::Query q;
    std::string error;
    if (!ParseQuery(body["q"].get<std::string>(), Dialect::kSuiteQl, q, error)) {
      return invalid("Search error occurred: " + error);
    }
    // The types the table covers: one, or every transaction type for `transaction`.
    std::vector<const RecordType*> tables;
    if (Lower(q.from) == "transaction") {
      for (const auto& t : types_) {
        if (!t.tran_code.empty()) tables.push_back(&t);
      }
    } else if (const RecordType* t = Type(q.from)) {
      tables.push_back(t);
    }
    if (tables.empty()) return invalid("Search error occurred: Record '" + q.from + "' was not found.");
    const bool transaction = Lower(q.from) == "transaction";
    auto column_field = [&](const RecordType& t, const std::string& column) -> const NsField* {
      for (const auto& f : t.fields) {
        if (!f.sublist && (f.column == Lower(column) || Lower(f.name) == Lower(column))) return &f;
      }
      return nullptr;
    };
    for (const auto& column : FieldsUsed(q)) {
      bool virtual_type = transaction && Lower(column) == "type";
      if (!virtual_type && !column_field(*tables[0], column)) {
        return invalid("Search error occurred: Field '" + column + "' for record '" + q.from +
                       "' was not found. Reason: NOT_EXPOSED - Not available for search");
      }
    }
    // The answer's columns: output name, the column it reads, TO_CHAR's format.
    struct OutColumn {
      std::string name, column, to_char;
    };
    std::vector<OutColumn> columns;
    int expr = 0;
    for (const auto& item : q.select) {
      if (item.field == "*") {
        for (const auto& f : tables[0]->fields) {
          if (!f.sublist) columns.push_back({f.column, f.column, ""});
        }
        continue;
      }
      // SuiteQL names an expression without an alias exprN.
      std::string name = !item.alias.empty()     ? Lower(item.alias)
                         : !item.to_char.empty() ? "expr" + std::to_string(++expr)
                                                 : Lower(item.field);
      columns.push_back({name, item.field, item.to_char});
    }
    // Rows as SuiteQL renders them: output column -> text.
    std::vector<std::map<std::string, std::string>> rows;
    for (const RecordType* t : tables) {
      for (const auto& r : store_->Records(t->name)) {
        auto value = [&](const std::string& column) -> Json {
          if (transaction && Lower(column) == "type") return Json(t->tran_code);
          const NsField* f = column_field(*t, column);
          if (!f || !r.contains(f->name)) return Json();
          auto text = Column(r[f->name]);
          return text ? Json(*text) : Json();
        };
        if (q.where && !Matches(*q.where, value, Dialect::kSuiteQl)) continue;
        std::map<std::string, std::string> row;
        for (const auto& c : columns) {
          Json v = value(c.column);
          if (!v.is_string()) continue;
          const NsField* f = transaction && Lower(c.column) == "type" ? nullptr : column_field(*t, c.column);
          auto instant = ParseInstant(v.get<std::string>());
          if (!c.to_char.empty()) {
            // TO_CHAR of a date or datetime formats it; of anything else, its text.
            row[c.name] = instant ? FormatInstant(*instant, c.to_char) : v.get<std::string>();
          } else if (f && (f->type == "date" || f->type == "datetime") && instant) {
            // Real SuiteQL writes dates and datetimes in the account's date format, date only.
            row[c.name] = FormatInstant(*instant, options_.date_format);
          } else {
            row[c.name] = v.get<std::string>();
          }
        }
        if (!q.order_by.empty()) {
          Json v = value(q.order_by);
          row["\x01sort"] = v.is_string() ? v.get<std::string>() : "";
          if (v.is_null()) row["\x01null"] = "";
        }
        rows.push_back(std::move(row));
      }
    }
    if (!q.order_by.empty()) {
      std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
        bool na = a.count("\x01null") > 0, nb = b.count("\x01null") > 0;
        if (na != nb) return na != q.nulls_last;
        int c = CompareForSort(Json(a.at("\x01sort")), Json(b.at("\x01sort")));
        return q.descending ? c > 0 : c < 0;
      });
    }
    const int64_t total = static_cast<int64_t>(rows.size());
    Json items = Json::array();
    for (int64_t i = offset; i < std::min(total, offset + limit); ++i) {
      Json item = Json::object();
      item["links"] = Json::array();
      for (const auto& c : columns) {
        auto it = rows[static_cast<size_t>(i)].find(c.name);
        if (it != rows[static_cast<size_t>(i)].end()) item[c.name] = it->second;
      }
      items.push_back(std::move(item));
    }
    const bool has_more = offset + limit < total;
    auto link = [&](const std::string& rel, int64_t at) {
      return Json{{"rel", rel},
                  {"href", ctx.base_url + "/services/rest/query/v1/suiteql?limit=" + std::to_string(limit) +
                               "&offset=" + std::to_string(at)}};
    };
    Json links = Json::array();
    if (offset > 0) links.push_back(link("previous", std::max<int64_t>(0, offset - limit)));
    links.push_back(link("first", 0));
    if (has_more) links.push_back(link("next", offset + limit));
    links.push_back(link("last", total == 0 ? 0 : (total - 1) / limit * limit));
    links.push_back(link("self", offset));
    Json out = Json::object();
    out["links"] = links;
    out["count"] = items.size();
    out["hasMore"] = has_more;
    out["items"] = items;
    out["offset"] = offset;
    out["totalResults"] = total;
    SetJson(res, 200, out);
  }

  void Read(httplib::Response& res, CallContext& ctx, const RecordType& type, const std::string& target) {
    std::optional<size_t> index = Find(type, target);
    if (!index) {
      return Problem(res, 404, Json::array({Detail("The record instance does not exist. Provide a valid record instance ID.",
                                                   "NONEXISTENT_ID")}));
    }
    const Json& r = store_->Records(type.name)[*index];
    Json out = Json::object();
    out["links"] = Json::array({Json{{"rel", "self"}, {"href", Location(ctx, type, r)}}});
    for (auto it = r.begin(); it != r.end(); ++it) out[it.key()] = it.value();
    SetJson(res, 200, out);
  }

  std::string Location(const CallContext& ctx, const RecordType& type, const Json& record) const {
    return ctx.base_url + "/services/rest/record/v1/" + type.rest + "/" + ScalarText(record.value("id", Json())).value_or("");
  }

  // The name a select shows for a record (its refName).
  static std::string RefName(const Json& record) {
    for (const char* f : {"companyName", "entityId", "tranId", "name", "itemId"}) {
      if (record.contains(f) && record[f].is_string()) return record[f];
    }
    return ScalarText(record.value("id", Json())).value_or("");
  }

  // Checks one value against its field; appends problems to `errors`. Returns the value as
  // stored (a select as {"id", "refName"}).
  Json CheckValue(const NsField& f, const Json& v, const std::string& path, bool create, Json& errors) {
    auto invalid_value = [&](const std::string& shown) {
      errors.push_back(Detail("Error while accessing a resource. You have entered an Invalid Field Value " + shown +
                                  " for the following field: " + f.name,
                              "INVALID_CONTENT", path));
    };
    if (create ? !f.createable : !f.updateable) {
      errors.push_back(Detail("You do not have permissions to set a value for element " + f.name +
                                  " due to one of the following reasons: 1) The field is read-only; 2) An associated "
                                  "feature is disabled; 3) The field is available either when a record is created or "
                                  "updated, but not in both cases.",
                              "USER_ERROR", path));
      return v;
    }
    if (v.is_null()) return v;
    if (f.sublist) {
      if (!v.is_object() || !v.contains("items") || !v["items"].is_array()) {
        errors.push_back(Detail("Invalid content in the request body: the sublist " + f.name +
                                    " must be an object with an 'items' array.",
                                "INVALID_CONTENT", path));
        return v;
      }
      Json lines = Json::array();
      int line_no = 0;
      for (const auto& line : v["items"]) {
        std::string line_path = path + ".items[" + std::to_string(line_no++) + "]";
        if (!line.is_object()) {
          errors.push_back(Detail("Invalid content in the request body: a sublist line must be an object.",
                                  "INVALID_CONTENT", line_path));
          continue;
        }
        Json stored = CheckRecord(f.lines, line, line_path + ".", true, errors);
        stored["line"] = std::to_string(line_no);
        lines.push_back(std::move(stored));
      }
      return Json{{"items", lines}};
    }
    if (f.type == "reference") {
      Json ref_id = v.is_object() ? v.value("id", Json()) : v;
      Json ref_eid = v.is_object() ? v.value("externalId", Json()) : Json();
      auto id = ScalarText(ref_id);
      auto eid = ScalarText(ref_eid);
      if (!id && !eid) {
        invalid_value(DumpExact(v));
        return v;
      }
      for (const auto& target_name : f.targets) {
        const RecordType* target = Type(target_name);
        if (!target) continue;
        if (auto index = Find(*target, id ? *id : "eid:" + *eid)) {
          const Json& r = store_->Records(target->name)[*index];
          return Json{{"id", ScalarText(r.value("id", Json())).value_or("")}, {"refName", RefName(r)}};
        }
      }
      // Targets the emulator has no records of (items, accounting periods) are taken as given.
      bool checked = std::any_of(f.targets.begin(), f.targets.end(), [&](const std::string& t) { return Type(t) != nullptr; });
      if (checked) invalid_value(id ? *id : *eid);
      return Json{{"id", id.value_or("")}};
    }
    if (!f.picklist.empty()) {
      std::string value;
      if (v.is_string()) {
        value = v;
      } else if (v.is_object() && v.contains("refName")) {
        value = ScalarText(v["refName"]).value_or("");
      } else if (v.is_object() && v.contains("id")) {
        size_t n = static_cast<size_t>(std::atoll(ScalarText(v["id"]).value_or("0").c_str()));
        value = n >= 1 && n <= f.picklist.size() ? f.picklist[n - 1] : "\x01";
        if (value == "\x01") {
          invalid_value(ScalarText(v["id"]).value_or(""));
          return v;
        }
      }
      auto it = std::find(f.picklist.begin(), f.picklist.end(), value);
      if (it == f.picklist.end() && f.restricted) {
        invalid_value(value);
        return v;
      }
      if (!f.select) return Json(value);
      return Json{{"id", std::to_string(it - f.picklist.begin() + 1)}, {"refName", value}};
    }
    if ((f.type == "bool" && !v.is_boolean()) || (IsNumberType(f.type) && !IsNumber(v)) ||
        ((IsTextType(f.type) || f.type == "date" || f.type == "datetime") && !v.is_string())) {
      errors.push_back(Detail("Invalid content in the request body: the value of " + f.name + " is not of type " + f.type + ".",
                              "INVALID_CONTENT", path));
      return v;
    }
    if (IsTextType(f.type) && f.length > 0 &&
        static_cast<int64_t>(std::count_if(v.get_ref<const std::string&>().begin(), v.get_ref<const std::string&>().end(),
                                           [](char c) { return (c & 0xC0) != 0x80; })) > f.length) {
      errors.push_back(Detail("The field " + f.name + " contained more than the maximum number ( " +
                                  std::to_string(f.length) + " ) of characters allowed.",
                              "USER_ERROR", path));
    }
    return v;
  }

  // Checks a record body (or a sublist line) against `fields`; returns it as stored.
  Json CheckRecord(const std::vector<NsField>& fields, const Json& body, const std::string& prefix, bool create, Json& errors) {
    Json stored = Json::object();
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() == "links") continue;
      const NsField* f = nullptr;
      for (const auto& candidate : fields) {
        if (candidate.name == it.key()) f = &candidate;
      }
      if (!f) {
        errors.push_back(Detail("Invalid content in the request body: '" + it.key() +
                                    "' is not a valid field of this record or sublist.",
                                "INVALID_CONTENT", prefix + it.key()));
        continue;
      }
      stored[f->name] = CheckValue(*f, it.value(), prefix + f->name, create, errors);
    }
    if (create) {
      std::string missing;
      for (const auto& f : fields) {
        if (f.required && (!body.contains(f.name) || body[f.name].is_null())) missing += (missing.empty() ? "" : ", ") + f.label;
      }
      if (!missing.empty()) {
        errors.push_back(Detail("Error while accessing a resource. Please enter value(s) for: " + missing + ".", "USER_ERROR",
                                prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1)));
      }
    }
    return stored;
  }

  // What NetSuite computes on a transaction with an item sublist: a line's amount (quantity
  // times rate, when not given), and the body's subtotal and total (no tax, no discounts),
  // rounded to cents. Long double arithmetic: exact for amounts of up to 15 digits or so.
  static void ComputeTotals(const RecordType& type, Json& record) {
    if (!record.contains("item") || !record["item"].is_object() || !record["item"].contains("items")) return;
    auto number = [](const Json& v) { return NumberValue(v).value_or(0.0L); };
    auto cents = [](long double v) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2Lf", v);
      return Number(buf);
    };
    long double subtotal = 0;
    for (auto& line : record["item"]["items"]) {
      if (!line.is_object()) continue;
      if (!line.contains("amount") || line["amount"].is_null()) {
        if (!line.contains("quantity") || !line.contains("rate")) continue;
        line["amount"] = cents(number(line["quantity"]) * number(line["rate"]));
      }
      subtotal += number(line["amount"]);
    }
    for (const char* f : {"subtotal", "total"}) {
      if (type.Find(f)) record[f] = cents(subtotal);
    }
  }

  // Creates or updates one record: `existing` is the record PATCH names; `eid` the external
  // id PUT names (the record is found by it, or created with it).
  void Write(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const RecordType& type,
             std::optional<size_t> existing, const std::string& eid) {
    Json body = ParseExact(req.body);
    if (!body.is_object()) {
      return Problem(res, 400, Json::array({Detail("Invalid content in the request body: not a JSON object.", "INVALID_CONTENT")}));
    }
    if (!eid.empty()) existing = Find(type, "eid:" + eid);
    const bool create = !existing;
    Json errors = Json::array();
    Json stored = CheckRecord(type.fields, body, "", create, errors);
    if (!errors.empty()) return Problem(res, 400, errors);
    auto& records = store_->Records(type.name);
    const std::string now = NowRfc3339();
    if (create) {
      Json fresh = Json::object();
      fresh["id"] = std::to_string(next_id_++);
      if (!eid.empty()) fresh["externalId"] = eid;
      for (const auto& f : type.fields) {
        if (f.default_value && !stored.contains(f.name)) fresh[f.name] = *f.default_value;
      }
      if (type.Find("tranId")) fresh["tranId"] = type.tran_prefix + std::to_string(1001 + tran_seq_[type.name]++);
      if (const NsField* status = type.Find("status"); status && !status->picklist.empty()) {
        // A new transaction's first status: "Pending Approval" for sales orders, "Open" for invoices.
        fresh["status"] = status->picklist[0];
      }
      if (type.Find("tranDate") && !stored.contains("tranDate")) fresh["tranDate"] = now.substr(0, 10);
      for (const char* f : {"createdDate", "dateCreated"}) {
        if (type.Find(f)) fresh[f] = now;
      }
      records.push_back(std::move(fresh));
      existing = records.size() - 1;
    }
    Json& record = records[*existing];
    for (auto it = stored.begin(); it != stored.end(); ++it) record[it.key()] = it.value();
    // Approval: the order status set on entry or later (orderStatus "Pending Fulfillment") is
    // the document status NetSuite then reports.
    if (const NsField* status = type.Find("status"); status && stored.contains("orderStatus")) {
      const Json& set = stored["orderStatus"];  // a select: {"id", "refName"}
      std::string name = ScalarText(set.is_object() ? set.value("refName", Json()) : set).value_or("");
      if (std::find(status->picklist.begin(), status->picklist.end(), name) != status->picklist.end())
        record["status"] = name;
    }
    ComputeTotals(type, record);
    if (type.Find("lastModifiedDate")) record["lastModifiedDate"] = now;
    const std::string id = ScalarText(record["id"]).value_or("");
    ctx.store.Log({now, type.name, ScalarText(record.value("externalId", Json())).value_or(""), id,
                   create ? "created" : "updated", ctx.request_id});
    res.status = 204;
    res.set_header("Location", Location(ctx, type, record));
  }

  static bool IsSoap(const httplib::Request& req) { return req.path.rfind(kSoapPrefix, 0) == 0; }

  // DELETE /services/rest/record/v1/{type}/{id or eid:...}: 204, the record gone and entered
  // in the log getDeleted reads.
  void Delete(httplib::Response& res, CallContext& ctx, const RecordType& type, const std::string& target) {
    std::optional<size_t> index = Find(type, target);
    if (!index) {
      return Problem(res, 404, Json::array({Detail("The record instance does not exist. Provide a valid record instance ID.",
                                                   "NONEXISTENT_ID")}));
    }
    auto& records = store_->Records(type.name);
    const Json& r = records[*index];
    const std::string now = NowRfc3339();
    DeletedEntry d{type.rest, ScalarText(r.value("id", Json())).value_or(""),
                   ScalarText(r.value("externalId", Json())).value_or(""), RefName(r), ParseInstant(now).value_or(0)};
    ctx.store.Log({now, type.name, d.external_id, d.internal_id, "deleted", ctx.request_id});
    deleted_.push_back(std::move(d));
    records.erase(records.begin() + static_cast<std::ptrdiff_t>(*index));
    res.status = 204;
  }

  // POST /services/NetSuitePort_<version>: SOAP web services, getDeleted only, signed by a
  // token passport (an Authorization header is not read: SOAP takes no OAuth 2.0 token).
  // Faults come with 500, as SOAP 1.1 over HTTP sends them.
  void Soap(const httplib::Request& req, httplib::Response& res) {
    const std::string version = req.path.substr(std::string_view(kSoapPrefix).size());
    auto answer = [&](int status, const std::string& xml) {
      res.status = status;
      res.set_content(xml, "text/xml; charset=utf-8");
    };
    SoapRequest q;
    std::string error;
    if (req.method != "POST") error = "SOAP web services take POST requests";
    if (!error.empty() || !ParseSoapRequest(req.body, q, error)) {
      return answer(500, SoapFault(version, "unexpectedErrorFault", "UNEXPECTED_ERROR", error));
    }
    OAuth1Secrets secrets{options_.consumer_key, options_.consumer_secret, options_.token_id, options_.token_secret};
    if (!q.passport || !VerifyTokenPassport(*q.passport, secrets, nonces_, error)) {
      return answer(500, SoapFault(version, "invalidSessionFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt."));
    }
    if (q.operation != "getDeleted") {
      return answer(500, SoapFault(version, "unexpectedErrorFault", "UNEXPECTED_ERROR",
                                   "crmx-emulate answers getDeleted only, not " + q.operation));
    }
    if (!options_.deleted_records_permission) {
      return answer(500, SoapFault(version, "insufficientPermissionFault", "INSUFFICIENT_PERMISSION",
                                   "Permission Violation: You need the 'Deleted Records' permission to access this "
                                   "page. Please contact your account administrator."));
    }
    auto refuse = [&](const std::string& message) { answer(200, GetDeletedRefusal(version, "INVALID_PARAMETER", message)); };
    if (q.types.empty() || q.type_operator != "anyOf") return refuse("getDeletedFilter needs a type (operator anyOf).");
    std::vector<int64_t> bounds;
    for (const std::string& v : q.date_values) {
      std::optional<int64_t> at = ParseInstant(v);
      if (!at) return refuse("Invalid deletedDate search value: " + v);
      bounds.push_back(*at);
    }
    const std::string& op = q.date_operator;
    const bool dated = !op.empty();
    if (dated && (bounds.size() != (op == "within" ? 2u : 1u) ||
                  (op != "after" && op != "onOrAfter" && op != "before" && op != "onOrBefore" && op != "within"))) {
      return refuse("Invalid deletedDate operator or values: " + op);
    }
    if (q.page < 1) return refuse("Invalid pageIndex: " + std::to_string(q.page));
    std::vector<const DeletedEntry*> matches;
    for (const DeletedEntry& d : deleted_) {
      bool typed = std::any_of(q.types.begin(), q.types.end(), [&](const std::string& t) { return Lower(t) == Lower(d.type); });
      if (!typed) continue;
      if (dated) {
        const int64_t a = d.at_ms;
        bool in = op == "after" ? a > bounds[0] : op == "onOrAfter" ? a >= bounds[0] : op == "before" ? a < bounds[0]
                  : op == "onOrBefore" ? a <= bounds[0] : a >= bounds[0] && a <= bounds[1];
        if (!in) continue;
      }
      matches.push_back(&d);
    }
    const int64_t size = options_.deleted_page_size;
    const int64_t total = static_cast<int64_t>(matches.size());
    const int64_t pages = (total + size - 1) / size;
    std::vector<const DeletedEntry*> page;
    for (int64_t i = (q.page - 1) * size; i < std::min(total, q.page * size); ++i) page.push_back(matches[static_cast<size_t>(i)]);
    answer(200, GetDeletedAnswer(version, total, size, pages, q.page, page));
  }

  static constexpr const char* kSoapPrefix = "/services/NetSuitePort_";

  Options options_;
  Store* store_ = nullptr;
  std::vector<RecordType> types_;
  std::vector<DeletedEntry> deleted_;  // the deletion log, oldest first
  std::set<std::string> tokens_;
  std::set<std::string> nonces_;
  std::map<std::string, httplib::Response> replies_;  // idempotency key -> first answer
  std::map<std::string, int64_t> tran_seq_;  // tranIds given per type so far
  int64_t next_id_ = 100;
};

}  // namespace

std::unique_ptr<Vendor> MakeNetSuite(const Options& options) { return std::make_unique<NetSuite>(options); }

}  // namespace crmx::emulate
