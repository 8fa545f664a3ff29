// Defines the HubSpot CRM v3 connector (hubspot.h): search and list reads, batch upsert and
// update writes, v4 default associations, the rate-limit headers and 429 policies.
#include "runtime/connectors/api/query_text.h"
#include "runtime/connectors/hubspot/hubspot.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "runtime/connectors/api/batch_writer.h"
#include "runtime/connectors/api/paged_reader.h"

namespace crmx::connectors::hubspot {

namespace {

using value::Kind;
using value::Value;

constexpr size_t kMaxBatch = 100;        // inputs per batch request
constexpr size_t kSearchPage = 200;      // results per search page, at most
constexpr size_t kListPage = 100;        // results per list page, at most
constexpr size_t kSearchCap = 10000;     // results one search returns, at most
constexpr auto kSearchSpacing = std::chrono::milliseconds(250);  // 4 searches a second
// Ids per association batch read: HubSpot's changelog announced 100 (effective 2025-01-06),
// then 1,000 (2025-02-10); 100 is within both.
constexpr size_t kAssociationBatch = 100;
constexpr size_t kAssociationRounds = 1000;  // `after` pages of one record's associations, at most

// Members of a record beside its properties.
bool RecordMember(const std::string& f) {
  return f == "id" || f == "archived" || f == "createdAt" || f == "updatedAt" || f == "archivedAt";
}

bool SafeName(std::string_view f) { return api::SafeName(f, true); }

bool IsAssociation(const plan::TargetField& f) { return f.name.rfind("associations.", 0) == 0; }
bool IsAssociationField(const std::string& f) { return f == "associations" || f.rfind("associations.", 0) == 0; }

// The usage the last answers reported, shared by the readers and writers of one connector.
class Limits {
 public:
  void Observe(const http::Response& r) {
    std::string text = LimitsText(r);
    std::lock_guard<std::mutex> lock(mu_);
    if (!text.empty()) latest_ = text;
    std::string interval = r.Header("X-HubSpot-RateLimit-Interval-Milliseconds");
    if (!interval.empty()) interval_ms_ = std::max<int64_t>(1, std::atoll(interval.c_str()));
  }
  std::string Latest() const {
    std::lock_guard<std::mutex> lock(mu_);
    return latest_;
  }
  int64_t IntervalMs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return interval_ms_;
  }

 private:
  mutable std::mutex mu_;
  std::string latest_;
  int64_t interval_ms_ = 10000;  // HubSpot's documented rolling window
};

// Spaces search calls to HubSpot's 4 a second, across the connector's readers.
class Pacer {
 public:
  void Wait() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now < next_) std::this_thread::sleep_for(next_ - now);
    next_ = std::max(now, next_) + kSearchSpacing;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point next_{};
};

struct Shared {
  std::shared_ptr<api::Session> session;
  Limits limits;
  Pacer pacer;
};

std::string DescribeFailure(const api::CallResult& call) {
  if (!call.login_error.empty()) return "login failed: " + call.login_error;
  if (call.response.status == 0) return call.response.transport_error;
  ErrorInfo e = ReadError(call.response.body);
  std::string out = "HTTP " + std::to_string(call.response.status);
  if (!e.category.empty()) out += ": " + e.category;
  if (!e.policy.empty()) out += " (" + e.policy + ")";
  if (!e.message.empty()) out += ": " + e.message;
  if (e.policy == "DAILY") out += " HubSpot's calls of the day are spent: the next run after HubSpot's midnight can go on";
  if (!e.correlation_id.empty()) out += " [correlationId " + e.correlation_id + "]";
  return out;
}

// Sends `req` with HubSpot's retries: a 429 but DAILY waits (Retry-After, else 1 s for search's
// SECONDLY, else the rolling interval) and is sent again; a read is also sent again after no
// answer or a 502/503/504. A write whose answer was lost is not (the delivery ledger decides,
// and an upsert sent again is harmless). 401: one login again (api::Call).
api::CallResult Send(Shared& shared, http::Client& client, const http::Request& req, bool read,
                     std::atomic<uint64_t>& calls) {
  api::Session& session = *shared.session;
  std::chrono::milliseconds backoff = session.policy.backoff;
  api::CallResult call;
  for (int attempt = 1;; ++attempt) {
    call = api::Call(session, client, req, api::RetryMode::kWrite, calls);
    shared.limits.Observe(call.response);
    long status = call.response.status;
    std::chrono::milliseconds wait{-1};
    if (status == 429) {
      ErrorInfo e = ReadError(call.response.body);
      if (e.policy == "DAILY") return call;
      wait = api::RetryAfter(call.response);
      if (wait.count() < 0)
        wait = std::chrono::milliseconds(e.policy == "SECONDLY" ? 1000 : shared.limits.IntervalMs());
    } else if (read && call.login_error.empty() && (status == 0 || status == 502 || status == 503 || status == 504)) {
      wait = backoff;
      backoff *= 2;
    }
    if (wait.count() < 0 || attempt >= session.policy.attempts) return call;
    session.sleep(std::min(wait, session.policy.max_wait));
  }
}

// Appends `v` as a HubSpot property value: a JSON string (numbers and booleans as their text,
// a date as YYYY-MM-DD, a datetime in ISO 8601), null as "" (clears the property).
void AppendPropertyValue(std::string& out, const Value& v, const plan::TargetField& field) {
  if (v.IsNull()) {
    out += "\"\"";
    return;
  }
  std::string json;
  AppendField(json, v, field);
  if (!json.empty() && json.front() == '"') {
    out += json;
  } else {
    out.push_back('"');
    out += json;  // a number, true or false: nothing to escape
    out.push_back('"');
  }
}

// The record ids of an association field's value: one id, or a list of them.
std::vector<std::string> AssociationIds(const Value& v) {
  std::vector<std::string> out;
  if (v.IsNull()) return out;
  if (v.kind() == Kind::kList) {
    for (const Value& x : v.AsList())
      if (!x.IsNull()) out.push_back(api::BatchWriter::KeyText(x));
  } else {
    out.push_back(api::BatchWriter::KeyText(v));
  }
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return out;
}

class HubSpotReader : public api::PagedReader {
 public:
  HubSpotReader(std::shared_ptr<Shared> shared, const ReadRequest& req)
      : api::PagedReader(shared->session, req, Describe(req), "results", "hubspot:" + req.object),
        shared_(std::move(shared)),
        type_(ObjectType(req.object)),
        search_(!req.cursor.empty()),
        since_ms_(SinceMillis(req.since)),
        assoc_types_(AssociationTypes(req)) {
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      const std::string& f = req_.fields[i];
      if (IsAssociationField(f)) {
        // Filled from the associations read with the page (Take), not a property.
        paths_.push_back("associations.\x01");
        assoc_at_.emplace_back(i, f.size() > 13 ? ObjectType(f.substr(13)) : "");
        continue;
      }
      paths_.push_back(RecordMember(f) ? f : "properties." + f);
    }
  }

 private:
  static std::string Describe(const ReadRequest& req) {
    if (req.cursor.empty()) return "GET " + ListPath(req, "", kListPage);
    return "POST /crm/v3/objects/" + ObjectType(req.object) + "/search " +
           BuildSearchBody(req, SinceMillis(req.since), "", kSearchPage);
  }

  bool Take(const api::JsonNode& record, std::vector<Value>& values) override {
    if (search_) {
      // A new search window starts at the last cursor value: records of that value come again.
      const api::JsonNode* id = record.Find("id");
      if (id != nullptr && !handed_out_.insert(id->Text()).second) return false;
      if (const api::JsonNode* c = record.Path("properties." + req_.cursor)) last_cursor_ = c->Text();
    }
    size_t base = values.size();
    api::AppendRow(record, paths_, req_.types, values);
    if (!assoc_at_.empty()) {
      const api::JsonNode* id = record.Find("id");
      for (const auto& [at, to_type] : assoc_at_) {
        std::vector<Value> ids;
        auto type = page_assoc_.find(to_type);
        if (id != nullptr && type != page_assoc_.end()) {
          auto it = type->second.find(id->Text());
          if (it != type->second.end())
            for (const std::string& x : it->second) ids.push_back(Value::String(x));
        }
        values[base + at] = Value::List(std::move(ids));
      }
    }
    return true;
  }

  bool Fetch() override {
    if (!FetchPage()) return false;
    return assoc_types_.empty() || LoadAssociations();
  }

  // The page's records' associations to each of assoc_types_ into page_assoc_: a list page
  // carries them inline (`associations.<type>.results[].id`; when a record's collection has a
  // next page, the batch read gives all of that record's); a search page carries
  // none, so every record's come from the batch read (`POST /crm/v4/associations/{from}/{to}/
  // batch/read`, kAssociationBatch ids a request, a record's next page by its `after`).
  bool LoadAssociations() {
    page_assoc_.clear();
    const api::JsonNode* results = page_.Find("results");
    if (results == nullptr) return true;
    for (const std::string& to_type : assoc_types_) {
      auto& by_record = page_assoc_[to_type];
      std::vector<AssociationInput> todo;
      for (const api::JsonNode& record : results->items) {
        const api::JsonNode* id = record.Find("id");
        if (id == nullptr || id->Text().empty()) continue;
        std::vector<std::string>& ids = by_record[id->Text()];
        if (search_) {
          todo.push_back({id->Text(), ""});
          continue;
        }
        const api::JsonNode* collection = InlineAssociations(record, to_type);
        if (collection == nullptr) continue;  // HubSpot leaves out a type the record has none of
        if (const api::JsonNode* list = collection->Find("results"))
          for (const api::JsonNode& a : list->items)
            if (const api::JsonNode* to = a.Find("id"); to != nullptr && !to->Text().empty() &&
                                                        std::find(ids.begin(), ids.end(), to->Text()) == ids.end())
              ids.push_back(to->Text());
        // More than the list carries inline: all of them again from the batch read (its pages
        // have their own cursor; the inline ones are kept once).
        if (const api::JsonNode* after = collection->Path("paging.next.after"); after != nullptr && !after->Text().empty())
          todo.push_back({id->Text(), ""});
      }
      for (size_t round = 0; !todo.empty(); ++round) {
        if (round == kAssociationRounds) {
          error_ = "HubSpot associations of " + req_.object + " to " + to_type + ": more than " +
                   std::to_string(kAssociationRounds) + " pages for one record";
          return false;
        }
        std::vector<AssociationInput> more;
        for (size_t start = 0; start < todo.size(); start += kAssociationBatch) {
          std::vector<AssociationInput> chunk(todo.begin() + static_cast<std::ptrdiff_t>(start),
                                              todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), start + kAssociationBatch)));
          http::Request r;
          r.method = "POST";
          r.url = "/crm/v4/associations/" + type_ + "/" + to_type + "/batch/read";
          r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
          r.body = BuildAssociationReadBody(chunk);
          api::CallResult call = Send(*shared_, client_, r, true, calls_);
          std::string error;
          if (!call.response.Ok()) {
            error_ = "HubSpot associations of " + req_.object + " to " + to_type + " failed: " + DescribeFailure(call);
            return false;
          }
          std::vector<AssociationInput> next;
          if (!ParseAssociationRead(call.response.body, by_record, next, error)) {
            error_ = "HubSpot associations of " + req_.object + " to " + to_type + ": " + error;
            return false;
          }
          for (AssociationInput& n : next) {
            // The same page again would never end.
            for (const AssociationInput& c : chunk)
              if (c.id == n.id && c.after == n.after) {
                error_ = "HubSpot associations of " + req_.object + " " + n.id + " to " + to_type +
                         ": the answer's next page is the page asked for (`after` " + n.after + ")";
                return false;
              }
            more.push_back(std::move(n));
          }
        }
        todo = std::move(more);
      }
    }
    return true;
  }

  // A list record's inline associations of `to_type`: HubSpot names the member by the object
  // type, or by its label with spaces ("line items").
  static const api::JsonNode* InlineAssociations(const api::JsonNode& record, const std::string& to_type) {
    const api::JsonNode* all = record.Find("associations");
    if (all == nullptr || all->type != api::JsonNode::Type::kObject) return nullptr;
    for (size_t i = 0; i < all->keys.size() && i < all->items.size(); ++i) {
      std::string key = all->keys[i];
      std::replace(key.begin(), key.end(), ' ', '_');
      if (key == to_type) return &all->items[i];
    }
    return nullptr;
  }

  bool FetchPage() {
    http::Request r;
    r.headers = {{"Accept", "application/json"}};
    if (!search_) {
      r.method = "GET";
      r.url = ListPath(req_, after_, kListPage);
    } else {
      if (offset_ + kSearchPage > kSearchCap) {
        // HubSpot answers no result past the 10,000th of a search: search again from the last
        // cursor value handed out (GTE), from the first page.
        std::string next = CursorMillis(last_cursor_);
        if (next.empty() || next == window_ms_) {
          error_ = "HubSpot search of " + req_.object + ": more than 10,000 records have " + req_.cursor + " " +
                   last_cursor_ + ": the search cannot page past them (HubSpot's 10,000-result cap)";
          return false;
        }
        window_ms_ = next;
        offset_ = 0;
      }
      shared_->pacer.Wait();
      r.method = "POST";
      r.url = "/crm/v3/objects/" + type_ + "/search";
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = BuildSearchBody(req_, window_ms_.empty() ? since_ms_ : window_ms_,
                               offset_ == 0 ? "" : std::to_string(offset_), kSearchPage);
    }
    api::CallResult call = Send(*shared_, client_, r, true, calls_);
    if (!AcceptPage(call, "HubSpot", DescribeFailure, "total")) return false;
    const api::JsonNode* next = page_.Path("paging.next.after");
    if (!search_) {
      after_ = next != nullptr ? next->Text() : "";
      finished_ = after_.empty();
      return true;
    }
    const api::JsonNode* results = page_.Find("results");
    size_t got = results != nullptr ? results->items.size() : 0;
    offset_ += got;
    if (!window_ms_.empty()) total_ = 0;  // totals of later windows overlap: unknown
    if (got == 0) {
      finished_ = true;
    } else if (next == nullptr) {
      // No next page: the end, unless the search stopped at its cap with more records left
      // (then the next Fetch starts a new window).
      const api::JsonNode* total = page_.Find("total");
      uint64_t in_window = total != nullptr ? std::strtoull(total->Text().c_str(), nullptr, 10) : 0;
      if (in_window > offset_ && offset_ + kSearchPage > kSearchCap) offset_ = kSearchCap;
      else finished_ = true;
    }
    return true;
  }

  // A cursor value as HubSpot answers it (ISO 8601, or epoch milliseconds) in milliseconds.
  static std::string CursorMillis(const std::string& text) {
    if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return text;
    return SinceMillis(text);
  }

  std::shared_ptr<Shared> shared_;
  const std::string type_;
  const bool search_;
  const std::string since_ms_;
  std::vector<std::string> paths_;
  std::string after_;       // list paging
  size_t offset_ = 0;       // search paging within the window
  std::string window_ms_;   // the window's start when moved past the cap
  std::string last_cursor_;
  std::unordered_set<std::string> handed_out_;
  const std::vector<std::string> assoc_types_;                // object types of `associations.*` fields
  std::vector<std::pair<size_t, std::string>> assoc_at_;      // field index, object type
  // The current page's associations: object type -> record id -> associated ids.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> page_assoc_;
};

class HubSpotWriter : public api::BatchWriter {
 public:
  HubSpotWriter(std::shared_ptr<Shared> shared, const WriteRequest& req)
      : api::BatchWriter(req, req.batch == 0 ? kMaxBatch : std::min(req.batch, kMaxBatch)),
        shared_(std::move(shared)), client_(shared_->session->ClientOptions()), type_(ObjectType(req.object)),
        by_id_(req.key_field == "hs_object_id" || req.key_field == "id") {}

 private:
  void SendBatch(const std::vector<std::vector<Value>>& rows, const std::vector<uint64_t>& tags,
                 std::vector<WriteResult>& done) override {
    std::vector<std::string> keys;
    for (const auto& row : rows) keys.push_back(KeyText(row[static_cast<size_t>(key())]));
    http::Request r;
    r.method = "POST";
    r.url = "/crm/v3/objects/" + type_ + (by_id_ ? "/batch/update" : "/batch/upsert");
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = BuildBatchBody(req_, rows, by_id_);
    api::CallResult call = Send(*shared_, client_, r, false, calls_);
    if (call.response.status == 400 && rows.size() > 1 && ReadError(call.response.body).category == "VALIDATION_ERROR") {
      // The whole batch was refused for one input: one a request, so the others go through.
      for (size_t i = 0; i < rows.size(); ++i) SendBatch({rows[i]}, {tags[i]}, done);
      return;
    }
    std::vector<WriteResult> results = ParseBatchAnswer(call, req_.key_field, by_id_, keys, tags);
    Associate(rows, results);
    done.insert(done.end(), std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
  }

  // The records' `associations.<type>` values, associated with the v4 default association
  // (idempotent: an association that exists stays one). A record whose association fails
  // fails with it (its write is kept; sending it again is harmless).
  void Associate(const std::vector<std::vector<Value>>& rows, std::vector<WriteResult>& results) {
    for (size_t f = 0; f < req_.fields.size(); ++f) {
      const plan::TargetField& field = req_.fields[f];
      if (!IsAssociation(field)) continue;
      std::string to_type = ObjectType(field.name.substr(std::string("associations.").size()));
      std::string body = "{\"inputs\":[";
      std::vector<size_t> who;  // per input: the result index
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!results[i].ok || results[i].id.empty()) continue;
        for (const std::string& to : AssociationIds(rows[i][f])) {
          if (!who.empty()) body += ",";
          body += "{\"from\":{\"id\":";
          AppendJsonString(body, results[i].id);
          body += "},\"to\":{\"id\":";
          AppendJsonString(body, to);
          body += "}}";
          who.push_back(i);
        }
      }
      body += "]}";
      if (who.empty()) continue;
      http::Request r;
      r.method = "POST";
      r.url = "/crm/v4/associations/" + type_ + "/" + to_type + "/batch/associate/default";
      r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      r.body = body;
      api::CallResult call = Send(*shared_, client_, r, false, calls_);
      auto fail = [&](size_t i, const std::string& code, const std::string& message, bool retriable) {
        WriteResult& w = results[i];
        if (!w.ok) return;
        std::string id = w.id;
        uint64_t tag = w.tag;
        w = WriteResult{};
        w.tag = tag;
        w.ok = false;
        w.id = id;
        w.code = code;
        w.message = "written as " + type_ + " " + id + ", but not associated to " + to_type + ": " + message;
        w.fields = {field.name};
        w.retriable = retriable;
        w.http_status = static_cast<int>(call.response.status);
      };
      if (!call.response.Ok()) {
        WriteResult whole = api::FailedWrite(0, call, "", "");
        ErrorInfo e = ReadError(call.response.body);
        std::string code = !whole.code.empty() ? whole.code : !e.category.empty() ? e.category : "HTTP_" + std::to_string(call.response.status);
        bool retriable = whole.retriable && e.policy != "DAILY";
        for (size_t i : who) fail(i, code, whole.message.empty() ? DescribeFailure(call) : whole.message, retriable);
        continue;
      }
      api::JsonNode root;
      std::string parse_error;
      if (!api::ParseJson(call.response.body, root, parse_error)) continue;
      if (const api::JsonNode* errors = root.Find("errors")) {
        for (const api::JsonNode& e : errors->items) {
          const api::JsonNode* ctx = e.Path("context.fromObjectId");
          const api::JsonNode* category = e.Find("category");
          const api::JsonNode* message = e.Find("message");
          if (ctx == nullptr) continue;
          for (const api::JsonNode& id : ctx->items)
            for (size_t i : who)
              if (results[i].id == id.Text())
                fail(i, category ? category->Text() : "ASSOCIATION_FAILED", message ? message->Text() : "", false);
        }
      }
    }
  }

  std::shared_ptr<Shared> shared_;
  http::Client client_;
  const std::string type_;
  const bool by_id_;
};

class HubSpotConnector : public Connector {
 public:
  explicit HubSpotConnector(std::shared_ptr<api::Session> session) : shared_(std::make_shared<Shared>()) {
    shared_->session = std::move(session);
  }
  std::string Describe() const override { return "hubspot " + shared_->session->system().base_url; }
  bool Remote() const override { return true; }
  std::unique_ptr<RecordReader> OpenReader(const ReadRequest& req, std::string& error) override {
    if (!SafeName(req.object)) {
      error = "`" + req.object + "` is not a HubSpot object type";
      return nullptr;
    }
    for (const std::string& f : req.fields) {
      if (!SafeName(f)) {
        error = "`" + f + "` is not a HubSpot property name";
        return nullptr;
      }
    }
    if (!req.cursor.empty() && !SafeName(req.cursor)) {
      error = "`" + req.cursor + "` is not a HubSpot property name";
      return nullptr;
    }
    return std::make_unique<HubSpotReader>(shared_, req);
  }
  std::unique_ptr<RecordWriter> OpenWriter(const WriteRequest& req, std::string& error) override {
    if (!SafeName(req.object) || !SafeName(req.key_field)) {
      error = "`" + req.object + "." + req.key_field + "` is not a HubSpot object type and property";
      return nullptr;
    }
    return std::make_unique<HubSpotWriter>(shared_, req);
  }
  std::string Limits() const override { return shared_->limits.Latest(); }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

std::string ObjectType(const std::string& object) {
  static const std::pair<const char*, const char*> kKnown[] = {
      {"Company", "companies"}, {"Contact", "contacts"}, {"Deal", "deals"},     {"LineItem", "line_items"},
      {"Product", "products"},  {"Quote", "quotes"},     {"Ticket", "tickets"}, {"Call", "calls"},
      {"Email", "emails"},      {"Meeting", "meetings"}, {"Note", "notes"},     {"Task", "tasks"},
  };
  for (const auto& [name, type] : kKnown)
    if (object == name) return type;
  // Already an object type (lower case), or another name: lower case with `_` between words.
  std::string out;
  for (size_t i = 0; i < object.size(); ++i) {
    char c = object[i];
    if (c >= 'A' && c <= 'Z') {
      if (i > 0 && object[i - 1] != '_') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> Properties(const ReadRequest& req) {
  std::vector<std::string> out;
  for (const std::string& f : req.fields) {
    if (RecordMember(f) || IsAssociationField(f) || std::find(out.begin(), out.end(), f) != out.end()) continue;
    out.push_back(f);
  }
  if (!req.cursor.empty() && std::find(out.begin(), out.end(), req.cursor) == out.end()) out.push_back(req.cursor);
  return out;
}

std::string SinceMillis(const std::string& since) {
  value::Time t;
  if (since.empty() || !value::ParseTimestamp(since, t)) return "";
  return std::to_string(t.seconds * 1000 + t.nanos / 1000000);
}

std::string BuildSearchBody(const ReadRequest& req, const std::string& since_ms, const std::string& after, size_t limit) {
  std::string out = "{";
  if (!req.cursor.empty() && !since_ms.empty()) {
    out += "\"filterGroups\":[{\"filters\":[{\"propertyName\":";
    AppendJsonString(out, req.cursor);
    out += ",\"operator\":\"GTE\",\"value\":";
    AppendJsonString(out, since_ms);
    out += "}]}],";
  } else {
    // HubSpot's own OpenAPI document requires filterGroups, sorts, properties, limit and
    // `after` in every search (tests/openapi checks it): empty lists and "0" when unused.
    out += "\"filterGroups\":[],";
  }
  if (!req.cursor.empty()) {
    out += "\"sorts\":[{\"propertyName\":";
    AppendJsonString(out, req.cursor);
    out += ",\"direction\":\"ASCENDING\"}],";
  } else {
    out += "\"sorts\":[],";
  }
  out += "\"properties\":[";
  std::vector<std::string> props = Properties(req);
  for (size_t i = 0; i < props.size(); ++i) {
    if (i) out += ",";
    AppendJsonString(out, props[i]);
  }
  out += "],\"limit\":" + std::to_string(limit) + ",\"after\":";
  AppendJsonString(out, after.empty() ? "0" : after);
  return out + "}";
}

std::string ListPath(const ReadRequest& req, const std::string& after, size_t limit) {
  std::string out = "/crm/v3/objects/" + ObjectType(req.object) + "?limit=" + std::to_string(limit);
  std::vector<std::string> props = Properties(req);
  if (!props.empty()) {
    out += "&properties=";
    for (size_t i = 0; i < props.size(); ++i) out += (i ? "," : "") + http::UrlEncode(props[i]);
  }
  std::vector<std::string> types = AssociationTypes(req);
  if (!types.empty()) {
    out += "&associations=";
    for (size_t i = 0; i < types.size(); ++i) out += (i ? "," : "") + http::UrlEncode(types[i]);
  }
  if (!after.empty()) out += "&after=" + http::UrlEncode(after);
  return out;
}

std::vector<std::string> AssociationTypes(const ReadRequest& req) {
  std::vector<std::string> out;
  for (const std::string& f : req.fields) {
    if (f.rfind("associations.", 0) != 0 || f.size() <= 13) continue;
    std::string type = ObjectType(f.substr(13));
    if (std::find(out.begin(), out.end(), type) == out.end()) out.push_back(type);
  }
  return out;
}

std::string BuildAssociationReadBody(const std::vector<AssociationInput>& inputs) {
  std::string out = "{\"inputs\":[";
  for (size_t i = 0; i < inputs.size(); ++i) {
    out += i ? ",{\"id\":" : "{\"id\":";
    AppendJsonString(out, inputs[i].id);
    if (!inputs[i].after.empty()) {
      out += ",\"after\":";
      AppendJsonString(out, inputs[i].after);
    }
    out += "}";
  }
  return out + "]}";
}

bool ParseAssociationRead(const std::string& body, std::map<std::string, std::vector<std::string>>& ids,
                          std::vector<AssociationInput>& more, std::string& error) {
  api::JsonNode root;
  if (!api::ParseJson(body, root, error)) {
    error = "unreadable answer: " + error;
    return false;
  }
  if (const api::JsonNode* results = root.Find("results")) {
    for (const api::JsonNode& r : results->items) {
      const api::JsonNode* from = r.Path("from.id");
      if (from == nullptr || from->Text().empty()) continue;
      std::vector<std::string>& list = ids[from->Text()];
      if (const api::JsonNode* to = r.Find("to"))
        for (const api::JsonNode& t : to->items)
          if (const api::JsonNode* id = t.Find("toObjectId"); id != nullptr && !id->Text().empty() &&
                                                            std::find(list.begin(), list.end(), id->Text()) == list.end())
            list.push_back(id->Text());
      if (const api::JsonNode* after = r.Path("paging.next.after"); after != nullptr && !after->Text().empty())
        more.push_back({from->Text(), after->Text()});
    }
  }
  if (const api::JsonNode* errors = root.Find("errors")) {
    for (const api::JsonNode& e : errors->items) {
      // A record with none of these associations (or gone since it was listed) has none.
      const api::JsonNode* sub = e.Find("subCategory");
      const api::JsonNode* category = e.Find("category");
      std::string what = sub != nullptr && !sub->Text().empty() ? sub->Text() : category != nullptr ? category->Text() : "";
      if (what.find("NO_ASSOCIATIONS_FOUND") != std::string::npos || what == "OBJECT_NOT_FOUND") continue;
      const api::JsonNode* message = e.Find("message");
      error = (what.empty() ? std::string("error") : what) + (message != nullptr ? ": " + message->Text() : "");
      return false;
    }
  }
  return true;
}

std::string BuildBatchBody(const WriteRequest& req, const std::vector<std::vector<Value>>& rows, bool by_id) {
  size_t key = req.fields.size();
  for (size_t i = 0; i < req.fields.size(); ++i)
    if (req.fields[i].name == req.key_field) key = i;
  std::string out = "{\"inputs\":[";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r) out += ",";
    out += "{";
    if (!by_id) {
      out += "\"idProperty\":";
      AppendJsonString(out, req.key_field);
      out += ",";
    }
    out += "\"id\":";
    AppendJsonString(out, key < rows[r].size() ? api::BatchWriter::KeyText(rows[r][key]) : "");
    out += ",\"properties\":{";
    bool first = true;
    for (size_t i = 0; i < req.fields.size(); ++i) {
      if (i == key || IsAssociation(req.fields[i])) continue;
      if (!first) out += ",";
      first = false;
      AppendJsonString(out, req.fields[i].name);
      out += ":";
      AppendPropertyValue(out, rows[r][i], req.fields[i]);
    }
    out += "}}";
  }
  return out + "]}";
}

ErrorInfo ReadError(const std::string& body) {
  ErrorInfo e;
  api::JsonNode root;
  std::string error;
  if (!api::ParseJson(body, root, error) || root.type != api::JsonNode::Type::kObject) {
    e.message = body.substr(0, 300);
    return e;
  }
  if (const api::JsonNode* c = root.Find("category")) e.category = c->Text();
  if (const api::JsonNode* p = root.Find("policyName")) e.policy = p->Text();
  if (const api::JsonNode* m = root.Find("message")) e.message = m->Text();
  if (const api::JsonNode* id = root.Find("correlationId")) e.correlation_id = id->Text();
  if (const api::JsonNode* errors = root.Find("errors")) {
    for (const api::JsonNode& d : errors->items) {
      if (const api::JsonNode* code = d.Find("code"); code != nullptr && e.code.empty()) e.code = code->Text();
      if (const api::JsonNode* names = d.Path("context.propertyName"))
        for (const api::JsonNode& n : names->items) e.properties.push_back(n.Text());
    }
  }
  return e;
}

std::vector<WriteResult> ParseBatchAnswer(const api::CallResult& call, const std::string& key_property, bool by_id,
                                          const std::vector<std::string>& keys, const std::vector<uint64_t>& tags) {
  std::vector<WriteResult> out;
  const http::Response& resp = call.response;
  if (!call.login_error.empty() || resp.status == 0 || !resp.Ok()) {
    ErrorInfo e;
    if (call.login_error.empty() && resp.status != 0) e = ReadError(resp.body);
    std::string code = !e.policy.empty() ? e.policy : !e.code.empty() ? e.code : e.category;
    std::string message = e.message;
    if (e.policy == "DAILY") message += " (HubSpot's calls of the day are spent: not sent again today)";
    if (!e.correlation_id.empty()) message += " [correlationId " + e.correlation_id + "]";
    for (uint64_t tag : tags) {
      WriteResult r = api::FailedWrite(tag, call, code, message, e.properties);
      if (e.policy == "DAILY") r.retriable = false;
      out.push_back(std::move(r));
    }
    return out;
  }
  api::JsonNode root;
  std::string parse_error;
  bool parsed = api::ParseJson(resp.body, root, parse_error) && root.type == api::JsonNode::Type::kObject;
  // Results by key (HubSpot may lower-case a key, an email: matched without case as well).
  std::map<std::string, const api::JsonNode*> by_key, by_lower;
  std::map<std::string, const api::JsonNode*> errors_by_key;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (parsed) {
    if (const api::JsonNode* results = root.Find("results")) {
      for (const api::JsonNode& item : results->items) {
        const api::JsonNode* k = by_id ? item.Find("id") : item.Path("properties." + key_property);
        if (k == nullptr) continue;
        by_key[k->Text()] = &item;
        by_lower[lower(k->Text())] = &item;
      }
    }
    if (const api::JsonNode* errors = root.Find("errors")) {
      for (const api::JsonNode& e : errors->items) {
        const api::JsonNode* ctx = e.Find("context");
        if (ctx == nullptr) continue;
        for (const api::JsonNode& list : ctx->items)
          for (const api::JsonNode& v : list.items) errors_by_key[v.Text()] = &e;
      }
    }
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    WriteResult r;
    r.tag = tags[i];
    const std::string& key = keys[i];
    const api::JsonNode* item = nullptr;
    if (auto it = by_key.find(key); it != by_key.end()) item = it->second;
    else if (auto lt = by_lower.find(lower(key)); lt != by_lower.end()) item = lt->second;
    if (item != nullptr) {
      r.ok = true;
      if (const api::JsonNode* id = item->Find("id")) r.id = id->Text();
      const api::JsonNode* fresh = item->Find("new");
      r.created = fresh != nullptr && fresh->Text() == "true";
      out.push_back(std::move(r));
      continue;
    }
    r.http_status = static_cast<int>(resp.status);
    if (auto et = errors_by_key.find(key); et != errors_by_key.end()) {
      const api::JsonNode& e = *et->second;
      const api::JsonNode* category = e.Find("category");
      const api::JsonNode* message = e.Find("message");
      std::string detail_code;
      if (const api::JsonNode* details = e.Find("errors")) {
        for (const api::JsonNode& d : details->items) {
          if (const api::JsonNode* c = d.Find("code"); c != nullptr && detail_code.empty()) detail_code = c->Text();
          if (const api::JsonNode* names = d.Path("context.propertyName"))
            for (const api::JsonNode& n : names->items) r.fields.push_back(n.Text());
        }
      }
      r.code = !detail_code.empty() ? detail_code : category != nullptr ? category->Text() : "UNKNOWN_ERROR";
      r.message = message != nullptr ? message->Text() : "";
      r.retriable = api::Retriable(200, r.code);
      out.push_back(std::move(r));
      continue;
    }
    // Neither a result nor an error names it: whether it was written is unknown; an upsert or
    // update by id sent again is harmless.
    r.code = "NO_RESULT";
    r.message = parsed ? "the answer has no result for this record" : "unreadable answer: " + parse_error;
    r.retriable = true;
    out.push_back(std::move(r));
  }
  return out;
}

std::string LimitsText(const http::Response& response) {
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"X-HubSpot-RateLimit-Daily", "daily"},
      {"X-HubSpot-RateLimit-Daily-Remaining", "daily-remaining"},
      {"X-HubSpot-RateLimit-Interval-Milliseconds", "interval-ms"},
      {"X-HubSpot-RateLimit-Max", "max"},
      {"X-HubSpot-RateLimit-Remaining", "remaining"},
      {"X-HubSpot-RateLimit-Secondly", "secondly"},
      {"X-HubSpot-RateLimit-Secondly-Remaining", "secondly-remaining"},
  };
  std::string out;
  // The day's use as Salesforce's `api-usage=used/max`, which the run's budgets read (warn at
  // 80%, pause at 95%: runtime/engine/budgets.cpp).
  std::string daily = response.Header("X-HubSpot-RateLimit-Daily");
  std::string left = response.Header("X-HubSpot-RateLimit-Daily-Remaining");
  int64_t max = std::atoll(daily.c_str()), remaining = std::atoll(left.c_str());
  if (!daily.empty() && !left.empty() && max > 0 && remaining >= 0 && remaining <= max)
    out = "api-usage=" + std::to_string(max - remaining) + "/" + std::to_string(max);
  for (const auto& [header, name] : kHeaders) {
    std::string v = response.Header(header);
    if (v.empty()) continue;
    out += (out.empty() ? "" : " ") + std::string(name) + "=" + v;
  }
  return out;
}

std::unique_ptr<Connector> Open(std::shared_ptr<api::Session> session) {
  return std::make_unique<HubSpotConnector>(std::move(session));
}

}  // namespace crmx::connectors::hubspot
