// Defines the builtins beyond CEL's standard functions: CEL's string extensions (indexOf,
// substring, charAt, lowerAscii, quote, ...), CEL's math extensions (math.greatest, math.ceil,
// the bit operations, ...) and the standard modules of crmx (std.text, std.geo, std.phone,
// std.money, std.time, std.id), which wrap runtime/stdlib.
//
// Arguments are read in place (strings as views of the Value's bytes, decimals inline); only a
// result that is new text allocates. A failure of the standard library becomes an error value
// carrying its reason, so `??` and `hold` handle it like any other failure. A null argument to
// a function of a standard module gives null (docs/stdlib.md), except the arguments `format`
// prints.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "runtime/stdlib/geo.h"
#include "runtime/stdlib/id.h"
#include "runtime/stdlib/money.h"
#include "runtime/stdlib/phone.h"
#include "runtime/stdlib/text.h"
#include "runtime/stdlib/time.h"
#include "runtime/vm/vm.h"

namespace crmx::vm {

using decimal::Decimal;
using value::Kind;
using value::Time;
using value::Value;

namespace {

Value NoOverload(Builtin b, const Value* args, size_t n) {
  std::string s = std::string("no matching overload for '") + BuiltinName(b) + "' applied to (";
  for (size_t i = 0; i < n; ++i) s += std::string(i ? ", " : "") + value::TypeName(args[i]);
  return Value::Error(s + ")");
}

template <class T>
Value FromResult(const stdlib::Result<T>& r, Value (*make)(const T&)) {
  if (!r.ok()) return Value::Error(std::string(r.reason()));
  return make(*r);
}

Value Str(std::string s) { return Value::String(std::move(s)); }

Value StrResult(stdlib::Result<std::string>&& r) {
  if (!r.ok()) return Value::Error(std::string(r.reason()));
  return Value::String(std::move(r).value());
}

// A result that views static data (std.geo's codes): borrowed, no copy.
Value StaticStrResult(stdlib::Result<std::string_view>&& r) {
  if (!r.ok()) return Value::Error(std::string(r.reason()));
  return Value::StringView(r.value());
}

bool IsText(const Value& v) { return v.kind() == Kind::kString; }

// The byte length of the UTF-8 sequence starting with `c` (1 for a stray byte).
size_t SeqLen(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

int64_t CodePointCount(std::string_view s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size(); i += SeqLen(static_cast<unsigned char>(s[i]))) ++n;
  return n;
}

// The byte offset of code point `cp` (s.size() when cp is the count); npos when past the end.
size_t ByteOffset(std::string_view s, int64_t cp) {
  size_t i = 0;
  for (int64_t k = 0; k < cp; ++k) {
    if (i >= s.size()) return std::string_view::npos;
    i += SeqLen(static_cast<unsigned char>(s[i]));
  }
  return std::min(i, s.size());
}

Value IndexOf(const Value* args, size_t n, bool last) {
  std::string_view s = args[0].AsText(), sub = args[1].AsText();
  int64_t len = CodePointCount(s);
  int64_t start = last ? len : 0;
  if (n == 3) {
    start = args[2].AsInt();
    if (start < 0 || start > len) return Value::Error("index out of range: " + std::to_string(start));
  }
  size_t off = ByteOffset(s, start);
  size_t pos = last ? s.rfind(sub, off) : s.find(sub, off);
  if (pos == std::string_view::npos) return Value::Int(-1);
  return Value::Int(CodePointCount(s.substr(0, pos)));
}

Value Substring(const Value* args, size_t n) {
  std::string_view s = args[0].AsText();
  int64_t len = CodePointCount(s);
  int64_t start = args[1].AsInt(), end = n == 3 ? args[2].AsInt() : len;
  if (start < 0 || start > len) return Value::Error("index out of range: " + std::to_string(start));
  if (end < 0 || end > len) return Value::Error("index out of range: " + std::to_string(end));
  if (end < start) {
    return Value::Error("invalid substring range. start: " + std::to_string(start) + ", end: " + std::to_string(end));
  }
  size_t a = ByteOffset(s, start), b = ByteOffset(s, end);
  return Str(std::string(s.substr(a, b - a)));
}

Value CharAt(const Value* args) {
  std::string_view s = args[0].AsText();
  int64_t i = args[1].AsInt(), len = CodePointCount(s);
  if (i < 0 || i > len) return Value::Error("index out of range: " + std::to_string(i));
  size_t a = ByteOffset(s, i);
  if (a >= s.size()) return Str("");
  return Str(std::string(s.substr(a, SeqLen(static_cast<unsigned char>(s[a])))));
}

Value Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: out += c;
    }
  }
  return Str(out + "\"");
}

Value Reverse(std::string_view s) {
  std::string out(s.size(), '\0');
  size_t w = s.size();
  for (size_t i = 0; i < s.size();) {
    size_t k = std::min(SeqLen(static_cast<unsigned char>(s[i])), s.size() - i);
    w -= k;
    std::memcpy(out.data() + w, s.data() + i, k);
    i += k;
  }
  return Str(std::move(out));
}

// `s` with at most `count` occurrences of `from` replaced (all when count < 0).
Value ReplaceN(std::string_view s, std::string_view from, std::string_view to, int64_t count) {
  if (count < 0) return Str(stdlib::Replace(s, from, to));
  std::string out;
  size_t i = 0;
  for (int64_t k = 0; k < count; ++k) {
    if (from.empty()) {
      out.append(to);
      if (i >= s.size()) {
        i = s.size() + 1;
        break;
      }
      size_t l = std::min(SeqLen(static_cast<unsigned char>(s[i])), s.size() - i);
      out.append(s.substr(i, l));
      i += l;
      continue;
    }
    size_t p = s.find(from, i);
    if (p == std::string_view::npos) break;
    out.append(s.substr(i, p - i)).append(to);
    i = p + from.size();
  }
  if (i <= s.size()) out.append(s.substr(i));
  return Str(std::move(out));
}

// The pieces share the text's bytes (Value::Slice): splitting allocates the list, not a string
// per piece (`Phone.split("")` picks out characters).
Value SplitN(const Value& text, std::string_view sep, int64_t limit) {
  std::string_view s = text.AsText();
  std::vector<Value> parts;
  if (limit == 0) return Value::List({});
  if (limit < 0) {
    std::vector<std::string_view> views = stdlib::SplitViews(s, sep);
    parts.reserve(views.size());
    for (std::string_view p : views) parts.push_back(text.Slice(p));
    return Value::List(std::move(parts));
  }
  size_t i = 0;
  while (static_cast<int64_t>(parts.size()) + 1 < limit && i < s.size()) {
    if (sep.empty()) {
      size_t l = std::min(SeqLen(static_cast<unsigned char>(s[i])), s.size() - i);
      parts.push_back(text.Slice(s.substr(i, l)));
      i += l;
      continue;
    }
    size_t p = s.find(sep, i);
    if (p == std::string_view::npos) break;
    parts.push_back(text.Slice(s.substr(i, p - i)));
    i = p + sep.size();
  }
  if (i < s.size() || !sep.empty() || parts.empty()) parts.push_back(text.Slice(s.substr(i)));
  return Value::List(std::move(parts));
}

// How `%s` and lists inside format arguments show a value (cel-go's string formatting).
void FormatText(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += v.AsBool() ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.AsInt()); return;
    case Kind::kUint: out += std::to_string(v.AsUint()); return;
    case Kind::kDouble: {
      double d = v.AsDouble();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else out += value::FormatDouble(d);
      return;
    }
    case Kind::kDecimal: out += v.AsDecimal().ToString(); return;
    case Kind::kString:
    case Kind::kBytes: out.append(v.AsText()); return;
    case Kind::kList: {
      out += "[";
      bool first = true;
      for (const Value& x : v.AsList()) {
        if (!first) out += ", ";
        first = false;
        FormatText(x, out);
      }
      out += "]";
      return;
    }
    case Kind::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (const auto& [k, x] : v.AsMap().entries) {
        std::string ks, xs;
        FormatText(k, ks);
        FormatText(x, xs);
        entries.emplace_back(std::move(ks), std::move(xs));
      }
      std::sort(entries.begin(), entries.end());
      out += "{";
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out += ", ";
        out += entries[i].first + ": " + entries[i].second;
      }
      out += "}";
      return;
    }
    case Kind::kTimestamp: out += value::FormatTimestamp(v.AsTime()); return;
    case Kind::kDuration: out += value::FormatDuration(v.AsTime()); return;
    case Kind::kType: out += v.AsTypeName(); return;
    case Kind::kError: out += v.ErrorReason(); return;
  }
}

stdlib::DateTime ToDateTime(Time t) { return stdlib::DateTime{t.seconds * 1000000 + t.nanos / 1000}; }
stdlib::Date ToDate(Time t) {
  int64_t s = t.seconds;
  int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  return stdlib::Date{static_cast<int32_t>(days)};
}
Value FromDateTime(const stdlib::DateTime& d) {
  int64_t s = d.micros >= 0 ? d.micros / 1000000 : -((-d.micros + 999999) / 1000000);
  Time t;
  value::MakeTimestamp(s, (d.micros - s * 1000000) * 1000, t);
  return Value::Timestamp(t);
}
// A date is a timestamp at midnight UTC in the VM.
Value FromDate(const stdlib::Date& d) { return Value::Timestamp(Time{int64_t{d.days} * 86400, 0}); }

bool ToDecimalArg(const Value& v, Decimal& out) {
  switch (v.kind()) {
    case Kind::kDecimal: out = v.AsDecimal(); return true;
    case Kind::kInt: out = Decimal::FromInt(v.AsInt()); return true;
    case Kind::kUint: {
      auto r = Decimal::FromParts(static_cast<decimal::Int128>(v.AsUint()), 0);
      if (!r.ok()) return false;
      out = *r;
      return true;
    }
    case Kind::kDouble: {
      auto r = Decimal::FromDouble(v.AsDouble());
      if (!r.ok()) return false;
      out = *r;
      return true;
    }
    default: return false;
  }
}

double AsDoubleArg(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt: return static_cast<double>(v.AsInt());
    case Kind::kUint: return static_cast<double>(v.AsUint());
    case Kind::kDecimal: return v.AsDecimal().ToDouble();
    default: return v.AsDouble();
  }
}

Value GreatestLeast(Builtin b, const Value* args, size_t n) {
  const Value* items = args;
  size_t count = n;
  if (n == 1 && args[0].kind() == Kind::kList) {
    items = args[0].AsList().data();
    count = args[0].AsList().size();
    if (count == 0) return Value::Error(std::string(BuiltinName(b)) + "(list) argument must not be empty");
  }
  const Value* best = nullptr;
  for (size_t i = 0; i < count; ++i) {
    const Value& x = items[i];
    if (x.IsError()) return x;
    if (!x.IsNumber()) return NoOverload(b, args, n);
    if (best == nullptr) {
      best = &x;
      continue;
    }
    value::Order o = value::Compare(x, *best);
    if (o == value::Order::kNoOverload) return NoOverload(b, args, n);
    if ((b == Builtin::kMathGreatest && o == value::Order::kGreater) || (b == Builtin::kMathLeast && o == value::Order::kLess)) {
      best = &x;
    }
  }
  return *best;
}

bool IsIntegral(const Value& v) { return v.kind() == Kind::kInt || v.kind() == Kind::kUint; }

Value Bits(Builtin b, const Value* args, size_t n) {
  const Value& x = args[0];
  if (b == Builtin::kBitNot) {
    if (x.kind() == Kind::kInt) return Value::Int(~x.AsInt());
    if (x.kind() == Kind::kUint) return Value::Uint(~x.AsUint());
    return NoOverload(b, args, n);
  }
  const Value& y = args[1];
  if (b == Builtin::kBitShiftLeft || b == Builtin::kBitShiftRight) {
    if (!IsIntegral(x) || y.kind() != Kind::kInt) return NoOverload(b, args, n);
    int64_t s = y.AsInt();
    if (s < 0) return Value::Error(std::string(BuiltinName(b)) + "() negative offset: " + std::to_string(s));
    uint64_t bits = x.kind() == Kind::kInt ? static_cast<uint64_t>(x.AsInt()) : x.AsUint();
    uint64_t r = s >= 64 ? 0 : b == Builtin::kBitShiftLeft ? bits << s : bits >> s;
    return x.kind() == Kind::kInt ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
  }
  if (x.kind() != y.kind() || !IsIntegral(x)) return NoOverload(b, args, n);
  uint64_t a = x.kind() == Kind::kInt ? static_cast<uint64_t>(x.AsInt()) : x.AsUint();
  uint64_t c = y.kind() == Kind::kInt ? static_cast<uint64_t>(y.AsInt()) : y.AsUint();
  uint64_t r = b == Builtin::kBitAnd ? (a & c) : b == Builtin::kBitOr ? (a | c) : (a ^ c);
  return x.kind() == Kind::kInt ? Value::Int(static_cast<int64_t>(r)) : Value::Uint(r);
}

Value Math(Builtin b, const Value* args, size_t n) {
  const Value& x = args[0];
  switch (b) {
    case Builtin::kMathGreatest:
    case Builtin::kMathLeast: return GreatestLeast(b, args, n);
    case Builtin::kMathCeil:
    case Builtin::kMathFloor:
    case Builtin::kMathRound:
    case Builtin::kMathTrunc: {
      if (x.kind() != Kind::kDouble) return NoOverload(b, args, n);
      double d = x.AsDouble();
      return Value::Double(b == Builtin::kMathCeil    ? std::ceil(d)
                           : b == Builtin::kMathFloor ? std::floor(d)
                           : b == Builtin::kMathRound ? std::round(d)
                                                      : std::trunc(d));
    }
    case Builtin::kMathAbs:
      switch (x.kind()) {
        case Kind::kInt:
          if (x.AsInt() == INT64_MIN) return Value::Error("integer overflow");
          return Value::Int(x.AsInt() < 0 ? -x.AsInt() : x.AsInt());
        case Kind::kUint: return x;
        case Kind::kDouble: return Value::Double(std::fabs(x.AsDouble()));
        case Kind::kDecimal: return Value::Dec(x.AsDecimal().Abs());
        default: return NoOverload(b, args, n);
      }
    case Builtin::kMathSign:
      switch (x.kind()) {
        case Kind::kInt: return Value::Int(x.AsInt() > 0 ? 1 : x.AsInt() < 0 ? -1 : 0);
        case Kind::kUint: return Value::Uint(x.AsUint() > 0 ? 1 : 0);
        case Kind::kDouble: {
          double d = x.AsDouble();
          return Value::Double(std::isnan(d) ? d : d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0);
        }
        case Kind::kDecimal: return Value::Int(x.AsDecimal().Sign());
        default: return NoOverload(b, args, n);
      }
    case Builtin::kMathIsInf:
    case Builtin::kMathIsNaN:
    case Builtin::kMathIsFinite: {
      if (!x.IsNumber()) return NoOverload(b, args, n);
      double d = AsDoubleArg(x);
      return Value::Bool(b == Builtin::kMathIsInf ? std::isinf(d) : b == Builtin::kMathIsNaN ? std::isnan(d) : std::isfinite(d));
    }
    default: return Bits(b, args, n);
  }
}

// The CEL string extensions: every argument's kind is checked here (the checker may have been
// skipped).
Value StringExt(Builtin b, const Value* args, size_t n) {
  if (!IsText(args[0])) return NoOverload(b, args, n);
  switch (b) {
    case Builtin::kIndexOf:
    case Builtin::kLastIndexOf:
      if (!IsText(args[1]) || (n == 3 && args[2].kind() != Kind::kInt)) return NoOverload(b, args, n);
      return IndexOf(args, n, b == Builtin::kLastIndexOf);
    case Builtin::kSubstring:
      if (args[1].kind() != Kind::kInt || (n == 3 && args[2].kind() != Kind::kInt)) return NoOverload(b, args, n);
      return Substring(args, n);
    case Builtin::kCharAt:
      if (args[1].kind() != Kind::kInt) return NoOverload(b, args, n);
      return CharAt(args);
    case Builtin::kLowerAscii:
    case Builtin::kUpperAscii: {
      std::string s(args[0].AsText());
      for (char& c : s) {
        if (b == Builtin::kLowerAscii && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (b == Builtin::kUpperAscii && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      return Str(std::move(s));
    }
    case Builtin::kReverse: return Reverse(args[0].AsText());
    case Builtin::kQuote: return Quote(args[0].AsText());
    default: return NoOverload(b, args, n);
  }
}

}  // namespace

Value VM::CallClock(Builtin b, Value* args, size_t n) {
  if (!has_clock_) return Value::Error(std::string(BuiltinName(b)) + "() has no clock here");
  if (b == Builtin::kNow) return Value::Timestamp(clock_);
  if (n == 0) return FromDate(ToDate(clock_));
  if (args[0].IsNull()) return Value::Null();
  if (!IsText(args[0])) return NoOverload(b, args, n);
  return FromResult<stdlib::Date>(stdlib::DateOf(ToDateTime(clock_), args[0].AsText()), FromDate);
}

Value VM::CallExtension(Builtin b, Value* args, size_t n) {
  if (b < Builtin::kMathGreatest) return StringExt(b, args, n);
  if (b < kFirstStdBuiltin) return Math(b, args, n);
  // The standard modules: a null argument gives null (but `format` prints a null argument).
  for (size_t i = 0; i < (b == Builtin::kFormat ? 1 : n); ++i) {
    if (args[i].IsNull()) return Value::Null();
  }
  const Value& x = args[0];
  auto text = [&](size_t i) { return IsText(args[i]); };
  switch (b) {
    case Builtin::kTrim:
      if (!text(0)) break;
      // Trimmed borrowed text borrows the same bytes (no copy): it lives as long as its input.
      if (x.IsBorrowed()) return Value::StringView(stdlib::TrimView(x.AsText()));
      return Str(stdlib::Trim(x.AsText()));
    case Builtin::kUpper:
    case Builtin::kLower:
      if (!text(0)) break;
      return Str(b == Builtin::kUpper ? stdlib::Upper(x.AsText()) : stdlib::Lower(x.AsText()));
    case Builtin::kTruncate:
      if (!text(0) || args[1].kind() != Kind::kInt) break;
      return Str(stdlib::Truncate(x.AsText(), args[1].AsInt()));
    case Builtin::kReplace:
      if (!text(0) || !text(1) || !text(2) || (n == 4 && args[3].kind() != Kind::kInt)) break;
      return ReplaceN(x.AsText(), args[1].AsText(), args[2].AsText(), n == 4 ? args[3].AsInt() : -1);
    case Builtin::kSplit:
      if (!text(0) || !text(1) || (n == 3 && args[2].kind() != Kind::kInt)) break;
      return SplitN(x, args[1].AsText(), n == 3 ? args[2].AsInt() : -1);
    case Builtin::kJoin: {
      if (x.kind() != Kind::kList || (n == 2 && !text(1))) break;
      std::string_view sep = n == 2 ? args[1].AsText() : std::string_view();
      std::string out;
      bool first = true;
      for (const Value& e : x.AsList()) {
        if (!IsText(e)) return Value::Error(std::string("join: the list holds a ") + value::TypeName(e) + ", not a string");
        if (!first) out.append(sep);
        first = false;
        out.append(e.AsText());
      }
      return Str(std::move(out));
    }
    case Builtin::kFormat: {
      if (!text(0)) break;
      // CEL's form: fmt.format([args]); crmx's: format(fmt, args...).
      const Value* items = args + 1;
      size_t count = n - 1;
      if (n == 2 && args[1].kind() == Kind::kList) {
        items = args[1].AsList().data();
        count = args[1].AsList().size();
      }
      std::array<stdlib::FormatArg, 16> fixed;
      std::vector<stdlib::FormatArg> many;
      stdlib::FormatArg* fa = fixed.data();
      if (count > fixed.size()) {
        many.resize(count);
        fa = many.data();
      }
      // Views into scratch_ must stay put: reserve before filling.
      scratch_.clear();
      if (scratch_.capacity() < count) scratch_.reserve(count);
      for (size_t i = 0; i < count; ++i) {
        const Value& v = items[i];
        switch (v.kind()) {
          case Kind::kNull: fa[i] = std::monostate(); break;
          case Kind::kBool: fa[i] = v.AsBool(); break;
          case Kind::kInt: fa[i] = v.AsInt(); break;
          case Kind::kUint: fa[i] = v.AsUint(); break;
          case Kind::kDouble: fa[i] = v.AsDouble(); break;
          case Kind::kDecimal: fa[i] = v.AsDecimal(); break;
          case Kind::kString: fa[i] = v.AsText(); break;
          case Kind::kError: return v;
          default: {
            scratch_.emplace_back();
            FormatText(v, scratch_.back());
            fa[i] = std::string_view(scratch_.back());
            break;
          }
        }
      }
      // CEL prints a bool under %b as 1 or 0, and NaN and the infinities under %d as text.
      std::string_view fmt = x.AsText();
      std::string rewritten;
      size_t arg = 0;
      for (size_t i = 0; i + 1 < fmt.size(); ++i) {
        if (fmt[i] != '%') continue;
        size_t j = i + 1;
        if (fmt[j] == '%') {
          i = j;
          continue;
        }
        while (j < fmt.size() && (fmt[j] == '.' || (fmt[j] >= '0' && fmt[j] <= '9'))) ++j;
        if (j >= fmt.size() || arg >= count) break;
        const Value& v = items[arg];
        if (fmt[j] == 'b' && v.kind() == Kind::kBool) fa[arg] = int64_t{v.AsBool() ? 1 : 0};
        if (fmt[j] == 'd' && v.kind() == Kind::kDouble && !std::isfinite(v.AsDouble())) {
          double d = v.AsDouble();
          fa[arg] = std::string_view(std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
          if (rewritten.empty()) rewritten = fmt;
          rewritten[j] = 's';
        }
        ++arg;
        i = j;
      }
      if (!rewritten.empty()) fmt = rewritten;
      return StrResult(stdlib::Format(fmt, std::span<const stdlib::FormatArg>(fa, count)));
    }
    case Builtin::kStateCode:
    case Builtin::kCountryCode:
      if (!text(0)) break;
      return StaticStrResult(b == Builtin::kStateCode ? stdlib::StateCode(x.AsText()) : stdlib::CountryCode(x.AsText()));
    case Builtin::kCurrencyOf:
    case Builtin::kSfId18:
      if (!text(0)) break;
      return StrResult(b == Builtin::kCurrencyOf ? stdlib::CurrencyOf(x.AsText()) : stdlib::SfId18(x.AsText()));
    case Builtin::kDigits:
      if (!text(0)) break;
      return Str(stdlib::Digits(x.AsText()));
    case Builtin::kReReplace:
      if (!text(0) || !text(1) || !text(2)) break;
      return StrResult(stdlib::ReReplace(x.AsText(), args[1].AsText(), args[2].AsText()));
    case Builtin::kReExtract:
      if (!text(0) || !text(1)) break;
      return StrResult(stdlib::ReExtract(x.AsText(), args[1].AsText()));
    case Builtin::kE164:
      if (!text(0) || (n == 2 && !text(1))) break;
      return StrResult(stdlib::E164(x.AsText(), n == 2 ? args[1].AsText() : std::string_view()));
    case Builtin::kRound: {
      Decimal d;
      if (x.kind() == Kind::kDouble || !ToDecimalArg(x, d) || !IsIntegral(args[1])) break;
      int64_t scale = args[1].kind() == Kind::kInt ? args[1].AsInt() : static_cast<int64_t>(std::min<uint64_t>(args[1].AsUint(), 1000));
      return FromResult<Decimal>(stdlib::Round(d, scale), [](const Decimal& r) { return Value::Dec(r); });
    }
    case Builtin::kConvert: {
      Decimal d;
      if (!ToDecimalArg(x, d) || !text(1) || !text(2) || args[3].kind() != Kind::kMap) break;
      stdlib::RateTable rates;
      for (const auto& [k, v] : args[3].AsMap().entries) {
        Decimal r;
        if (!IsText(k) || !ToDecimalArg(v, r)) return Value::Error("convert: the rate table must map currency codes to numbers");
        rates.emplace(std::string(k.AsText()), r);
      }
      return FromResult<Decimal>(stdlib::Convert(d, args[1].AsText(), args[2].AsText(), rates),
                                 [](const Decimal& r) { return Value::Dec(r); });
    }
    case Builtin::kParseDate:
      if (!text(0) || !text(1)) break;
      return FromResult<stdlib::Date>(stdlib::ParseDate(x.AsText(), args[1].AsText()), FromDate);
    case Builtin::kParseDatetime:
      if (!text(0) || !text(1) || (n == 3 && !text(2))) break;
      return FromResult<stdlib::DateTime>(
          stdlib::ParseDateTime(x.AsText(), args[1].AsText(), n == 3 ? args[2].AsText() : std::string_view("UTC")),
          FromDateTime);
    case Builtin::kDate:
      if (x.kind() == Kind::kTimestamp) return FromDate(ToDate(x.AsTime()));
      if (!text(0)) break;
      return FromResult<stdlib::Date>(stdlib::ParseDate(x.AsText(), "%Y-%m-%d"), FromDate);
    case Builtin::kFormatDate:
      if (x.kind() != Kind::kTimestamp || !text(1)) break;
      return StrResult(stdlib::FormatDate(ToDate(x.AsTime()), args[1].AsText()));
    case Builtin::kFormatDatetime:
      if (x.kind() != Kind::kTimestamp || !text(1) || (n == 3 && !text(2))) break;
      return StrResult(stdlib::FormatDateTime(ToDateTime(x.AsTime()), args[1].AsText(),
                                              n == 3 ? args[2].AsText() : std::string_view("UTC")));
    default: break;
  }
  return NoOverload(b, args, n);
}

}  // namespace crmx::vm
