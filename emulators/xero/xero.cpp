// Defines the Xero Accounting API emulator (`crmx-emulate xero`): the identity server's token
// endpoint (client credentials, the client as HTTP Basic auth), and under /api.xro/2.0/ the
// Contacts, Invoices (LineItems, computed SubTotal/TotalTax/Total/AmountDue, Status DRAFT,
// SUBMITTED, AUTHORISED, PAID by payments), Items and Payments collections: GET with
// If-Modified-Since, a small `where` (`Name=="x"`, `Status=="x"`, numbers, booleans, AND),
// `order`, `page`/`pageSize`; POST and PUT of `{"Contacts":[...]}` batches, per-element
// ValidationErrors with summarizeErrors=false or a 400 ValidationException without, the
// Idempotency-Key, the `xero-tenant-id` check, and the per-tenant limits (calls a minute, a
// day; calls in flight through the shared core) with Xero's limit headers and 429 +
// X-Rate-Limit-Problem. Dates are answered as Xero writes them: `/Date(1573755038314+0000)/`.
// docs/emulators.md cites the Xero pages each behaviour follows.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <httplib.h>

#include "emulators/auth.h"
#include "emulators/server.h"

namespace crmx::emulate {
namespace {

constexpr const char* kApiPrefix = "/api.xro/2.0/";
constexpr int64_t kAppMinuteLimit = 10000;  // calls a minute per app, over all tenants

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string MsDate(int64_t ms) { return "/Date(" + std::to_string(ms) + "+0000)/"; }

// Milliseconds of `/Date(ms+0000)/`, or of ISO text ("2024-10-01T12:00:00", optional fraction,
// optional Z or +hh:mm / +hhmm); nullopt otherwise.
std::optional<int64_t> ParseInstant(const std::string& text) {
  if (text.rfind("/Date(", 0) == 0) {
    try {
      size_t used = 0;
      long long ms = std::stoll(text.substr(6), &used);
      return static_cast<int64_t>(ms);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  size_t at = 10;
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    int m = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &m) != 3 || m != 8) return std::nullopt;
    at += 9;
  }
  int64_t frac_ms = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh = 0, om = 0;
    std::string zone = text.substr(at + 1);
    zone.erase(std::remove(zone.begin(), zone.end(), ':'), zone.end());
    if (zone.size() != 4 || std::sscanf(zone.c_str(), "%2d%2d", &oh, &om) != 2) return std::nullopt;
    offset_s = (text[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    at = text.size();
  } else if (at < text.size() && text[at] == 'Z') {
    ++at;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000 + frac_ms;
}

// Money and quantities as integers of 1/10,000 (Xero keeps 4 decimals of a unit amount).
std::optional<int64_t> Scaled(const Json& v) {
  std::optional<std::string> text = ScalarText(v);
  if (!text || text->empty()) return std::nullopt;
  const std::string& t = *text;
  size_t i = 0;
  bool negative = false;
  if (t[0] == '-' || t[0] == '+') {
    negative = t[0] == '-';
    ++i;
  }
  int64_t whole = 0, frac = 0;
  int digits = 0;
  bool any = false, point = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    any = true;
    if (!point) {
      if (whole > 100000000000000LL) return std::nullopt;
      whole = whole * 10 + (c - '0');
    } else if (digits < 4) {
      frac = frac * 10 + (c - '0');
      ++digits;
    }
  }
  if (!any) return std::nullopt;
  for (; digits < 4; ++digits) frac *= 10;
  int64_t out = whole * 10000 + frac;
  return negative ? -out : out;
}

// A number of 1/10,000 written with `decimals` digits (2 for money), half away from zero.
Json Money(int64_t scaled, int decimals = 2) {
  int64_t div = decimals == 2 ? 100 : 1;
  int64_t v = scaled >= 0 ? (scaled + div / 2) / div : -((-scaled + div / 2) / div);
  int64_t unit = decimals == 2 ? 100 : 10000;
  std::string sign = v < 0 ? "-" : "";
  int64_t a = v < 0 ? -v : v;
  std::string frac = std::to_string(a % unit);
  while (static_cast<int>(frac.size()) < decimals) frac = "0" + frac;
  return Number(sign + std::to_string(a / unit) + "." + frac);
}

std::string Text(const Json& record, const char* key) {
  if (!record.is_object() || !record.contains(key)) return "";
  return ScalarText(record[key]).value_or("");
}

bool SameText(const std::string& a, const std::string& b) { return Lower(a) == Lower(b); }

// One object the emulator serves.
struct Kind {
  std::string object;      // "Contact" (the store's name)
  std::string collection;  // "Contacts"
  std::string id;          // "ContactID"
  std::string number;      // the business key updates match by: "ContactNumber" ("" none)
  bool paged = true;       // GET takes page
};

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      {"Contact", "Contacts", "ContactID", "ContactNumber", true},
      {"Invoice", "Invoices", "InvoiceID", "InvoiceNumber", true},
      {"Item", "Items", "ItemID", "Code", false},
      {"Payment", "Payments", "PaymentID", "", true},
  };
  return kinds;
}

const Kind* KindOf(const std::string& name) {
  for (const Kind& k : Kinds())
    if (SameText(k.object, name) || SameText(k.collection, name)) return &k;
  return nullptr;
}

// One condition of a `where`.
struct Clause {
  std::string field;  // dotted path
  std::string op;     // == != > >= < <=
  Json value;         // string, bool or number
};

// Parses the subset of Xero's `where` the emulator knows; false with `error` otherwise.
bool ParseWhere(const std::string& where, std::vector<Clause>& out, std::string& error) {
  std::string rest = where;
  for (;;) {
    size_t cut = std::string::npos, cut_len = 0;
    bool quoted = false;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '"') quoted = !quoted;
      if (quoted) continue;
      if (rest.compare(i, 5, " AND ") == 0 || rest.compare(i, 5, " and ") == 0) {
        cut = i;
        cut_len = 5;
        break;
      }
      if (rest.compare(i, 2, "&&") == 0) {
        cut = i;
        cut_len = 2;
        break;
      }
    }
    std::string part = rest.substr(0, cut);
    auto trim = [](std::string s) {
      while (!s.empty() && s.front() == ' ') s.erase(s.begin());
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    };
    part = trim(part);
    Clause c;
    static const char* const kOps[] = {"==", "!=", ">=", "<=", ">", "<"};
    size_t at = std::string::npos;
    for (const char* op : kOps) {
      size_t p = part.find(op);
      if (p != std::string::npos && (at == std::string::npos || p < at)) {
        at = p;
        c.op = op;
      }
    }
    if (at == std::string::npos) {
      error = "could not parse the where clause `" + part + "`";
      return false;
    }
    c.field = trim(part.substr(0, at));
    std::string value = trim(part.substr(at + c.op.size()));
    if (value.rfind("Guid(", 0) == 0 && value.size() > 6 && value.back() == ')') value = value.substr(5, value.size() - 6);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      c.value = value.substr(1, value.size() - 2);
    } else if (value == "true" || value == "false") {
      c.value = value == "true";
    } else if (Scaled(Json(value))) {
      c.value = Number(value);
    } else {
      error = "could not parse the value `" + value + "` of the where clause `" + part + "`";
      return false;
    }
    bool name_ok = !c.field.empty() && std::all_of(c.field.begin(), c.field.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
    });
    if (!name_ok) {
      error = "could not parse the member `" + c.field + "` of the where clause";
      return false;
    }
    out.push_back(std::move(c));
    if (cut == std::string::npos) return true;
    rest = rest.substr(cut + cut_len);
  }
}

const Json* PathOf(const Json& record, const std::string& dotted) {
  const Json* at = &record;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
  return nullptr;
}

// -1, 0, 1 comparing a record's value with a clause's (strings without case, numbers as
// numbers, /Date()/ as instants); nullopt when they do not compare (null, other types).
std::optional<int> Compare(const Json& a, const Json& b) {
  if (a.is_null()) return std::nullopt;
  if (b.is_boolean()) {
    if (!a.is_boolean()) return std::nullopt;
    return a.get<bool>() == b.get<bool>() ? 0 : 1;
  }
  if (IsNumber(b)) {
    auto x = Scaled(a), y = Scaled(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  std::optional<std::string> x = ScalarText(a);
  if (!x || !b.is_string()) return std::nullopt;
  std::string l = Lower(*x), r = Lower(b.get<std::string>());
  return l < r ? -1 : (l > r ? 1 : 0);
}

bool Matches(const Json& record, const std::vector<Clause>& where) {
  for (const Clause& c : where) {
    const Json* v = PathOf(record, c.field);
    std::optional<int> cmp = v ? Compare(*v, c.value) : std::nullopt;
    if (!cmp) {
      if (c.op == "!=") continue;  // null differs from any value
      return false;
    }
    bool ok = (c.op == "==" && *cmp == 0) || (c.op == "!=" && *cmp != 0) || (c.op == ">" && *cmp > 0) ||
              (c.op == ">=" && *cmp >= 0) || (c.op == "<" && *cmp < 0) || (c.op == "<=" && *cmp <= 0);
    if (!ok) return false;
  }
  return true;
}

// A sort key of a value: instants and numbers as numbers, text without case.
std::pair<int64_t, std::string> SortKey(const Json* v) {
  if (v == nullptr || v->is_null()) return {INT64_MIN, ""};
  std::string text = ScalarText(*v).value_or("");
  if (auto ms = text.rfind("/Date(", 0) == 0 ? ParseInstant(text) : std::nullopt) return {*ms, ""};
  if (IsNumber(*v))
    if (auto n = Scaled(*v)) return {*n, ""};
  return {0, Lower(text)};
}

struct Reply {
  std::string fingerprint;  // method, path and body of the first request
  int status = 0;
  std::string body;
  std::string content_type;
};

class Xero : public Vendor {
 public:
  explicit Xero(const Options& options) : options_(options) {}

  bool Load(Store& store, std::vector<std::string>& notes, std::string& error) override {
    if (!options_.schemas_dir.empty()) {
      if (!ForEachSchemaObject(options_.schemas_dir, [&](const std::string& name, const Json& o) { ReadFacts(name, o); }, error)) {
        return false;
      }
    }
    if (!options_.data_dir.empty()) {
      bool ok = store.Seed(
          options_.data_dir,
          [](const std::string& stem) {
            const Kind* k = KindOf(stem);
            return k ? k->object : std::string();
          },
          notes, error);
      if (!ok) return false;
    }
    // Seeded records get an id and Xero's date form.
    int64_t now = NowMs();
    for (const Kind& k : Kinds()) {
      for (Json& r : store.Records(k.object)) {
        if (!r.is_object()) continue;
        if (Text(r, k.id.c_str()).empty()) r[k.id] = NewId(k);
        std::string updated = Text(r, "UpdatedDateUTC");
        auto ms = updated.empty() ? std::optional<int64_t>(now) : ParseInstant(updated);
        r["UpdatedDateUTC"] = MsDate(ms.value_or(now));
      }
    }
    return true;
  }

  bool IsTokenEndpoint(const httplib::Request& req) const override { return req.path == "/connect/token"; }
  bool LimitsConcurrency() const override { return true; }

  std::string Endpoint(const httplib::Request& req) const override {
    if (IsTokenEndpoint(req)) return "token";
    if (req.path.rfind(kApiPrefix, 0) != 0) return "other";
    std::string rest = req.path.substr(std::string(kApiPrefix).size());
    std::string collection = rest.substr(0, rest.find('/'));
    return Lower(collection) + "_" + Lower(req.method);
  }

  void Handle(const httplib::Request& req, httplib::Response& res, CallContext& ctx) override {
    if (IsTokenEndpoint(req)) return Token(req, res);
    if (!Authorized(req)) {
      // Xero's answer to a missing, expired or unknown token.
      return SetJson(res, 401, Json{{"Type", nullptr}, {"Title", "Unauthorized"}, {"Status", 401},
                                    {"Detail", "AuthenticationUnsuccessful"}, {"Instance", "emulator"}});
    }
    if (req.get_header_value("xero-tenant-id") != options_.xero_tenant_id) {
      return SetJson(res, 403, Json{{"Type", nullptr}, {"Title", "Forbidden"}, {"Status", 403},
                                    {"Detail", "AuthenticationUnsuccessful"}, {"Instance", "emulator"}});
    }
    if (!CountCall(res)) return;
    if (req.path.rfind(kApiPrefix, 0) != 0) return NotFound(res);
    std::string rest = req.path.substr(std::string(kApiPrefix).size());
    std::string collection = rest.substr(0, rest.find('/'));
    std::string target = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    const Kind* kind = KindOf(collection);
    if (kind == nullptr || !SameText(kind->collection, collection)) return NotFound(res);
    if (req.method == "GET") return Get(req, res, ctx, *kind, target);
    if (req.method != "POST" && req.method != "PUT") {
      return SetJson(res, 405, Json{{"Title", "Method Not Allowed"}, {"Status", 405}});
    }
    const std::string key = req.get_header_value("Idempotency-Key");
    const std::string fingerprint = req.method + "\n" + req.path + "\n" + req.body;
    if (!key.empty()) {
      if (key.size() > 128) {
        return Exception(res, 400, 10, "ValidationException", "Idempotency-Key is longer than 128 characters");
      }
      auto it = replies_.find(key);
      if (it != replies_.end()) {
        // The first answer again, nothing applied twice. A different request under a used key
        // is answered the same way (counted in /_emulator/stats): Xero's guide does not say
        // otherwise, and a key never applies two different writes.
        ++replays_;
        if (it->second.fingerprint != fingerprint) ++replay_mismatches_;
        res.status = it->second.status;
        res.set_content(it->second.body, it->second.content_type.c_str());
        return;
      }
      ctx.request_id = key;
    }
    Write(req, res, ctx, *kind, target);
    if (!key.empty() && res.status != 429 && res.status < 500) {
      replies_[key] = Reply{fingerprint, res.status, res.body, res.get_header_value("Content-Type")};
    }
  }

  void Refuse(int status, bool concurrency, httplib::Response& res) override {
    if (status == 429) {
      // Xero's 429: no body to speak of; the problem and the wait in headers.
      res.status = 429;
      res.set_header("X-Rate-Limit-Problem", concurrency ? "concurrent" : "minute");
      res.set_header("Retry-After", "1");
      res.set_content("", "text/plain");
      return;
    }
    SetJson(res, 503, Json{{"Title", "Service Unavailable"}, {"Status", 503},
                           {"Detail", "The Xero API is temporarily unavailable, please try again shortly"}});
  }

  void ExpireTokens() override { tokens_.clear(); }
  void Reset() override {
    replies_.clear();
    minute_.clear();
    day_calls_ = 0;
  }
  Json Stats() const override {
    return Json{{"tokens", tokens_.size()},           {"idempotency_keys", replies_.size()},
                {"idempotent_replays", replays_},     {"idempotency_key_reused_with_other_body", replay_mismatches_},
                {"day_calls", day_calls_},            {"minute_calls", minute_.size()}};
  }

 private:
  // What a crmx schema says about an object's top-level fields: read-only ones (Xero ignores
  // them in a write) and restricted picklists (CurrencyCode, Status, Type...).
  void ReadFacts(const std::string& object, const Json& o) {
    const Kind* k = KindOf(object);
    if (k == nullptr || !SameText(k->object, object)) return;
    for (const auto& f : o.value("fields", Json::array())) {
      std::string name = f.value("name", "");
      if (name.empty()) continue;
      if (f.contains("createable") && f["createable"] == false && f.contains("updateable") && f["updateable"] == false &&
          name != k->id)
        read_only_[k->object].insert(name);
      if (f.contains("picklist") && f["picklist"].is_object() && f["picklist"].value("restricted", false)) {
        std::vector<std::string>& values = picklists_[k->object][name];
        for (const auto& v : f["picklist"].value("values", Json::array())) values.push_back(v.value("value", ""));
      }
    }
  }

  std::string NewId(const Kind& k) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012llx", static_cast<unsigned>(k.object[0]) * 0x1010101u,
                  static_cast<unsigned long long>(++next_id_));
    return buf;
  }

  void NotFound(httplib::Response& res) {
    res.status = 404;
    res.set_content("The resource you're looking for cannot be found", "text/plain");
  }

  static void Exception(httplib::Response& res, int status, int number, const std::string& type,
                        const std::string& message, Json elements = nullptr) {
    Json body{{"ErrorNumber", number}, {"Type", type}, {"Message", message}};
    if (!elements.is_null()) body["Elements"] = std::move(elements);
    SetJson(res, status, body);
  }

  // The identity server: grant_type=client_credentials, the client in an Authorization: Basic
  // header (client_secret_basic).
  void Token(const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST") return SetJson(res, 405, Json{{"error", "invalid_request"}});
    if (req.get_param_value("grant_type") != "client_credentials") {
      return SetJson(res, 400, Json{{"error", "unsupported_grant_type"}});
    }
    const std::string expected = "Basic " + Base64(options_.client_id + ":" + options_.client_secret);
    if (req.get_header_value("Authorization") != expected) return SetJson(res, 400, Json{{"error", "invalid_client"}});
    std::string token = NewToken("xero-emulator-");
    tokens_.insert(token);
    std::string scope = req.get_param_value("scope");
    SetJson(res, 200, Json{{"access_token", token}, {"expires_in", 1800}, {"token_type", "Bearer"},
                           {"scope", scope.empty() ? "accounting.transactions accounting.contacts" : scope}});
  }

  bool Authorized(const httplib::Request& req) const {
    std::string h = req.get_header_value("Authorization");
    return h.rfind("Bearer ", 0) == 0 && tokens_.count(h.substr(7)) > 0;
  }

  // Counts one call against the tenant's limits, or answers 429 when a limit is spent. Every
  // answer carries what is left.
  bool CountCall(httplib::Response& res) {
    const auto now = std::chrono::steady_clock::now();
    while (!minute_.empty() && now - minute_.front() >= std::chrono::seconds(60)) minute_.pop_front();
    auto headers = [&] {
      res.set_header("X-DayLimit-Remaining", std::to_string(std::max<int64_t>(0, options_.xero_day_limit - day_calls_)));
      res.set_header("X-MinLimit-Remaining",
                     std::to_string(std::max<int64_t>(0, options_.xero_minute_limit - static_cast<int64_t>(minute_.size()))));
      res.set_header("X-AppMinLimit-Remaining",
                     std::to_string(std::max<int64_t>(0, kAppMinuteLimit - static_cast<int64_t>(minute_.size()))));
    };
    if (day_calls_ >= options_.xero_day_limit) {
      // Until midnight UTC.
      int64_t s = NowMs() / 1000;
      headers();
      res.status = 429;
      res.set_header("X-Rate-Limit-Problem", "day");
      res.set_header("Retry-After", std::to_string(86400 - s % 86400));
      res.set_content("", "text/plain");
      return false;
    }
    if (static_cast<int64_t>(minute_.size()) >= options_.xero_minute_limit) {
      auto wait = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::seconds(60) - (now - minute_.front()));
      headers();
      res.status = 429;
      res.set_header("X-Rate-Limit-Problem", "minute");
      res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, wait.count() + 1)));
      res.set_content("", "text/plain");
      return false;
    }
    minute_.push_back(now);
    ++day_calls_;
    headers();
    return true;
  }

  Json Envelope() const {
    return Json{{"Id", "00000000-0000-0000-0000-000000000000"}, {"Status", "OK"}, {"ProviderName", "crmx-emulate"},
                {"DateTimeUTC", MsDate(NowMs())}};
  }

  void Get(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const Kind& kind,
           const std::string& target) {
    std::vector<Json>& records = ctx.store.Records(kind.object);
    Json body = Envelope();
    if (!target.empty()) {
      for (const Json& r : records) {
        if (SameText(Text(r, kind.id.c_str()), target) || (!kind.number.empty() && Text(r, kind.number.c_str()) == target)) {
          body[kind.collection] = Json::array({r});
          return SetJson(res, 200, body);
        }
      }
      return NotFound(res);
    }
    std::optional<int64_t> since;
    if (req.has_header("If-Modified-Since")) {
      since = ParseInstant(req.get_header_value("If-Modified-Since"));
      if (!since) {
        return Exception(res, 400, 16, "QueryParseException",
                         "If-Modified-Since `" + req.get_header_value("If-Modified-Since") + "` is not a date");
      }
    }
    std::vector<Clause> where;
    std::string error;
    if (req.has_param("where") && !ParseWhere(req.get_param_value("where"), where, error)) {
      return Exception(res, 400, 16, "QueryParseException", error);
    }
    std::vector<const Json*> hits;
    for (const Json& r : records) {
      if (since) {
        auto updated = ParseInstant(Text(r, "UpdatedDateUTC"));
        // "Only records created or modified since this timestamp": at or after it here.
        if (!updated || *updated < *since) continue;
      }
      if (Matches(r, where)) hits.push_back(&r);
    }
    std::string order = req.get_param_value("order");
    if (!order.empty()) {
      std::string field = order.substr(0, order.find(' '));
      bool desc = Lower(order).find(" desc") != std::string::npos;
      std::stable_sort(hits.begin(), hits.end(), [&](const Json* a, const Json* b) {
        auto ka = SortKey(PathOf(*a, field)), kb = SortKey(PathOf(*b, field));
        return desc ? kb < ka : ka < kb;
      });
    }
    Json list = Json::array();
    if (kind.paged && req.has_param("page")) {
      long page = std::atol(req.get_param_value("page").c_str());
      long size = req.has_param("pageSize") ? std::atol(req.get_param_value("pageSize").c_str()) : 100;
      if (page < 1) page = 1;
      size = std::clamp<long>(size, 1, 1000);
      size_t from = static_cast<size_t>((page - 1) * size);
      for (size_t i = from; i < hits.size() && i < from + static_cast<size_t>(size); ++i) list.push_back(*hits[i]);
      body["pagination"] = Json{{"page", page}, {"pageSize", size},
                                {"pageCount", (static_cast<long>(hits.size()) + size - 1) / size},
                                {"itemCount", hits.size()}};
    } else {
      for (const Json* r : hits) list.push_back(*r);
    }
    body[kind.collection] = std::move(list);
    SetJson(res, 200, body);
  }

  void Write(const httplib::Request& req, httplib::Response& res, CallContext& ctx, const Kind& kind,
             const std::string& target) {
    Json body = ParseExact(req.body);
    if (body.is_discarded() || !body.is_object()) {
      return Exception(res, 400, 14, "PostDataInvalidException", "The request body is not a JSON object");
    }
    Json elements = body.contains(kind.collection) ? body[kind.collection] : Json::array({body});
    if (!elements.is_array()) {
      return Exception(res, 400, 14, "PostDataInvalidException", "`" + kind.collection + "` is not a list");
    }
    if (!target.empty() && elements.size() == 1 && elements[0].is_object()) elements[0][kind.id] = target;
    bool summarize = Lower(req.get_param_value("summarizeErrors")) != "false";
    // A PUT creates only; a POST creates or updates (by id, or by the business key).
    bool create_only = req.method == "PUT";
    if (summarize) {
      // All or nothing: the whole request is refused when any element fails.
      Json checked = Json::array();
      bool failed = false;
      for (const Json& e : elements) {
        std::vector<std::string> errors = Check(ctx, kind, e, create_only);
        Json out = e;
        if (!errors.empty()) {
          failed = true;
          out["ValidationErrors"] = Json::array();
          for (const auto& m : errors) out["ValidationErrors"].push_back(Json{{"Message", m}});
        }
        checked.push_back(std::move(out));
      }
      if (failed) return Exception(res, 400, 10, "ValidationException", "A validation exception occurred", checked);
    }
    Json answer = Envelope();
    answer[kind.collection] = Json::array();
    for (const Json& e : elements) answer[kind.collection].push_back(Apply(ctx, kind, e, create_only));
    SetJson(res, 200, answer);
  }

  // The record an element names: by id, then by the business key; -1 for none.
  long Existing(CallContext& ctx, const Kind& kind, const Json& e) {
    std::vector<Json>& records = ctx.store.Records(kind.object);
    std::string id = Text(e, kind.id.c_str());
    std::string number = kind.number.empty() ? "" : Text(e, kind.number.c_str());
    for (size_t i = 0; i < records.size(); ++i) {
      if (!id.empty() && SameText(Text(records[i], kind.id.c_str()), id)) return static_cast<long>(i);
    }
    if (!id.empty()) return -2;  // an id that names nothing
    for (size_t i = 0; i < records.size() && !number.empty(); ++i) {
      if (Text(records[i], kind.number.c_str()) == number) return static_cast<long>(i);
    }
    return -1;
  }

  // The element's validation errors, Xero's wording where its docs give it.
  std::vector<std::string> Check(CallContext& ctx, const Kind& kind, const Json& e, bool create_only) {
    std::vector<std::string> errors;
    if (!e.is_object()) return {"The element is not an object"};
    long at = Existing(ctx, kind, e);
    if (at == -2) return {kind.object + " with " + kind.id + " `" + Text(e, kind.id.c_str()) + "` could not be found"};
    if (at >= 0 && create_only && kind.object != "Payment") {
      // PUT creates: a record with the same business key exists.
      if (kind.object == "Invoice") return {"Invoice # must be unique."};
    }
    const Json* existing = at >= 0 ? &ctx.store.Records(kind.object)[static_cast<size_t>(at)] : nullptr;
    for (const auto& [field, values] : picklists_[kind.object]) {
      if (!e.contains(field) || e[field].is_null() || read_only_[kind.object].count(field)) continue;
      std::string v = ScalarText(e[field]).value_or("");
      if (std::find(values.begin(), values.end(), v) == values.end()) {
        errors.push_back("'" + v + "' is not a valid value for " + field);
      }
    }
    if (kind.object == "Contact") {
      std::string name = e.contains("Name") ? Text(e, "Name") : (existing ? Text(*existing, "Name") : "");
      if (name.empty()) errors.push_back("The contact name must be specified.");
      for (const Json& r : ctx.store.Records("Contact")) {
        if (&r == existing || name.empty()) continue;
        if (SameText(Text(r, "Name"), name) && Text(r, "ContactStatus") != "ARCHIVED") {
          errors.push_back("The contact name " + name +
                           " is already assigned to another contact. The contact name must be unique across all active "
                           "contacts.");
          break;
        }
      }
    } else if (kind.object == "Invoice") {
      std::string type = e.contains("Type") ? Text(e, "Type") : (existing ? Text(*existing, "Type") : "");
      if (type != "ACCREC" && type != "ACCPAY") errors.push_back("Invoice Type must be specified as ACCREC or ACCPAY.");
      if (!existing && (!e.contains("Contact") || !e["Contact"].is_object() ||
                        (Text(e["Contact"], "ContactID").empty() && Text(e["Contact"], "Name").empty() &&
                         Text(e["Contact"], "ContactNumber").empty()))) {
        errors.push_back("A Contact must be specified for this type of transaction");
      } else if (e.contains("Contact") && e["Contact"].is_object() && !Text(e["Contact"], "ContactID").empty() &&
                 FindBy(ctx, "Contact", "ContactID", Text(e["Contact"], "ContactID")) == nullptr) {
        errors.push_back("The Contact with ContactID " + Text(e["Contact"], "ContactID") + " could not be found");
      }
      std::string status = e.contains("Status") ? Text(e, "Status") : "";
      static const std::set<std::string> kStatuses = {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED"};
      if (!status.empty() && status != "PAID" && kStatuses.count(status) == 0) {
        errors.push_back("'" + status + "' is not a valid value for Status");
      }
      if (status == "PAID") errors.push_back("Invoice status cannot be set to PAID: it is paid by payments");
      if (existing && Text(*existing, "Status") == "PAID") errors.push_back("Invoice not of valid status for modification");
      if (e.contains("LineItems") && !e["LineItems"].is_array()) errors.push_back("LineItems must be a list");
      if (e.contains("LineItems") && e["LineItems"].is_array()) {
        for (const Json& line : e["LineItems"]) {
          if (!line.is_object() || (Text(line, "Description").empty() && Text(line, "ItemCode").empty())) {
            errors.push_back("Description needs to be specified for each line item");
            break;
          }
          for (const char* f : {"Quantity", "UnitAmount", "TaxAmount", "DiscountRate"}) {
            if (line.contains(f) && !line[f].is_null() && !Scaled(line[f])) {
              errors.push_back(std::string(f) + " must be a number");
            }
          }
        }
      }
    } else if (kind.object == "Item") {
      if (!existing && Text(e, "Code").empty()) errors.push_back("Item code must be specified");
    } else if (kind.object == "Payment") {
      const Json* invoice = PaymentInvoice(ctx, e);
      if (invoice == nullptr) {
        errors.push_back("Invoice could not be found: specify Invoice.InvoiceID or Invoice.InvoiceNumber");
      } else if (Text(*invoice, "Status") != "AUTHORISED") {
        errors.push_back("Payments can only be made against Authorised documents");
      }
      if (!e.contains("Account") || !e["Account"].is_object() ||
          (Text(e["Account"], "AccountID").empty() && Text(e["Account"], "Code").empty())) {
        errors.push_back("Account code or AccountID must be specified");
      }
      auto amount = e.contains("Amount") ? Scaled(e["Amount"]) : std::nullopt;
      if (!amount || *amount <= 0) {
        errors.push_back("Payment amount must be specified and more than zero");
      } else if (invoice != nullptr) {
        auto due = Scaled((*invoice).value("AmountDue", Json(Number("0"))));
        if (due && *amount > *due) errors.push_back("Payment amount exceeds the amount outstanding on this document");
      }
    }
    return errors;
  }

  const Json* FindBy(CallContext& ctx, const std::string& object, const char* field, const std::string& value) {
    for (const Json& r : ctx.store.Records(object))
      if (!value.empty() && SameText(Text(r, field), value)) return &r;
    return nullptr;
  }

  Json* PaymentInvoice(CallContext& ctx, const Json& e) {
    if (!e.contains("Invoice") || !e["Invoice"].is_object()) return nullptr;
    std::string id = Text(e["Invoice"], "InvoiceID"), number = Text(e["Invoice"], "InvoiceNumber");
    for (Json& r : ctx.store.Records("Invoice")) {
      if ((!id.empty() && SameText(Text(r, "InvoiceID"), id)) || (!number.empty() && Text(r, "InvoiceNumber") == number))
        return &r;
    }
    return nullptr;
  }

  // Computes an invoice's lines and totals: LineAmount = Quantity x UnitAmount less the
  // discount, SubTotal, TotalTax (the lines' TaxAmount), Total, AmountDue.
  static void Totals(Json& invoice) {
    int64_t sum = 0, tax = 0;
    if (invoice.contains("LineItems") && invoice["LineItems"].is_array()) {
      for (Json& line : invoice["LineItems"]) {
        int64_t q = line.contains("Quantity") ? Scaled(line["Quantity"]).value_or(10000) : 10000;
        int64_t u = line.contains("UnitAmount") ? Scaled(line["UnitAmount"]).value_or(0) : 0;
        int64_t d = line.contains("DiscountRate") ? Scaled(line["DiscountRate"]).value_or(0) : 0;
        // q and u are 1/10,000ths: their product 1/10^8, back to 1/10,000 and to cents.
        int64_t product = 0;
        if (__builtin_mul_overflow(q, u, &product)) product = 0;  // beyond any real invoice: counted as 0
        int64_t amount = product / 10000;
        if (d != 0) amount = static_cast<int64_t>(static_cast<long double>(amount) * (1000000 - d) / 1000000);
        int64_t cents = (amount >= 0 ? amount + 50 : amount - 50) / 100 * 100;
        line["LineAmount"] = Money(cents);
        int64_t t = line.contains("TaxAmount") ? Scaled(line["TaxAmount"]).value_or(0) : 0;
        line["TaxAmount"] = Money(t);
        if (!line.contains("LineItemID")) line["LineItemID"] = "line-" + std::to_string(++line_ids_);
        sum += cents;
        tax += t;
      }
    }
    std::string types = Text(invoice, "LineAmountTypes");
    if (types.empty()) invoice["LineAmountTypes"] = types = "Exclusive";
    if (types == "NoTax") tax = 0;
    int64_t subtotal = types == "Inclusive" ? sum - tax : sum;
    int64_t total = subtotal + tax;
    int64_t paid = invoice.contains("AmountPaid") ? Scaled(invoice["AmountPaid"]).value_or(0) : 0;
    invoice["SubTotal"] = Money(subtotal);
    invoice["TotalTax"] = Money(tax);
    invoice["Total"] = Money(total);
    invoice["AmountPaid"] = Money(paid);
    invoice["AmountDue"] = Money(total - paid);
  }

  // Applies one element: the saved record with StatusAttributeString OK, or the element with
  // its ValidationErrors (summarizeErrors=false).
  Json Apply(CallContext& ctx, const Kind& kind, const Json& e, bool create_only) {
    std::vector<std::string> errors = Check(ctx, kind, e, create_only);
    if (!errors.empty()) {
      Json out = e.is_object() ? e : Json::object();
      out["StatusAttributeString"] = "ERROR";
      out["HasValidationErrors"] = true;
      out["ValidationErrors"] = Json::array();
      for (const auto& m : errors) out["ValidationErrors"].push_back(Json{{"Message", m}});
      return out;
    }
    std::vector<Json>& records = ctx.store.Records(kind.object);
    long at = Existing(ctx, kind, e);
    if (kind.object == "Payment") at = -1;  // payments are created, never updated here
    bool created = at < 0;
    Json record = created ? Json::object() : records[static_cast<size_t>(at)];
    for (auto it = e.begin(); it != e.end(); ++it) {
      // Read-only fields (Total, AmountDue, UpdatedDateUTC...) are ignored, as Xero does.
      if (read_only_[kind.object].count(it.key()) || it.key() == "UpdatedDateUTC" || it.key() == "ValidationErrors")
        continue;
      record[it.key()] = it.value();
    }
    if (created) record[kind.id] = NewId(kind);
    int64_t now = NowMs();
    record["UpdatedDateUTC"] = MsDate(now);
    if (kind.object == "Contact" && !record.contains("ContactStatus")) record["ContactStatus"] = "ACTIVE";
    if (kind.object == "Invoice") {
      if (!record.contains("Status")) record["Status"] = "DRAFT";
      if (created && Text(record, "InvoiceNumber").empty() && Text(record, "Type") == "ACCREC") {
        record["InvoiceNumber"] = "INV-" + std::to_string(++invoice_numbers_);
      }
      if (e.contains("Contact") && e["Contact"].is_object()) record["Contact"] = ResolveContact(ctx, e["Contact"]);
      Totals(record);
    }
    if (kind.object == "Payment") {
      Json* invoice = PaymentInvoice(ctx, e);
      int64_t amount = Scaled(e["Amount"]).value_or(0);
      int64_t paid = Scaled((*invoice).value("AmountPaid", Json(Number("0")))).value_or(0) + amount;
      (*invoice)["AmountPaid"] = Money(paid);
      Totals(*invoice);
      if (Scaled((*invoice)["AmountDue"]).value_or(1) <= 0) (*invoice)["Status"] = "PAID";
      (*invoice)["UpdatedDateUTC"] = MsDate(now);
      record["Invoice"] = Json{{"InvoiceID", (*invoice)["InvoiceID"]}, {"InvoiceNumber", (*invoice).value("InvoiceNumber", "")}};
      record["Status"] = "AUTHORISED";
      record["Amount"] = Money(amount);
      ctx.store.Log({NowRfc3339(), "Invoice", Text(*invoice, "InvoiceNumber"), Text(*invoice, "InvoiceID"), "updated",
                     ctx.request_id});
    }
    std::string id = Text(record, kind.id.c_str());
    std::string key = kind.number.empty() ? Text(record, "Reference") : Text(record, kind.number.c_str());
    ctx.store.Log({NowRfc3339(), kind.object, key, id, created ? "created" : "updated", ctx.request_id});
    if (created) {
      records.push_back(record);
    } else {
      records[static_cast<size_t>(at)] = record;
    }
    Json out = record;
    out["StatusAttributeString"] = "OK";
    return out;
  }

  // An invoice's Contact as Xero keeps it: the contact it names (by id, number or name), its
  // ContactID and Name; a name that names no contact creates one, as Xero does.
  Json ResolveContact(CallContext& ctx, const Json& c) {
    const Json* found = FindBy(ctx, "Contact", "ContactID", Text(c, "ContactID"));
    if (!found) found = FindBy(ctx, "Contact", "ContactNumber", Text(c, "ContactNumber"));
    if (!found) found = FindBy(ctx, "Contact", "Name", Text(c, "Name"));
    if (found) return Json{{"ContactID", (*found)["ContactID"]}, {"Name", found->value("Name", "")}};
    const Kind* k = KindOf("Contact");
    Json contact{{"ContactID", NewId(*k)}, {"Name", Text(c, "Name")}, {"ContactStatus", "ACTIVE"},
                 {"UpdatedDateUTC", MsDate(NowMs())}};
    if (!Text(c, "ContactNumber").empty()) contact["ContactNumber"] = Text(c, "ContactNumber");
    ctx.store.Log({NowRfc3339(), "Contact", Text(c, "ContactNumber"), Text(contact, "ContactID"), "created", ctx.request_id});
    ctx.store.Records("Contact").push_back(contact);
    return Json{{"ContactID", contact["ContactID"]}, {"Name", contact["Name"]}};
  }

  const Options& options_;
  std::set<std::string> tokens_;
  std::map<std::string, Reply> replies_;
  std::map<std::string, std::set<std::string>> read_only_;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> picklists_;
  std::deque<std::chrono::steady_clock::time_point> minute_;
  int64_t day_calls_ = 0;
  uint64_t replays_ = 0, replay_mismatches_ = 0;
  uint64_t next_id_ = 0, invoice_numbers_ = 0;
  static inline uint64_t line_ids_ = 0;
};

}  // namespace

std::unique_ptr<Vendor> MakeXero(const Options& options) { return std::make_unique<Xero>(options); }

}  // namespace crmx::emulate
