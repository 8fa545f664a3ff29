// Defines Value's heap parts and CEL's equality, ordering, type names and text forms.
#include "runtime/value/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "runtime/value/text_hash.h"

namespace crmx::value {

// ------------------------------------------------------------------------------ construction

Value Value::Owned(Kind k, std::string s) {
  auto* o = new StringObject(std::move(s));
  Value v(k);
  v.u_.s.data = o->text.data();
  v.u_.s.owner = o;
  v.size_ = static_cast<uint32_t>(o->text.size());
  return v;
}

Value Value::Borrowed(Kind k, std::string_view s) {
  Value v(k);
  v.u_.s.data = s.data();
  v.u_.s.owner = nullptr;
  v.size_ = static_cast<uint32_t>(s.size());
  return v;
}

Value Value::List(std::vector<Value> items) {
  auto* o = new ListObject();
  o->items = std::move(items);
  return Heap(o);
}

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  // Repeated keys: a string key can equal only a string key with the same bytes (a hash set of
  // their texts, which stay where they are when the values move); other keys are compared
  // with the other keys (numbers are equal across kinds).
  std::unordered_set<std::string_view> strings;
  std::vector<size_t> others;
  if (entries.size() >= MapObject::kIndexedAt) strings.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Value& k = entries[i].first;
    bool repeated = false;
    if (k.kind() == Kind::kString) {
      repeated = !strings.insert(k.AsText()).second;
    } else {
      for (size_t j : others) repeated = repeated || Equal(entries[j].first, k);
      others.push_back(i);
    }
    if (repeated) return Error("repeated map key");
  }
  auto* o = new MapObject();
  o->entries = std::move(entries);
  return Heap(o);
}

// An open-addressing table of the string keys' positions in `entries`, at most half full.
struct MapObject::KeyIndex {
  size_t size = 0;  // entries.size() when it was built
  std::vector<uint32_t> slots;  // position + 1; 0 is free

};

MapObject::~MapObject() { delete index_.load(std::memory_order_relaxed); }

const MapObject::KeyIndex* MapObject::Index() const {
  KeyIndex* have = index_.load(std::memory_order_acquire);
  if (have != nullptr) return have;
  auto* built = new KeyIndex();
  built->size = entries.size();
  size_t cap = 16;
  while (cap < entries.size() * 2) cap *= 2;
  built->slots.assign(cap, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first.kind() != Kind::kString) continue;
    for (size_t h = HashText(entries[i].first.AsText()) & (cap - 1);; h = (h + 1) & (cap - 1)) {
      if (built->slots[h] == 0) {
        built->slots[h] = static_cast<uint32_t>(i + 1);
        break;
      }
    }
  }
  if (index_.compare_exchange_strong(have, built, std::memory_order_acq_rel)) return built;
  delete built;  // another thread built it first
  return have;
}

const Value* MapObject::Find(const Value& key) const {
  if (key.kind() == Kind::kString) {
    std::string_view text = key.AsText();
    if (entries.size() >= kIndexedAt && entries.size() < UINT32_MAX) {
      const KeyIndex* index = Index();
      if (index->size == entries.size()) {
        size_t mask = index->slots.size() - 1;
        for (size_t h = HashText(text) & mask;; h = (h + 1) & mask) {
          uint32_t at = index->slots[h];
          if (at == 0) return nullptr;
          const auto& e = entries[at - 1];
          if (e.first.AsText() == text) return &e.second;
        }
      }
    }
    // A string equals only a string with the same bytes (CEL): no need for Equal's dispatch.
    for (const auto& e : entries)
      if (e.first.kind() == Kind::kString && e.first.AsText() == text) return &e.second;
    return nullptr;
  }
  for (const auto& e : entries) {
    if (Equal(e.first, key)) return &e.second;
  }
  return nullptr;
}


Value Value::Owned() const {
  switch (kind_) {
    case Kind::kString:
    case Kind::kBytes:
      return IsBorrowed() ? Owned(kind_, std::string(AsText())) : *this;
    case Kind::kList: {
      std::vector<Value> items;
      items.reserve(AsList().size());
      for (const Value& x : AsList()) items.push_back(x.Owned());
      return List(std::move(items));
    }
    case Kind::kMap: {
      auto* o = new MapObject();
      for (const auto& [k, x] : AsMap().entries) o->entries.emplace_back(k.Owned(), x.Owned());
      return Heap(o);
    }
    default: return *this;
  }
}

void Value::Append(Value item) {
  auto* list = static_cast<ListObject*>(u_.s.owner);
  if (list->refs > 1) {
    auto* copy = new ListObject();
    copy->items = list->items;
    --list->refs;
    u_.s.owner = copy;
    list = copy;
  }
  list->items.push_back(std::move(item));
}

// ------------------------------------------------------------------------------ equality

namespace {

// Exact comparison of numbers of any two numeric kinds.
Order CompareNumbers(const Value& a, const Value& b) {
  auto ord = [](auto x, auto y) { return x < y ? Order::kLess : x > y ? Order::kGreater : Order::kEqual; };
  Kind ka = a.kind(), kb = b.kind();
  if (ka == Kind::kDouble || kb == Kind::kDouble) {
    if (ka == Kind::kDouble && kb == Kind::kDouble) {
      if (std::isnan(a.AsDouble()) || std::isnan(b.AsDouble())) return Order::kUnordered;
      return ord(a.AsDouble(), b.AsDouble());
    }
    // One double and one integer or decimal: compare exactly where the double is integral and in
    // range, else as doubles (CEL compares int and double by value).
    const Value& d = ka == Kind::kDouble ? a : b;
    const Value& o = ka == Kind::kDouble ? b : a;
    double x = d.AsDouble();
    if (std::isnan(x)) return Order::kUnordered;
    Order r;
    if (o.kind() == Kind::kInt) {
      int64_t i = o.AsInt();
      if (x >= 9223372036854775808.0) r = Order::kGreater;
      else if (x < -9223372036854775808.0) r = Order::kLess;
      else {
        double t = std::trunc(x);
        int64_t ti = static_cast<int64_t>(t);
        r = ti < i ? Order::kLess : ti > i ? Order::kGreater : (x > t ? Order::kGreater : x < t ? Order::kLess : Order::kEqual);
      }
    } else if (o.kind() == Kind::kUint) {
      uint64_t u = o.AsUint();
      if (x < 0) r = Order::kLess;
      else if (x >= 18446744073709551616.0) r = Order::kGreater;
      else {
        double t = std::trunc(x);
        uint64_t tu = static_cast<uint64_t>(t);
        r = tu < u ? Order::kLess : tu > u ? Order::kGreater : (x > t ? Order::kGreater : Order::kEqual);
      }
    } else {
      r = ord(x, o.AsDecimal().ToDouble());
    }
    if (ka == Kind::kDouble) return r;
    return r == Order::kLess ? Order::kGreater : r == Order::kGreater ? Order::kLess : r;
  }
  if (ka == Kind::kDecimal || kb == Kind::kDecimal) {
    auto dec = [](const Value& v) -> Decimal {
      if (v.kind() == Kind::kDecimal) return v.AsDecimal();
      if (v.kind() == Kind::kInt) return Decimal::FromInt(v.AsInt());
      auto r = Decimal::FromParts(static_cast<decimal::Int128>(v.AsUint()), 0);
      return r.ok() ? *r : Decimal();
    };
    auto c = dec(a) <=> dec(b);
    return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
  }
  if (ka == Kind::kInt && kb == Kind::kInt) return ord(a.AsInt(), b.AsInt());
  if (ka == Kind::kUint && kb == Kind::kUint) return ord(a.AsUint(), b.AsUint());
  if (ka == Kind::kInt) {
    if (a.AsInt() < 0) return Order::kLess;
    return ord(static_cast<uint64_t>(a.AsInt()), b.AsUint());
  }
  if (b.AsInt() < 0) return Order::kGreater;
  return ord(a.AsUint(), static_cast<uint64_t>(b.AsInt()));
}

Order CompareTime(Time a, Time b) {
  if (a.seconds != b.seconds) return a.seconds < b.seconds ? Order::kLess : Order::kGreater;
  if (a.nanos != b.nanos) return a.nanos < b.nanos ? Order::kLess : Order::kGreater;
  return Order::kEqual;
}

}  // namespace

bool Equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return CompareNumbers(a, b) == Order::kEqual;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return a.AsBool() == b.AsBool();
    case Kind::kString:
    case Kind::kBytes: return a.AsText() == b.AsText();
    case Kind::kTimestamp:
    case Kind::kDuration: return CompareTime(a.AsTime(), b.AsTime()) == Order::kEqual;
    case Kind::kType: return std::strcmp(a.AsTypeName(), b.AsTypeName()) == 0;
    case Kind::kList: {
      const auto& x = a.AsList();
      const auto& y = b.AsList();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!Equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::kMap: {
      const auto& x = a.AsMap();
      const auto& y = b.AsMap();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const Value* w = y.Find(k);
        if (w == nullptr || !Equal(v, *w)) return false;
      }
      return true;
    }
    case Kind::kError: return false;
    default: return false;
  }
}

Order Compare(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return CompareNumbers(a, b);
  if (a.kind() != b.kind()) return Order::kNoOverload;
  switch (a.kind()) {
    case Kind::kBool: return a.AsBool() == b.AsBool() ? Order::kEqual : a.AsBool() ? Order::kGreater : Order::kLess;
    case Kind::kString:
    case Kind::kBytes: {
      int c = a.AsText().compare(b.AsText());
      return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
    }
    case Kind::kTimestamp:
    case Kind::kDuration: return CompareTime(a.AsTime(), b.AsTime());
    default: return Order::kNoOverload;
  }
}

const char* TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null_type";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kUint: return "uint";
    case Kind::kDouble: return "double";
    case Kind::kDecimal: return "decimal";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kTimestamp: return "google.protobuf.Timestamp";
    case Kind::kDuration: return "google.protobuf.Duration";
    case Kind::kType: return "type";
    case Kind::kError: return "error";
  }
  return "dyn";
}

// ------------------------------------------------------------------------------ text

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  // Shortest digits, in scientific form: d.ddde[+-]x.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  std::string out = neg ? "-" : "";
  // Go 'g' with the shortest precision (-1) uses %e when exp < -4 || exp >= 6.
  int eprec = 6;
  if (exp < -4 || exp >= eprec) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out + eb;
  }
  if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return out;
}

namespace {

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::string Fraction(int32_t nanos) {
  if (nanos == 0) return {};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%09d", nanos);
  std::string f(buf);
  while (f.back() == '0') f.pop_back();
  return "." + f;
}

}  // namespace

std::string FormatTimestamp(Time t) {
  int64_t days = t.seconds / 86400;
  int64_t rem = t.seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return std::string(buf) + Fraction(t.nanos) + "Z";
}

std::string FormatDuration(Time t) {
  bool neg = t.seconds < 0 || t.nanos < 0;
  uint64_t s = neg ? static_cast<uint64_t>(-(t.seconds + 0)) : static_cast<uint64_t>(t.seconds);
  int32_t n = neg ? -t.nanos : t.nanos;
  return (neg ? "-" : "") + std::to_string(s) + Fraction(n) + "s";
}

bool MakeDuration(int64_t seconds, int64_t nanos, Time& out) {
  int64_t carry = nanos / 1000000000;
  nanos %= 1000000000;
  if (__builtin_add_overflow(seconds, carry, &seconds)) return false;
  if (seconds > 0 && nanos < 0) {
    --seconds;
    nanos += 1000000000;
  } else if (seconds < 0 && nanos > 0) {
    ++seconds;
    nanos -= 1000000000;
  }
  if (seconds > kMaxDurationSeconds || seconds < -kMaxDurationSeconds) return false;
  out = Time{seconds, static_cast<int32_t>(nanos)};
  return true;
}

bool MakeTimestamp(int64_t seconds, int64_t nanos, Time& out) {
  int64_t carry = nanos / 1000000000;
  nanos %= 1000000000;
  if (__builtin_add_overflow(seconds, carry, &seconds)) return false;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) return false;
  out = Time{seconds, static_cast<int32_t>(nanos)};
  return true;
}

bool ParseTimestamp(std::string_view s, Time& out) {
  auto num = [&](size_t pos, size_t len, int& v) {
    if (pos + len > s.size()) return false;
    v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || s.size() < 20 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) || s[16] != ':' ||
      !num(17, 2, se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  size_t i = 19;
  int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100000000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start < 9) nanos += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om)) return false;
    offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  int64_t secs = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se -
                 offset;
  return MakeTimestamp(secs, nanos, out);
}

bool ParseDuration(std::string_view s, Time& out) {
  // Go's time.ParseDuration: [-+]? (number unit)+, or "0".
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (s.substr(i) == "0") {
    out = Time{};
    return true;
  }
  if (i == s.size()) return false;
  // Total in nanoseconds, as a 128-bit integer (the range is +-10000 years).
  decimal::Int128 total = 0;
  while (i < s.size()) {
    decimal::Int128 whole = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i++] - '0');
      if (whole > static_cast<decimal::Int128>(1) << 100) return false;
    }
    decimal::Int128 frac = 0, frac_scale = 1;
    bool had_point = false;
    if (i < s.size() && s[i] == '.') {
      had_point = true;
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (frac_scale < static_cast<decimal::Int128>(1000000000000000000)) {
          frac = frac * 10 + (s[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
    }
    if (i == start || (had_point && i == start + 1)) return false;
    size_t ustart = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.') ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    int64_t ns;
    if (unit == "ns") ns = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") ns = 1000;
    else if (unit == "ms") ns = 1000000;
    else if (unit == "s") ns = 1000000000;
    else if (unit == "m") ns = 60000000000;
    else if (unit == "h") ns = 3600000000000;
    else return false;
    total += whole * ns + frac * ns / frac_scale;
    if (total > static_cast<decimal::Int128>(kMaxDurationSeconds + 1) * 1000000000) return false;
  }
  if (neg) total = -total;
  int64_t secs = static_cast<int64_t>(total / 1000000000);
  int64_t nanos = static_cast<int64_t>(total % 1000000000);
  return MakeDuration(secs, nanos, out);
}

namespace {

void Quote(std::string& out, std::string_view s, char q) {
  out += q;
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(q)) {
          out += '\\';
          out += q;
        } else if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\x%02x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += q;
}

void DisplayTo(std::string& out, const Value& v, bool decimal_suffix) {
  switch (v.kind()) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += v.AsBool() ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.AsInt()); return;
    case Kind::kUint: out += std::to_string(v.AsUint()) + "u"; return;
    case Kind::kDouble: {
      std::string d = FormatDouble(v.AsDouble());
      // Keep doubles recognisable: 1 is written 1.0.
      if (d.find_first_of(".eIN") == std::string::npos) d += ".0";
      out += d;
      return;
    }
    case Kind::kDecimal: out += v.AsDecimal().ToString() + (decimal_suffix ? "m" : ""); return;
    case Kind::kString: Quote(out, v.AsText(), '"'); return;
    case Kind::kBytes: out += 'b'; Quote(out, v.AsText(), '"'); return;
    case Kind::kList: {
      out += '[';
      bool first = true;
      for (const Value& x : v.AsList()) {
        if (!first) out += ", ";
        first = false;
        DisplayTo(out, x, decimal_suffix);
      }
      out += ']';
      return;
    }
    case Kind::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.AsMap().entries) {
        if (!first) out += ", ";
        first = false;
        DisplayTo(out, k, decimal_suffix);
        out += ": ";
        DisplayTo(out, x, decimal_suffix);
      }
      out += '}';
      return;
    }
    case Kind::kTimestamp: out += "timestamp(\"" + FormatTimestamp(v.AsTime()) + "\")"; return;
    case Kind::kDuration: out += "duration(\"" + FormatDuration(v.AsTime()) + "\")"; return;
    case Kind::kType: out += v.AsTypeName(); return;
    case Kind::kError: out += (v.IsHold() ? "hold(" : "error(") + v.ErrorReason() + ")"; return;
  }
}

}  // namespace

std::string Display(const Value& v, bool decimal_suffix) {
  std::string out;
  DisplayTo(out, v, decimal_suffix);
  return out;
}

}  // namespace crmx::value
