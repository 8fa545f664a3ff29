// Defines the exact JSON tree of the API connectors (json.h): parsed with nlohmann_json's SAX
// interface, which hands over each floating-point number's text beside its double; the tree
// keeps the text and drops the double.
#include "runtime/connectors/api/json.h"

#include <charconv>
#include <exception>

#include <nlohmann/json.hpp>

#include "runtime/connectors/connector.h"

namespace crmx::connectors::api {

namespace {

using plan::FieldType;
using value::Value;

bool SameIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// Builds a JsonNode from nlohmann's SAX events.
class TreeBuilder {
 public:
  using json = nlohmann::json;
  explicit TreeBuilder(JsonNode& root) : root_(root) {}

  bool null() { return Put(JsonNode{}); }
  bool boolean(bool b) { return Put(Scalar(JsonNode::Type::kBool, b ? "true" : "false")); }
  bool number_integer(json::number_integer_t v) { return Put(Scalar(JsonNode::Type::kNumber, std::to_string(v))); }
  bool number_unsigned(json::number_unsigned_t v) { return Put(Scalar(JsonNode::Type::kNumber, std::to_string(v))); }
  // `text` is the number as written: the digits are kept, the double is not used.
  bool number_float(json::number_float_t, const json::string_t& text) {
    return Put(Scalar(JsonNode::Type::kNumber, text));
  }
  bool string(json::string_t& s) { return Put(Scalar(JsonNode::Type::kString, std::move(s))); }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return Open(JsonNode::Type::kObject); }
  bool key(json::string_t& k) {
    stack_.back()->keys.push_back(std::move(k));
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(JsonNode::Type::kArray); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& e) {
    error_ = "malformed JSON at byte " + std::to_string(at) + ": " + e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  static JsonNode Scalar(JsonNode::Type t, std::string text) {
    JsonNode n;
    n.type = t;
    n.text = std::move(text);
    return n;
  }
  // Places a finished value: the root, an array element or an object member.
  JsonNode* Place(JsonNode n) {
    if (stack_.empty()) {
      root_ = std::move(n);
      return &root_;
    }
    JsonNode* parent = stack_.back();
    parent->items.push_back(std::move(n));
    return &parent->items.back();
  }
  bool Put(JsonNode n) {
    Place(std::move(n));
    return true;
  }
  bool Open(JsonNode::Type t) {
    // Nesting deeper than this is not a vendor's answer: refuse it rather than recurse.
    if (stack_.size() > 256) {
      error_ = "JSON nested too deeply";
      return false;
    }
    JsonNode n;
    n.type = t;
    stack_.push_back(Place(std::move(n)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  JsonNode& root_;
  // The open arrays and objects. Pointers stay valid: a node's `items` only grow while it is
  // the innermost open one, and its parent does not grow until it is closed.
  std::vector<JsonNode*> stack_;
  std::string error_;
};

// A number's text as a field of `type`.
Value NumberValue(const std::string& text, FieldType type, std::string_view field) {
  switch (type) {
    case FieldType::kString: return Value::String(text);
    case FieldType::kDouble: {
      double d = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size())
        return Value::Error(std::string(field) + ": `" + text + "` is not a number");
      return Value::Double(d);
    }
    case FieldType::kBool:
      if (text == "0") return Value::Bool(false);
      if (text == "1") return Value::Bool(true);
      return Value::Error(std::string(field) + ": `" + text + "` is not true or false");
    case FieldType::kDate:
    case FieldType::kDateTime:
      return Value::Error(std::string(field) + ": `" + text + "` is not a date");
    default: break;
  }
  int64_t i = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), i);
  bool integral = r.ec == std::errc() && r.ptr == text.data() + text.size();
  if (type == FieldType::kDecimal) {
    if (integral) return Value::Dec(decimal::Decimal::FromInt(i));
    auto d = decimal::Decimal::Parse(text);
    if (!d) return Value::Error(std::string(field) + ": `" + text + "` is not a decimal number");
    return Value::Dec(*d);
  }
  if (integral) return Value::Int(i);
  // Salesforce writes some integers of double-typed fields as 1.0: an int field takes them
  // when the fraction is zero.
  auto d = decimal::Decimal::Parse(text);
  if (type == FieldType::kInt) {
    if (d && d->Normalize().Scale() == 0) {
      auto n = d->ToInt64();
      if (n) return Value::Int(*n);
    }
    return Value::Error(std::string(field) + ": `" + text + "` is not an integer");
  }
  // `any`: exact when it can be.
  if (d) return Value::Dec(*d);
  return Value::Error(std::string(field) + ": `" + text + "` is not a number");
}

Value Generic(const JsonNode& n) {
  switch (n.type) {
    case JsonNode::Type::kNull: return Value::Null();
    case JsonNode::Type::kBool: return Value::Bool(n.text == "true");
    case JsonNode::Type::kNumber: return NumberValue(n.text, FieldType::kAny, "");
    case JsonNode::Type::kString: return Value::String(n.text);
    case JsonNode::Type::kArray: {
      std::vector<Value> items;
      for (const JsonNode& x : n.items) items.push_back(Generic(x));
      return Value::List(std::move(items));
    }
    case JsonNode::Type::kObject: {
      std::vector<std::pair<Value, Value>> entries;
      for (size_t i = 0; i < n.items.size(); ++i) entries.emplace_back(Value::String(n.keys[i]), Generic(n.items[i]));
      return Value::Map(std::move(entries));
    }
  }
  return Value::Null();
}

}  // namespace

const JsonNode* JsonNode::Find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

const JsonNode* JsonNode::FindIgnoreCase(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  if (const JsonNode* exact = Find(key)) return exact;
  for (size_t i = 0; i < keys.size(); ++i)
    if (SameIgnoreCase(keys[i], key)) return &items[i];
  return nullptr;
}

const JsonNode* JsonNode::Path(std::string_view dotted) const {
  const JsonNode* at = this;
  while (at != nullptr) {
    size_t dot = dotted.find('.');
    if (dot == std::string_view::npos) return at->Find(dotted);
    at = at->Find(dotted.substr(0, dot));
    dotted.remove_prefix(dot + 1);
  }
  return nullptr;
}

const std::string& JsonNode::Text() const {
  static const std::string kEmpty;
  return type == Type::kString || type == Type::kNumber || type == Type::kBool ? text : kEmpty;
}

bool ParseJson(std::string_view text, JsonNode& out, std::string& error) {
  out = JsonNode{};
  TreeBuilder builder(out);
  try {
    if (nlohmann::json::sax_parse(text.begin(), text.end(), &builder)) return true;
    error = builder.error().empty() ? std::string("malformed JSON") : builder.error();
  } catch (const std::exception& e) {
    error = std::string("malformed JSON: ") + e.what();
  }
  out = JsonNode{};
  return false;
}

Value NodeValue(const JsonNode& node, FieldType type, std::string_view field) {
  switch (node.type) {
    case JsonNode::Type::kNull: return Value::Null();
    case JsonNode::Type::kNumber: return NumberValue(node.text, type, field);
    case JsonNode::Type::kString: return FromText(node.text, type, field).Owned();
    case JsonNode::Type::kBool:
      if (type == FieldType::kBool || type == FieldType::kAny) return Value::Bool(node.text == "true");
      if (type == FieldType::kString) return Value::String(node.text);
      return Value::Error(std::string(field) + ": `" + node.text + "` is not " + plan::FieldTypeName(type));
    case JsonNode::Type::kArray:
    case JsonNode::Type::kObject:
      if (type == FieldType::kAny) return Generic(node);
      return Value::Error(std::string(field) + ": a JSON " + (node.type == JsonNode::Type::kArray ? "array" : "object") +
                          " is not " + plan::FieldTypeName(type));
  }
  return Value::Null();
}

void AppendRow(const JsonNode& record, const std::vector<std::string>& fields,
               const std::vector<plan::FieldType>& types, std::vector<value::Value>& out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    const JsonNode* n = record.Path(fields[i]);
    FieldType t = i < types.size() ? types[i] : FieldType::kAny;
    out.push_back(n ? NodeValue(*n, t, fields[i]) : Value::Null());
  }
}

}  // namespace crmx::connectors::api
