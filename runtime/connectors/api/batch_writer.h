// Defines BatchWriter, the part every API connector's writer shares: records are copied into a
// batch as they are added (a record without a key value fails at once with MISSING_KEY), and
// a full batch, or what is left at Flush/Commit, goes to the vendor's SendBatch, which must
// append exactly one WriteResult per record, with its tag. API writes are durable once their
// result says ok, so Commit only flushes.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "runtime/connectors/connector.h"

namespace crmx::connectors::api {

class BatchWriter : public RecordWriter {
 public:
  BatchWriter(const WriteRequest& req, size_t batch) : req_(req), batch_(batch == 0 ? 1 : batch) {
    for (size_t i = 0; i < req_.fields.size(); ++i)
      if (req_.fields[i].name == req_.key_field) key_ = static_cast<long>(i);
  }

  bool Add(const value::Value* values, uint64_t tag, std::vector<WriteResult>& done, std::string&) final {
    if (key_ < 0 || values[key_].IsNull() || KeyText(values[key_]).empty()) {
      WriteResult r;
      r.tag = tag;
      r.code = "MISSING_KEY";
      r.message = "no value for the key `" + req_.key_field + "`";
      done.push_back(std::move(r));
      return true;
    }
    std::vector<value::Value> row;
    row.reserve(req_.fields.size());
    for (size_t i = 0; i < req_.fields.size(); ++i) row.push_back(values[i].Owned());
    rows_.push_back(std::move(row));
    tags_.push_back(tag);
    if (rows_.size() >= batch_) SendAndClear(done);
    return true;
  }
  bool Flush(std::vector<WriteResult>& done, std::string&) final {
    if (!rows_.empty()) SendAndClear(done);
    return true;
  }
  bool Commit(std::vector<WriteResult>& done, std::string& error) final { return Flush(done, error); }
  uint64_t Calls() const final { return calls_; }

  // The text of a key value, as it goes into a URL or a body.
  static std::string KeyText(const value::Value& v) {
    if (v.kind() == value::Kind::kString) return std::string(v.AsText());
    if (v.kind() == value::Kind::kInt) return std::to_string(v.AsInt());
    if (v.kind() == value::Kind::kUint) return std::to_string(v.AsUint());
    if (v.kind() == value::Kind::kDecimal) return v.AsDecimal().ToString();
    return value::Display(v, false);
  }

 protected:
  // Sends `rows` (values in WriteRequest::fields order) and appends one result per row, in
  // any order, each with its row's tag.
  virtual void SendBatch(const std::vector<std::vector<value::Value>>& rows, const std::vector<uint64_t>& tags,
                         std::vector<WriteResult>& done) = 0;

  const WriteRequest req_;
  long key() const { return key_; }  // the key field's index in a row
  std::atomic<uint64_t> calls_{0};  // counted by api::Call, possibly from several threads

 private:
  void SendAndClear(std::vector<WriteResult>& done) {
    SendBatch(rows_, tags_, done);
    rows_.clear();
    tags_.clear();
  }

  size_t batch_;
  long key_ = -1;
  std::vector<std::vector<value::Value>> rows_;
  std::vector<uint64_t> tags_;
};

}  // namespace crmx::connectors::api
