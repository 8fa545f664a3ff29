// Defines connectors::Open, the typed conversion of text fields and the JSON writing shared by
// the connectors and the queue files.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "runtime/connectors/internal.h"
#include "runtime/connectors/raw_json.h"

namespace crmx::connectors {

std::string FileFingerprint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

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

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "YYYY-MM-DD" -> midnight UTC of that day (a date is a timestamp at midnight UTC in the VM).
bool ParseDate(std::string_view t, value::Time& out) {
  auto digits = [&](size_t at, size_t n, int64_t& v) {
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  int64_t y = 0, m = 0, d = 0;
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return false;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] || (m == 2 && d == 29 && !leap)) return false;
  return value::MakeTimestamp(DaysFromCivil(y, m, d) * 86400, 0, out);
}

// RFC 3339, and the forms systems write beside it: Salesforce's "+0000" offsets (no colon),
// a space for the "T".
bool ParseDateTime(std::string_view t, value::Time& out) {
  std::string text(t);
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  size_t n = text.size();
  if (n > 5 && (text[n - 5] == '+' || text[n - 5] == '-') && text.find(':', n - 5) == std::string::npos)
    text.insert(n - 2, ":");
  return value::ParseTimestamp(text, out);
}

}  // namespace

// FromText for the types that are not text (connector.h answers text fields itself).
Value FromTypedText(std::string_view text, FieldType type, std::string_view field) {
  // Empty text in a typed field is no value, not a malformed one: a CSV's `""`, the "" systems
  // send for an empty amount or date.
  if (text.empty()) return Value::Null();
  switch (type) {
    case FieldType::kAny:
    case FieldType::kString:
      return Value::StringView(text);
    case FieldType::kDate: {
      value::Time t;
      if (ParseDate(text, t)) return Value::Timestamp(t);
      return NotA("a date (YYYY-MM-DD)", text, field);
    }
    case FieldType::kDateTime: {
      value::Time t;
      if (ParseDateTime(text, t)) return Value::Timestamp(t);
      return NotA("a datetime (RFC 3339)", text, field);
    }
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


void RawBuffer::Grow(size_t n) {
  size_t cap = std::max({cap_ * 2, len_ + n, size_t{4096}});
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (len_ != 0) std::memcpy(bigger.get(), data_.get(), len_);
  data_ = std::move(bigger);
  cap_ = cap;
}


void AppendField(std::string& out, const Value& v, const plan::TargetField& field) {
  // Most values of most records: text, written the same whatever the field.
  if (v.kind() == Kind::kString) {
    AppendJsonString(out, v.AsText());
    return;
  }
  // A date field holds a timestamp at midnight UTC: written as the day.
  if (field.type == FieldType::kDate && v.kind() == Kind::kTimestamp) {
    std::string t = value::FormatTimestamp(v.AsTime());
    if (t.size() >= 10 && t.compare(10, std::string::npos, "T00:00:00Z") == 0) {
      AppendJsonString(out, std::string_view(t).substr(0, 10));
      return;
    }
  }
  // A list of objects whose element fields the plan describes (order lines): each member at
  // its own field's scale and form.
  if (!field.element.empty() && v.kind() == Kind::kList) {
    out.push_back('[');
    bool first = true;
    for (const Value& x : v.AsList()) {
      if (!first) out.push_back(',');
      first = false;
      if (x.kind() != Kind::kMap) {
        AppendJson(out, x);
        continue;
      }
      out.push_back('{');
      bool first_member = true;
      for (const auto& [k, m] : x.AsMap().entries) {
        if (!first_member) out.push_back(',');
        first_member = false;
        std::string name = k.kind() == Kind::kString ? std::string(k.AsText()) : value::Display(k);
        AppendJsonString(out, name);
        out.push_back(':');
        const plan::TargetField* member = nullptr;
        for (const plan::TargetField& e : field.element)
          if (e.name == name) member = &e;
        if (member) AppendField(out, m, *member);
        else AppendJson(out, m);
      }
      out.push_back('}');
    }
    out.push_back(']');
    return;
  }
  AppendJson(out, v, field.scale.value_or(-1));
}

namespace {

// A decimal as a JSON number (its digits, at `scale` when given: see AppendJson) at `p`, which
// has room for decimal::Decimal::kMaxChars bytes.
char* WriteDecimal(char* p, decimal::Decimal d, int scale) {
  if (scale >= 0 && d.Scale() != scale) {
    auto r = d.Round(scale, decimal::Rounding::kHalfEven);
    if (r) d = *r;
  }
  return d.ToChars(p);
}

}  // namespace

char* WriteField(char* p, const Value& v, const plan::TargetField& field) {
  switch (v.kind()) {
    case Kind::kString: return WriteJsonString(p, v.AsText());
    case Kind::kNull: std::memcpy(p, "null", 4); return p + 4;
    case Kind::kBool:
      if (v.AsBool()) {
        std::memcpy(p, "true", 4);
        return p + 4;
      }
      std::memcpy(p, "false", 5);
      return p + 5;
    case Kind::kInt: return std::to_chars(p, p + 20, v.AsInt()).ptr;
    case Kind::kUint: return std::to_chars(p, p + 20, v.AsUint()).ptr;
    case Kind::kDecimal: return WriteDecimal(p, v.AsDecimal(), field.scale.value_or(-1));
    default: return p;  // FieldBound is 0: AppendField writes it
  }
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
      char buf[decimal::Decimal::kMaxChars];
      out.append(buf, WriteDecimal(buf, v.AsDecimal(), scale));
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

std::string WriteResult::Describe() const {
  std::string out;
  if (http_status != 0) out += "HTTP " + std::to_string(http_status) + ": ";
  if (!code.empty()) out += code + ": ";
  out += message.empty() ? std::string("no reason given") : message;
  if (!fields.empty()) {
    out += " (";
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? ", " : "") + fields[i];
    out += ")";
  }
  return out;
}

std::unique_ptr<Connector> Open(const std::string& where, std::string& error) {
  if (where.rfind("sqlite:", 0) == 0) return OpenSqlite(where.substr(7), error);
  if (where.rfind("dir:", 0) == 0) return OpenFiles(where.substr(4), error);
  std::error_code ec;
  if (fs::is_directory(where, ec)) return OpenFiles(where, error);
  std::string ext = fs::path(where).extension().string();
  if (ext == ".db" || ext == ".sqlite" || ext == ".sqlite3") return OpenSqlite(where, error);
  if (!fs::exists(where, ec)) {
    error = "`" + where + "` does not exist: give an existing directory of JSONL/CSV files (create it first), or a "
            "SQLite database (.db, .sqlite, .sqlite3, or sqlite:PATH: created when missing)";
    return nullptr;
  }
  error = "`" + where + "` is neither a directory of JSONL/CSV files nor a SQLite database (.db, .sqlite, "
          "or prefix it with sqlite: / dir:)";
  return nullptr;
}

}  // namespace crmx::connectors
