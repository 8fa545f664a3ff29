// Defines PagedReader, the part every API connector's reader shares: it hands out the rows of
// the current page of answers in batches (ReadRequest::batch at most), asking the vendor's
// Fetch for the next page when the current one is used up, until Fetch says the query is
// finished. The vendor supplies the page request (Fetch) and how a row becomes values (Take).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/connectors/api/call.h"
#include "runtime/connectors/api/json.h"
#include "runtime/connectors/connector.h"

namespace crmx::connectors::api {

class PagedReader : public RecordReader {
 public:
  // `rows_key`: the member of a page that lists its rows ("records", "items"); `file`: what the
  // records say they come from ("salesforce:Account").
  PagedReader(std::shared_ptr<Session> session, const ReadRequest& req, std::string query, std::string rows_key,
              std::string file)
      : session_(std::move(session)), req_(req), client_(session_->ClientOptions()), query_(std::move(query)),
        rows_key_(std::move(rows_key)), file_(std::move(file)) {}

  bool Next(RecordBatch& out) final {
    out.Clear();
    out.width = req_.fields.size();
    out.file = file_;
    size_t batch = std::max<size_t>(req_.batch, 1);
    while (out.size() < batch) {
      const JsonNode* rows = page_.Find(rows_key_);
      if (rows != nullptr && pos_ < rows->items.size()) {
        const JsonNode& row = rows->items[pos_++];
        if (!Take(row, out.values)) continue;
        out.lines.push_back(static_cast<int64_t>(++done_));
        continue;
      }
      if (finished_) break;
      if (!Fetch()) return false;
      pos_ = 0;
    }
    return out.size() > 0;
  }
  uint64_t Done() const final { return done_; }
  uint64_t Total() const final { return total_; }
  std::string Query() const final { return query_; }
  uint64_t Calls() const final { return calls_; }

 protected:
  // Appends the row's values, in ReadRequest::fields order, to `values`; false leaves the row
  // out (nothing appended).
  virtual bool Take(const JsonNode& row, std::vector<value::Value>& values) = 0;
  // Replaces page_ with the next page and sets finished_ (and total_ when the answer says);
  // false with error_ when the page cannot be had.
  virtual bool Fetch() = 0;

  // Makes `call`'s answer the current page and reads its row count from `total_key`. False
  // with error_ ("<vendor> query of <object> failed: ...") when the call failed (`describe`
  // says how, from the vendor's error body) or the answer is not JSON.
  bool AcceptPage(const CallResult& call, const char* vendor, std::string (*describe)(const CallResult&),
                  const char* total_key) {
    if (!call.response.Ok()) {
      error_ = std::string(vendor) + " query of " + req_.object + " failed: " + describe(call);
      return false;
    }
    std::string parse_error;
    if (!ParseJson(call.response.body, page_, parse_error)) {
      error_ = std::string(vendor) + " query of " + req_.object + ": " + parse_error;
      return false;
    }
    if (const JsonNode* total = page_.Find(total_key)) total_ = std::strtoull(total->Text().c_str(), nullptr, 10);
    return true;
  }

  std::shared_ptr<Session> session_;
  const ReadRequest req_;
  http::Client client_;
  const std::string query_;
  JsonNode page_;
  bool finished_ = false;
  uint64_t done_ = 0;   // rows handed out
  uint64_t total_ = 0;  // rows the query has, when the system says
  std::atomic<uint64_t> calls_{0};

 private:
  const std::string rows_key_;
  const std::string file_;
  size_t pos_ = 0;
};

}  // namespace crmx::connectors::api
