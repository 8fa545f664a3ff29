// Defines the NetSuite REST connector (netsuite.h): SuiteQL reads, upserts by external id on
// up to `concurrency` threads.
#include "runtime/connectors/netsuite/netsuite.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/lines.h"
#include "runtime/connectors/api/paged_reader.h"
#include "runtime/connectors/api/pushdown_text.h"
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/nesting.h"
#include "runtime/connectors/netsuite/get_deleted.h"
#include "runtime/plan/pushdown.h"

namespace crmx::connectors::netsuite {

namespace {

using plan::FieldType;
using value::Kind;
using value::Value;

constexpr size_t kDefaultWriteBatch = 50;
constexpr size_t kMaxPage = 1000;  // SuiteQL's largest `limit`
constexpr int kDefaultConcurrency = 5;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// A column or table name SuiteQL reads as a name (no dots: relationships are not read here).
bool SafeName(std::string_view f) { return api::SafeName(f, false); }

// An instant as SuiteQL text: TO_DATE for a date field, TO_TIMESTAMP for a datetime field.
std::optional<std::string> TimeLiteral(value::Time t, FieldType type) {
  std::optional<api::DayTime> at = api::WholeSecondDayTime(t, type);
  if (!at) return std::nullopt;
  if (type == FieldType::kDate) return "TO_DATE('" + at->day + "', 'YYYY-MM-DD')";
  return "TO_TIMESTAMP('" + at->day + " " + at->time + "', 'YYYY-MM-DD HH24:MI:SS')";
}

// SuiteQL (Oracle SQL) for PushdownText: lowercase columns, booleans 'T' and 'F', and '' stored
// as NULL (an empty string is left to the engine).
const api::PushdownDialect kSuiteQl{.lower_names = true,
                                    .quote = QuoteSuiteQl,
                                    .empty_string_is_null = true,
                                    .true_text = "'T'",
                                    .false_text = "'F'",
                                    .time = TimeLiteral};

// NetSuite's error body: {"type","title","status","o:errorDetails":[{"detail","o:errorPath",
// "o:errorCode"}]}.
void ReadErrorBody(const std::string& body, std::string& code, std::string& message, std::vector<std::string>& fields) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error) || root.type != api::JsonNode::Type::kObject) {
    message = body.substr(0, 300);
    return;
  }
  if (const api::JsonNode* details = root.Find("o:errorDetails")) {
    for (const api::JsonNode& d : details->items) {
      const api::JsonNode* c = d.Find("o:errorCode");
      if (code.empty() && c != nullptr) code = c->Text();
      if (const api::JsonNode* m = d.Find("detail")) message += (message.empty() ? "" : "; ") + m->Text();
      if (const api::JsonNode* p = d.Find("o:errorPath"); p != nullptr && !p->Text().empty()) fields.push_back(p->Text());
    }
  }
  if (message.empty())
    if (const api::JsonNode* t = root.Find("title")) message = t->Text();
  // The token endpoint's form.
  if (code.empty())
    if (const api::JsonNode* e = root.Find("error")) code = e->Text();
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

// A SuiteQL column's value as a field of `type` (booleans are "T" and "F").
Value ColumnValue(const api::JsonNode& n, FieldType type, const std::string& field) {
  if (type == FieldType::kBool && n.type == api::JsonNode::Type::kString) {
    if (n.text == "T") return Value::Bool(true);
    if (n.text == "F") return Value::Bool(false);
  }
  // A datetime without a zone ("2024-01-02 03:04:05"): read as UTC, the zone the cursor's
  // TO_TIMESTAMP literal is written in.
  if (type == FieldType::kDateTime && n.type == api::JsonNode::Type::kString && n.text.size() == 19 &&
      (n.text[10] == ' ' || n.text[10] == 'T'))
    return FromText(n.text + "Z", type, field).Owned();
  return api::NodeValue(n, type, field);
}

// Real accounts answer date and datetime columns in the user's date format ("3/1/2024", the
// time of day dropped), so the reader selects them through TO_CHAR unless the profile says
// `suiteql_dates: raw` (an account whose format is ISO).
bool DatesToChar(const api::Session& session) {
  auto at = session.system().options.find("suiteql_dates");
  return at == session.system().options.end() || at->second != "raw";
}

class NetSuiteReader : public api::PagedReader {
 public:
  NetSuiteReader(std::shared_ptr<api::Session> session, const ReadRequest& req)
      : api::PagedReader(session, req, BuildSuiteQl(req, DatesToChar(*session)), "items", "netsuite:" + req.object),
        limit_(std::clamp<size_t>(req.batch, 1, kMaxPage)) {}

 private:
  bool Take(const api::JsonNode& row, std::vector<Value>& values) override {
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      // A record SuiteQL reads is not deleted (get_deleted.h adds the deletions).
      if (req_.fields[i] == plan::kDeletedMarker) {
        values.push_back(Value::Bool(false));
        continue;
      }
      const api::JsonNode* n = row.FindIgnoreCase(req_.fields[i]);
      FieldType t = i < req_.types.size() ? req_.types[i] : FieldType::kAny;
      values.push_back(n ? ColumnValue(*n, t, req_.fields[i]) : Value::Null());
    }
    return true;
  }

  bool Fetch() override {
    http::Request r;
    r.method = "POST";
    r.url = "/services/rest/query/v1/suiteql?limit=" + std::to_string(limit_) + "&offset=" + std::to_string(offset_);
    r.headers = {{"Prefer", "transient"}, {"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = "{\"q\":";
    AppendJsonString(r.body, query_);
    r.body += "}";
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_, NotApplied);
    if (!AcceptPage(call, "NetSuite", DescribeFailure, "totalResults")) return false;
    const api::JsonNode* more = page_.Find("hasMore");
    const api::JsonNode* items = page_.Find("items");
    offset_ += limit_;
    finished_ = more == nullptr || more->Text() != "true" || items == nullptr || items->items.empty();
    return true;
  }

  size_t limit_;
  size_t offset_ = 0;
};

class NetSuiteWriter : public api::BatchWriter {
 public:
  NetSuiteWriter(std::shared_ptr<api::Session> session, const WriteRequest& req)
      // NetSuite takes one record per request (the plan's write_batch is 1): the batch is what
      // the lanes share, so it is at least kDefaultWriteBatch records.
      : api::BatchWriter(req, std::max(req.batch, kDefaultWriteBatch)), session_(std::move(session)),
        lanes_(static_cast<size_t>(session_->system().concurrency > 0 ? session_->system().concurrency
                                                                      : kDefaultConcurrency)) {
    // The spec's `budget concurrency K` bounds the profile's (or the default) lanes.
    if (req.concurrency > 0) lanes_ = std::min(lanes_, req.concurrency);
  }

 private:
  // The batch's upserts on up to `lanes_` threads, each with its own client; results in the
  // order the records were added. The rows are only read by the threads (a Value's reference
  // count is not atomic: nothing here copies one).
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    size_t n = rows.size();
    size_t lanes = std::min(lanes_, n);
    while (clients_.size() < lanes) clients_.push_back(std::make_unique<http::Client>(session_->ClientOptions()));
    std::vector<std::string> keys(n);
    for (size_t i = 0; i < n; ++i) keys[i] = KeyText(rows[i][static_cast<size_t>(key())]);
    std::vector<WriteResult> results(n);
    std::atomic<size_t> next{0};
    auto lane = [&](size_t l) {
      for (size_t i = next++; i < n; i = next++) results[i] = SendOne(*clients_[l], rows[i].data(), keys[i], tags[i]);
    };
    if (lanes <= 1) {
      lane(0);
    } else {
      std::vector<std::thread> threads;
      for (size_t l = 0; l < lanes; ++l) threads.emplace_back(lane, l);
      for (std::thread& t : threads) t.join();
    }
    done.insert(done.end(), std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
  }

  WriteResult SendOne(http::Client& client, const Value* values, const std::string& key, uint64_t tag) {
    http::Request r;
    r.method = "PUT";
    r.url = UpsertPath(req_, key);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = BuildRecordBody(req_, values);
    api::CallResult call = api::Call(*session_, client, r, api::RetryMode::kWrite, calls_, NotApplied);
    WriteResult result = ParseRecordAnswer(call, tag);
    if (!RefusedCreateOnly(req_, result)) return result;
    // The record exists (created by a send whose answer was lost, or by an earlier run): the
    // update leaves out what only a create may set.
    r.body = BuildRecordBody(req_, values, true);
    return ParseRecordAnswer(api::Call(*session_, client, r, api::RetryMode::kWrite, calls_, NotApplied), tag);
  }

  std::shared_ptr<api::Session> session_;
  size_t lanes_;
  std::vector<std::unique_ptr<http::Client>> clients_;
};

class NetSuiteConnector : public Connector {
 public:
  explicit NetSuiteConnector(std::shared_ptr<api::Session> session) : session_(std::move(session)) {}
  std::string Describe() const override { return "netsuite " + session_->system().base_url; }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not a NetSuite record type";
      return nullptr;
    }
    bool deletions = false;
    for (const std::string& f : req.fields) {
      if (f == plan::kDeletedMarker) {
        deletions = true;
      } else if (!SafeName(f)) {
        error = "`" + f + "` is not a SuiteQL column of " + req.object + " (joined fields are not read by SuiteQL here)";
        return nullptr;
      }
    }
    auto records = std::make_unique<NetSuiteReader>(session_, req);
    // The profile's `deletions: skip` reads without SOAP (an OAuth 2.0 login, a role without
    // the Deleted Records permission): no record is then seen deleted.
    auto skip = session_->system().options.find("deletions");
    if (!deletions || (skip != session_->system().options.end() && skip->second == "skip")) return records;
    return WithDeletions(std::move(records), session_, req, error);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not a NetSuite record type";
      return nullptr;
    }
    return std::make_unique<NetSuiteWriter>(session_, req);
  }

 private:
  std::shared_ptr<api::Session> session_;
};

// A reference's value: the internal id as text.
void AppendReference(std::string& out, const Value& v, const plan::TargetField& f) {
  if (v.IsNull()) {
    out += "null";
    return;
  }
  out += "{\"id\":";
  switch (v.kind()) {
    case Kind::kString: AppendJsonString(out, v.AsText()); break;
    case Kind::kInt: AppendJsonString(out, std::to_string(v.AsInt())); break;
    case Kind::kUint: AppendJsonString(out, std::to_string(v.AsUint())); break;
    case Kind::kDecimal: AppendJsonString(out, v.AsDecimal().ToString()); break;
    default: AppendField(out, v, f);
  }
  out += "}";
}

void EncodeValue(std::string& out, const plan::TargetField& f, const Value& v) {
  if (f.reference) {
    AppendReference(out, v, f);
    return;
  }
  AppendField(out, v, f);
}

// `{"items":[{line}, ...]}` for a sublist's lines.
void AppendSublist(std::string& out, const plan::TargetField& f, const Value& lines) {
  out += "{\"items\":";
  api::AppendLines(out, f, lines, true, EncodeValue);
  out += "}";
}

}  // namespace

ObjectTable TableFor(const std::string& object) {
  // Transactions live in one SuiteQL table, told apart by `type`; their REST record types
  // are the lower-camel names.
  struct Known {
    const char* object;
    const char* table;
    const char* filter;
    const char* record;
  };
  static const Known kKnown[] = {
      {"customer", "customer", "", "customer"},
      {"contact", "contact", "", "contact"},
      {"vendor", "vendor", "", "vendor"},
      {"employee", "employee", "", "employee"},
      {"salesorder", "transaction", "type = 'SalesOrd'", "salesOrder"},
      {"invoice", "transaction", "type = 'CustInvc'", "invoice"},
      {"estimate", "transaction", "type = 'Estimate'", "estimate"},
      {"opportunity", "transaction", "type = 'Opprtnty'", "opportunity"},
      {"cashsale", "transaction", "type = 'CashSale'", "cashSale"},
      {"creditmemo", "transaction", "type = 'CustCred'", "creditMemo"},
      {"customerpayment", "transaction", "type = 'CustPymt'", "customerPayment"},
      {"purchaseorder", "transaction", "type = 'PurchOrd'", "purchaseOrder"},
      {"vendorbill", "transaction", "type = 'VendBill'", "vendorBill"},
      {"returnauthorization", "transaction", "type = 'RtnAuth'", "returnAuthorization"},
      {"itemfulfillment", "transaction", "type = 'ItemShip'", "itemFulfillment"},
  };
  std::string lower = Lower(object);
  for (const Known& k : kKnown)
    if (lower == k.object) return ObjectTable{k.table, k.filter, k.record};
  // Anything else (custom records: customrecord_x): the table is the lowercase name, the
  // record type the name with a lowercase first letter.
  std::string record = object;
  if (!record.empty() && record[0] >= 'A' && record[0] <= 'Z') record[0] = static_cast<char>(record[0] + 32);
  return ObjectTable{lower, "", record};
}

std::string QuoteSuiteQl(std::string_view s) { return api::QuoteDoubled(s); }

std::string BuildSuiteQl(const ReadRequest& req, bool dates_to_char) {
  ObjectTable t = TableFor(req.object);
  std::string q = "SELECT ";
  std::vector<std::string> seen;
  for (size_t i = 0; i < req.fields.size(); ++i) {
    if (req.fields[i] == plan::kDeletedMarker) continue;
    std::string col = Lower(req.fields[i]);
    if (std::find(seen.begin(), seen.end(), col) != seen.end()) continue;
    FieldType type = i < req.types.size() ? req.types[i] : FieldType::kAny;
    std::string item = col;
    if (dates_to_char && type == FieldType::kDate) item = "TO_CHAR(" + col + ", 'YYYY-MM-DD') AS " + col;
    if (dates_to_char && type == FieldType::kDateTime)
      item = "TO_CHAR(" + col + ", 'YYYY-MM-DD\"T\"HH24:MI:SS') AS " + col;
    q += (seen.empty() ? "" : ", ") + item;
    seen.push_back(col);
  }
  if (seen.empty()) q += "id";
  q += " FROM " + t.table;
  std::vector<std::string> where;
  if (!t.filter.empty()) where.push_back(t.filter);
  for (std::string& term : api::PushdownTerms(req, kSuiteQl)) where.push_back(std::move(term));
  bool cursor = !req.cursor.empty() && SafeName(req.cursor);
  value::Time since;
  if (cursor && !req.since.empty() && value::ParseTimestamp(req.since, since)) {
    // Whole seconds, rounded down: `>=` keeps the ties.
    since.nanos = 0;
    if (auto lit = TimeLiteral(since, FieldType::kDateTime)) where.push_back(Lower(req.cursor) + " >= " + *lit);
  }
  for (size_t i = 0; i < where.size(); ++i) q += (i ? " AND " : " WHERE ") + where[i];
  // Offset paging needs a stable order.
  if (cursor) {
    q += " ORDER BY " + Lower(req.cursor);
  } else if (!req.id_field.empty() && SafeName(req.id_field)) {
    q += " ORDER BY " + Lower(req.id_field);
  }
  return q;
}

std::string UpsertPath(const WriteRequest& req, std::string_view external_id) {
  std::string path = "/services/rest/record/v1/" + TableFor(req.object).record_type + "/eid:" + http::UrlEncode(external_id);
  std::string replace;
  for (const plan::TargetField& f : req.fields)
    if (!f.sublist.empty() && replace.find(f.sublist) == std::string::npos)
      replace += (replace.empty() ? "" : ",") + f.sublist;
  // Without `replace`, an update adds the lines to those already there.
  if (!replace.empty()) path += "?replace=" + http::UrlEncode(replace);
  return path;
}

bool RefusedCreateOnly(const WriteRequest& req, const WriteResult& r) {
  if (r.ok || r.http_status != 400) return false;
  for (const std::string& named : r.fields)
    for (const plan::TargetField& f : req.fields)
      if (f.create_only && (Lower(named) == Lower(f.name) || Lower(named) == Lower(f.path.front()))) return true;
  return false;
}

std::string BuildRecordBody(const WriteRequest& req, const Value* values, bool existing) {
  std::vector<const plan::TargetField*> fields;
  std::vector<const Value*> vals;
  std::string sublists;
  for (size_t i = 0; i < req.fields.size(); ++i) {
    const plan::TargetField& f = req.fields[i];
    // The key is in the URL (eid:...): the record's body leaves it out.
    if (f.name == req.key_field || (existing && f.create_only)) continue;
    if (!f.sublist.empty()) {
      if (values[i].kind() != Kind::kList) continue;  // no lines given: the sublist is left as it is
      sublists += ",";
      AppendJsonString(sublists, f.sublist);
      sublists += ":";
      AppendSublist(sublists, f, values[i]);
      continue;
    }
    fields.push_back(&f);
    vals.push_back(&values[i]);
  }
  std::string out = "{";
  AppendNestedMembers(out, NestFields(fields), [&](std::string& o, size_t i) { EncodeValue(o, *fields[i], *vals[i]); });
  if (fields.empty() && !sublists.empty()) sublists.erase(0, 1);
  return out + sublists + "}";
}

std::string IdFromLocation(std::string_view location) {
  size_t q = location.find_first_of("?#");
  if (q != std::string_view::npos) location = location.substr(0, q);
  while (!location.empty() && location.back() == '/') location.remove_suffix(1);
  size_t slash = location.rfind('/');
  std::string_view id = slash == std::string_view::npos ? location : location.substr(slash + 1);
  if (id.rfind("eid:", 0) == 0) return {};  // not an internal id
  return std::string(id);
}

WriteResult ParseRecordAnswer(const api::CallResult& call, uint64_t tag) {
  const http::Response& resp = call.response;
  if (!call.login_error.empty() || resp.status == 0) return api::FailedWrite(tag, call, "", "");
  if (resp.Ok()) {
    WriteResult r;
    r.tag = tag;
    r.ok = true;
    r.id = IdFromLocation(resp.Header("Location"));
    // A 201 says created; NetSuite answers 204 to both, so `created` stays false then.
    r.created = resp.status == 201;
    return r;
  }
  std::string code, message;
  std::vector<std::string> fields;
  ReadErrorBody(resp.body, code, message, fields);
  return api::FailedWrite(tag, call, code, message, fields);
}

bool NotApplied(const http::Response& response) {
  if (response.status == 429) return true;
  if (response.status < 400) return false;
  std::string code, message;
  std::vector<std::string> fields;
  ReadErrorBody(response.body, code, message, fields);
  return code == "SSS_REQUEST_LIMIT_EXCEEDED" || code == "CONCURRENCY_LIMIT_EXCEEDED";
}

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<NetSuiteConnector>(std::move(session));
}

}  // namespace crmx::connectors::netsuite
