// Defines the QuickBooks Online connector (quickbooks.h): query-language reads, lookup + batch
// writes with requestid, Fault bodies mapped to per-record results.
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/quickbooks/quickbooks.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/lines.h"
#include "runtime/connectors/api/paged_reader.h"
#include "runtime/connectors/nesting.h"

namespace crmx::connectors::quickbooks {

namespace {

using value::Kind;
using value::Value;

constexpr const char* kDefaultMinorVersion = "75";

std::string MinorVersion(const profile::SystemProfile& s) {
  std::string v = s.api_version;
  if (!v.empty() && v.front() == 'v') v.erase(0, 1);
  return v.empty() ? kDefaultMinorVersion : v;
}

// Letters, digits, `_` and the dots of nested names: what the query language reads as a name.
bool SafeName(std::string_view f) { return api::SafeName(f, true); }

std::string CompanyPath(const api::Session& session, const std::string& rest) {
  return "/v3/company/" + http::UrlEncode(session.system().account_id) + "/" + rest;
}

std::string DescribeFailure(const api::CallResult& call) {
  if (!call.login_error.empty()) return "login failed: " + call.login_error;
  if (call.response.status == 0) return call.response.transport_error;
  Fault f;
  std::string text;
  if (ParseFaultBody(call.response.body, f)) {
    text = ": " + f.code + (f.message.empty() ? "" : ": " + f.message) + (f.detail.empty() ? "" : " (" + f.detail + ")");
  } else if (!call.response.body.empty()) {
    text = ": " + call.response.body.substr(0, 200);
  }
  return "HTTP " + std::to_string(call.response.status) + text;
}

// A query page: `QueryResponse.<Object>` lists the rows.
class QuickBooksReader : public api::PagedReader {
 public:
  QuickBooksReader(std::shared_ptr<api::Session> session, const ReadRequest& req, size_t page)
      : api::PagedReader(std::move(session), req, BuildQuery(req, 1, page), req.object, "quickbooks:" + req.object),
        page_size_(page) {}

 private:
  bool Take(const api::JsonNode& row, std::vector<Value>& values) override {
    api::AppendRow(row, req_.fields, req_.types, values);
    return true;
  }

  bool Fetch() override {
    http::Request r;
    r.method = "GET";
    std::string q = BuildQuery(req_, start_, page_size_);
    r.url = CompanyPath(*session_, "query") + "?query=" + http::UrlEncode(q) +
            "&minorversion=" + MinorVersion(session_->system());
    r.headers = {{"Accept", "application/json"}};
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_);
    if (!AcceptPage(call, "QuickBooks", DescribeFailure, "totalCount")) return false;
    Fault fault;
    if (ParseFault(page_, fault)) {
      // A query the service refused answers 200 or 400 with a Fault (QueryValidationError).
      error_ = "QuickBooks query of " + req_.object + " failed: " + fault.code + ": " + fault.message +
               (fault.detail.empty() ? "" : " (" + fault.detail + ")");
      return false;
    }
    api::JsonNode qr;
    if (const api::JsonNode* found = page_.Find("QueryResponse")) qr = *found;
    page_ = std::move(qr);
    const api::JsonNode* rows = page_.Find(req_.object);
    size_t n = rows != nullptr ? rows->items.size() : 0;
    start_ += n;
    // A short page is the last one (the service gives no total without count(*)).
    finished_ = n < page_size_;
    return true;
  }

  size_t page_size_;
  size_t start_ = 1;
};

void Hex(const unsigned char* md, size_t n, std::string& out) {
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
}

// A reference written whole: {"value":"42"}.
void AppendRef(std::string& out, const Value& v, const plan::TargetField& f) {
  if (v.IsNull()) {
    out += "null";
    return;
  }
  if (v.kind() == Kind::kMap) {
    AppendField(out, v, f);
    return;
  }
  out += "{\"value\":";
  AppendJsonString(out, api::BatchWriter::KeyText(v));
  out += "}";
}

void EncodeValue(std::string& out, const plan::TargetField& f, const Value& v) {
  if (v.kind() == Kind::kList && !f.element.empty()) {
    // Lines: an array of objects, each nested by its element fields' paths.
    api::AppendLines(out, f, v, true, EncodeValue);
    return;
  }
  if (f.reference && PathOf(f).size() == 1) {
    AppendRef(out, v, f);
    return;
  }
  AppendField(out, v, f);
}

struct Found {
  std::string id, sync_token;
};

class QuickBooksWriter : public api::BatchWriter {
 public:
  QuickBooksWriter(std::shared_ptr<api::Session> session, const WriteRequest& req)
      : api::BatchWriter(req, req.batch == 0 ? kMaxBatch : std::min(req.batch, kMaxBatch)),
        session_(std::move(session)), client_(session_->ClientOptions()) {}

  void SetIdempotencyKey(uint64_t tag, const std::string& key) override { keys_[tag] = key; }

 private:
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    std::vector<std::string> key_values;
    for (const auto& row : rows) key_values.push_back(KeyText(row[static_cast<size_t>(key())]));
    // 1. Which of the records exist: their Id and SyncToken by the key.
    std::map<std::string, Found> found;
    api::CallResult lookup;
    if (!Lookup(key_values, found, lookup)) {
      std::string code, message;
      Fault f;
      if (lookup.login_error.empty() && ParseFaultBody(lookup.response.body, f)) {
        code = f.code;
        message = f.message + (f.detail.empty() ? "" : ": " + f.detail);
      } else if (lookup.login_error.empty() && lookup.response.status != 0) {
        message = "the lookup query failed: " + DescribeFailure(lookup);
      }
      for (uint64_t tag : tags) done.push_back(api::FailedWrite(tag, lookup, code, message));
      return;
    }
    // 2. One batch: create the missing, update the found.
    std::vector<BatchItem> items;
    for (size_t i = 0; i < rows.size(); ++i) {
      BatchItem it;
      it.bid = "b" + std::to_string(i);
      it.row = &rows[i];
      auto f = found.find(key_values[i]);
      if (f != found.end()) {
        it.update = true;
        it.id = f->second.id;
        it.sync_token = f->second.sync_token;
      }
      items.push_back(std::move(it));
    }
    std::vector<WriteResult> results = Send(items, tags);
    // 3. Stale SyncTokens (Fault 5010): read them again and send those updates once more.
    std::vector<size_t> stale;
    for (size_t i = 0; i < results.size(); ++i)
      if (!results[i].ok && results[i].code == "5010" && items[i].update) stale.push_back(i);
    if (!stale.empty()) {
      std::vector<std::string> again_keys;
      for (size_t i : stale) again_keys.push_back(key_values[i]);
      std::map<std::string, Found> fresh;
      api::CallResult relookup;
      if (Lookup(again_keys, fresh, relookup)) {
        std::vector<BatchItem> again;
        std::vector<uint64_t> again_tags;
        for (size_t i : stale) {
          auto f = fresh.find(key_values[i]);
          if (f == fresh.end()) continue;  // deleted meanwhile: the stale result stands
          BatchItem it = items[i];
          it.id = f->second.id;
          it.sync_token = f->second.sync_token;
          again.push_back(it);
          again_tags.push_back(tags[i]);
        }
        if (!again.empty()) {
          std::vector<WriteResult> second = Send(again, again_tags);
          for (size_t j = 0; j < second.size(); ++j) {
            for (size_t i : stale)
              if (tags[i] == again_tags[j]) results[i] = second[j];
          }
        }
      }
    }
    for (WriteResult& r : results) {
      keys_.erase(r.tag);
      done.push_back(std::move(r));
    }
  }

  bool Lookup(const std::vector<std::string>& keys, std::map<std::string, Found>& found, api::CallResult& call) {
    http::Request r;
    r.method = "GET";
    r.url = CompanyPath(*session_, "query") + "?query=" + http::UrlEncode(BuildLookup(req_.object, req_.key_field, keys)) +
            "&minorversion=" + MinorVersion(session_->system());
    r.headers = {{"Accept", "application/json"}};
    call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_);
    if (!call.response.Ok()) return false;
    api::JsonNode root;
    std::string error;
    if (!api::ParseJson(call.response.body, root, error)) {
      call.response.status = 502;  // unreadable: treated as a failed call, retriable
      return false;
    }
    Fault fault;
    if (ParseFault(root, fault)) return false;
    const api::JsonNode* rows = root.Path("QueryResponse." + req_.object);
    if (rows == nullptr) return true;
    for (const api::JsonNode& row : rows->items) {
      const api::JsonNode* k = row.Path(req_.key_field);
      const api::JsonNode* id = row.Find("Id");
      const api::JsonNode* st = row.Find("SyncToken");
      if (k == nullptr || id == nullptr) continue;
      found[k->Text()] = Found{id->Text(), st != nullptr ? st->Text() : "0"};
    }
    return true;
  }

  std::vector<WriteResult> Send(const std::vector<BatchItem>& items, const std::vector<uint64_t>& tags) {
    std::vector<std::string> idem;
    for (uint64_t tag : tags) {
      auto k = keys_.find(tag);
      idem.push_back(k != keys_.end() ? k->second : "");
    }
    http::Request r;
    r.method = "POST";
    r.body = BuildBatchBody(req_, items);
    r.url = CompanyPath(*session_, "batch") + "?requestid=" + RequestId(idem, items) +
            "&minorversion=" + MinorVersion(session_->system());
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    // The requestid makes the batch safe to send again: a lost answer is replayed by the
    // service, not applied twice. So it is retried as a read is (no answer, 429, 5xx).
    api::CallResult call = api::Call(*session_, client_, r, api::RetryMode::kRead, calls_);
    return ParseBatchAnswer(call, req_.object, items, tags);
  }

  std::shared_ptr<api::Session> session_;
  http::Client client_;
  std::unordered_map<uint64_t, std::string> keys_;  // tag -> idempotency key
};

class QuickBooksConnector : public Connector {
 public:
  explicit QuickBooksConnector(std::shared_ptr<api::Session> session) : session_(std::move(session)) {
    page_ = kMaxResults;
    auto it = session_->system().options.find("page_size");
    if (it != session_->system().options.end()) {
      long n = std::strtol(it->second.c_str(), nullptr, 10);
      if (n >= 1 && n <= static_cast<long>(kMaxResults)) page_ = static_cast<size_t>(n);
    }
  }
  std::string Describe() const override {
    return "quickbooks " + session_->system().base_url + " realm " + session_->system().account_id;
  }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    if (!SafeName(req.object) || req.object.find('.') != std::string::npos) {
      error = "`" + req.object + "` is not a QuickBooks entity name";
      return nullptr;
    }
    for (const std::string& f : req.fields) {
      if (!SafeName(f)) {
        error = "`" + f + "` is not a QuickBooks field name";
        return nullptr;
      }
    }
    return std::make_unique<QuickBooksReader>(session_, req, page_);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    if (!SafeName(req.object) || req.object.find('.') != std::string::npos || !SafeName(req.key_field)) {
      error = "`" + req.object + "." + req.key_field + "` is not a QuickBooks entity and field";
      return nullptr;
    }
    if (req.key_field.find('.') != std::string::npos) {
      error = "QuickBooks writes of " + req.object + " look records up by their key; `" + req.key_field +
              "` is nested, and the query language filters top-level fields only";
      return nullptr;
    }
    return std::make_unique<QuickBooksWriter>(session_, req);
  }
  // QuickBooks answers carry no usage headers (its limits: 500 requests a minute and 10 at once
  // per realm, 40 batch requests a minute): nothing to report.
  std::string Limits() const override { return session_->limits.Latest(); }

 private:
  std::shared_ptr<api::Session> session_;
  size_t page_;
};

}  // namespace

std::string QuoteQuery(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string BuildQuery(const ReadRequest& req, size_t start, size_t max) {
  std::vector<std::string> select;
  auto add = [&](const std::string& name) {
    std::string top = name.substr(0, name.find('.'));
    if (std::find(select.begin(), select.end(), top) == select.end()) select.push_back(top);
  };
  add(req.id_field.empty() ? "Id" : req.id_field);
  for (const std::string& f : req.fields) add(f);
  std::string q = "select ";
  for (size_t i = 0; i < select.size(); ++i) q += (i ? ", " : "") + select[i];
  q += " from " + req.object;
  bool cursor = !req.cursor.empty() && SafeName(req.cursor);
  value::Time since;
  if (cursor && !req.since.empty() && value::ParseTimestamp(req.since, since)) {
    // Whole seconds, rounded down: `>=` keeps the ties. The service takes an offset.
    since.nanos = 0;
    std::string t = value::FormatTimestamp(since);
    if (!t.empty() && t.back() == 'Z') t = t.substr(0, t.size() - 1) + "+00:00";
    q += " where " + req.cursor + " >= " + QuoteQuery(t);
  }
  if (cursor) q += " orderby " + req.cursor;
  q += " startposition " + std::to_string(start) + " maxresults " + std::to_string(std::min(max, kMaxResults));
  return q;
}

std::string BuildLookup(const std::string& object, const std::string& key_field, const std::vector<std::string>& keys) {
  std::string q = "select Id, SyncToken";
  if (key_field != "Id" && key_field != "SyncToken") q += ", " + key_field;
  q += " from " + object + " where " + key_field + " in (";
  std::vector<std::string> seen;
  for (const std::string& k : keys) {
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    q += (seen.empty() ? "" : ", ") + QuoteQuery(k);
    seen.push_back(k);
  }
  return q + ") maxresults " + std::to_string(kMaxResults);
}

std::string BuildBatchBody(const WriteRequest& req, const std::vector<BatchItem>& items) {
  std::string out = "{\"BatchItemRequest\":[";
  for (size_t n = 0; n < items.size(); ++n) {
    const BatchItem& it = items[n];
    if (n) out.push_back(',');
    out += "{\"bId\":";
    AppendJsonString(out, it.bid);
    out += ",\"operation\":";
    out += it.update ? "\"update\"" : "\"create\"";
    out += ",";
    AppendJsonString(out, req.object);
    out += ":{";
    bool comma = false;
    if (it.update) {
      out += "\"Id\":";
      AppendJsonString(out, it.id);
      out += ",\"SyncToken\":";
      AppendJsonString(out, it.sync_token);
      out += ",\"sparse\":true";
      comma = true;
    }
    std::vector<const plan::TargetField*> fields;
    std::vector<const Value*> vals;
    for (size_t i = 0; i < req.fields.size(); ++i) {
      const plan::TargetField& f = req.fields[i];
      if (it.update && (f.create_only || f.name == "Id" || f.name == "SyncToken")) continue;
      fields.push_back(&f);
      vals.push_back(&(*it.row)[i]);
    }
    AppendNestedMembers(out, NestFields(fields), [&](std::string& o, size_t i) { EncodeValue(o, *fields[i], *vals[i]); },
                        comma);
    out += "}}";
  }
  return out + "]}";
}

std::string RequestId(const std::vector<std::string>& idempotency_keys, const std::vector<BatchItem>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    text += i < idempotency_keys.size() ? idempotency_keys[i] : "";
    text += '\x1f';
    text += items[i].update ? "update:" + items[i].id + ":" + items[i].sync_token : "create";
    text += '\x1e';
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  Hex(md, std::min<unsigned int>(len, 16), out);
  return out;
}

bool ParseFault(const api::JsonNode& node, Fault& out) {
  const api::JsonNode* fault = node.Find("Fault");
  if (fault == nullptr) return false;
  if (const api::JsonNode* t = fault->Find("type")) out.type = t->Text();
  const api::JsonNode* errors = fault->Find("Error");
  if (errors != nullptr && !errors->items.empty()) {
    const api::JsonNode& e = errors->items[0];
    if (const api::JsonNode* x = e.Find("code")) out.code = x->Text();
    if (const api::JsonNode* x = e.Find("Message")) out.message = x->Text();
    if (const api::JsonNode* x = e.Find("Detail")) out.detail = x->Text();
    if (const api::JsonNode* x = e.Find("element")) out.element = x->Text();
  }
  // Codes come zero-padded from some services ("003001"): kept as the docs write them.
  while (out.code.size() > 1 && out.code.front() == '0') out.code.erase(0, 1);
  if (out.code.empty()) out.code = out.type.empty() ? "Fault" : out.type;
  return true;
}

bool ParseFaultBody(const std::string& body, Fault& out) {
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error)) return false;
  // The throttling answer is sometimes wrapped: {"fault": {...}} in lower case.
  if (root.Find("Fault") == nullptr && root.Find("fault") != nullptr) {
    api::JsonNode wrapped;
    wrapped.type = api::JsonNode::Type::kObject;
    wrapped.keys.push_back("Fault");
    wrapped.items.push_back(*root.Find("fault"));
    if (const api::JsonNode* e = wrapped.items[0].Find("error")) {
      api::JsonNode errors = *e;
      wrapped.items[0].keys.push_back("Error");
      wrapped.items[0].items.push_back(std::move(errors));
    }
    return ParseFault(wrapped, out);
  }
  return ParseFault(root, out);
}

std::vector<WriteResult> ParseBatchAnswer(const api::CallResult& call, const std::string& object,
                                          const std::vector<BatchItem>& items, const std::vector<uint64_t>& tags) {
  std::vector<WriteResult> out;
  const http::Response& resp = call.response;
  if (!call.login_error.empty() || resp.status == 0 || !resp.Ok()) {
    std::string code, message;
    std::vector<std::string> fields;
    Fault f;
    if (call.login_error.empty() && resp.status != 0 && ParseFaultBody(resp.body, f)) {
      code = f.code;
      message = f.message + (f.detail.empty() ? "" : ": " + f.detail);
      if (!f.element.empty()) fields.push_back(f.element);
    }
    for (uint64_t tag : tags) out.push_back(api::FailedWrite(tag, call, code, message, fields));
    return out;
  }
  api::JsonNode root;
  std::string parse_error;
  bool parsed = api::ParseJson(resp.body, root, parse_error);
  std::map<std::string, const api::JsonNode*> by_bid;
  if (parsed) {
    if (const api::JsonNode* list = root.Find("BatchItemResponse")) {
      for (const api::JsonNode& item : list->items)
        if (const api::JsonNode* bid = item.Find("bId")) by_bid[bid->Text()] = &item;
    }
  }
  for (size_t i = 0; i < items.size() && i < tags.size(); ++i) {
    WriteResult r;
    r.tag = tags[i];
    r.http_status = static_cast<int>(resp.status);
    auto at = by_bid.find(items[i].bid);
    if (at == by_bid.end()) {
      // Sent again with the same requestid, the batch gets its answer replayed.
      r.code = "NO_RESULT";
      r.message = parsed ? "the answer has no BatchItemResponse for " + items[i].bid : "unreadable answer: " + parse_error;
      r.retriable = true;
      out.push_back(std::move(r));
      continue;
    }
    const api::JsonNode& item = *at->second;
    Fault f;
    if (ParseFault(item, f)) {
      r.code = f.code;
      r.message = f.message + (f.detail.empty() ? "" : ": " + f.detail);
      if (!f.element.empty()) r.fields.push_back(f.element);
      r.retriable = api::Retriable(200, r.code);
      out.push_back(std::move(r));
      continue;
    }
    const api::JsonNode* entity = item.Find(object);
    const api::JsonNode* id = entity != nullptr ? entity->Find("Id") : nullptr;
    if (id == nullptr) {
      r.code = "NO_RESULT";
      r.message = "the BatchItemResponse of " + items[i].bid + " has no " + object + " Id";
      r.retriable = true;
      out.push_back(std::move(r));
      continue;
    }
    r.ok = true;
    r.http_status = 0;
    r.id = id->Text();
    r.created = !items[i].update;
    out.push_back(std::move(r));
  }
  return out;
}

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<QuickBooksConnector>(std::move(session));
}

}  // namespace crmx::connectors::quickbooks
