// Defines the interpreter loop of the VM and CEL's arithmetic on values.
#include "runtime/vm/vm.h"

#include <re2/re2.h>
#include <unicode/utf8.h>

#include <cmath>
#include <cstring>

#include "runtime/stdlib/result.h"

// The fused operations' helpers in VM::Run are lambdas the loop must inline.
#if defined(__GNUC__)
#define CRMX_VM_INLINE __attribute__((always_inline))
#else
#define CRMX_VM_INLINE
#endif

namespace crmx::vm {

using value::Kind;
using value::Time;
using value::Value;
using decimal::Decimal;

namespace {

Value NoOverload(const char* op, const Value& a, const Value& b) {
  return Value::Error(std::string("no matching overload for '") + op + "' applied to (" + value::TypeName(a) + ", " +
                      value::TypeName(b) + ")");
}

Value Overflow() { return Value::Error("integer overflow"); }

// Promotes an int or uint to a decimal.
Decimal ToDec(const Value& v) {
  if (v.kind() == Kind::kDecimal) return v.AsDecimal();
  if (v.kind() == Kind::kInt) return Decimal::FromInt(v.AsInt());
  auto r = Decimal::FromParts(static_cast<decimal::Int128>(v.AsUint()), 0);
  return r.ok() ? *r : Decimal();
}

double ToDouble(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt: return static_cast<double>(v.AsInt());
    case Kind::kUint: return static_cast<double>(v.AsUint());
    case Kind::kDecimal: return v.AsDecimal().ToDouble();
    default: return v.AsDouble();
  }
}

Value FromDec(const decimal::DecimalResult<Decimal>& r) {
  if (!r.ok()) return Value::Error(std::string(r.reason()));
  return Value::Dec(*r);
}

// Which arithmetic applies to two numbers: crmx mixes int with double (double) and int with
// decimal (decimal), as docs/types.md says; decimal with double has no overload.
enum class Arith { kInt, kUint, kDouble, kDecimal, kNone };
Arith ArithOf(const Value& a, const Value& b) {
  Kind x = a.kind(), y = b.kind();
  if (!a.IsNumber() || !b.IsNumber()) return Arith::kNone;
  if (x == y) {
    switch (x) {
      case Kind::kInt: return Arith::kInt;
      case Kind::kUint: return Arith::kUint;
      case Kind::kDouble: return Arith::kDouble;
      default: return Arith::kDecimal;
    }
  }
  bool dbl = x == Kind::kDouble || y == Kind::kDouble;
  bool dec = x == Kind::kDecimal || y == Kind::kDecimal;
  if (dbl && dec) return Arith::kNone;
  if (dbl) return Arith::kDouble;
  if (dec) return Arith::kDecimal;
  // int with uint: CEL has no such overload.
  return Arith::kNone;
}

Value TimeAdd(const Value& t, const Value& d, bool subtract) {
  Time a = t.AsTime(), b = d.AsTime();
  int64_t s;
  int64_t bs = subtract ? -b.seconds : b.seconds;
  int64_t bn = subtract ? -b.nanos : b.nanos;
  if (__builtin_add_overflow(a.seconds, bs, &s)) return Value::Error("timestamp out of range");
  Time out;
  if (t.kind() == Kind::kTimestamp) {
    if (!value::MakeTimestamp(s, a.nanos + bn, out)) return Value::Error("timestamp out of range");
    return Value::Timestamp(out);
  }
  if (!value::MakeDuration(s, a.nanos + bn, out)) return Value::Error("duration out of range");
  return Value::Duration(out);
}

}  // namespace

Value Add(const Value& a, const Value& b) {
  switch (ArithOf(a, b)) {
    case Arith::kInt: {
      int64_t r;
      if (__builtin_add_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
      return Value::Int(r);
    }
    case Arith::kUint: {
      uint64_t r;
      if (__builtin_add_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
      return Value::Uint(r);
    }
    case Arith::kDouble: return Value::Double(ToDouble(a) + ToDouble(b));
    case Arith::kDecimal: return FromDec(ToDec(a).Add(ToDec(b)));
    case Arith::kNone: break;
  }
  if (a.kind() == b.kind()) {
    if (a.kind() == Kind::kString || a.kind() == Kind::kBytes) {
      std::string s;
      s.reserve(a.AsText().size() + b.AsText().size());
      s.append(a.AsText()).append(b.AsText());
      return a.kind() == Kind::kString ? Value::String(std::move(s)) : Value::Bytes(std::move(s));
    }
    if (a.kind() == Kind::kList) {
      if (b.AsList().empty()) return a;
      if (a.AsList().empty()) return b;
      std::vector<Value> items;
      items.reserve(a.AsList().size() + b.AsList().size());
      items.insert(items.end(), a.AsList().begin(), a.AsList().end());
      items.insert(items.end(), b.AsList().begin(), b.AsList().end());
      return Value::List(std::move(items));
    }
    if (a.kind() == Kind::kDuration) return TimeAdd(a, b, false);
  }
  if (a.kind() == Kind::kTimestamp && b.kind() == Kind::kDuration) return TimeAdd(a, b, false);
  if (a.kind() == Kind::kDuration && b.kind() == Kind::kTimestamp) return TimeAdd(b, a, false);
  return NoOverload("_+_", a, b);
}

Value Sub(const Value& a, const Value& b) {
  switch (ArithOf(a, b)) {
    case Arith::kInt: {
      int64_t r;
      if (__builtin_sub_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
      return Value::Int(r);
    }
    case Arith::kUint: {
      uint64_t r;
      if (__builtin_sub_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
      return Value::Uint(r);
    }
    case Arith::kDouble: return Value::Double(ToDouble(a) - ToDouble(b));
    case Arith::kDecimal: return FromDec(ToDec(a).Sub(ToDec(b)));
    case Arith::kNone: break;
  }
  if (b.kind() == Kind::kDuration && (a.kind() == Kind::kTimestamp || a.kind() == Kind::kDuration)) {
    return TimeAdd(a, b, true);
  }
  if (a.kind() == Kind::kTimestamp && b.kind() == Kind::kTimestamp) {
    Time x = a.AsTime(), y = b.AsTime(), out;
    if (!value::MakeDuration(x.seconds - y.seconds, int64_t{x.nanos} - y.nanos, out)) {
      return Value::Error("duration out of range");
    }
    return Value::Duration(out);
  }
  return NoOverload("_-_", a, b);
}

Value Mul(const Value& a, const Value& b) {
  switch (ArithOf(a, b)) {
    case Arith::kInt: {
      int64_t r;
      if (__builtin_mul_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
      return Value::Int(r);
    }
    case Arith::kUint: {
      uint64_t r;
      if (__builtin_mul_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
      return Value::Uint(r);
    }
    case Arith::kDouble: return Value::Double(ToDouble(a) * ToDouble(b));
    case Arith::kDecimal: return FromDec(ToDec(a).Mul(ToDec(b)));
    case Arith::kNone: break;
  }
  return NoOverload("_*_", a, b);
}

namespace {

// Decimal quotient: exact when it terminates within 16 fraction digits, else rounded half-even
// at 16 (never fewer digits than the operands' larger scale).
Value DecDiv(const Decimal& x, const Decimal& y) {
  if (y.IsZero()) return Value::Error("division by zero");
  int keep = std::max(x.Scale(), y.Scale());
  for (int scale = std::max(16, keep); scale >= keep; scale -= 4) {
    auto q = x.Div(y, scale, decimal::Rounding::kHalfEven);
    if (!q.ok()) {
      if (q.error() == decimal::Errc::kOverflow) continue;
      return Value::Error(std::string(q.reason()));
    }
    Decimal n = q->Normalize();
    if (n.Scale() < keep) {
      auto r = n.Round(keep, decimal::Rounding::kHalfEven);
      if (r.ok()) n = *r;
    }
    return Value::Dec(n);
  }
  return Value::Error(std::string(decimal::Reason(decimal::Errc::kOverflow)));
}

}  // namespace

Value Div(const Value& a, const Value& b) {
  switch (ArithOf(a, b)) {
    case Arith::kInt:
      if (b.AsInt() == 0) return Value::Error("division by zero");
      if (a.AsInt() == INT64_MIN && b.AsInt() == -1) return Overflow();
      return Value::Int(a.AsInt() / b.AsInt());
    case Arith::kUint:
      if (b.AsUint() == 0) return Value::Error("division by zero");
      return Value::Uint(a.AsUint() / b.AsUint());
    case Arith::kDouble: return Value::Double(ToDouble(a) / ToDouble(b));
    case Arith::kDecimal: return DecDiv(ToDec(a), ToDec(b));
    case Arith::kNone: break;
  }
  return NoOverload("_/_", a, b);
}

Value Mod(const Value& a, const Value& b) {
  switch (ArithOf(a, b)) {
    case Arith::kInt:
      if (b.AsInt() == 0) return Value::Error("modulus by zero");
      if (a.AsInt() == INT64_MIN && b.AsInt() == -1) return Overflow();
      return Value::Int(a.AsInt() % b.AsInt());
    case Arith::kUint:
      if (b.AsUint() == 0) return Value::Error("modulus by zero");
      return Value::Uint(a.AsUint() % b.AsUint());
    case Arith::kDecimal: {
      Decimal x = ToDec(a), y = ToDec(b);
      if (y.IsZero()) return Value::Error("modulus by zero");
      auto q = x.Div(y, 0, decimal::Rounding::kDown);
      if (!q.ok()) return Value::Error(std::string(q.reason()));
      auto p = q->Mul(y);
      if (!p.ok()) return Value::Error(std::string(p.reason()));
      return FromDec(x.Sub(*p));
    }
    default: break;
  }
  return NoOverload("_%_", a, b);
}

Value Negate(const Value& a) {
  switch (a.kind()) {
    case Kind::kInt:
      if (a.AsInt() == INT64_MIN) return Overflow();
      return Value::Int(-a.AsInt());
    case Kind::kDouble: return Value::Double(-a.AsDouble());
    case Kind::kDecimal: return Value::Dec(a.AsDecimal().Negate());
    case Kind::kDuration: {
      Time t = a.AsTime(), out;
      if (!value::MakeDuration(-t.seconds, -int64_t{t.nanos}, out)) return Value::Error("duration out of range");
      return Value::Duration(out);
    }
    default: return Value::Error(std::string("no matching overload for '-_' applied to (") + value::TypeName(a) + ")");
  }
}

// ------------------------------------------------------------------------------ the loop

VM::VM() { stack_.resize(64); }
VM::~VM() = default;

const re2::RE2* VM::Regex(std::string_view pattern, std::string& error) {
  auto it = regexes_.find(std::string(pattern));
  if (it == regexes_.end()) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
    it = regexes_.emplace(std::string(pattern), std::move(re)).first;
  }
  if (!it->second->ok()) {
    // The reason std.text's Matches gives (docs/stdlib.md).
    error = "invalid regular expression " + stdlib::Quote(pattern) + ": " + it->second->error();
    return nullptr;
  }
  return it->second.get();
}

namespace {

Value CompareOp(Op op, const Value& a, const Value& b) {
  const char* name = op == Op::kLt ? "_<_" : op == Op::kLe ? "_<=_" : op == Op::kGt ? "_>_" : "_>=_";
  value::Order o = value::Compare(a, b);
  if (o == value::Order::kNoOverload) return NoOverload(name, a, b);
  if (o == value::Order::kUnordered) return Value::Bool(false);
  int c = static_cast<int>(o);
  switch (op) {
    case Op::kLt: return Value::Bool(c < 0);
    case Op::kLe: return Value::Bool(c <= 0);
    case Op::kGt: return Value::Bool(c > 0);
    default: return Value::Bool(c >= 0);
  }
}

// value::Equal, with two strings (the usual comparison) and null answered first.
inline bool EqualValues(const Value& a, const Value& b) {
  if (a.kind() == Kind::kString && b.kind() == Kind::kString) {
    std::string_view x = a.AsText(), y = b.AsText();
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size()) == 0;
  }
  if (a.IsNull() || b.IsNull()) return a.kind() == b.kind();
  return value::Equal(a, b);
}

Value In(const Value& elem, const Value& container) {
  if (container.kind() == Kind::kList) {
    for (const Value& x : container.AsList()) {
      if (EqualValues(elem, x)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (container.kind() == Kind::kMap) return Value::Bool(container.AsMap().Find(elem) != nullptr);
  return NoOverload("@in", elem, container);
}

Value Index(const Value& base, const Value& index) {
  if (base.kind() == Kind::kList) {
    int64_t i;
    const auto& items = base.AsList();
    switch (index.kind()) {
      case Kind::kInt: i = index.AsInt(); break;
      case Kind::kUint:
        if (index.AsUint() > static_cast<uint64_t>(INT64_MAX)) return Value::Error("index out of range");
        i = static_cast<int64_t>(index.AsUint());
        break;
      case Kind::kDouble: {
        double d = index.AsDouble();
        if (d != std::trunc(d) || std::isnan(d)) return Value::Error("unsupported index value: not an integer");
        if (d < 0 || d >= static_cast<double>(items.size())) return Value::Error("index out of range");
        i = static_cast<int64_t>(d);
        break;
      }
      default: return NoOverload("_[_]", base, index);
    }
    if (i < 0 || static_cast<uint64_t>(i) >= items.size()) {
      return Value::Error("index out of range: " + std::to_string(i));
    }
    return items[static_cast<size_t>(i)];
  }
  if (base.kind() == Kind::kMap) {
    switch (index.kind()) {
      case Kind::kList:
      case Kind::kMap:
      case Kind::kNull:
      case Kind::kType:
        return Value::Error(std::string("unsupported key type: ") + value::TypeName(index));
      default: break;
    }
    if (const Value* v = base.AsMap().Find(index)) return *v;
    return Value::Error("no such key: " + value::Display(index));
  }
  return NoOverload("_[_]", base, index);
}

bool IsMapKey(const Value& k) {
  Kind x = k.kind();
  return x == Kind::kInt || x == Kind::kUint || x == Kind::kBool || x == Kind::kString;
}

// `a op b` for the binary operations kAdd .. kIn and kIndex, neither operand an error.
Value BinaryOf(Op op, const Value& a, const Value& b) {
  switch (op) {
    case Op::kAdd: return Add(a, b);
    case Op::kSub: return Sub(a, b);
    case Op::kMul: return Mul(a, b);
    case Op::kDiv: return Div(a, b);
    case Op::kMod: return Mod(a, b);
    case Op::kEq: return Value::Bool(EqualValues(a, b));
    case Op::kNe: return Value::Bool(!EqualValues(a, b));
    case Op::kIn: return In(a, b);
    case Op::kIndex: return Index(a, b);
    default: return CompareOp(op, a, b);
  }
}

}  // namespace

// The operations on operand slots (vm.h), VM::Run's and the JIT's.
void ApplyBinary(Op op, Value& a, Value b) {
  // Errors propagate: the left one first (CEL reports either).
  if (a.IsError()) return;
  if (b.IsError()) {
    a = std::move(b);
    return;
  }
  switch (op) {
    case Op::kEq: a = Value::Bool(EqualValues(a, b)); break;
    case Op::kNe: a = Value::Bool(!EqualValues(a, b)); break;
    default: a = BinaryOf(op, a, b); break;
  }
}

void ApplyNot(Value& a) {
  if (a.IsBool()) a = Value::Bool(!a.AsBool());
  else if (!a.IsError()) a = Value::Error(std::string("no matching overload for '!_' applied to (") + value::TypeName(a) + ")");
}

void ApplyLogic(Op op, Value& a, Value b) {
  bool is_and = op == Op::kAnd;
  const char* name = is_and ? "_&&_" : "_||_";
  // The absorbing value (false for &&, true for ||) wins over errors on either side.
  auto absorbing = [&](const Value& v) { return is_and ? v.IsFalse() : v.IsTrue(); };
  if (absorbing(a)) return;
  if (absorbing(b)) {
    a = std::move(b);
    return;
  }
  if (a.IsBool() && b.IsBool()) {
    a = std::move(b);
    return;
  }
  if (a.IsError()) return;
  if (b.IsError()) {
    a = std::move(b);
    return;
  }
  a = NoOverload(name, a, b);
}

void ApplySelect(Op op, Value& a, const Value& name) {
  if (a.IsError()) return;
  if (a.kind() != Kind::kMap) {
    a = Value::Error(std::string("no such field `") + std::string(name.AsText()) + "` in a value of type " +
                     value::TypeName(a));
    return;
  }
  const Value* v = a.AsMap().Find(name);
  if (op == Op::kHas) a = Value::Bool(v != nullptr);
  else if (v != nullptr) a = Value(*v);
  else a = Value::Error("no such key: " + std::string(name.AsText()));
}

void ApplyIndex(Value& a, Value i) {
  if (a.IsError()) return;
  if (i.IsError()) {
    a = std::move(i);
    return;
  }
  a = Index(a, i);
}

Value MakeList(Value* items, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (items[i].IsError()) return items[i];
  return Value::List(std::vector<Value>(std::make_move_iterator(items), std::make_move_iterator(items + n)));
}

Value MakeMap(Value* kv, size_t count) {
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(count);
  for (size_t i = 0; i < 2 * count; i += 2) {
    Value& k = kv[i];
    Value& v = kv[i + 1];
    if (k.IsError()) return k;
    if (v.IsError()) return v;
    if (!IsMapKey(k)) return Value::Error(std::string("unsupported key type: ") + value::TypeName(k));
    entries.emplace_back(std::move(k), std::move(v));
  }
  return Value::Map(std::move(entries));
}

bool TextFilterValid(const Value& filter) {
  if (filter.kind() != Kind::kList) return false;
  const std::vector<Value>& code = filter.AsList();
  if (code.empty() || code[0].kind() != Kind::kString) return false;
  size_t depth = 0;
  for (size_t i = 1; i < code.size(); ++i) {
    if (code[i].kind() != Kind::kInt || code[i].AsInt() < 0 ||
        code[i].AsInt() > static_cast<int64_t>(CharTestStep::kCharNot))
      return false;
    auto step = static_cast<CharTestStep>(code[i].AsInt());
    if (step <= CharTestStep::kCharNe) {
      if (++i >= code.size() || code[i].kind() != Kind::kString || ++depth > kMaxCharTestDepth) return false;
    } else if (step == CharTestStep::kCharNot) {
      if (depth < 1) return false;
    } else {
      if (depth < 2) return false;
      --depth;
    }
  }
  return depth == 1;
}

bool CharTestHolds(const Value& filter, std::string_view ch) {
  bool stack[kMaxCharTestDepth];
  size_t top = 0;
  const std::vector<Value>& code = filter.AsList();
  for (size_t i = 1; i < code.size(); ++i) {
    auto step = static_cast<CharTestStep>(code[i].AsInt());
    switch (step) {
      case CharTestStep::kCharAnd:
        --top;
        stack[top - 1] = stack[top - 1] && stack[top];
        break;
      case CharTestStep::kCharOr:
        --top;
        stack[top - 1] = stack[top - 1] || stack[top];
        break;
      case CharTestStep::kCharNot: stack[top - 1] = !stack[top - 1]; break;
      default: {
        // Value::Compare's order of strings: bytewise.
        int c = ch.compare(code[++i].AsText());
        bool r = false;
        switch (step) {
          case CharTestStep::kCharLt: r = c < 0; break;
          case CharTestStep::kCharLe: r = c <= 0; break;
          case CharTestStep::kCharGt: r = c > 0; break;
          case CharTestStep::kCharGe: r = c >= 0; break;
          case CharTestStep::kCharEq: r = c == 0; break;
          default: r = c != 0; break;
        }
        stack[top++] = r;
        break;
      }
    }
  }
  return top == 1 && stack[0];
}

const VM::AsciiAnswers& VM::AsciiAnswersOf(const Value& filter) {
  std::unique_ptr<AsciiAnswers>& answers = ascii_answers_[&filter.AsList()];
  if (!answers) {
    answers = std::make_unique<AsciiAnswers>();
    answers->filter = filter;
    for (int c = 0; c < 128; ++c) {
      char ch = static_cast<char>(c);
      answers->holds[c] = CharTestHolds(filter, std::string_view(&ch, 1));
    }
  }
  return *answers;
}

Value VM::FilterText(const Value& text, const Value& filter) {
  if (text.kind() != Kind::kString) {
    // What split(""), then the macro's range check, then join make of it: split's null (for
    // null) or its error, and a null range is no list to filter.
    if (text.IsError()) return text;
    Value args[] = {text, Value::String("")};
    Value parts = Call(Builtin::kSplit, args, 2);
    if (parts.IsError()) return parts;
    return Value::Error(std::string("no matching overload for a macro applied to (") + value::TypeName(parts) + ")");
  }
  std::string_view t = text.AsText();
  std::string_view sep = filter.AsList()[0].AsText();
  std::string out;
  // An ASCII character (one byte, the usual case) is answered from the table; another goes
  // through the test.
  const bool* ascii = AsciiAnswersOf(filter).holds;
  if (sep.empty()) {
    // Joined without a separator (`digits`-like rules): the result is never longer than the
    // text, so the characters kept are stored straight into it.
    out.resize(t.size());
    char* o = out.data();
    size_t n = 0;
    for (size_t i = 0; i < t.size();) {
      unsigned char b = static_cast<unsigned char>(t[i]);
      if (b < 0x80) {
        o[n] = t[i];
        n += ascii[b] ? 1 : 0;
        ++i;
        continue;
      }
      int32_t pos = static_cast<int32_t>(i);
      int32_t len = static_cast<int32_t>(t.size());
      UChar32 c = 0;
      U8_NEXT(reinterpret_cast<const uint8_t*>(t.data()), pos, len, c);
      (void)c;
      std::string_view ch = t.substr(i, static_cast<size_t>(pos) - i);
      i = static_cast<size_t>(pos);
      if (!CharTestHolds(filter, ch)) continue;
      std::memcpy(o + n, ch.data(), ch.size());
      n += ch.size();
    }
    out.resize(n);
    return Value::String(std::move(out));
  }
  bool first = true;
  size_t i = 0;
  while (i < t.size()) {
    size_t start = i;
    if (static_cast<unsigned char>(t[i]) < 0x80) {
      ++i;
      if (!ascii[static_cast<unsigned char>(t[start])]) continue;
      if (!first) out.append(sep);
      first = false;
      out.push_back(t[start]);
      continue;
    } else {
      // The pieces of split(""): ICU's code point steps, as stdlib::SplitViews takes them.
      int32_t pos = static_cast<int32_t>(i);
      int32_t len = static_cast<int32_t>(t.size());
      UChar32 c = 0;
      U8_NEXT(reinterpret_cast<const uint8_t*>(t.data()), pos, len, c);
      (void)c;
      i = static_cast<size_t>(pos);
    }
    std::string_view ch = t.substr(start, i - start);
    if (!CharTestHolds(filter, ch)) continue;
    if (!first) out.append(sep);
    first = false;
    out.append(ch);
  }
  return Value::String(std::move(out));
}

Value VM::Call(Builtin b, Value* args, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (args[i].IsError()) return args[i];
  return CallBuiltin(b, args, n);
}

namespace {

// The VM's fused operations (superinstructions), numbered after the plan's Op values. Each
// stands at the position of the first instruction of the run it replaces and, unless it jumps,
// goes on after the run. Operands come from an input, a constant or a local (`sub`: x in bits
// 0-1, y in bits 2-3), read in place: no copy is pushed and popped.
enum FusedOp : uint8_t {
  kFusedBinary3 = 64,  // load x; load y; <binary a>: pushes x a y
  kFusedBinary2,       // load y; <binary a>: the top becomes top a y
  kFusedCall1,         // load x; call 1 a: pushes a(x)
  kFusedCall2,         // load x; load y; call 2 a: pushes a(x, y)
  kFusedCallTop2,      // load y; call 2 a: the top becomes a(top, y)
  kFusedTestJump,      // test_bool arg; jump_if_false y
  kFusedCoalesce,      // load x; coalesce arg
};
static_assert(static_cast<uint8_t>(Op::kFilterText) < kFusedBinary3);
enum : uint8_t { kFromInput, kFromConst, kFromLocal };

constexpr uint8_t Code(Op op) { return static_cast<uint8_t>(op); }

bool LoadFrom(const Instr& in, uint8_t& from) {
  switch (in.op) {
    case Op::kLoadInput: from = kFromInput; return true;
    case Op::kConst: from = kFromConst; return true;
    case Op::kLoadLocal: from = kFromLocal; return true;
    default: return false;
  }
}

bool IsBinary(Op op) {
  switch (op) {
    case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kMod: case Op::kEq: case Op::kNe:
    case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe: case Op::kIn: case Op::kIndex:
      return true;
    default: return false;
  }
}

// The VM's form of `code` (bytecode.h): each instruction as it is, or the fused operation of
// the run it starts; `fuse` false keeps every instruction as it is.
std::unique_ptr<std::vector<VmInstr>> Prepare(const std::vector<Instr>& code, bool fuse) {
  auto out = std::make_unique<std::vector<VmInstr>>(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    const Instr& in = code[i];
    VmInstr& v = (*out)[i];
    v = VmInstr{static_cast<uint8_t>(in.op), 0, in.a, in.arg, 0, 0};
    if (!fuse) continue;
    const Instr* next = i + 1 < code.size() ? &code[i + 1] : nullptr;
    const Instr* third = i + 2 < code.size() ? &code[i + 2] : nullptr;
    uint8_t fx = 0, fy = 0;
    if (LoadFrom(in, fx) && next != nullptr && LoadFrom(*next, fy) && third != nullptr) {
      if (IsBinary(third->op)) {
        v = VmInstr{kFusedBinary3, static_cast<uint8_t>(fx | fy << 2), static_cast<uint16_t>(third->op), 0, in.arg, next->arg};
        continue;
      }
      if (third->op == Op::kCall && third->a == 2) {
        v = VmInstr{kFusedCall2, static_cast<uint8_t>(fx | fy << 2), static_cast<uint16_t>(third->arg), 0, in.arg, next->arg};
        continue;
      }
    }
    if (LoadFrom(in, fy) && next != nullptr) {
      if (IsBinary(next->op)) {
        v = VmInstr{kFusedBinary2, static_cast<uint8_t>(fy << 2), static_cast<uint16_t>(next->op), 0, 0, in.arg};
      } else if (next->op == Op::kCall && next->a == 1) {
        v = VmInstr{kFusedCall1, fy, static_cast<uint16_t>(next->arg), 0, in.arg, 0};
      } else if (next->op == Op::kCall && next->a == 2) {
        v = VmInstr{kFusedCallTop2, static_cast<uint8_t>(fy << 2), static_cast<uint16_t>(next->arg), 0, 0, in.arg};
      } else if (next->op == Op::kCoalesce) {
        v = VmInstr{kFusedCoalesce, fy, 0, next->arg, in.arg, 0};
      }
      continue;
    }
    if (in.op == Op::kTestBool && next != nullptr && next->op == Op::kJumpIfFalse) {
      v = VmInstr{kFusedTestJump, 0, 0, in.arg, 0, next->arg};
    }
  }
  return out;
}

}  // namespace

Value VM::Run(const Program& p, std::span<const Value> inputs) {
  if (p.native != nullptr) {  // compiled by the optional JIT (runtime/jit)
    Value result;
    p.native(*this, p, inputs.data(), &result);
    return result;
  }
  const std::vector<VmInstr>* prepared = p.vm_code.Get();
  if (prepared == nullptr || !fuse_) {
    if (!fuse_) {
      unfused_ = Prepare(p.code, false);
      prepared = unfused_.get();
    } else {
      prepared = p.vm_code.Keep(Prepare(p.code, true));
    }
  }
  // The operand stack is a run of slots below `sp`; every slot from `sp` up is null. A program
  // whose stack heights are fixed per instruction (the lowering's) never holds more values
  // than it has instructions; `room` grows the slots for any other.
  if (stack_.size() < p.code.size() + 1) stack_.resize(p.code.size() + 1);
  if (locals_.size() < p.local_count) locals_.resize(p.local_count);
  Value* base = stack_.data();
  Value* sp = base;
  Value* end = base + stack_.size();
  auto room = [&]() {
    if (sp != end) return;
    size_t height = static_cast<size_t>(sp - base);
    stack_.resize(2 * stack_.size());
    base = stack_.data();
    sp = base + height;
    end = base + stack_.size();
  };
  auto pop = [&]() { return std::move(*--sp); };
  // Drops the values from `first` up to the top, leaving `first` the top.
  auto drop_to = [&](Value* first) {
    while (sp > first) *--sp = Value();
  };
  // A fused operation's operand, read in place.
  auto operand = [&](uint8_t from, int32_t i) CRMX_VM_INLINE -> const Value& {
    switch (from & 3) {
      case kFromInput: return inputs[static_cast<size_t>(i)];
      case kFromConst: return p.constants[static_cast<size_t>(i)];
      default: return locals_[static_cast<size_t>(i)];
    }
  };
  // `x op y` as kAdd .. kIn and kIndex give it: an error operand propagates, the left first.
  auto binary = [](Op op, const Value& x, const Value& y) CRMX_VM_INLINE -> Value {
    if (x.IsError()) return x;
    if (y.IsError()) return y;
    return BinaryOf(op, x, y);
  };
  // Builtin `b` on x (and y when n is 2), as kCall gives it.
  auto call = [&](Builtin b, const Value& x, const Value* y, size_t n) CRMX_VM_INLINE -> Value {
    Value out;
    if (CallDirect(b, x, y, out)) return out;
    Value args[2] = {x, y != nullptr ? *y : Value()};
    return Call(b, args, n);
  };
  const VmInstr* code = prepared->data();
  const size_t n = prepared->size();
  size_t pc = 0;
  while (pc < n) {
    const VmInstr& in = code[pc++];
    switch (in.op) {
      // The fused operations (Prepare).
      case kFusedBinary3: {
        Value r = binary(static_cast<Op>(in.a), operand(in.sub, in.x), operand(in.sub >> 2, in.y));
        room();
        *sp++ = std::move(r);
        pc += 2;
        continue;
      }
      case kFusedBinary2: {
        Value& top = sp[-1];
        if (!top.IsError()) top = binary(static_cast<Op>(in.a), top, operand(in.sub >> 2, in.y));
        pc += 1;
        continue;
      }
      case kFusedCall1: {
        Value r = call(static_cast<Builtin>(in.a), operand(in.sub, in.x), nullptr, 1);
        room();
        *sp++ = std::move(r);
        pc += 1;
        continue;
      }
      case kFusedCall2: {
        Value r = call(static_cast<Builtin>(in.a), operand(in.sub, in.x), &operand(in.sub >> 2, in.y), 2);
        room();
        *sp++ = std::move(r);
        pc += 2;
        continue;
      }
      case kFusedCallTop2: {
        Value& top = sp[-1];
        top = call(static_cast<Builtin>(in.a), top, &operand(in.sub >> 2, in.y), 2);
        pc += 1;
        continue;
      }
      case kFusedTestJump: {
        Value& c = sp[-1];
        if (c.IsBool()) {
          bool go = !c.AsBool();
          *--sp = Value();
          pc = go ? static_cast<size_t>(in.y) : pc + 1;
        } else {
          if (!c.IsError()) c = Value::Error(std::string("no matching overload for '_?_:_' applied to (") + value::TypeName(c) + ")");
          pc = static_cast<size_t>(in.arg);
        }
        continue;
      }
      case kFusedCoalesce: {
        const Value& v = operand(in.sub, in.x);
        if ((!v.IsNull() && !v.IsError()) || v.IsHold()) {
          room();
          *sp++ = v;
          pc = static_cast<size_t>(in.arg);
        } else {
          ++fallbacks_taken_;
          pc += 1;
        }
        continue;
      }
      case Code(Op::kConst):
        room();
        *sp++ = p.constants[static_cast<size_t>(in.arg)];
        break;
      case Code(Op::kLoadInput):
        room();
        *sp++ = inputs[static_cast<size_t>(in.arg)];
        break;
      case Code(Op::kLoadLocal):
        room();
        *sp++ = locals_[static_cast<size_t>(in.arg)];
        break;
      case Code(Op::kStoreLocal): locals_[static_cast<size_t>(in.arg)] = pop(); break;
      case Code(Op::kPop): *--sp = Value(); break;
      case Code(Op::kAdd):
      case Code(Op::kSub):
      case Code(Op::kMul):
      case Code(Op::kDiv):
      case Code(Op::kMod):
      case Code(Op::kEq):
      case Code(Op::kNe):
      case Code(Op::kLt):
      case Code(Op::kLe):
      case Code(Op::kGt):
      case Code(Op::kGe):
      case Code(Op::kIn): {
        Value b = pop();
        ApplyBinary(static_cast<Op>(in.op), sp[-1], std::move(b));
        break;
      }
      case Code(Op::kNeg): {
        Value& a = sp[-1];
        if (!a.IsError()) a = Negate(a);
        break;
      }
      case Code(Op::kNot): ApplyNot(sp[-1]); break;
      case Code(Op::kJumpIfFalseKeep):
        if (sp[-1].IsFalse()) pc = static_cast<size_t>(in.arg);
        break;
      case Code(Op::kJumpIfTrueKeep):
        if (sp[-1].IsTrue()) pc = static_cast<size_t>(in.arg);
        break;
      case Code(Op::kAnd):
      case Code(Op::kOr): {
        // Two bools (the usual case): what ApplyLogic gives them, without moving values.
        if (sp[-1].IsBool() && sp[-2].IsBool()) {
          bool x = sp[-2].AsBool(), y = sp[-1].AsBool();
          sp[-2] = Value::Bool(in.op == Code(Op::kAnd) ? x && y : x || y);
          *--sp = Value();
          break;
        }
        Value b = pop();
        ApplyLogic(static_cast<Op>(in.op), sp[-1], std::move(b));
        break;
      }
      case Code(Op::kJump): pc = static_cast<size_t>(in.arg); break;
      case Code(Op::kJumpIfFalse): {
        Value c = pop();
        if (c.IsFalse()) pc = static_cast<size_t>(in.arg);
        break;
      }
      case Code(Op::kTestBool): {
        Value& c = sp[-1];
        if (!c.IsBool()) {
          if (!c.IsError()) c = Value::Error(std::string("no matching overload for '_?_:_' applied to (") + value::TypeName(c) + ")");
          pc = static_cast<size_t>(in.arg);
        }
        break;
      }
      case Code(Op::kCoalesce): {
        const Value& v = sp[-1];
        // A hold is not handled by a fallback: it parks the record.
        if ((!v.IsNull() && !v.IsError()) || v.IsHold()) {
          pc = static_cast<size_t>(in.arg);
        } else {
          *--sp = Value();
          ++fallbacks_taken_;
        }
        break;
      }
      case Code(Op::kSelect):
      case Code(Op::kHas): ApplySelect(static_cast<Op>(in.op), sp[-1], p.constants[static_cast<size_t>(in.arg)]); break;
      case Code(Op::kIndex): {
        Value i = pop();
        ApplyIndex(sp[-1], std::move(i));
        break;
      }
      case Code(Op::kMakeList):
      case Code(Op::kMakeMap): {
        size_t count = static_cast<size_t>(in.arg);
        Value* first = sp - (static_cast<Op>(in.op) == Op::kMakeList ? count : 2 * count);
        Value result = static_cast<Op>(in.op) == Op::kMakeList ? MakeList(first, count) : MakeMap(first, count);
        drop_to(first);
        *sp++ = std::move(result);
        break;
      }
      case Code(Op::kCall): {
        Value* first = sp - in.a;
        Value result = Call(static_cast<Builtin>(in.arg), first, in.a);
        drop_to(first);
        room();
        *sp++ = std::move(result);
        break;
      }
      case Code(Op::kIterInit): {
        Value range = pop();
        size_t slot = in.a;
        if (range.kind() == Kind::kList) {
          locals_[slot] = std::move(range);
        } else if (range.kind() == Kind::kMap) {
          std::vector<Value> keys;
          keys.reserve(range.AsMap().entries.size());
          for (const auto& e : range.AsMap().entries) keys.push_back(e.first);
          locals_[slot] = Value::List(std::move(keys));
        } else {
          *sp++ = (range.IsError() ? std::move(range)
                                           : Value::Error(std::string("no matching overload for a macro applied to (") +
                                                          value::TypeName(range) + ")"));
          pc = static_cast<size_t>(in.arg);
          break;
        }
        locals_[slot + 1] = Value::Int(0);
        break;
      }
      case Code(Op::kIterNext): {
        size_t slot = in.a;
        const auto& items = locals_[slot].AsList();
        int64_t i = locals_[slot + 1].AsInt();
        if (static_cast<size_t>(i) >= items.size()) {
          pc = static_cast<size_t>(in.arg);
          break;
        }
        locals_[slot + 2] = items[static_cast<size_t>(i)];
        locals_[slot + 1] = Value::Int(i + 1);
        break;
      }
      case Code(Op::kJumpIfFalseValue): {
        Value c = pop();
        if (c.IsFalse()) pc = static_cast<size_t>(in.arg);
        break;
      }
      case Code(Op::kJumpIfTrueValue): {
        Value c = pop();
        if (c.IsTrue()) pc = static_cast<size_t>(in.arg);
        break;
      }
      case Code(Op::kAppendLocal): {
        Value v = pop();
        Value& acc = locals_[static_cast<size_t>(in.arg)];
        if (acc.IsError()) break;
        if (v.IsError()) acc = std::move(v);
        else acc.Append(std::move(v));
        break;
      }
      case Code(Op::kFilterStep): {
        Value c = pop();
        Value& acc = locals_[static_cast<size_t>(in.arg)];
        if (acc.IsError()) break;
        if (c.IsTrue()) acc.Append(locals_[in.a]);
        else if (c.IsError()) acc = std::move(c);
        else if (!c.IsBool()) acc = Value::Error(std::string("no matching overload: the predicate of filter is ") + value::TypeName(c));
        break;
      }
      case Code(Op::kCountStep): {
        Value c = pop();
        Value& acc = locals_[static_cast<size_t>(in.arg)];
        if (acc.IsError()) break;
        if (c.IsTrue()) acc = Value::Int(acc.AsInt() + 1);
        else if (c.IsError()) acc = std::move(c);
        else if (!c.IsBool()) acc = Value::Error(std::string("no matching overload: the predicate of exists_one is ") + value::TypeName(c));
        break;
      }
      case Code(Op::kIterPair): {
        size_t slot = in.a;
        const Value& range = locals_[static_cast<size_t>(in.arg)];
        if (range.kind() == Kind::kMap) {
          const Value* v = range.AsMap().Find(locals_[slot + 2]);
          locals_[slot + 4] = v != nullptr ? *v : Value();
          locals_[slot + 3] = locals_[slot + 2];
        } else {
          locals_[slot + 3] = Value::Int(locals_[slot + 1].AsInt() - 1);
          locals_[slot + 4] = locals_[slot + 2];
        }
        break;
      }
      case Code(Op::kAppendPairLocal): {
        Value v = pop();
        Value& acc = locals_[static_cast<size_t>(in.arg)];
        if (acc.IsError()) break;
        if (v.IsError()) {
          acc = std::move(v);
          break;
        }
        acc.Append(locals_[in.a]);
        acc.Append(std::move(v));
        break;
      }
      case Code(Op::kPairsToMap): {
        Value& top = sp[-1];
        if (top.kind() != Kind::kList) break;
        const auto& items = top.AsList();
        std::vector<std::pair<Value, Value>> entries;
        entries.reserve(items.size() / 2);
        for (size_t i = 0; i + 1 < items.size(); i += 2) entries.emplace_back(items[i], items[i + 1]);
        top = Value::Map(std::move(entries));
        break;
      }
      case Code(Op::kFilterText): {
        Value& top = sp[-1];
        top = FilterText(top, p.constants[static_cast<size_t>(in.arg)]);
        break;
      }
      case Code(Op::kFail): {
        const Value& reason = p.constants[static_cast<size_t>(in.arg)];
        room();
        *sp++ = (in.a == 1 ? Value::Hold(std::string(reason.AsText())) : Value::Error(std::string(reason.AsText())));
        break;
      }
    }
  }
  Value result = sp == base ? Value() : std::move(sp[-1]);
  drop_to(base);
  // Locals may hold the inputs' borrowed text: drop them so nothing outlives the run.
  for (uint32_t i = 0; i < p.local_count; ++i) locals_[i] = Value();
  return result;
}

}  // namespace crmx::vm
