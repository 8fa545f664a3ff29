// Defines the SAP S/4HANA Cloud connector (sap.h): OData reads paged by $top/$skip and the
// server's __next, upserts through $batch with one changeset per record, CSRF tokens and ETags.
#include "runtime/connectors/sap/sap.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/lines.h"
#include "runtime/connectors/api/paged_reader.h"
#include "runtime/connectors/api/pushdown_text.h"
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/nesting.h"
#include "runtime/connectors/sap/multipart.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors::sap {

namespace {

using plan::FieldType;
using value::Kind;
using value::Value;
namespace mp = crmx::sap_multipart;

constexpr size_t kDefaultPage = 1000;
constexpr size_t kDefaultWriteBatch = 50;  // changesets a $batch; SAP advises small batches
constexpr const char* kBoundary = "batch_crmx";

// An OData property name (letters, digits, `_`): nothing else goes into a URL unquoted.
bool SafeName(std::string_view f) { return api::SafeName(f, false); }

// A timestamp as an OData literal of a date or datetime field.
std::optional<std::string> TimeLiteral(value::Time t, FieldType type, int version) {
  if (type == FieldType::kDateTime) return InstantLiteral(t, version);
  if (type == FieldType::kDate) {
    std::string text = value::FormatTimestamp(t);
    if (text.size() != 20 || text.compare(10, 10, "T00:00:00Z") != 0) return std::nullopt;
    // V2 has no Edm.Date: SAP's dates are Edm.DateTime at midnight.
    return version == 2 ? "datetime'" + text.substr(0, 10) + "T00:00:00'" : text.substr(0, 10);
  }
  return std::nullopt;
}

std::optional<std::string> TimeLiteralV2(value::Time t, FieldType type) { return TimeLiteral(t, type, 2); }
std::optional<std::string> TimeLiteralV4(value::Time t, FieldType type) { return TimeLiteral(t, type, 4); }

// OData's `$filter` for PushdownText: eq/ne/lt/le/gt/ge, `eq null`, and `in` as eq tests joined
// by `or` (OData V2 and 4.0 have no `in`); V2 writes an Edm.Decimal literal with the suffix M
// (OData V2 URI conventions, 2.2.2).
api::PushdownDialect ODataDialect(int version) {
  return {.quote = Quote,
          .true_text = "true",
          .false_text = "false",
          .decimal_suffix = version == 2 ? "M" : "",
          .time = version == 2 ? TimeLiteralV2 : TimeLiteralV4,
          .ops = {"eq", "ne", "lt", "le", "gt", "ge"},
          .is_null = " eq null",
          .not_null = " ne null",
          .or_word = " or ",
          .in_open = nullptr,
          .in_strict = true};
}
const api::PushdownDialect kODataV2 = ODataDialect(2);
const api::PushdownDialect kODataV4 = ODataDialect(4);

std::string DescribeFailure(const api::CallResult& call) {
  if (!call.login_error.empty()) return "login failed: " + call.login_error;
  if (call.response.status == 0) return call.response.transport_error;
  std::string code, message;
  std::vector<std::string> fields;
  ReadError(call.response.body, code, message, fields);
  return "HTTP " + std::to_string(call.response.status) + (code.empty() ? "" : ": " + code) +
         (message.empty() ? "" : ": " + message);
}

// The CSRF token and the cookies of the session it is tied to, shared by a connector's writers.
class Csrf {
 public:
  // Fetches a token when there is none (GET of the service root with `X-CSRF-Token: Fetch`).
  // False with `error` when the fetch fails.
  bool Ensure(api::Session& session, http::Client& client, const std::string& root, std::atomic<uint64_t>& calls,
              std::string& error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!token_.empty()) return true;
    http::Request r;
    r.method = "GET";
    r.url = root + "/?$format=json";
    r.headers = {{"X-CSRF-Token", "Fetch"}, {"Accept", "application/json"}};
    api::CallResult call = api::Call(session, client, r, api::RetryMode::kRead, calls);
    if (!call.response.Ok() || call.response.Header("x-csrf-token").empty()) {
      error = "CSRF token fetch failed: " + (call.response.Ok() ? std::string("no x-csrf-token in the answer")
                                                                 : DescribeFailure(call));
      return false;
    }
    token_ = call.response.Header("x-csrf-token");
    cookies_.clear();
    for (const auto& [k, v] : call.response.headers) {
      std::string name = k;
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != "set-cookie") continue;
      std::string pair = v.substr(0, v.find(';'));
      cookies_ += (cookies_.empty() ? "" : "; ") + pair;
    }
    ++fetches_;
    return true;
  }
  void Forget() {
    std::lock_guard<std::mutex> lock(mu_);
    token_.clear();
  }
  // Sets the token and cookie headers of `r`.
  void Apply(http::Request& r) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(r.headers, [](const auto& h) { return h.first == "X-CSRF-Token" || h.first == "Cookie"; });
    r.headers.emplace_back("X-CSRF-Token", token_);
    if (!cookies_.empty()) r.headers.emplace_back("Cookie", cookies_);
  }
  uint64_t Fetches() const { return fetches_; }

 private:
  std::mutex mu_;
  std::string token_;
  std::string cookies_;
  std::atomic<uint64_t> fetches_{0};
};

// A 403 whose `x-csrf-token: Required` says the token was missing or stale.
bool CsrfRequired(const http::Response& r) {
  std::string h = r.Header("x-csrf-token");
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r.status == 403 && h == "required";
}

class SapReader : public api::PagedReader {
 public:
  SapReader(std::shared_ptr<api::Session> session, const ReadRequest& req, std::string root, int version)
      : api::PagedReader(session, req, root + "/" + req.object + "?" + BuildQuery(req, version, 0, 0),
                         version == 2 ? "results" : "value", "sap:" + req.object),
        root_(std::move(root)),
        version_(version),
        top_(std::clamp<size_t>(req.batch, 1, kDefaultPage)) {
    auto page = session_->system().options.find("page_size");
    if (page != session_->system().options.end()) {
      size_t n = 0;
      auto r = std::from_chars(page->second.data(), page->second.data() + page->second.size(), n);
      if (r.ec == std::errc() && n > 0) top_ = std::min<size_t>(n, 5000);
    }
  }

 private:
  bool Take(const api::JsonNode& row, std::vector<Value>& values) override {
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      const api::JsonNode* n = row.Path(req_.fields[i]);
      FieldType t = i < req_.types.size() ? req_.types[i] : FieldType::kAny;
      values.push_back(n ? FieldValue(*n, t, req_.fields[i]) : Value::Null());
    }
    return true;
  }

  bool Fetch() override {
    http::Request r;
    r.method = "GET";
    r.headers = {{"Accept", "application/json"}};
    r.url = next_.empty() ? root_ + "/" + req_.object + "?" + BuildQuery(req_, version_, top_, skip_) : next_;
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_);
    if (!AcceptPage(call, "sap", DescribeFailure, "__count")) return false;
    // V2 wraps the answer in `d`; the rows' key is `results` inside it.
    if (version_ == 2) {
      if (const api::JsonNode* d = page_.Find("d")) {
        api::JsonNode inner = *d;
        page_ = std::move(inner);
      }
      if (const api::JsonNode* count = page_.Find("__count")) total_ = std::strtoull(count->Text().c_str(), nullptr, 10);
    } else if (const api::JsonNode* count = page_.Find("@odata.count")) {
      total_ = std::strtoull(count->Text().c_str(), nullptr, 10);
    }
    const api::JsonNode* rows = page_.Find(version_ == 2 ? "results" : "value");
    size_t got = rows ? rows->items.size() : 0;
    window_ += got;
    const api::JsonNode* next = page_.Find(version_ == 2 ? "__next" : "@odata.nextLink");
    if (next != nullptr && !next->Text().empty()) {
      // The server pages inside the client's $top window: follow its link (absolute, or
      // relative to the service root) until the window is done.
      std::string link = next->Text();
      next_ = link.rfind("http", 0) == 0 ? link : root_ + "/" + link;
      finished_ = false;
      return true;
    }
    next_.clear();
    // The window gave fewer rows than asked: the collection is done; else ask for the next one.
    finished_ = window_ < top_;
    skip_ += window_;
    window_ = 0;
    return true;
  }

  std::string root_;
  int version_;
  size_t top_;
  size_t skip_ = 0;
  size_t window_ = 0;  // rows of the current $top window so far (the server may page inside it)
  std::string next_;
};

// One record's lookup result.
struct Found {
  bool ok = false;       // the lookup answered
  bool exists = false;
  std::string uri;       // relative to the service root: "A_SalesOrder('1')"
  std::string etag;
  std::string id;        // the id field's value
  WriteResult failure;   // !ok: why
};

class SapWriter : public api::BatchWriter {
 public:
  SapWriter(std::shared_ptr<api::Session> session, std::shared_ptr<Csrf> csrf, const WriteRequest& req,
            std::string root, int version)
      : api::BatchWriter(req, req.batch > 0 ? std::min<size_t>(req.batch, 100) : kDefaultWriteBatch),
        session_(std::move(session)),
        csrf_(std::move(csrf)),
        client_(session_->ClientOptions()),
        root_(std::move(root)),
        version_(version) {}

 private:
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    size_t n = rows.size();
    std::vector<std::string> keys(n);
    for (size_t i = 0; i < n; ++i) keys[i] = KeyText(rows[i][static_cast<size_t>(key())]);
    std::vector<Found> found = Lookup(keys, tags);
    std::vector<size_t> todo;
    for (size_t i = 0; i < n; ++i) {
      if (!found[i].ok) {
        done.push_back(found[i].failure);
      } else {
        todo.push_back(i);
      }
    }
    if (todo.empty()) return;
    std::vector<WriteResult> results = Apply(rows, tags, found, todo);
    // A stale or missing ETag: read the record again and send its update once more.
    std::vector<size_t> again;
    for (size_t j = 0; j < todo.size(); ++j)
      if (!results[j].ok && (results[j].http_status == 412 || results[j].http_status == 428)) again.push_back(j);
    if (!again.empty()) {
      std::vector<std::string> k2;
      std::vector<uint64_t> t2;
      for (size_t j : again) {
        k2.push_back(keys[todo[j]]);
        t2.push_back(tags[todo[j]]);
      }
      std::vector<Found> f2 = Lookup(k2, t2);
      for (size_t a = 0; a < again.size(); ++a) {
        size_t i = todo[again[a]];
        if (!f2[a].ok) {
          results[again[a]] = f2[a].failure;
          continue;
        }
        found[i] = f2[a];
      }
      std::vector<size_t> retry;
      for (size_t a = 0; a < again.size(); ++a)
        if (f2[a].ok) retry.push_back(todo[again[a]]);
      if (!retry.empty()) {
        std::vector<WriteResult> r2 = Apply(rows, tags, found, retry);
        for (size_t a = 0, b = 0; a < again.size(); ++a)
          if (f2[a].ok) results[again[a]] = r2[b++];
      }
    }
    done.insert(done.end(), std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
  }

  // POST <root>/$batch with `parts`, the CSRF token and cookies set, refetched once on a
  // `403 X-CSRF-Token: Required`. `write`: the batch modifies (retried only when not applied).
  api::CallResult SendBatchRequest(const std::vector<mp::Part>& parts, bool write) {
    http::Request r;
    r.method = "POST";
    r.url = root_ + "/$batch";
    r.headers = {{"Content-Type", std::string("multipart/mixed; boundary=") + kBoundary},
                 {"Accept", "multipart/mixed"}};
    r.body = mp::Build(kBoundary, parts);
    api::CallResult call;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string error;
      if (!csrf_->Ensure(*session_, client_, root_, calls_, error)) {
        call = api::CallResult{};
        call.login_error = error;
        // A refused fetch is not a refused login: keep it retriable (FailedWrite's wording).
        return call;
      }
      api::Sign sign = [this](http::Request& req, std::string& err) {
        csrf_->Apply(req);
        return session_->Authorize(req, err);
      };
      // 429 says not applied: sent again after Retry-After. Reads (the lookups) retry as reads.
      auto not_applied = [](const http::Response& resp) { return resp.status == 429; };
      call = api::Call(*session_, client_, r, write ? api::RetryMode::kWrite : api::RetryMode::kRead, calls_,
                       not_applied, sign);
      if (!CsrfRequired(call.response)) return call;
      csrf_->Forget();
    }
    return call;
  }

  // The records of `keys`, looked up in one $batch of GETs.
  std::vector<Found> Lookup(const std::vector<std::string>& keys, const std::vector<uint64_t>& tags) {
    std::vector<Found> out(keys.size());
    std::vector<mp::Part> parts;
    std::string select = req_.id_field.empty() || !SafeName(req_.id_field) ? req_.key_field
                                                                            : req_.id_field + "," + req_.key_field;
    for (const std::string& k : keys) {
      mp::Message m;
      m.method = "GET";
      m.target = req_.object + "?$filter=" + http::UrlEncode(req_.key_field + " eq " + Quote(k)) +
                 "&$select=" + select + "&$top=2&$format=json";
      m.headers = {{"Accept", "application/json"}};
      parts.push_back(mp::Part{false, {m}});
    }
    api::CallResult call = SendBatchRequest(parts, false);
    std::vector<mp::Part> answers;
    std::string error;
    if (!BatchAnswer(call, answers, error)) {
      for (size_t i = 0; i < keys.size(); ++i) out[i].failure = BatchFailure(tags[i], call, error);
      return out;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i >= answers.size() || answers[i].messages.empty()) {
        out[i].failure = BatchFailure(tags[i], call, "the $batch answer has no part for this lookup");
        continue;
      }
      const mp::Message& m = answers[i].messages.front();
      if (m.status < 200 || m.status >= 300) {
        out[i].failure = PartFailure(tags[i], m);
        continue;
      }
      api::JsonNode root;
      std::string perr;
      if (!api::ParseJson(m.body, root, perr)) {
        out[i].failure = BatchFailure(tags[i], call, "lookup answer: " + perr);
        continue;
      }
      const api::JsonNode* d = root.Find("d");
      const api::JsonNode* rows = d ? d->Find("results") : root.Find("value");
      out[i].ok = true;
      if (rows == nullptr || rows->items.empty()) continue;
      if (rows->items.size() > 1) {
        out[i].ok = false;
        WriteResult r;
        r.tag = tags[i];
        r.code = "DUPLICATE_KEY";
        r.message = "two or more " + req_.object + " records have " + req_.key_field + " = " + Quote(keys[i]);
        out[i].failure = r;
        continue;
      }
      const api::JsonNode& row = rows->items.front();
      out[i].exists = true;
      if (const api::JsonNode* meta = row.Find("__metadata")) {
        if (const api::JsonNode* uri = meta->Find("uri")) out[i].uri = RelativeUri(uri->Text(), req_.object);
        if (const api::JsonNode* etag = meta->Find("etag")) out[i].etag = etag->Text();
      }
      if (const api::JsonNode* id = row.Find(req_.id_field.empty() ? req_.key_field : req_.id_field))
        out[i].id = id->Text();
      if (out[i].uri.empty()) out[i].uri = req_.object + "(" + Quote(out[i].id) + ")";
    }
    return out;
  }

  // Creates or updates the records `which`, a changeset each, in one $batch.
  std::vector<WriteResult> Apply(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                                 const std::vector<Found>& found, const std::vector<size_t>& which) {
    std::vector<mp::Part> parts;
    for (size_t i : which) {
      mp::Message m;
      bool update = found[i].exists;
      m.method = update ? "PATCH" : "POST";
      m.target = update ? found[i].uri : req_.object;
      m.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      if (update && !found[i].etag.empty()) m.headers.emplace_back("If-Match", found[i].etag);
      m.body = BuildEntityBody(req_, rows[i].data(), update, version_);
      parts.push_back(mp::Part{true, {m}});
    }
    api::CallResult call = SendBatchRequest(parts, true);
    std::vector<WriteResult> out(which.size());
    std::vector<mp::Part> answers;
    std::string error;
    if (!BatchAnswer(call, answers, error)) {
      for (size_t j = 0; j < which.size(); ++j) out[j] = BatchFailure(tags[which[j]], call, error);
      return out;
    }
    for (size_t j = 0; j < which.size(); ++j) {
      size_t i = which[j];
      if (j >= answers.size() || answers[j].messages.empty()) {
        out[j] = BatchFailure(tags[i], call, "the $batch answer has no part for this changeset");
        continue;
      }
      const mp::Message& m = answers[j].messages.front();
      if (m.status < 200 || m.status >= 300) {
        out[j] = PartFailure(tags[i], m);
        continue;
      }
      WriteResult r;
      r.tag = tags[i];
      r.ok = true;
      r.created = !found[i].exists;
      r.id = found[i].id;
      if (r.created) {
        api::JsonNode root;
        std::string perr;
        if (api::ParseJson(m.body, root, perr)) {
          const api::JsonNode* d = root.Find("d");
          const api::JsonNode* entity = d ? d : &root;
          if (const api::JsonNode* id = entity->Find(req_.id_field.empty() ? req_.key_field : req_.id_field))
            r.id = id->Text();
        }
      }
      out[j] = std::move(r);
    }
    return out;
  }

  // The parts of a $batch answer (202 with a multipart body). False with `error` otherwise.
  static bool BatchAnswer(const api::CallResult& call, std::vector<mp::Part>& parts, std::string& error) {
    if (!call.login_error.empty() || call.response.status == 0 || call.response.status >= 300) return false;
    std::string boundary = mp::Boundary(call.response.Header("Content-Type"));
    // A proxy that rewrote the Content-Type: the body's first line is the delimiter.
    if (boundary.empty() && call.response.body.rfind("--", 0) == 0)
      boundary = mp::Trim(std::string_view(call.response.body).substr(2, call.response.body.find('\n') - 2));
    if (!mp::Parse(call.response.body, boundary, parts, error)) {
      error = "cannot read the $batch answer: " + error;
      return false;
    }
    return true;
  }

  // A record's failure when the whole $batch failed.
  static WriteResult BatchFailure(uint64_t tag, const api::CallResult& call, const std::string& error) {
    if (!call.login_error.empty() || call.response.status == 0) return api::FailedWrite(tag, call, "", "");
    if (call.response.status >= 300) {
      std::string code, message;
      std::vector<std::string> fields;
      ReadError(call.response.body, code, message, fields);
      if (CsrfRequired(call.response)) code = "CSRF_TOKEN_REQUIRED";
      return api::FailedWrite(tag, call, code, message, fields);
    }
    // A 2xx whose body cannot be read: whether it was applied is unknown; the ledger decides.
    WriteResult r;
    r.tag = tag;
    r.http_status = static_cast<int>(call.response.status);
    r.code = "BATCH_ANSWER_UNREADABLE";
    r.message = error;
    r.retriable = true;
    return r;
  }

  // A record's failure from its changeset's answer.
  static WriteResult PartFailure(uint64_t tag, const mp::Message& m) {
    WriteResult r;
    r.tag = tag;
    r.http_status = m.status;
    ReadError(m.body, r.code, r.message, r.fields);
    if (m.status == 412) r.code = "PRECONDITION_FAILED";
    if (m.status == 428) r.code = "PRECONDITION_REQUIRED";
    r.retriable = api::Retriable(m.status, r.code);
    return r;
  }

  std::shared_ptr<api::Session> session_;
  std::shared_ptr<Csrf> csrf_;
  http::Client client_;
  std::string root_;
  int version_;
};

// V4 writes: one request a record (POST, or PATCH with If-Match after a lookup); no $batch.
class SapConnector : public Connector {
 public:
  explicit SapConnector(std::shared_ptr<api::Session> session)
      : session_(std::move(session)), csrf_(std::make_shared<Csrf>()), version_(ODataVersion(session_->system())) {}
  std::string Describe() const override { return "sap " + session_->system().base_url; }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& request, std::string& error) override {
    ReadRequest req = request;
    req.object = EntitySetOf(session_->system(), request.object);
    std::string root = ServiceRoot(session_->system(), req.object);
    if (!Check(req.object, root, error)) return nullptr;
    for (const std::string& f : req.fields) {
      std::string_view first = std::string_view(f).substr(0, f.find('.'));
      if (!SafeName(first)) {
        error = "`" + f + "` is not a property of " + req.object;
        return nullptr;
      }
    }
    return std::make_unique<SapReader>(session_, req, root, version_);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& request, std::string& error) override {
    WriteRequest req = request;
    req.object = EntitySetOf(session_->system(), request.object);
    std::string root = ServiceRoot(session_->system(), req.object);
    if (!Check(req.object, root, error)) return nullptr;
    if (version_ != 2) {
      error = "writes to SAP are done over OData V2 ($batch); the profile says odata_version " +
              std::to_string(version_);
      return nullptr;
    }
    if (!SafeName(req.key_field)) {
      error = "`" + req.key_field + "` is not a property of " + req.object + " to upsert by";
      return nullptr;
    }
    return std::make_unique<SapWriter>(session_, csrf_, req, root, version_);
  }

 private:
  static bool Check(const std::string& object, const std::string& root, std::string& error) {
    if (!SafeName(object)) {
      error = "`" + object + "` is not an OData entity set";
      return false;
    }
    if (root.empty()) {
      error = "no OData service is known for `" + object + "`: set the profile option `service." + object +
              "` (or `service_root`) to its service root, e.g. /sap/opu/odata/sap/API_SALES_ORDER_SRV";
      return false;
    }
    return true;
  }

  std::shared_ptr<api::Session> session_;
  std::shared_ptr<Csrf> csrf_;
  int version_;
};

// Appends a value as SAP's V2 JSON writes it: decimals as strings (Edm.Decimal is a string in
// the V2 JSON format), instants as "/Date(ms)/".
void AppendODataValue(std::string& out, const Value& v, const plan::TargetField& f, int version) {
  if (v.kind() == Kind::kDecimal || (f.type == FieldType::kDecimal && (v.kind() == Kind::kInt || v.kind() == Kind::kUint))) {
    if (version == 2) {
      std::string digits;
      AppendJson(digits, v, f.scale.value_or(-1));
      AppendJsonString(out, digits);
      return;
    }
  }
  if (v.kind() == Kind::kTimestamp && version == 2) {
    value::Time t = v.AsTime();
    int64_t ms = t.seconds * 1000 + t.nanos / 1000000;
    AppendJsonString(out, "/Date(" + std::to_string(ms) + ")/");
    return;
  }
  AppendField(out, v, f);
}

}  // namespace

std::string Quote(std::string_view s) { return api::QuoteDoubled(s); }

std::string ServiceRoot(const profile::SystemProfile& system, const std::string& object) {
  auto own = system.options.find("service." + object);
  std::string root;
  if (own != system.options.end()) {
    root = own->second;
  } else if (auto all = system.options.find("service_root"); all != system.options.end()) {
    root = all->second;
  } else if (object.rfind("A_SalesOrder", 0) == 0) {
    root = "/sap/opu/odata/sap/API_SALES_ORDER_SRV";
  } else if (object.rfind("A_BusinessPartner", 0) == 0 || object.rfind("A_Customer", 0) == 0 ||
             object.rfind("A_Supplier", 0) == 0 || object == "A_AddressEmailAddress" ||
             object == "A_AddressPhoneNumber") {
    root = "/sap/opu/odata/sap/API_BUSINESS_PARTNER";
  }
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root;
}

std::string EntitySetOf(const profile::SystemProfile& system, const std::string& object) {
  if (auto own = system.options.find("entity_set." + object); own != system.options.end()) return own->second;
  if (object.size() > 5 && object.ends_with("_Type")) return object.substr(0, object.size() - 5);
  if (object.size() > 6 && object.rfind("A_", 0) == 0 && object.ends_with("Type")) return object.substr(0, object.size() - 4);
  return object;
}

int ODataVersion(const profile::SystemProfile& system) {
  auto v = system.options.find("odata_version");
  return v != system.options.end() && (v->second == "4" || v->second == "4.0") ? 4 : 2;
}

std::string InstantLiteral(value::Time t, int version) {
  std::string text = value::FormatTimestamp(t);
  return version == 2 ? "datetimeoffset'" + text + "'" : text;
}

std::optional<std::string> FilterOf(const plan::SourceCondition& c, FieldType type, int version) {
  return api::PushdownText(c, type, version == 2 ? kODataV2 : kODataV4);
}

std::string BuildQuery(const ReadRequest& req, int version, size_t top, size_t skip) {
  std::vector<std::string> opts;
  std::string select;
  std::vector<std::string> seen;
  for (const std::string& f : req.fields) {
    // A dotted name reads into a navigation property or complex type: select its first step.
    std::string first = f.substr(0, f.find('.'));
    if (!SafeName(first) || std::find(seen.begin(), seen.end(), first) != seen.end()) continue;
    seen.push_back(first);
    select += (select.empty() ? "" : ",") + first;
  }
  if (!select.empty()) opts.push_back("$select=" + select);
  std::vector<std::string> where = api::PushdownTerms(req, version == 2 ? kODataV2 : kODataV4);
  bool cursor = !req.cursor.empty() && SafeName(req.cursor);
  value::Time since;
  if (cursor && !req.since.empty() && value::ParseTimestamp(req.since, since)) {
    // Whole seconds, rounded down: `ge` keeps the ties.
    since.nanos = 0;
    where.push_back(req.cursor + " ge " + InstantLiteral(since, version));
  }
  if (!where.empty()) {
    std::string filter;
    for (size_t i = 0; i < where.size(); ++i) filter += (i ? " and " : "") + where[i];
    opts.push_back("$filter=" + http::UrlEncode(filter));
  }
  // $top/$skip paging needs a stable order.
  if (cursor) {
    std::string order = req.cursor;
    if (!req.id_field.empty() && SafeName(req.id_field) && req.id_field != req.cursor) order += "," + req.id_field;
    opts.push_back("$orderby=" + http::UrlEncode(order));
  } else if (!req.id_field.empty() && SafeName(req.id_field)) {
    opts.push_back("$orderby=" + req.id_field);
  }
  if (top > 0) opts.push_back("$top=" + std::to_string(top));
  if (skip > 0) opts.push_back("$skip=" + std::to_string(skip));
  if (skip == 0) opts.push_back(version == 2 ? "$inlinecount=allpages" : "$count=true");
  if (version == 2) opts.push_back("$format=json");
  std::string out;
  for (size_t i = 0; i < opts.size(); ++i) out += (i ? "&" : "") + opts[i];
  return out;
}

bool ParseV2Date(std::string_view text, value::Time& out) {
  if (text.rfind("/Date(", 0) != 0 || text.size() < 9 || text.substr(text.size() - 2) != ")/") return false;
  std::string_view inner = text.substr(6, text.size() - 8);
  int64_t ms = 0;
  auto r = std::from_chars(inner.data(), inner.data() + inner.size(), ms);
  if (r.ec != std::errc() || r.ptr == inner.data()) return false;
  std::string_view rest(r.ptr, static_cast<size_t>(inner.data() + inner.size() - r.ptr));
  if (!rest.empty()) {
    // "+0000" / "-0060": an offset in minutes, informative (the milliseconds are UTC).
    if (rest.size() != 5 || (rest[0] != '+' && rest[0] != '-') ||
        !std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
  }
  int64_t seconds = ms / 1000;
  int64_t rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    seconds -= 1;
  }
  if (seconds < value::kMinTimestampSeconds || seconds > value::kMaxTimestampSeconds) return false;
  out.seconds = seconds;
  out.nanos = static_cast<int32_t>(rem * 1000000);
  return true;
}

Value FieldValue(const api::JsonNode& node, FieldType type, std::string_view field) {
  if ((type == FieldType::kDateTime || type == FieldType::kDate) && node.type == api::JsonNode::Type::kString &&
      node.text.rfind("/Date(", 0) == 0) {
    value::Time t;
    if (!ParseV2Date(node.text, t)) return Value::Error("`" + std::string(field) + "`: `" + node.text + "` is not an OData date");
    return Value::Timestamp(t);
  }
  // V2 nests a navigation property's rows under `results`.
  if (node.type == api::JsonNode::Type::kObject && type == FieldType::kAny)
    if (const api::JsonNode* rows = node.Find("results")) return api::NodeValue(*rows, type, field);
  return api::NodeValue(node, type, field);
}

void ReadError(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error) || root.type != api::JsonNode::Type::kObject) {
    message = body.substr(0, 300);
    return;
  }
  const api::JsonNode* e = root.Find("error");
  if (e == nullptr) {
    message = body.substr(0, 300);
    return;
  }
  if (e->type == api::JsonNode::Type::kString) {
    // A token endpoint's OAuth error.
    code = e->Text();
    if (const api::JsonNode* d = root.Find("error_description")) message = d->Text();
    return;
  }
  if (const api::JsonNode* c = e->Find("code")) code = c->Text();
  if (const api::JsonNode* m = e->Find("message")) {
    // V2: {"lang","value"}; V4: a string.
    if (const api::JsonNode* v = m->Find("value")) message = v->Text();
    else message = m->Text();
  }
  auto details = [&](const api::JsonNode* list) {
    if (list == nullptr) return;
    for (const api::JsonNode& d : list->items) {
      const api::JsonNode* dm = d.Find("message");
      std::string text = dm ? (dm->Find("value") ? dm->Find("value")->Text() : dm->Text()) : "";
      if (!text.empty() && text != message) message += (message.empty() ? "" : "; ") + text;
      if (const api::JsonNode* t = d.Find("target"); t != nullptr && !t->Text().empty() &&
                                                      std::find(fields.begin(), fields.end(), t->Text()) == fields.end())
        fields.push_back(t->Text());
    }
  };
  if (const api::JsonNode* inner = e->Find("innererror")) details(inner->Find("errordetails"));
  details(e->Find("details"));
  if (const api::JsonNode* t = e->Find("target"); t != nullptr && !t->Text().empty() &&
                                                  std::find(fields.begin(), fields.end(), t->Text()) == fields.end())
    fields.push_back(t->Text());
}

std::string BuildEntityBody(const WriteRequest& req, const Value* values, bool update, int version) {
  std::vector<const plan::TargetField*> fields;
  std::vector<const Value*> vals;
  std::string nested;
  for (size_t i = 0; i < req.fields.size(); ++i) {
    const plan::TargetField& f = req.fields[i];
    if (update && (f.name == req.key_field || f.create_only)) continue;
    if (!f.element.empty() || values[i].kind() == Kind::kList) {
      // Items: a deep insert with the create; SAP updates no navigation property with its parent.
      if (update || values[i].kind() != Kind::kList) continue;
      std::string items;
      api::AppendLines(items, f, values[i], false, [&](std::string& o, const plan::TargetField& e, const Value& v) {
        AppendODataValue(o, v, e, version);
      });
      nested += ",";
      AppendJsonString(nested, f.path.empty() ? f.name : f.path.front());
      nested += ":";
      nested += version == 2 ? "{\"results\":" + items + "}" : items;
      continue;
    }
    fields.push_back(&f);
    vals.push_back(&values[i]);
  }
  std::string out = "{";
  AppendNestedMembers(out, NestFields(fields),
                      [&](std::string& o, size_t i) { AppendODataValue(o, *vals[i], *fields[i], version); });
  if (fields.empty() && !nested.empty()) nested.erase(0, 1);
  return out + nested + "}";
}

std::string RelativeUri(std::string_view uri, std::string_view object) {
  size_t at = uri.rfind("/" + std::string(object) + "(");
  if (at == std::string_view::npos) return std::string(uri);
  return std::string(uri.substr(at + 1));
}

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<SapConnector>(std::move(session));
}

}  // namespace crmx::connectors::sap
