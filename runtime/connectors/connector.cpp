// Defines connectors::Open, the typed conversion of text fields and the JSON writing shared by
// the connectors and the queue files.
#include <charconv>
#include <cmath>
#include <filesystem>

#include "runtime/connectors/internal.h"

namespace crmx::connectors {

namespace fs = std::filesystem;
using plan::FieldType;
using value::Kind;
using value::Value;

namespace {

Value NotA(std::string_view what, std::string_view text, std::string_view field) {
  std::string shown(text.substr(0, 40));
  return Value::Error(std::string(field) + ": `" + shown + (text.size() > 40 ? "...`" : "`") + " is not " +
                      std::string(what));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += std::isnan(d) ? "\"NaN\"" : d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

}  // namespace

Value FromText(std::string_view text, FieldType type, std::string_view field) {
  switch (type) {
    case FieldType::kAny:
    case FieldType::kString:
    case FieldType::kDate:
    case FieldType::kDateTime:
      return Value::StringView(text);
    case FieldType::kInt: {
      int64_t i = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), i);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return NotA("an integer", text, field);
      return Value::Int(i);
    }
    case FieldType::kDouble: {
      double d = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return NotA("a number", text, field);
      return Value::Double(d);
    }
    case FieldType::kDecimal: {
      auto d = decimal::Decimal::Parse(text);
      if (!d) return NotA("a decimal number", text, field);
      return Value::Dec(*d);
    }
    case FieldType::kBool:
      if (EqualsIgnoreCase(text, "true") || text == "1") return Value::Bool(true);
      if (EqualsIgnoreCase(text, "false") || text == "0") return Value::Bool(false);
      return NotA("true or false", text, field);
  }
  return Value::StringView(text);
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the stretch not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void AppendJson(std::string& out, const Value& v, int scale) {
  switch (v.kind()) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += v.AsBool() ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.AsInt()); return;
    case Kind::kUint: out += std::to_string(v.AsUint()); return;
    case Kind::kDouble: AppendDouble(out, v.AsDouble()); return;
    case Kind::kDecimal: {
      // Money stays exact on the wire: a JSON number with the decimal's digits, at the
      // target's scale when it has one.
      decimal::Decimal d = v.AsDecimal();
      if (scale >= 0 && d.Scale() != scale) {
        auto r = d.Round(scale, decimal::Rounding::kHalfEven);
        if (r) d = *r;
      }
      char buf[decimal::Decimal::kMaxChars];
      out.append(buf, d.ToChars(buf));
      return;
    }
    case Kind::kString:
    case Kind::kBytes: AppendJsonString(out, v.AsText()); return;
    case Kind::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& x : v.AsList()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJson(out, x);
      }
      out.push_back(']');
      return;
    }
    case Kind::kMap: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, x] : v.AsMap().entries) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, k.kind() == Kind::kString ? std::string(k.AsText()) : value::Display(k));
        out.push_back(':');
        AppendJson(out, x);
      }
      out.push_back('}');
      return;
    }
    case Kind::kTimestamp: AppendJsonString(out, value::FormatTimestamp(v.AsTime())); return;
    case Kind::kDuration: AppendJsonString(out, value::FormatDuration(v.AsTime())); return;
    case Kind::kType: AppendJsonString(out, v.AsTypeName()); return;
    case Kind::kError:
      out += "{\"error\":";
      AppendJsonString(out, v.ErrorReason());
      out.push_back('}');
      return;
  }
  out += "null";
}

std::unique_ptr<Connector> Open(const std::string& where, std::string& error) {
  if (where.rfind("sqlite:", 0) == 0) return OpenSqlite(where.substr(7), error);
  if (where.rfind("dir:", 0) == 0) return OpenFiles(where.substr(4), error);
  std::error_code ec;
  if (fs::is_directory(where, ec)) return OpenFiles(where, error);
  std::string ext = fs::path(where).extension().string();
  if (ext == ".db" || ext == ".sqlite" || ext == ".sqlite3") return OpenSqlite(where, error);
  error = "`" + where + "` is neither a directory of JSONL/CSV files nor a SQLite database (.db, .sqlite, "
          "or prefix it with sqlite: / dir:)";
  return nullptr;
}

}  // namespace crmx::connectors
