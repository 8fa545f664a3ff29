// Defines the Salesforce REST connector (salesforce.h): SOQL reads, sObject Collections writes.
#include "runtime/connectors/salesforce/salesforce.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_set>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/paged_reader.h"
#include "runtime/connectors/api/pushdown_text.h"
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/nesting.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors::salesforce {

namespace {

using plan::FieldType;
using value::Value;

constexpr size_t kMaxCollection = 200;  // records per sObject Collections request

std::string ApiVersion(const std::string& v) {
  if (v.empty()) return "v61.0";
  return v.front() == 'v' ? v : "v" + v;
}


// A timestamp as a SOQL literal: a datetime unquoted ("2024-01-02T03:04:05Z"), a date at
// midnight as its day ("2024-01-02").
std::optional<std::string> TimeLiteral(value::Time t, FieldType type) {
  if (t.nanos != 0) return std::nullopt;
  std::string text = value::FormatTimestamp(t);
  if (type == FieldType::kDateTime) return text;
  if (type == FieldType::kDate && text.size() == 20 && text.compare(10, 10, "T00:00:00Z") == 0) return text.substr(0, 10);
  return std::nullopt;
}

// A field name SOQL reads as a name: letters, digits, `_` and the dots of relationships.
bool SafeName(std::string_view f) { return api::SafeName(f, true); }

// SOQL for PushdownText: relationship paths, `!=` as the docs write it, `= null` as the null
// test. SOQL compares strings without case (`=` then matches a superset: fine; `!=` and the
// orderings would drop records the VM keeps: not pushed).
const api::PushdownDialect kSoql{.dotted_names = true,
                                 .quote = [](std::string_view s) { return QuoteSoql(s); },
                                 .true_text = "true",
                                 .false_text = "false",
                                 .time = TimeLiteral,
                                 .ops = {"=", "!=", "<", "<=", ">", ">="},
                                 .is_null = " = null",
                                 .not_null = " != null",
                                 .string_ne = false};

// The vendor's error list (`[{"errorCode","message","fields"}]`, or one such object).
void ReadErrorBody(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error)) {
    message = body.substr(0, 300);
    return;
  }
  const api::JsonNode* e = root.type == api::JsonNode::Type::kArray && !root.items.empty() ? &root.items[0] : &root;
  if (const api::JsonNode* c = e->Find("errorCode")) code = c->Text();
  if (code.empty())
    if (const api::JsonNode* c = e->Find("error")) code = c->Text();  // the token endpoint's form
  if (const api::JsonNode* m = e->Find("message")) message = m->Text();
  if (message.empty())
    if (const api::JsonNode* m = e->Find("error_description")) message = m->Text();
  if (const api::JsonNode* f = e->Find("fields"))
    for (const api::JsonNode& x : f->items) fields.push_back(x.Text());
}

std::string DescribeFailure(const api::CallResult& call) {
  if (!call.login_error.empty()) return "login failed: " + call.login_error;
  if (call.response.status == 0) return call.response.transport_error;
  std::string code, message;
  std::vector<std::string> fields;
  ReadErrorBody(call.response.body, code, message, fields);
  return "HTTP " + std::to_string(call.response.status) + (code.empty() ? "" : ": " + code) +
         (message.empty() ? "" : ": " + message);
}

class SalesforceReader : public api::PagedReader {
 public:
  SalesforceReader(std::shared_ptr<api::Session> session, const ReadRequest& req)
      : api::PagedReader(std::move(session), req, BuildSoql(req), "records", "salesforce:" + req.object) {}

 private:
  bool Take(const api::JsonNode& record, std::vector<Value>& values) override {
    if (!Fresh(record)) return false;
    api::AppendRow(record, req_.fields, req_.types, values);
    return true;
  }

  // The next page: the query's first, then each nextRecordsUrl, until `done`.
  bool Fetch() override {
    http::Request r;
    r.method = "GET";
    r.url = next_url_.empty() ? "/services/data/" + ApiVersion(session_->system().api_version) + "/" + resource_ +
                                    "?q=" + http::UrlEncode(query_)
                              : next_url_;
    size_t batch_size = std::clamp<size_t>(req_.batch, 200, 2000);
    r.headers = {{"Accept", "application/json"}, {"Sforce-Query-Options", "batchSize=" + std::to_string(batch_size)}};
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_);
    if (!next_url_.empty() && LocatorLost(call) && restarts_ < kMaxRestarts) {
      // The cursor expired or was used up (an answer lost in flight, then fetched again):
      // the query runs again from the start and the records already handed out are skipped.
      ++restarts_;
      next_url_.clear();
      skip_ = done_;
      return Fetch();
    }
    if (!AcceptPage(call, "Salesforce", DescribeFailure, "totalSize")) return false;
    const api::JsonNode* done = page_.Find("done");
    const api::JsonNode* next = page_.Find("nextRecordsUrl");
    next_url_ = next != nullptr ? next->Text() : "";
    finished_ = (done != nullptr && done->Text() == "true") || next_url_.empty();
    return true;
  }

  static constexpr int kMaxRestarts = 3;

  static bool LocatorLost(const api::CallResult& call) {
    if (call.response.status != 400 && call.response.status != 404) return false;
    std::string code, message;
    std::vector<std::string> fields;
    ReadErrorBody(call.response.body, code, message, fields);
    return code == "INVALID_QUERY_LOCATOR";
  }

  // False for a record a restarted query hands out again: by its id when the read has one
  // (every id handed out is remembered, as a 64-bit hash), else by count.
  bool Fresh(const api::JsonNode& record) {
    if (id_column_.empty()) {
      if (skip_ == 0) return true;
      --skip_;
      return false;
    }
    const api::JsonNode* id = record.Path(id_column_);
    if (id == nullptr || id->Text().empty()) return true;
    return handed_out_.insert(std::hash<std::string>{}(id->Text())).second;
  }

  static std::string IdColumn(const ReadRequest& req) {
    std::string id = req.id_field.empty() ? "Id" : req.id_field;
    return std::find(req.fields.begin(), req.fields.end(), id) != req.fields.end() ? id : "";
  }

  const std::string resource_ = QueryResource(req_);  // "query" or "queryAll"
  std::string id_column_ = IdColumn(req_);
  std::unordered_set<uint64_t> handed_out_;
  uint64_t skip_ = 0;
  int restarts_ = 0;
  std::string next_url_;
};

class SalesforceWriter : public api::BatchWriter {
 public:
  SalesforceWriter(std::shared_ptr<api::Session> session, const WriteRequest& req)
      : api::BatchWriter(req, req.batch == 0 ? kMaxCollection : std::min(req.batch, kMaxCollection)),
        session_(std::move(session)), client_(session_->ClientOptions()),
        path_(WritePath(session_->system().api_version, req)) {}

 private:
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    http::Request r;
    r.method = "PATCH";
    r.url = path_;
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = BuildCollectionBody(req_, rows);
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kWrite, calls_);
    std::vector<WriteResult> results = ParseCollectionAnswer(call, tags);
    done.insert(done.end(), std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
  }

  std::shared_ptr<api::Session> session_;
  http::Client client_;
  std::string path_;
};

class SalesforceConnector : public Connector {
 public:
  explicit SalesforceConnector(std::shared_ptr<api::Session> session) : session_(std::move(session)) {}
  std::string Describe() const override { return "salesforce " + session_->system().base_url; }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not a Salesforce object name";
      return nullptr;
    }
    for (const std::string& f : req.fields) {
      if (!SafeName(f)) {
        error = "`" + f + "` is not a Salesforce field name";
        return nullptr;
      }
    }
    return std::make_unique<SalesforceReader>(session_, req);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    if (!SafeName(req.object) || !SafeName(req.key_field)) {
      error = "`" + req.object + "." + req.key_field + "` is not a Salesforce object and field";
      return nullptr;
    }
    return std::make_unique<SalesforceWriter>(session_, req);
  }
  std::string Limits() const override { return session_->limits.Latest(); }

 private:
  std::shared_ptr<api::Session> session_;
};

}  // namespace

std::string QuoteSoql(std::string_view s, bool like) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '%':
      case '_':
        if (like) out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out + "'";
}

std::string BuildSoql(const ReadRequest& req) {
  std::string q = "SELECT ";
  std::vector<std::string> seen;
  for (const std::string& f : req.fields) {
    if (std::find(seen.begin(), seen.end(), f) != seen.end()) continue;
    q += (seen.empty() ? "" : ", ") + f;
    seen.push_back(f);
  }
  if (seen.empty()) q += req.id_field.empty() ? "Id" : req.id_field;
  q += " FROM " + req.object;
  std::vector<std::string> where = api::PushdownTerms(req, kSoql);
  bool cursor = !req.cursor.empty() && SafeName(req.cursor);
  value::Time since;
  if (cursor && !req.since.empty() && value::ParseTimestamp(req.since, since)) {
    // Whole seconds, rounded down: `>=` keeps the ties (and the fraction's records).
    since.nanos = 0;
    where.push_back(req.cursor + " >= " + value::FormatTimestamp(since));
  }
  for (size_t i = 0; i < where.size(); ++i) q += (i ? " AND " : " WHERE ") + where[i];
  if (cursor) q += " ORDER BY " + req.cursor;
  return q;
}

std::string QueryResource(const ReadRequest& req) {
  for (const std::string& f : req.fields) {
    if (f.size() == 9 && std::equal(f.begin(), f.end(), "isdeleted", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return "queryAll";
  }
  return "query";
}

std::string WritePath(const std::string& api_version, const WriteRequest& req) {
  std::string base = "/services/data/" + ApiVersion(api_version) + "/composite/sobjects";
  // sObject Collections upsert takes external id fields only: a key that is the record Id
  // itself updates by Id (the same collection resource, without the field in the path).
  bool by_id = req.key_field == "Id" || (!req.id_field.empty() && req.key_field == req.id_field);
  return by_id ? base : base + "/" + req.object + "/" + req.key_field;
}

std::string BuildCollectionBody(const WriteRequest& req, const std::vector<std::vector<Value>>& rows) {
  std::string out = "{\"allOrNone\":false,\"records\":[";
  std::vector<FieldNode> nodes = NestFields(req.fields);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r) out.push_back(',');
    out += "{\"attributes\":{\"type\":";
    AppendJsonString(out, req.object);
    out += "}";
    const std::vector<Value>& row = rows[r];
    AppendNestedMembers(out, nodes, [&](std::string& o, size_t i) { AppendField(o, row[i], req.fields[i]); }, true);
    out.push_back('}');
  }
  return out + "]}";
}

std::vector<WriteResult> ParseCollectionAnswer(const api::CallResult& call, const std::vector<uint64_t>& tags) {
  std::vector<WriteResult> out;
  const http::Response& resp = call.response;
  if (!call.login_error.empty() || resp.status == 0 || !resp.Ok()) {
    std::string code, message;
    std::vector<std::string> fields;
    if (call.login_error.empty() && resp.status != 0) ReadErrorBody(resp.body, code, message, fields);
    for (uint64_t tag : tags) out.push_back(api::FailedWrite(tag, call, code, message, fields));
    return out;
  }
  api::JsonNode root;
  std::string parse_error;
  bool parsed = api::ParseJson(resp.body, root, parse_error) && root.type == api::JsonNode::Type::kArray;
  for (size_t i = 0; i < tags.size(); ++i) {
    WriteResult r;
    r.tag = tags[i];
    r.http_status = static_cast<int>(resp.status);
    if (!parsed || i >= root.items.size()) {
      // The records may or may not be written: an upsert by external id sent again is harmless.
      r.code = "NO_RESULT";
      r.message = parsed ? "the answer has no result for this record" : "unreadable answer: " + parse_error;
      r.retriable = true;
      out.push_back(std::move(r));
      continue;
    }
    const api::JsonNode& item = root.items[i];
    const api::JsonNode* success = item.Find("success");
    if (const api::JsonNode* id = item.Find("id")) r.id = id->Text();
    if (success != nullptr && success->Text() == "true") {
      r.ok = true;
      const api::JsonNode* created = item.Find("created");
      r.created = created != nullptr && created->Text() == "true";
      r.http_status = 0;
      out.push_back(std::move(r));
      continue;
    }
    const api::JsonNode* errors = item.Find("errors");
    if (errors != nullptr) {
      for (const api::JsonNode& e : errors->items) {
        const api::JsonNode* code = e.Find("statusCode");
        const api::JsonNode* message = e.Find("message");
        if (r.code.empty() && code != nullptr) r.code = code->Text();
        if (message != nullptr) r.message += (r.message.empty() ? "" : "; ") + message->Text();
        if (const api::JsonNode* f = e.Find("fields"))
          for (const api::JsonNode& x : f->items) r.fields.push_back(x.Text());
      }
    }
    if (r.code.empty()) r.code = "UNKNOWN_ERROR";
    r.retriable = api::Retriable(200, r.code);
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<SalesforceConnector>(std::move(session));
}

}  // namespace crmx::connectors::salesforce
