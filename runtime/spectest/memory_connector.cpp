// Defines the in-memory connector (memory_connector.h).
#include "runtime/spectest/memory_connector.h"

#include <algorithm>
#include <charconv>

#include "runtime/connectors/nesting.h"

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

// The value at a dotted path ("properties.name": the `name` entry of the record's
// `properties` map), as the JSON Lines reader reads a nested field; null when absent.
const Value* FindPath(const Fields& record, const std::string& path) {
  if (const Value* v = FindField(record, path)) return v;
  size_t dot = path.find('.');
  if (dot == std::string::npos) return nullptr;
  const Value* v = FindField(record, path.substr(0, dot));
  while (v != nullptr && dot != std::string::npos) {
    size_t next = path.find('.', dot + 1);
    std::string part = path.substr(dot + 1, next == std::string::npos ? std::string::npos : next - dot - 1);
    if (v->kind() != Kind::kMap) return nullptr;
    const Value* found = nullptr;
    for (const auto& [k, x] : v->AsMap().entries)
      if (k.kind() == Kind::kString && k.AsText() == part) found = &x;
    v = found;
    dot = next;
  }
  return v;
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
        const Value* v = FindPath(records_[next_], req_.fields[f]);
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

// Writes are kept aside until Commit, then upserted into the connector's records. Fields nest
// by their path (`BillAddr.City` is the `City` entry of the record's `BillAddr` map). When the
// target has an id field the map does not write, a record keeps the id it has, else gets the
// next of "1", "2", ... of its object (as the JSON Lines writer numbers them).
class MemoryWriter : public connectors::RowWriter {
 public:
  MemoryWriter(MemoryConnector& owner, const connectors::WriteRequest& req)
      : owner_(owner), req_(req), nodes_(connectors::NestFields(req.fields)) {
    assign_ids_ = !req_.id_field.empty();
    for (size_t i = 0; i < req_.fields.size(); ++i) {
      if (req_.fields[i].name == req_.key_field) key_ = i;
      if (req_.fields[i].name == req_.id_field) {
        assign_ids_ = false;
        written_id_ = i;
      }
    }
  }

  bool WriteOne(const Value* values, connectors::WriteResult& r, std::string&) override {
    Write w{req_.object, {}, {}};
    if (key_ >= req_.fields.size() || values[key_].IsNull()) {
      r.message = "no value for the key `" + req_.key_field + "`";
      return true;
    }
    w.key = KeyText(values[key_]);
    for (const connectors::FieldNode& n : nodes_)
      w.fields.emplace_back(n.name, n.leaf() ? values[n.field].Owned() : connectors::NestedValue(n.children, values));
    if (assign_ids_) {
      r.id = owner_.IdOf(req_.object, req_.key_field, req_.id_field, w.key);
      w.fields.emplace_back(req_.id_field, Value::String(r.id));
    } else if (written_id_ < req_.fields.size()) {
      r.id = KeyText(values[written_id_]);
    } else {
      r.id = w.key;
    }
    r.ok = true;
    pending_.push_back(w.fields);
    owner_.writes_.push_back(std::move(w));
    return true;
  }

  bool Finish(std::string&) override {
    for (const Fields& f : pending_) owner_.Upsert(req_.object, req_.key_field, f, &nodes_);
    pending_.clear();
    return true;
  }

 private:
  MemoryConnector& owner_;
  connectors::WriteRequest req_;
  std::vector<connectors::FieldNode> nodes_;
  size_t key_ = static_cast<size_t>(-1);
  size_t written_id_ = static_cast<size_t>(-1);
  bool assign_ids_ = false;
  std::vector<Fields> pending_;
};

std::string MemoryConnector::IdOf(const std::string& object, const std::string& key_field, const std::string& id_field,
                                  const std::string& key) {
  std::string& id = ids_[object][key];
  if (!id.empty()) return id;
  // A record already there (given, or written before) keeps its id.
  uint64_t& next = next_id_[object];
  for (const Fields& r : objects_[object]) {
    const Value* have = FindField(r, key_field);
    const Value* rid = FindField(r, id_field);
    if (rid == nullptr || rid->IsNull()) continue;
    std::string text = KeyText(*rid);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) next = std::max(next, n);
    if (have != nullptr && KeyText(*have) == key) id = text;
  }
  if (id.empty()) id = std::to_string(++next);
  return id;
}

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

namespace {

// `written` merged into `have` (both maps): the members `nodes` nests are merged in turn, the
// others replaced; members of `have` not written stay.
Value MergeNested(const Value& have, const Value& written, const std::vector<connectors::FieldNode>& nodes) {
  std::vector<std::pair<Value, Value>> entries = have.AsMap().entries;
  for (const auto& [k, v] : written.AsMap().entries) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return value::Equal(e.first, k); });
    if (it == entries.end()) {
      entries.emplace_back(k, v);
      continue;
    }
    const connectors::FieldNode* node = nullptr;
    for (const connectors::FieldNode& n : nodes)
      if (k.kind() == Kind::kString && n.name == k.AsText()) node = &n;
    if (node && !node->leaf() && it->second.kind() == Kind::kMap && v.kind() == Kind::kMap)
      it->second = MergeNested(it->second, v, node->children);
    else
      it->second = v;
  }
  return Value::Map(std::move(entries));
}

}  // namespace

void MemoryConnector::Upsert(const std::string& object, const std::string& key_field, const Fields& record,
                             const std::vector<connectors::FieldNode>* nodes) {
  const Value* key = FindField(record, key_field);
  std::vector<Fields>& records = objects_[object];
  for (Fields& r : records) {
    const Value* have = FindField(r, key_field);
    if (key == nullptr || have == nullptr || KeyText(*have) != KeyText(*key)) continue;
    for (const auto& [name, v] : record) {
      auto it = std::find_if(r.begin(), r.end(), [&](const auto& f) { return f.first == name; });
      if (it == r.end()) {
        r.emplace_back(name, v);
        continue;
      }
      // A nested object written by paths (`BillAddr.City`) keeps the members not written.
      const connectors::FieldNode* node = nullptr;
      if (nodes)
        for (const connectors::FieldNode& n : *nodes)
          if (n.name == name) node = &n;
      if (node && !node->leaf() && it->second.kind() == Kind::kMap && v.kind() == Kind::kMap)
        it->second = MergeNested(it->second, v, node->children);
      else
        it->second = v;
    }
    return;
  }
  records.push_back(record);
}

}  // namespace crmx::spectest
