// Defines the JSON Lines reader of the directory connector: one JSON object a line, parsed
// with simdjson On Demand. Only the projected keys are converted; the others are skipped
// without building anything. Strings without escapes are borrowed from the line (no copy);
// numbers in decimal fields are read from their digits, exactly.
#include <simdjson.h>

#include <charconv>
#include <cstdio>

#include "runtime/connectors/internal.h"
#include "runtime/connectors/line_source.h"

namespace crmx::connectors {

namespace {

namespace od = simdjson::ondemand;
using plan::FieldType;
using value::Value;

// The projected fields by name: a small open-addressing table (no allocation per lookup).
class FieldIndex {
 public:
  explicit FieldIndex(const std::vector<std::string>& fields) : names_(fields) {
    size_t cap = 16;
    while (cap < fields.size() * 4) cap *= 2;
    slots_.assign(cap, -1);
    for (size_t i = 0; i < fields.size(); ++i) {
      size_t h = Hash(fields[i]) & (cap - 1);
      while (slots_[h] >= 0) h = (h + 1) & (cap - 1);
      slots_[h] = static_cast<int>(i);
    }
  }
  int Find(std::string_view key) const {
    size_t mask = slots_.size() - 1;
    for (size_t h = Hash(key) & mask;; h = (h + 1) & mask) {
      int i = slots_[h];
      if (i < 0) return -1;
      if (names_[static_cast<size_t>(i)] == key) return i;
    }
  }

 private:
  // Every key of every line is looked up, most of them not projected: hash the length and
  // three bytes only (a collision just costs one more comparison).
  static size_t Hash(std::string_view s) {
    if (s.empty()) return 0;
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<unsigned char>(s.front()) | static_cast<uint64_t>(static_cast<unsigned char>(s.back())) << 8 |
         static_cast<uint64_t>(static_cast<unsigned char>(s[s.size() / 2])) << 16;
    h *= 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
  std::vector<std::string> names_;
  std::vector<int> slots_;
};

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Any JSON value as an owned Value (lists and maps of fields typed `any`).
Value Generic(od::value v, bool& ok) {
  od::json_type t;
  if (v.type().get(t)) {
    ok = false;
    return Value::Null();
  }
  switch (t) {
    case od::json_type::null: return Value::Null();
    case od::json_type::boolean: {
      bool b = false;
      ok = ok && !v.get_bool().get(b);
      return Value::Bool(b);
    }
    case od::json_type::number: {
      od::number n;
      if (v.get_number().get(n)) {
        ok = false;
        return Value::Null();
      }
      if (n.is_int64()) return Value::Int(n.get_int64());
      if (n.is_uint64()) return Value::Uint(n.get_uint64());
      return Value::Double(n.get_double());
    }
    case od::json_type::string: {
      std::string_view s;
      ok = ok && !v.get_string().get(s);
      return Value::String(std::string(s));
    }
    case od::json_type::array: {
      std::vector<Value> items;
      od::array a;
      if (v.get_array().get(a)) {
        ok = false;
        return Value::Null();
      }
      for (auto item : a) {
        od::value x;
        if (item.get(x)) {
          ok = false;
          break;
        }
        items.push_back(Generic(x, ok));
      }
      return Value::List(std::move(items));
    }
    case od::json_type::object: {
      std::vector<std::pair<Value, Value>> entries;
      od::object o;
      if (v.get_object().get(o)) {
        ok = false;
        return Value::Null();
      }
      for (auto field : o) {
        std::string_view k;
        if (field.unescaped_key().get(k)) {
          ok = false;
          break;
        }
        std::string key(k);
        entries.emplace_back(Value::String(std::move(key)), Generic(field.value(), ok));
      }
      return Value::Map(std::move(entries));
    }
  }
  ok = false;
  return Value::Null();
}

class JsonlReader : public LineRecordReader {
 public:
  JsonlReader(std::FILE* f, std::string name, const ReadRequest& req)
      : LineRecordReader(f, simdjson::SIMDJSON_PADDING, std::move(name), req), index_(req.fields) {}

 private:
  void Record(std::string_view line, int64_t number, size_t room, RecordBatch& out) override {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank lines are not records
    size_t base = out.values.size();
    out.values.resize(base + out.width);
    std::string why, detail;
    if (!Decode(line, room, out, base, why, detail)) {
      out.values.resize(base);
      out.bad.push_back(BadLine{name_, number, why, detail});
      return;
    }
    out.lines.push_back(number);
  }

  // False with `why` ("malformed JSON", "not a JSON object") and the parser's `detail`.
  bool Decode(std::string_view line, size_t room, RecordBatch& out, size_t base, std::string& why, std::string& detail) {
    why = "malformed JSON";
    od::document doc;
    auto fail = [&](simdjson::error_code e) {
      detail = simdjson::error_message(e);
      return false;
    };
    if (auto e = parser_.iterate(line.data(), line.size(), room).get(doc)) return fail(e);
    od::object obj;
    od::json_type t;
    if (auto e = doc.type().get(t)) return fail(e);
    if (t != od::json_type::object) {
      why = "not a JSON object";
      return false;
    }
    if (auto e = doc.get_object().get(obj)) return fail(e);
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail(e);
      int i = index_.Find(key);
      if (i < 0) continue;
      size_t at = static_cast<size_t>(i);
      if (auto e = Convert(field.value(), req_.types[at], req_.fields[at], out, out.values[base + at])) return fail(e);
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {  // not at the end
      detail = "text after the object";
      return false;
    }
    return true;
  }

  // One projected value, converted by the field's type.
  simdjson::error_code Convert(od::value v, FieldType type, const std::string& field, RecordBatch& out, Value& dst) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t == od::json_type::null) {
      dst = Value::Null();
      return simdjson::SUCCESS;
    }
    if (t == od::json_type::string) {
      std::string_view raw = TrimRight(v.raw_json_token());
      std::string_view text;
      if (raw.size() >= 2 && raw.substr(1, raw.size() - 2).find('\\') == std::string_view::npos) {
        text = raw.substr(1, raw.size() - 2);  // no escapes: borrow from the line
      } else {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        text = out.arena.emplace_back(s);
      }
      dst = FromText(text, type, field);
      return simdjson::SUCCESS;
    }
    if (t == od::json_type::number) {
      std::string_view token = TrimRight(v.raw_json_token());
      if (type == FieldType::kDecimal) {
        if (auto d = decimal::Decimal::Parse(token)) {
          dst = Value::Dec(*d);
          return simdjson::SUCCESS;
        }
        double x = 0;
        if (auto e = v.get_double().get(x)) return e;
        auto d = decimal::Decimal::FromDouble(x);  // an exponent form such as 1e6
        dst = d ? Value::Dec(*d) : Value::Error(field + ": `" + std::string(token) + "` is not a decimal number");
        return simdjson::SUCCESS;
      }
      if (type == FieldType::kString) {
        dst = Value::StringView(token);
        return simdjson::SUCCESS;
      }
      if (type == FieldType::kInt || type == FieldType::kAny) {
        int64_t i = 0;
        auto r = std::from_chars(token.data(), token.data() + token.size(), i);
        if (r.ec == std::errc() && r.ptr == token.data() + token.size()) {
          dst = Value::Int(i);
          return simdjson::SUCCESS;
        }
        if (type == FieldType::kInt) {
          dst = Value::Error(field + ": `" + std::string(token) + "` is not an integer");
          return simdjson::SUCCESS;
        }
      }
      double x = 0;
      if (auto e = v.get_double().get(x)) return e;
      dst = Value::Double(x);
      return simdjson::SUCCESS;
    }
    bool ok = true;
    dst = Generic(v, ok);
    return ok ? simdjson::SUCCESS : simdjson::TAPE_ERROR;
  }

  FieldIndex index_;
  od::parser parser_;
};

}  // namespace

std::unique_ptr<RecordReader> OpenJsonlReader(const std::string& path, const std::string& name,
                                              const ReadRequest& req, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = "cannot read " + path;
    return nullptr;
  }
  return std::make_unique<JsonlReader>(f, name, req);
}

}  // namespace crmx::connectors
