// Defines the in-memory connector (memory_connector.h).
#include "runtime/spectest/memory_connector.h"

#include <algorithm>
#include <charconv>

namespace crmx::spectest {

namespace {

using plan::FieldType;
using value::Kind;
using value::Value;

// The text of a key value: a string as is, anything else as JSON (as the JSONL writer keys).
std::string KeyText(const Value& v) {
  if (v.kind() == Kind::kString) return std::string(v.AsText());
  std::string s;
  connectors::AppendJson(s, v);
  return s;
}

const Value* FindField(const Fields& record, const std::string& name) {
  for (const auto& [n, v] : record)
    if (n == name) return &v;
  return nullptr;
}

// A number as the JSON Lines reader converts its token (jsonl_reader.cpp, Convert).
Value NumberAsRead(const Value& v, FieldType type, const std::string& field) {
  std::string token;
  connectors::AppendJson(token, v);
  if (type == FieldType::kDecimal) {
    if (auto d = decimal::Decimal::Parse(token)) return Value::Dec(*d);
    return Value::Error(field + ": `" + token + "` is not a decimal number");
  }
  if (type == FieldType::kString) return Value::String(token);
  if (type == FieldType::kInt || type == FieldType::kAny) {
    int64_t i = 0;
    auto r = std::from_chars(token.data(), token.data() + token.size(), i);
    if (r.ec == std::errc() && r.ptr == token.data() + token.size()) return Value::Int(i);
    if (type == FieldType::kInt) return Value::Error(field + ": `" + token + "` is not an integer");
  }
  double d = 0;
  auto r = std::from_chars(token.data(), token.data() + token.size(), d);
  if (r.ec != std::errc()) return Value::Error(field + ": `" + token + "` is not a number");
  return Value::Double(d);
}

class MemoryReader : public connectors::RecordReader {
 public:
  MemoryReader(std::vector<Fields> records, std::string file, const connectors::ReadRequest& req)
      : records_(std::move(records)), file_(std::move(file)), req_(req) {}

  bool Next(connectors::RecordBatch& out) override {
    out.Clear();
    out.width = req_.fields.size();
    out.file = file_;
    size_t batch = std::max<size_t>(req_.batch, 1);
    for (; next_ < records_.size() && out.size() < batch; ++next_) {
      for (size_t f = 0; f < req_.fields.size(); ++f) {
        const Value* v = FindField(records_[next_], req_.fields[f]);
        FieldType type = f < req_.types.size() ? req_.types[f] : FieldType::kAny;
        out.values.push_back(v ? ConvertAsRead(*v, type, req_.fields[f]) : Value::Null());
      }
      out.lines.push_back(static_cast<int64_t>(next_ + 1));
    }
    return out.size() > 0;
  }
  uint64_t Done() const override { return next_; }
  uint64_t Total() const override { return records_.size(); }

 private:
  std::vector<Fields> records_;  // a snapshot: writes committed during the read are not seen
  std::string file_;
  connectors::ReadRequest req_;
  size_t next_ = 0;
};

}  // namespace

// Writes are kept aside until Commit, then upserted into the connector's records.
class MemoryWriter : public connectors::RecordWriter {
 public:
  MemoryWriter(MemoryConnector& owner, const connectors::WriteRequest& req) : owner_(owner), req_(req) {}

  bool Upsert(const Value* values, std::string* id, std::string& error) override {
    Write w{req_.object, {}, {}};
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      const std::string& name = req_.fields[i].name;
      if (name == req_.key_field) {
        if (values[i].IsNull()) {
          error = "no value for the key `" + req_.key_field + "`";
          return false;
        }
        w.key = KeyText(values[i]);
      }
      w.fields.emplace_back(name, values[i].Owned());
    }
    if (id) *id = w.key;
    pending_.push_back(w.fields);
    owner_.writes_.push_back(std::move(w));
    return true;
  }

  bool Commit(std::string&) override {
    for (const Fields& f : pending_) owner_.Upsert(req_.object, req_.key_field, f);
    pending_.clear();
    return true;
  }

 private:
  MemoryConnector& owner_;
  connectors::WriteRequest req_;
  std::vector<Fields> pending_;
};

Value ConvertAsRead(const Value& v, FieldType type, const std::string& field) {
  if (v.kind() == Kind::kString) return connectors::FromText(v.AsText(), type, field).Owned();
  if (v.IsNumber()) return NumberAsRead(v, type, field);
  return v;
}

void MemoryConnector::Add(const std::string& object, Fields record) { objects_[object].push_back(std::move(record)); }

std::unique_ptr<connectors::RecordReader> MemoryConnector::OpenReader(const connectors::ReadRequest& req,
                                                                     std::string&) {
  return std::make_unique<MemoryReader>(objects_[req.object], system_ + "." + req.object, req);
}

std::unique_ptr<connectors::RecordWriter> MemoryConnector::OpenWriter(const connectors::WriteRequest& req,
                                                                     std::string&) {
  return std::make_unique<MemoryWriter>(*this, req);
}

void MemoryConnector::Upsert(const std::string& object, const std::string& key_field, const Fields& record) {
  const Value* key = FindField(record, key_field);
  std::vector<Fields>& records = objects_[object];
  for (Fields& r : records) {
    const Value* have = FindField(r, key_field);
    if (key == nullptr || have == nullptr || KeyText(*have) != KeyText(*key)) continue;
    for (const auto& [name, v] : record) {
      auto it = std::find_if(r.begin(), r.end(), [&](const auto& f) { return f.first == name; });
      if (it != r.end()) it->second = v; else r.emplace_back(name, v);
    }
    return;
  }
  records.push_back(record);
}

}  // namespace crmx::spectest
