// Defines the Oracle Fusion Cloud REST connector (oracle.h): RowMatch `q` reads paged by
// offset/limit while `hasMore`, upserts in batch requests (all or nothing: failed parts are
// reported, the rest sent again), single upserts with `Upsert-Mode: true`.
#include "runtime/connectors/oracle/oracle.h"

#include <algorithm>
#include <optional>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/paged_reader.h"
#include "runtime/connectors/api/pushdown_text.h"
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/nesting.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors::oracle {

namespace {

using plan::FieldType;
using value::Value;

constexpr const char* kBatchType = "application/vnd.oracle.adf.batch+json";
constexpr const char* kItemType = "application/vnd.oracle.adf.resourceitem+json";
constexpr int kMaxBatchRounds = 8;  // a batch whose failed parts are taken out, sent again at most this often

// An attribute or resource name as Oracle writes them (no dots: child attributes are not read).
bool SafeName(std::string_view f) { return api::SafeName(f, false); }

// An instant as Oracle writes it: "2024-05-01T10:00:00+00:00"; a date as "2024-05-01".
std::optional<std::string> TimeLiteral(value::Time t, FieldType type) {
  std::optional<api::DayTime> at = api::WholeSecondDayTime(t, type);
  if (!at) return std::nullopt;
  if (type == FieldType::kDate) return QuoteOracle(at->day);
  return QuoteOracle(at->day + "T" + at->time + "+00:00");
}

// RowMatch `q` for PushdownText: lowercase keywords, `!=`, '' stored as NULL (an empty string is
// left to the engine); booleans are left to the engine (resources differ: true/false, 'Y'/'N'),
// and so is an `in` list with a constant Oracle would not compare as the VM does.
const api::PushdownDialect kRowMatch{.quote = QuoteOracle,
                                     .empty_string_is_null = true,
                                     .time = TimeLiteral,
                                     .ops = {"=", "!=", "<", "<=", ">", ">="},
                                     .is_null = " is null",
                                     .not_null = " is not null",
                                     .or_word = " or ",
                                     .in_open = " in (",
                                     .in_strict = true};

std::string DescribeFailure(const api::CallResult& call) {
  if (!call.login_error.empty()) return "login failed: " + call.login_error;
  if (call.response.status == 0) return call.response.transport_error;
  std::string code, message;
  std::vector<std::string> fields;
  ReadErrorBody(call.response.body, code, message, fields);
  return "HTTP " + std::to_string(call.response.status) + (code.empty() ? "" : ": " + code) +
         (message.empty() ? "" : ": " + message);
}

class OracleReader : public api::PagedReader {
 public:
  OracleReader(std::shared_ptr<api::Session> session, const ReadRequest& req)
      : api::PagedReader(session, req, BuildQ(req), "items", "oracle:" + req.object),
        path_(ResourceRoot(session->system(), req.object) + "/" + req.object),
        limit_(std::clamp<size_t>(req.batch, 1, kMaxPage)) {}

 private:
  bool Take(const api::JsonNode& row, std::vector<Value>& values) override {
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      const api::JsonNode* n = row.Find(req_.fields[i]);
      FieldType t = i < req_.types.size() ? req_.types[i] : FieldType::kAny;
      values.push_back(n ? api::NodeValue(*n, t, req_.fields[i]) : Value::Null());
    }
    return true;
  }

  bool Fetch() override {
    http::Request r;
    r.method = "GET";
    r.url = path_ + "?" + BuildQuery(req_, offset_, limit_);
    r.headers = {{"Accept", "application/json"}, {"REST-Framework-Version", "2"}};
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_, NotApplied);
    if (!AcceptPage(call, "Oracle", DescribeFailure, "totalResults")) return false;
    const api::JsonNode* more = page_.Find("hasMore");
    const api::JsonNode* items = page_.Find("items");
    offset_ += items == nullptr ? 0 : items->items.size();
    finished_ = more == nullptr || more->Text() != "true" || items == nullptr || items->items.empty();
    return true;
  }

  std::string path_;
  size_t limit_;
  size_t offset_ = 0;
};

class OracleWriter : public api::BatchWriter {
 public:
  OracleWriter(std::shared_ptr<api::Session> session, const WriteRequest& req)
      : api::BatchWriter(req, std::clamp<size_t>(req.batch == 0 ? kDefaultWriteBatch : req.batch, 1, 500)),
        session_(std::move(session)),
        client_(session_->ClientOptions()),
        root_(ResourceRoot(session_->system(), req.object)) {}

 private:
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    std::vector<std::string> payloads(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) payloads[i] = BuildPayload(req_, rows[i].data());
    std::vector<size_t> pending(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) pending[i] = i;
    for (int round = 0; !pending.empty(); ++round) {
      if (pending.size() == 1 || round >= kMaxBatchRounds) {
        for (size_t i : pending) done.push_back(SendOne(payloads[i], tags[i]));
        return;
      }
      std::vector<std::string> part_payloads;
      for (size_t i : pending) part_payloads.push_back(payloads[i]);
      http::Request r;
      r.method = "POST";
      r.url = root_ + "/";
      r.headers = {{"Content-Type", kBatchType}, {"Accept", "application/json"}, {"REST-Framework-Version", "2"}};
      r.body = BuildBatch(req_.object, part_payloads);
      api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kWrite, calls_, NotApplied);
      std::vector<PartAnswer> parts;
      bool has_parts = call.response.status > 0 && ParseBatchAnswer(call.response.body, req_.id_field, parts);
      if (call.response.Ok()) {
        // All applied: one answer part per request part, matched by id (an answer without
        // parts still says the batch was applied; the ids are then unknown).
        for (size_t p = 0; p < pending.size(); ++p) {
          WriteResult r1;
          const PartAnswer* a = Find(parts, p);
          if (a != nullptr && !a->failed) {
            r1 = a->result;
          } else {
            r1.ok = true;  // applied with the batch; the answer did not say its id
          }
          r1.tag = tags[pending[p]];
          done.push_back(std::move(r1));
        }
        return;
      }
      if (call.response.status >= 400 && call.response.status < 500 && call.response.status != 429 && has_parts &&
          std::any_of(parts.begin(), parts.end(), [](const PartAnswer& a) { return a.failed; })) {
        // All or nothing: the parts listed failed, the others were not applied.
        std::vector<size_t> again;
        for (size_t p = 0; p < pending.size(); ++p) {
          const PartAnswer* a = Find(parts, p);
          if (a == nullptr || !a->failed) {
            again.push_back(pending[p]);
            continue;
          }
          WriteResult r1 = a->result;
          r1.tag = tags[pending[p]];
          r1.http_status = static_cast<int>(call.response.status);
          r1.retriable = api::Retriable(call.response.status, r1.code);
          done.push_back(std::move(r1));
        }
        pending = std::move(again);
        continue;
      }
      if (call.response.status >= 400 && call.response.status < 500 && call.response.status != 401 &&
          call.response.status != 429) {
        // A refusal that names no part (a plain-text 400): each record on its own says which.
        for (size_t i : pending) done.push_back(SendOne(payloads[i], tags[i]));
        return;
      }
      // No answer, a login failure, throttling after the retries, 5xx: every record alike.
      std::string code, message;
      std::vector<std::string> fields;
      if (call.response.status > 0) ReadErrorBody(call.response.body, code, message, fields);
      for (size_t i : pending) done.push_back(api::FailedWrite(tags[i], call, code, message, fields));
      return;
    }
  }

  static const PartAnswer* Find(const std::vector<PartAnswer>& parts, size_t position) {
    std::string id = "part" + std::to_string(position);
    for (const PartAnswer& a : parts)
      if (a.id == id) return &a;
    return nullptr;
  }

  WriteResult SendOne(const std::string& payload, uint64_t tag) {
    http::Request r;
    r.method = "POST";
    r.url = root_ + "/" + req_.object;
    r.headers = {{"Content-Type", kItemType}, {"Accept", "application/json"}, {"Upsert-Mode", "true"},
                 {"REST-Framework-Version", "2"}};
    r.body = payload;
    return ParseItemAnswer(api::Call(*session_, client_, r, api::RetryMode::kWrite, calls_, NotApplied), req_.id_field,
                           tag);
  }

  std::shared_ptr<api::Session> session_;
  http::Client client_;
  std::string root_;
};

class OracleConnector : public Connector {
 public:
  explicit OracleConnector(std::shared_ptr<api::Session> session) : session_(std::move(session)) {}
  std::string Describe() const override { return "oracle " + session_->system().base_url; }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not an Oracle REST resource";
      return nullptr;
    }
    for (const std::string& f : req.fields) {
      if (!SafeName(f)) {
        error = "`" + f + "` is not an attribute of " + req.object + " (child resources are not read here)";
        return nullptr;
      }
    }
    return std::make_unique<OracleReader>(session_, req);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not an Oracle REST resource";
      return nullptr;
    }
    return std::make_unique<OracleWriter>(session_, req);
  }

 private:
  std::shared_ptr<api::Session> session_;
};

std::string Text(const api::JsonNode* n) { return n == nullptr ? std::string() : n->Text(); }

// The row's id from a payload: the id attribute, else the last segment of its `self` link.
std::string RowId(const api::JsonNode& payload, const std::string& id_field) {
  if (!id_field.empty())
    if (const api::JsonNode* id = payload.Find(id_field); id != nullptr && !id->Text().empty()) return id->Text();
  if (const api::JsonNode* links = payload.Find("links"))
    for (const api::JsonNode& l : links->items)
      if (Text(l.Find("rel")) == "self") {
        std::string href = Text(l.Find("href"));
        size_t slash = href.rfind('/');
        return slash == std::string::npos ? href : href.substr(slash + 1);
      }
  return {};
}

// The error of a node that is an error body (o:errorDetails, title/detail, o:errorCode).
bool ErrorOf(const api::JsonNode& n, std::string& code, std::string& message, std::vector<std::string>& fields) {
  bool error = false;
  if (const api::JsonNode* details = n.Find("o:errorDetails")) {
    error = true;
    for (const api::JsonNode& d : details->items) {
      if (code.empty()) code = Text(d.Find("o:errorCode"));
      std::string detail = Text(d.Find("detail"));
      if (!detail.empty()) message += (message.empty() ? "" : "; ") + detail;
      std::string path = Text(d.Find("o:errorPath"));
      if (!path.empty()) fields.push_back(path);
    }
  }
  if (n.Find("o:errorCode") != nullptr) {
    error = true;
    if (code.empty()) code = Text(n.Find("o:errorCode"));
  }
  if (message.empty()) message = Text(n.Find("detail"));
  if (message.empty() && (error || n.Find("status") != nullptr)) message = Text(n.Find("title"));
  if (n.Find("status") != nullptr && n.Find("title") != nullptr) error = true;
  return error;
}

}  // namespace

std::string ResourceRoot(const profile::SystemProfile& system, std::string_view resource) {
  std::string version = system.api_version.empty() ? "11.13.18.05" : system.api_version;
  std::string root = "fscmRestApi";
  static const char* kCrm[] = {"accounts", "contacts", "hubOrganizations", "hubPersons", "opportunities", "leads"};
  for (const char* r : kCrm)
    if (resource == r) root = "crmRestApi";
  if (auto at = system.options.find("rest_root"); at != system.options.end() && !at->second.empty()) root = at->second;
  return "/" + root + "/resources/" + version;
}

std::string QuoteOracle(std::string_view s) { return api::QuoteDoubled(s); }

std::string BuildQ(const ReadRequest& req) {
  std::vector<std::string> terms = api::PushdownTerms(req, kRowMatch);
  value::Time since;
  if (!req.cursor.empty() && SafeName(req.cursor) && !req.since.empty() && value::ParseTimestamp(req.since, since)) {
    // Whole seconds, rounded down: `>=` keeps the ties.
    since.nanos = 0;
    if (auto lit = TimeLiteral(since, FieldType::kDateTime)) terms.push_back(req.cursor + " >= " + *lit);
  }
  std::string q;
  for (size_t i = 0; i < terms.size(); ++i) q += (i ? " and " : "") + terms[i];
  return q;
}

std::string BuildQuery(const ReadRequest& req, size_t offset, size_t limit) {
  std::string out;
  std::string q = BuildQ(req);
  if (!q.empty()) out += "q=" + http::UrlEncode(q) + "&";
  std::string fields;
  for (const std::string& f : req.fields) {
    if (!SafeName(f) || ("," + fields + ",").find("," + f + ",") != std::string::npos) continue;
    fields += (fields.empty() ? "" : ",") + f;
  }
  if (!fields.empty()) out += "fields=" + http::UrlEncode(fields) + "&";
  out += "onlyData=true&offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit);
  // Offset paging needs a stable order: the cursor, else the id.
  if (!req.cursor.empty() && SafeName(req.cursor)) {
    out += "&orderBy=" + http::UrlEncode(req.cursor + ":asc");
  } else if (!req.id_field.empty() && SafeName(req.id_field)) {
    out += "&orderBy=" + http::UrlEncode(req.id_field + ":asc");
  }
  out += "&totalResults=false";
  return out;
}

std::string BuildPayload(const WriteRequest& req, const Value* values) {
  std::vector<const plan::TargetField*> fields;
  std::vector<const Value*> vals;
  for (size_t i = 0; i < req.fields.size(); ++i) {
    fields.push_back(&req.fields[i]);
    vals.push_back(&values[i]);
  }
  std::string out = "{";
  AppendNestedMembers(out, NestFields(fields), [&](std::string& o, size_t i) { AppendField(o, *vals[i], *fields[i]); });
  return out + "}";
}

std::string BuildBatch(const std::string& resource, const std::vector<std::string>& payloads) {
  std::string out = "{\"parts\":[";
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (i) out += ",";
    out += "{\"id\":\"part" + std::to_string(i) + "\",\"path\":";
    AppendJsonString(out, "/" + resource);
    out += ",\"operation\":\"upsert\",\"payload\":" + payloads[i] + "}";
  }
  return out + "]}";
}

bool ParseBatchAnswer(const std::string& body, const std::string& id_field, std::vector<PartAnswer>& parts) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error)) return false;
  const api::JsonNode* list = root.Find("parts");
  if (list == nullptr || list->type != api::JsonNode::Type::kArray) return false;
  for (const api::JsonNode& p : list->items) {
    PartAnswer a;
    a.id = Text(p.Find("id"));
    const api::JsonNode* payload = p.Find("payload");
    std::string code, message;
    std::vector<std::string> fields;
    // An error part carries the error body as its payload (or beside it).
    bool failed = (payload != nullptr && ErrorOf(*payload, code, message, fields)) || ErrorOf(p, code, message, fields);
    a.failed = failed;
    a.result.ok = !failed;
    if (failed) {
      a.result.code = code;
      a.result.message = message;
      a.result.fields = fields;
    } else if (payload != nullptr) {
      a.result.id = RowId(*payload, id_field);
    }
    parts.push_back(std::move(a));
  }
  return true;
}

void ReadErrorBody(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error) || root.type != api::JsonNode::Type::kObject) {
    // Oracle answers some 400s as text/plain ("The request failed because ...").
    message = body.substr(0, 300);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    return;
  }
  ErrorOf(root, code, message, fields);
  // The token endpoint's form.
  if (code.empty()) code = Text(root.Find("error"));
  if (message.empty()) message = Text(root.Find("error_description"));
}

WriteResult ParseItemAnswer(const api::CallResult& call, const std::string& id_field, uint64_t tag) {
  const http::Response& resp = call.response;
  if (!call.login_error.empty() || resp.status == 0) return api::FailedWrite(tag, call, "", "");
  if (resp.Ok()) {
    WriteResult r;
    r.tag = tag;
    r.ok = true;
    r.created = resp.status == 201;
    api::JsonNode row;
    std::string error;
    if (api::ParseJson(resp.body, row, error)) r.id = RowId(row, id_field);
    return r;
  }
  std::string code, message;
  std::vector<std::string> fields;
  ReadErrorBody(resp.body, code, message, fields);
  return api::FailedWrite(tag, call, code, message, fields);
}

bool NotApplied(const http::Response& response) { return response.status == 429 || response.status == 503; }

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<OracleConnector>(std::move(session));
}

}  // namespace crmx::connectors::oracle
