// Defines the Oracle Fusion Cloud REST emulator (`crmx-emulate oracle`): the resources of a
// directory of Oracle `describe` files (schemas/oracle-fusion: salesOrdersForOrderHub with its
// `lines`, accounts), each answering
//   GET  {root}/resources/{version}/{resource}/describe      the describe, as loaded
//   GET  {root}/resources/{version}/{resource}?q=&fields=&onlyData=&offset=&limit=&orderBy=
//        &totalResults=&expand=                               items, hasMore, count
//   POST {root}/resources/{version}/{resource}                create; with Upsert-Mode: true,
//        create or update by the resource's upsert keys
//   POST {root}/resources/{version}/  (application/vnd.oracle.adf.batch+json)  batch of parts,
//        all or nothing: a failed batch lists only its failed parts and applies none
// with validation from the describe (mandatory attribute missing: JBO-27014; a read-only
// attribute, a value not in the list of values, too long: JBO-27008) answered in the
// `o:errorDetails` form, an unknown attribute answered as a plain-text 400 (as Oracle answers
// some 400s), `LastUpdateDate` kept on every write, basic auth and the IDCS token endpoint
// (JWT user assertion with a JWT client assertion), and throttling (429 with Retry-After past
// --oracle-rate-limit calls a minute). `q` reads a documented subset of the RowMatch syntax
// (REST-Framework-Version 2 and later): `Attr op literal` with = != <> < <= > >=, `is null`,
// `is not null`, `in (...)`, `and`, `or`, parentheses; version 1's `Attr=value;Attr=value`
// query by example otherwise. docs/emulators.md cites Oracle's pages.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

struct Attr {
  std::string name, type;  // type: string, number, integer, boolean, date, datetime
  bool updatable = true, mandatory = false, create_only = false, queryable = true;
  size_t max_length = 0;
  std::vector<std::string> values;  // the list of values (crmx:values), empty: any
};

struct Resource {
  std::string name;
  Json describe;  // the resource's describe object, answered as loaded
  std::vector<Attr> attrs;
  std::string id_attr;                          // the read-only integer id (HeaderId, PartyId, LineId)
  std::vector<std::vector<std::string>> keys;   // upsert keys
  std::map<std::string, Resource> children;     // lines
  const Attr* Find(const std::string& n) const {
    for (const auto& a : attrs)
      if (a.name == n) return &a;
    return nullptr;
  }
};

std::string NowOracle() {
  // "2024-05-01T10:00:00+00:00": how Oracle writes a datetime.
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

// Seconds since the epoch of "2024-05-01", "2024-05-01T10:00:00", "...Z", "...+02:00",
// "....123+00:00"; nullopt when not a date.
std::optional<long double> Instant(const std::string& s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::atoi(s.substr(0, 4).c_str()) - 1900;
  tm.tm_mon = std::atoi(s.substr(5, 2).c_str()) - 1;
  tm.tm_mday = std::atoi(s.substr(8, 2).c_str());
  long double frac = 0;
  long offset = 0;
  if (s.size() > 10) {
    if (s.size() < 19 || (s[10] != 'T' && s[10] != ' ')) return std::nullopt;
    tm.tm_hour = std::atoi(s.substr(11, 2).c_str());
    tm.tm_min = std::atoi(s.substr(14, 2).c_str());
    tm.tm_sec = std::atoi(s.substr(17, 2).c_str());
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      frac = std::strtold(("0" + s.substr(i, j - i)).c_str(), nullptr);
      i = j;
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-') && i + 6 <= s.size()) {
      offset = (std::atoi(s.substr(i + 1, 2).c_str()) * 3600 + std::atoi(s.substr(i + 4, 2).c_str()) * 60) *
               (s[i] == '-' ? -1 : 1);
    } else if (i < s.size() && s[i] != 'Z') {
      return std::nullopt;
    }
  }
  return static_cast<long double>(timegm(&tm) - offset) + frac;
}

Json ErrorBody(int status, const std::string& title, Json details) {
  return Json{{"title", title}, {"status", std::to_string(status)}, {"o:errorDetails", std::move(details)}};
}
Json Detail(const std::string& detail, const std::string& code, const std::string& path = "") {
  Json d{{"detail", detail}, {"o:errorCode", code}};
  if (!path.empty()) d["o:errorPath"] = path;
  return d;
}

// ---- q: a RowMatch subset ----

struct Cond {
  enum Kind { kCmp, kNull, kNotNull, kIn, kAnd, kOr } kind = kCmp;
  std::string attr, op;
  std::vector<std::string> lits;   // literal texts (strings unquoted)
  std::vector<bool> quoted;
  std::vector<Cond> kids;
};

class QParser {
 public:
  explicit QParser(std::string text) : s_(std::move(text)) {}
  bool Parse(Cond& out, std::string& error) {
    if (!Or(out, error)) return false;
    Skip();
    if (i_ != s_.size()) {
      error = "unexpected text at " + std::to_string(i_) + ": `" + s_.substr(i_, 20) + "`";
      return false;
    }
    return true;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Word(const char* w) {
    Skip();
    size_t n = std::strlen(w);
    if (i_ + n > s_.size() || Lower(s_.substr(i_, n)) != w) return false;
    if (i_ + n < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_ + n])) || s_[i_ + n] == '_')) return false;
    i_ += n;
    return true;
  }
  bool Or(Cond& out, std::string& error) {
    Cond left;
    if (!And(left, error)) return false;
    if (!Word("or")) {
      out = std::move(left);
      return true;
    }
    out.kind = Cond::kOr;
    out.kids.push_back(std::move(left));
    do {
      Cond c;
      if (!And(c, error)) return false;
      out.kids.push_back(std::move(c));
    } while (Word("or"));
    return true;
  }
  bool And(Cond& out, std::string& error) {
    Cond left;
    if (!Term(left, error)) return false;
    if (!Word("and")) {
      out = std::move(left);
      return true;
    }
    out.kind = Cond::kAnd;
    out.kids.push_back(std::move(left));
    do {
      Cond c;
      if (!Term(c, error)) return false;
      out.kids.push_back(std::move(c));
    } while (Word("and"));
    return true;
  }
  bool Literal(std::string& text, bool& quoted, std::string& error) {
    Skip();
    if (i_ < s_.size() && s_[i_] == '\'') {
      quoted = true;
      ++i_;
      for (;;) {
        if (i_ >= s_.size()) {
          error = "unclosed string literal";
          return false;
        }
        if (s_[i_] == '\'') {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '\'') {
            text += '\'';
            i_ += 2;
            continue;
          }
          ++i_;
          return true;
        }
        text += s_[i_++];
      }
    }
    quoted = false;
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' || s_[i_] == '-' ||
                              s_[i_] == '+'))
      ++i_;
    text = s_.substr(start, i_ - start);
    if (text.empty()) error = "a value expected at " + std::to_string(start);
    return !text.empty();
  }
  bool Term(Cond& out, std::string& error) {
    Skip();
    if (i_ < s_.size() && s_[i_] == '(') {
      ++i_;
      if (!Or(out, error)) return false;
      Skip();
      if (i_ >= s_.size() || s_[i_] != ')') {
        error = "`)` expected";
        return false;
      }
      ++i_;
      return true;
    }
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    out.attr = s_.substr(start, i_ - start);
    if (out.attr.empty()) {
      error = "an attribute name expected at " + std::to_string(start);
      return false;
    }
    if (Word("is")) {
      out.kind = Word("not") ? Cond::kNotNull : Cond::kNull;
      if (!Word("null")) {
        error = "`null` expected after `is`";
        return false;
      }
      return true;
    }
    if (Word("in")) {
      out.kind = Cond::kIn;
      Skip();
      if (i_ >= s_.size() || s_[i_] != '(') {
        error = "`(` expected after `in`";
        return false;
      }
      ++i_;
      for (;;) {
        std::string t;
        bool q = false;
        if (!Literal(t, q, error)) return false;
        out.lits.push_back(t);
        out.quoted.push_back(q);
        Skip();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ')') {
          ++i_;
          return true;
        }
        error = "`,` or `)` expected in `in (...)`";
        return false;
      }
    }
    Skip();
    static const char* kOps[] = {"<=", ">=", "!=", "<>", "=", "<", ">"};
    for (const char* op : kOps) {
      if (s_.compare(i_, std::strlen(op), op) == 0) {
        out.op = op;
        i_ += std::strlen(op);
        break;
      }
    }
    if (out.op.empty()) {
      error = "an operator expected after `" + out.attr + "`";
      return false;
    }
    if (out.op == "<>") out.op = "!=";
    std::string t;
    bool q = false;
    if (!Literal(t, q, error)) return false;
    out.lits.push_back(t);
    out.quoted.push_back(q);
    return true;
  }

  std::string s_;
  size_t i_ = 0;
};

// -1, 0, 1 comparing a stored value with a literal by the attribute's type; nullopt: not comparable.
std::optional<int> Compare(const Json& v, const std::string& lit, const Attr& a) {
  auto text = ScalarText(v);
  if (!text) return std::nullopt;
  if (a.type == "number" || a.type == "integer") {
    auto x = NumberValue(v);
    if (!x) x = std::strtold(text->c_str(), nullptr);
    char* end = nullptr;
    long double y = std::strtold(lit.c_str(), &end);
    if (end == lit.c_str()) return std::nullopt;
    return *x < y ? -1 : *x > y ? 1 : 0;
  }
  if (a.type == "date" || a.type == "datetime") {
    auto x = Instant(*text), y = Instant(lit);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  return *text < lit ? -1 : *text > lit ? 1 : 0;
}

bool Matches(const Json& row, const Cond& c, const Resource& r) {
  switch (c.kind) {
    case Cond::kAnd:
      return std::all_of(c.kids.begin(), c.kids.end(), [&](const Cond& k) { return Matches(row, k, r); });
    case Cond::kOr:
      return std::any_of(c.kids.begin(), c.kids.end(), [&](const Cond& k) { return Matches(row, k, r); });
    default: break;
  }
  const Attr* a = r.Find(c.attr);
  const Json v = row.contains(c.attr) ? row[c.attr] : Json();
  bool null = v.is_null() || (v.is_string() && v.get<std::string>().empty());
  if (c.kind == Cond::kNull) return null;
  if (c.kind == Cond::kNotNull) return !null;
  if (null || a == nullptr) return false;  // NULL fails every comparison
  if (c.kind == Cond::kIn) {
    for (const auto& lit : c.lits)
      if (Compare(v, lit, *a) == 0) return true;
    return false;
  }
  auto cmp = Compare(v, c.lits[0], *a);
  if (!cmp) return false;
  if (c.op == "=") return *cmp == 0;
  if (c.op == "!=") return *cmp != 0;
  if (c.op == "<") return *cmp < 0;
  if (c.op == "<=") return *cmp <= 0;
  if (c.op == ">") return *cmp > 0;
  return *cmp >= 0;
}

// The attributes a condition names.
void Named(const Cond& c, std::vector<std::string>& out) {
  if (!c.attr.empty()) out.push_back(c.attr);
  for (const auto& k : c.kids) Named(k, out);
}

class Oracle : public Vendor {
 public:
  explicit Oracle(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    store_ = &store;
    if (options_.schemas_dir.empty()) {
      error = "oracle needs --schemas: a directory of Oracle describe files (schemas/oracle-fusion)";
      return false;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(options_.schemas_dir, ec)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      Json doc = ParseExact(text);
      if (!doc.is_object() || !doc.contains("Resources") || !doc["Resources"].is_object()) {
        notes.push_back(entry.path().string() + ": not an Oracle describe (no `Resources`), skipped");
        continue;
      }
      for (auto it = doc["Resources"].begin(); it != doc["Resources"].end(); ++it)
        resources_[it.key()] = ReadResource(it.key(), it.value());
    }
    if (ec) {
      error = "cannot read schemas directory " + options_.schemas_dir + ": " + ec.message();
      return false;
    }
    if (resources_.empty()) {
      error = options_.schemas_dir + " has no Oracle describe file";
      return false;
    }
    if (!options_.data_dir.empty()) {
      bool ok = store.Seed(
          options_.data_dir, [&](const std::string& stem) { return resources_.count(stem) ? stem : std::string(); },
          notes, error);
      if (!ok) return false;
    }
    for (const auto& [name, records] : store.Tables()) {
      auto r = resources_.find(name);
      if (r == resources_.end() || r->second.id_attr.empty()) continue;
      for (const auto& rec : records)
        if (auto id = rec.contains(r->second.id_attr) ? ScalarText(rec[r->second.id_attr]) : std::nullopt)
          next_id_ = std::max<int64_t>(next_id_, std::atoll(id->c_str()) + 1);
    }
    return true;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/oauth2/v1/token"; }
  bool LimitsConcurrency() const override { return false; }
  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    if (req.path.size() > 9 && req.path.compare(req.path.size() - 9, 9, "/describe") == 0) return "describe";
    if (req.method == "GET") return "query";
    if (IsBatch(req)) return "batch";
    if (req.method == "POST") return req.get_header_value("Upsert-Mode") == "true" ? "upsert" : "create";
    return "other";
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (!Authorized(req)) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"Oracle Fusion Applications\"");
      res.set_content("", "text/plain");
      return;
    }
    if (options_.oracle_rate_limit > 0) {
      // Oracle throttles a client's calls: past the limit a minute, 429 with Retry-After.
      auto now = std::chrono::steady_clock::now();
      while (!window_.empty() && now - window_.front() > std::chrono::minutes(1)) window_.pop_front();
      if (static_cast<int>(window_.size()) >= options_.oracle_rate_limit) {
        ++throttled_;
        Refuse(429, false, res);
        res.set_header("Retry-After", "1");
        return;
      }
      window_.push_back(now);
    }
    // {root}/resources/{version}[/{resource}[/describe]]
    std::vector<std::string> seg;
    for (size_t at = 1; at <= req.path.size();) {
      size_t slash = req.path.find('/', at);
      if (slash == std::string::npos) slash = req.path.size();
      if (slash > at) seg.push_back(req.path.substr(at, slash - at));
      at = slash + 1;
    }
    if (seg.size() < 3 || seg[1] != "resources" || (seg[0] != "fscmRestApi" && seg[0] != "crmRestApi")) {
      return SetJson(res, 404, ErrorBody(404, "Not Found", Json::array({Detail("No resource at " + req.path, "")})));
    }
    if (seg.size() == 3 && req.method == "POST") return Batch(req, res, ctx);
    const Resource* r = seg.size() >= 4 ? FindResource(seg[3]) : nullptr;
    if (r == nullptr) {
      return SetJson(res, 404, ErrorBody(404, "Not Found",
                                         Json::array({Detail("The resource " + (seg.size() >= 4 ? seg[3] : "") +
                                                                 " isn't found.", "")})));
    }
    if (seg.size() == 5 && seg[4] == "describe" && req.method == "GET") {
      return SetJson(res, 200, Json{{"Resources", Json{{r->name, r->describe}}}});
    }
    if (seg.size() == 4 && req.method == "GET") return Query(req, res, *r);
    if (seg.size() == 4 && req.method == "POST") {
      Json payload = ParseExact(req.body);
      if (!payload.is_object()) {
        res.status = 400;
        res.set_content("The request body isn't valid JSON.", "text/plain");
        return;
      }
      bool upsert = req.get_header_value("Upsert-Mode") == "true";
      std::vector<Pending> pending;
      Json row;
      int status = 0;
      Json error;
      std::string plain;
      if (!Apply(*r, payload, upsert, pending, row, status, error, plain)) {
        if (!plain.empty()) {
          res.status = 400;
          res.set_content(plain, "text/plain");
          return;
        }
        return SetJson(res, 400, error);
      }
      Commit(pending, ctx);
      return SetJson(res, status, row);
    }
    SetJson(res, 405, ErrorBody(405, "Method Not Allowed", Json::array({Detail(req.method + " " + req.path + " isn't supported.", "")})));
  }

  void Refuse(int status, bool, httplib::Response& res) override {
    if (status == 429) {
      return SetJson(res, 429, ErrorBody(429, "Too Many Requests",
                                         Json::array({Detail("The request was throttled. Try again later.", "")})));
    }
    res.status = 503;
    res.set_content("Service Unavailable", "text/plain");
  }
  void ExpireTokens() override { tokens_.clear(); }
  void Reset() override { window_.clear(); }
  Json Stats() const override {
    return Json{{"tokens", tokens_.size()}, {"throttled", throttled_}, {"resources", resources_.size()}};
  }

 private:
  // A write checked and ready: applied to the store only when the whole request succeeds.
  struct Pending {
    std::string resource;
    std::optional<size_t> index;  // the row it replaces; none: a new row
    Json row;
    std::string key;
  };

  static bool IsBatch(const httplib::Request& req) {
    return req.method == "POST" && req.get_header_value("Content-Type").find("vnd.oracle.adf.batch+json") != std::string::npos;
  }

  Resource ReadResource(const std::string& name, const Json& d) {
    Resource r;
    r.name = name;
    r.describe = d;
    for (const auto& a : d.value("attributes", Json::array())) {
      Attr x;
      x.name = a.value("name", "");
      x.type = a.value("type", "string");
      x.updatable = a.value("updatable", true);
      x.mandatory = a.value("mandatory", false);
      x.queryable = a.value("queryable", true);
      std::string allow = a.value("allowChanges", "");
      x.create_only = allow == "while_insert" || allow == "whileNew" || allow == "create";
      if (a.contains("maxLength")) {
        auto t = ScalarText(a["maxLength"]);
        if (t) x.max_length = static_cast<size_t>(std::atoll(t->c_str()));
      }
      if (a.contains("annotations") && a["annotations"].contains("crmx:values"))
        for (const auto& v : a["annotations"]["crmx:values"]) x.values.push_back(v.get<std::string>());
      // The row's id: the first read-only integer attribute named ...Id (as the importer reads it).
      if (r.id_attr.empty() && !x.updatable && !x.create_only && x.type == "integer" && x.name.size() > 2 &&
          x.name.compare(x.name.size() - 2, 2, "Id") == 0)
        r.id_attr = x.name;
      r.attrs.push_back(std::move(x));
    }
    if (d.contains("annotations") && d["annotations"].contains("crmx:upsertKeys"))
      for (const auto& k : d["annotations"]["crmx:upsertKeys"]) {
        std::vector<std::string> key;
        for (const auto& n : k) key.push_back(n.get<std::string>());
        r.keys.push_back(key);
      }
    if (d.contains("children"))
      for (auto it = d["children"].begin(); it != d["children"].end(); ++it)
        r.children[it.key()] = ReadResource(it.key(), it.value());
    return r;
  }

  const Resource* FindResource(const std::string& name) const {
    auto it = resources_.find(name);
    return it == resources_.end() ? nullptr : &it->second;
  }

  bool Authorized(const httplib::Request& req) {
    std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) == 0) return tokens_.count(h.substr(7)) > 0;
    if (h.rfind("Basic ", 0) == 0) return h.substr(6) == Base64(options_.oracle_username + ":" + options_.oracle_password);
    return false;
  }

  // IDCS: the JWT user assertion grant with a JWT client assertion (signatures not verified).
  void Token(const httplib::Request& req, httplib::Response& res) {
    auto refuse = [&](int status, const std::string& code, const std::string& why) {
      SetJson(res, status, Json{{"error", code}, {"error_description", why}});
    };
    if (req.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer")
      return refuse(400, "unsupported_grant_type", "Unsupported grant type.");
    if (req.get_param_value("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return refuse(401, "invalid_client", "Client authentication failed: no client assertion.");
    Json uh, uc, ch, cc;
    std::string error;
    if (!DecodeJwt(req.get_param_value("client_assertion"), ch, cc, error) ||
        !MissingClaims(cc, {"sub", "iss", "aud", "exp", "iat"}).empty() || ch.value("alg", "") != "RS256")
      return refuse(401, "invalid_client", "Client authentication failed: the client assertion is not valid.");
    if (cc["sub"] != options_.client_id || cc["iss"] != options_.client_id)
      return refuse(401, "invalid_client", "Client authentication failed: unknown client.");
    if (!DecodeJwt(req.get_param_value("assertion"), uh, uc, error) ||
        !MissingClaims(uc, {"sub", "iss", "aud", "exp", "iat"}).empty())
      return refuse(400, "invalid_grant", "The user assertion is not valid.");
    if (uc["sub"] != options_.oracle_username) return refuse(400, "invalid_grant", "The user assertion names an unknown user.");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    for (const Json* c : {&uc, &cc})
      if (!(*c)["exp"].is_number() || (*c)["exp"].get<int64_t>() < now.count())
        return refuse(400, "invalid_grant", "The assertion has expired.");
    std::string token = NewToken("oracle-emulator-");
    tokens_.insert(token);
    SetJson(res, 200, Json{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", 3600}});
  }

  void Query(const httplib::Request& req, httplib::Response& res, const Resource& r) {
    auto bad = [&](const std::string& why) {
      SetJson(res, 400, ErrorBody(400, "Bad Request", Json::array({Detail(why, "")})));
    };
    int64_t limit = req.has_param("limit") ? std::atoll(req.get_param_value("limit").c_str()) : 25;
    int64_t offset = req.has_param("offset") ? std::atoll(req.get_param_value("offset").c_str()) : 0;
    if (limit < 1 || offset < 0) return bad("The limit and offset URL parameters must be non-negative numbers.");
    limit = std::min<int64_t>(limit, 500);  // Oracle serves at most 500 rows a page
    std::optional<Cond> cond;
    if (req.has_param("q")) {
      std::string q = req.get_param_value("q");
      std::string version = req.get_header_value("REST-Framework-Version");
      Cond c;
      std::string error;
      if (version.empty() || version == "1") {
        // Version 1: query by example, `Attr=value;Attr=value`.
        c.kind = Cond::kAnd;
        for (size_t at = 0; at <= q.size();) {
          size_t semi = q.find(';', at);
          std::string term = q.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
          size_t eq = term.find('=');
          if (eq == std::string::npos) return bad("URL request parameter q with value " + q + " isn't valid.");
          Cond t;
          t.attr = term.substr(0, eq);
          t.op = "=";
          t.lits.push_back(term.substr(eq + 1));
          t.quoted.push_back(false);
          c.kids.push_back(t);
          if (semi == std::string::npos) break;
          at = semi + 1;
        }
      } else if (!QParser(q).Parse(c, error)) {
        return bad("URL request parameter q with value " + q + " isn't valid: " + error);
      }
      std::vector<std::string> named;
      Named(c, named);
      for (const auto& n : named) {
        const Attr* a = r.Find(n);
        if (a == nullptr) return bad("URL request parameter q with value " + q + " isn't valid: " + n + " isn't an attribute of " + r.name);
        if (!a->queryable) return bad("The attribute " + n + " of " + r.name + " isn't queryable.");
      }
      cond = std::move(c);
    }
    std::vector<std::string> fields;
    if (req.has_param("fields")) {
      std::string f = req.get_param_value("fields");
      for (size_t at = 0; at <= f.size();) {
        size_t comma = f.find(',', at);
        std::string name = f.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        if (!name.empty()) {
          if (!r.Find(name) && !r.children.count(name)) return bad("The attribute " + name + " in the fields URL parameter isn't valid.");
          fields.push_back(name);
        }
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    }
    std::vector<std::pair<std::string, bool>> order;
    if (req.has_param("orderBy")) {
      std::string o = req.get_param_value("orderBy");
      for (size_t at = 0; at <= o.size();) {
        size_t comma = o.find(',', at);
        std::string term = o.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        size_t colon = term.find(':');
        std::string name = term.substr(0, colon);
        bool desc = colon != std::string::npos && Lower(term.substr(colon + 1)) == "desc";
        if (!r.Find(name)) return bad("The attribute " + name + " in the orderBy URL parameter isn't valid.");
        order.emplace_back(name, desc);
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    }
    if (order.empty() && !r.id_attr.empty()) order.emplace_back(r.id_attr, false);
    std::set<std::string> expand;
    if (req.has_param("expand")) {
      std::string e = req.get_param_value("expand");
      for (const auto& [name, child] : r.children)
        if (e == "all" || ("," + e + ",").find("," + name + ",") != std::string::npos) expand.insert(name);
    }
    bool only_data = req.get_param_value("onlyData") == "true";
    std::vector<const Json*> rows;
    for (const auto& row : store_->Records(r.name))
      if (!cond || Matches(row, *cond, r)) rows.push_back(&row);
    std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
      for (const auto& [name, desc] : order) {
        const Attr* at = r.Find(name);
        Json va = a->contains(name) ? (*a)[name] : Json(), vb = b->contains(name) ? (*b)[name] : Json();
        if (va.is_null() || vb.is_null()) {
          if (va.is_null() != vb.is_null()) return desc ? va.is_null() : vb.is_null();  // nulls last ascending
          continue;
        }
        auto c = Compare(va, ScalarText(vb).value_or(""), *at);
        if (c && *c != 0) return desc ? *c > 0 : *c < 0;
      }
      return false;
    });
    Json items = Json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(rows.size()) && i < offset + limit; ++i) {
      const Json& row = *rows[static_cast<size_t>(i)];
      Json item = Json::object();
      for (const auto& a : r.attrs) {
        if (!fields.empty() && std::find(fields.begin(), fields.end(), a.name) == fields.end()) continue;
        item[a.name] = row.contains(a.name) ? row[a.name] : Json();
      }
      for (const auto& [name, child] : r.children) {
        bool asked = std::find(fields.begin(), fields.end(), name) != fields.end();
        if (expand.count(name) || asked) item[name] = row.contains(name) ? row[name] : Json::array();
      }
      if (!only_data) {
        std::string self = "/" + std::string(r.name) + "/" + ScalarText(row.value(r.id_attr, Json())).value_or("");
        item["links"] = Json::array({Json{{"rel", "self"}, {"href", self}, {"name", r.name}, {"kind", "item"}}});
      }
      items.push_back(std::move(item));
    }
    Json body{{"items", items},
              {"count", items.size()},
              {"hasMore", offset + limit < static_cast<int64_t>(rows.size())},
              {"limit", limit},
              {"offset", offset}};
    if (req.get_param_value("totalResults") == "true") body["totalResults"] = rows.size();
    if (!only_data) body["links"] = Json::array({Json{{"rel", "self"}, {"href", req.path}, {"name", r.name}, {"kind", "collection"}}});
    SetJson(res, 200, body);
  }

  // Checks one row's attributes against the describe; the first problem as an o:errorDetails
  // entry, or a plain-text message for an attribute the resource does not have.
  bool Check(const Resource& r, const Json& payload, const Json* existing, const std::string& path, Json& details,
             std::string& plain) {
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      const Attr* a = r.Find(it.key());
      if (a == nullptr) {
        if (r.children.count(it.key())) continue;
        plain = "The request failed because the attribute " + it.key() + " isn't valid for the resource " + r.name + ".";
        return false;
      }
      const Json& v = it.value();
      auto text = ScalarText(v);
      bool same = existing != nullptr && existing->contains(a->name) && ScalarText((*existing)[a->name]) == text;
      bool settable = existing == nullptr ? (a->updatable || a->create_only) : (a->updatable && !a->create_only);
      if (!settable && !same && !v.is_null()) {
        details.push_back(Detail("Attribute set with value " + text.value_or("") + " for " + a->name + " in " + r.name +
                                     " failed: the attribute isn't updatable.",
                                 "JBO-27008", path + a->name));
        return false;
      }
      if (v.is_null()) continue;
      bool number = a->type == "number" || a->type == "integer";
      if ((number && !IsNumber(v) && !v.is_number()) || (a->type == "boolean" && !v.is_boolean()) ||
          ((a->type == "date" || a->type == "datetime") && (!v.is_string() || !Instant(v.get<std::string>())))) {
        details.push_back(Detail("Attribute set with value " + text.value_or(DumpExact(v)) + " for " + a->name + " in " +
                                     r.name + " failed: it isn't a " + a->type + ".",
                                 "JBO-27008", path + a->name));
        return false;
      }
      if (a->max_length > 0 && v.is_string() && v.get<std::string>().size() > a->max_length) {
        details.push_back(Detail("Attribute set with value " + *text + " for " + a->name + " in " + r.name +
                                     " failed: the value is longer than " + std::to_string(a->max_length) + " characters.",
                                 "JBO-27008", path + a->name));
        return false;
      }
      if (!a->values.empty() && std::find(a->values.begin(), a->values.end(), *text) == a->values.end()) {
        details.push_back(Detail("The value " + *text + " of the attribute " + a->name + " isn't in the list of values.",
                                 "JBO-27008", path + a->name));
        return false;
      }
    }
    if (existing == nullptr) {
      for (const auto& a : r.attrs) {
        if (!a.mandatory || !(a.updatable || a.create_only)) continue;
        bool given = payload.contains(a.name) && !payload[a.name].is_null() &&
                     !(payload[a.name].is_string() && payload[a.name].get<std::string>().empty());
        if (!given) {
          details.push_back(Detail("Attribute " + a.name + " in " + r.name + " is required.", "JBO-27014", path + a.name));
          return false;
        }
      }
    }
    for (const auto& [name, child] : r.children) {
      if (!payload.contains(name)) continue;
      if (!payload[name].is_array()) {
        plain = "The request failed because the child resource " + name + " isn't an array.";
        return false;
      }
      for (size_t i = 0; i < payload[name].size(); ++i) {
        if (!payload[name][i].is_object()) {
          plain = "The request failed because a row of the child resource " + name + " isn't an object.";
          return false;
        }
        if (!Check(child, payload[name][i], nullptr, path + name + "/" + std::to_string(i) + "/", details, plain)) return false;
      }
    }
    return true;
  }

  std::string KeyText(const std::vector<std::string>& key, const Json& row) const {
    std::string out;
    for (const auto& n : key) {
      auto t = row.contains(n) ? ScalarText(row[n]) : std::nullopt;
      if (!t || t->empty()) return {};
      out += (out.empty() ? "" : ":") + *t;
    }
    return out;
  }

  // Validates and prepares one create or upsert of `payload` (pending writes of the same
  // request are seen, so two parts with one key update the same row).
  bool Apply(const Resource& r, const Json& payload, bool upsert, std::vector<Pending>& pending, Json& row, int& status,
             Json& error, std::string& plain) {
    std::optional<size_t> index;
    std::optional<size_t> pending_index;
    std::string key;
    auto& records = store_->Records(r.name);
    for (const auto& k : r.keys) {
      std::string text = KeyText(k, payload);
      if (text.empty()) continue;
      if (key.empty()) key = text;
      for (size_t p = 0; p < pending.size(); ++p)
        if (pending[p].resource == r.name && KeyText(k, pending[p].row) == text) pending_index = p;
      if (pending_index) break;
      for (size_t i = 0; i < records.size(); ++i)
        if (KeyText(k, records[i]) == text) index = i;
      if (index) {
        key = text;
        break;
      }
    }
    const Json* existing = pending_index ? &pending[*pending_index].row : index ? &records[*index] : nullptr;
    Json details = Json::array();
    if (existing != nullptr && !upsert) {
      details.push_back(Detail("Too many objects match the primary key oracle.jbo.Key[" + key + "].", "JBO-25013"));
      error = ErrorBody(400, "Bad Request", details);
      return false;
    }
    if (!Check(r, payload, existing, "", details, plain)) {
      error = ErrorBody(400, "Bad Request", details);
      return false;
    }
    std::string now = NowOracle();
    row = existing ? *existing : Json::object();
    if (!existing) {
      for (const auto& a : r.attrs) row[a.name] = Json();
      if (!r.id_attr.empty()) row[r.id_attr] = Number(std::to_string(next_id_++));
      if (r.Find("CreationDate")) row["CreationDate"] = now;
      if (r.Find("OrderNumber")) row["OrderNumber"] = std::to_string(next_id_ - 300000000000LL + 1000);
      if (r.Find("StatusCode")) row["StatusCode"] = "OPEN";
      if (r.Find("PartyNumber")) row["PartyNumber"] = "CDRM_" + std::to_string(next_id_);
    }
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      auto child = r.children.find(it.key());
      if (child == r.children.end()) {
        row[it.key()] = it.value();
        continue;
      }
      // Child rows given with an upsert replace the row's children.
      Json lines = Json::array();
      for (const auto& line : it.value()) {
        Json l = Json::object();
        for (const auto& a : child->second.attrs) l[a.name] = line.contains(a.name) ? line[a.name] : Json();
        if (!child->second.id_attr.empty()) l[child->second.id_attr] = Number(std::to_string(next_id_++));
        if (child->second.Find("LineNumber")) l["LineNumber"] = Number(std::to_string(lines.size() + 1));
        if (child->second.Find("StatusCode")) l["StatusCode"] = "OPEN";
        if (child->second.Find("CreationDate")) l["CreationDate"] = now;
        if (child->second.Find("LastUpdateDate")) l["LastUpdateDate"] = now;
        lines.push_back(std::move(l));
      }
      row[it.key()] = std::move(lines);
    }
    if (r.Find("LastUpdateDate")) row["LastUpdateDate"] = now;
    if (r.Find("OrderKey") && row.contains("SourceTransactionSystem") && row.contains("SourceTransactionNumber"))
      row["OrderKey"] = ScalarText(row["SourceTransactionSystem"]).value_or("") + ":" +
                        ScalarText(row["SourceTransactionNumber"]).value_or("");
    if (key.empty()) key = ScalarText(row.value(r.id_attr, Json())).value_or("");
    status = existing ? 200 : 201;
    if (pending_index) {
      pending[*pending_index].row = row;
    } else {
      pending.push_back(Pending{r.name, index, row, key});
    }
    return true;
  }

  void Commit(const std::vector<Pending>& pending, CallContext& ctx) {
    std::string now = NowRfc3339();
    for (const auto& p : pending) {
      auto& records = store_->Records(p.resource);
      const Resource& r = resources_.at(p.resource);
      std::string id = ScalarText(p.row.value(r.id_attr, Json())).value_or("");
      if (p.index) {
        records[*p.index] = p.row;
      } else {
        records.push_back(p.row);
      }
      ctx.store.Log({now, p.resource, p.key, id, p.index ? "updated" : "created", ctx.request_id});
    }
  }

  // The batch: parts in order; any failed part fails the whole batch, which then lists only the
  // failed parts (Oracle's "Perform Batch Actions": all or none).
  void Batch(const httplib::Request& req, httplib::Response& res, CallContext& ctx) {
    if (!IsBatch(req)) {
      res.status = 415;
      res.set_content("Unsupported media type: a batch is application/vnd.oracle.adf.batch+json.", "text/plain");
      return;
    }
    Json body = ParseExact(req.body);
    if (!body.is_object() || !body.contains("parts") || !body["parts"].is_array()) {
      res.status = 400;
      res.set_content("The request failed because the batch body has no parts.", "text/plain");
      return;
    }
    int64_t saved_next = next_id_;
    std::vector<Pending> pending;
    Json answered = Json::array(), failed = Json::array();
    for (const auto& part : body["parts"]) {
      std::string id = part.value("id", "");
      std::string path = part.value("path", "");
      std::string op = part.value("operation", "");
      Json out{{"id", id}, {"path", path}, {"operation", op}};
      std::string name = path;
      while (!name.empty() && name.front() == '/') name.erase(0, 1);
      if (name.find('/') != std::string::npos) name = name.substr(name.rfind('/') + 1);
      const Resource* r = FindResource(name);
      Json row, error;
      int status = 0;
      std::string plain;
      if (r == nullptr || (op != "create" && op != "upsert")) {
        out["payload"] = ErrorBody(400, "Bad Request", Json::array({Detail(r == nullptr ? "The resource " + path + " isn't found."
                                                                                          : "The operation " + op + " isn't supported here.", "")}));
        failed.push_back(out);
        continue;
      }
      if (!part.contains("payload") || !part["payload"].is_object()) {
        out["payload"] = ErrorBody(400, "Bad Request", Json::array({Detail("The part has no payload.", "")}));
        failed.push_back(out);
        continue;
      }
      if (!Apply(*r, part["payload"], op == "upsert", pending, row, status, error, plain)) {
        out["payload"] = plain.empty() ? error : ErrorBody(400, "Bad Request", Json::array({Detail(plain, "")}));
        failed.push_back(out);
        continue;
      }
      out["payload"] = row;
      answered.push_back(out);
    }
    if (!failed.empty()) {
      next_id_ = saved_next;
      return SetJson(res, 400, Json{{"parts", failed}});
    }
    Commit(pending, ctx);
    SetJson(res, 200, Json{{"parts", answered}});
  }

  const Options& options_;
  Store* store_ = nullptr;
  std::map<std::string, Resource> resources_;
  std::set<std::string> tokens_;
  std::deque<std::chrono::steady_clock::time_point> window_;
  uint64_t throttled_ = 0;
  int64_t next_id_ = 300000000001;
};

}  // namespace

std::unique_ptr<Vendor> MakeOracle(const Options& options) {
  return std::make_unique<Oracle>(options);
}

}  // namespace crmx::emulate
