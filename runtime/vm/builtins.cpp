// Defines the builtin functions of the VM (CEL's size, string tests, `matches` with RE2 and the
// type conversions int/uint/double/decimal/string/bool/bytes/timestamp/duration/type/dyn),
// the builtin table, and the disassembler.
#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "runtime/vm/vm.h"

namespace crmx::vm {

using value::Kind;
using value::Time;
using value::Value;
using decimal::Decimal;

namespace {

constexpr size_t kMaxArgs = UINT16_MAX;

struct BuiltinInfo {
  const char* name;
  Builtin id;
  size_t min_args;
  size_t max_args;
};

constexpr BuiltinInfo kBuiltins[] = {
    {"size", Builtin::kSize, 1, 1},
    {"contains", Builtin::kContains, 2, 2},
    {"startsWith", Builtin::kStartsWith, 2, 2},
    {"endsWith", Builtin::kEndsWith, 2, 2},
    {"matches", Builtin::kMatches, 2, 2},
    {"int", Builtin::kInt, 1, 1},
    {"uint", Builtin::kUint, 1, 1},
    {"double", Builtin::kDouble, 1, 1},
    {"decimal", Builtin::kDecimal, 1, 1},
    {"string", Builtin::kString, 1, 1},
    {"bool", Builtin::kBool, 1, 1},
    {"bytes", Builtin::kBytes, 1, 1},
    {"timestamp", Builtin::kTimestamp, 1, 1},
    {"duration", Builtin::kDuration, 1, 1},
    {"type", Builtin::kType, 1, 1},
    {"dyn", Builtin::kDyn, 1, 1},
    {"indexOf", Builtin::kIndexOf, 2, 3},
    {"lastIndexOf", Builtin::kLastIndexOf, 2, 3},
    {"substring", Builtin::kSubstring, 2, 3},
    {"charAt", Builtin::kCharAt, 2, 2},
    {"lowerAscii", Builtin::kLowerAscii, 1, 1},
    {"upperAscii", Builtin::kUpperAscii, 1, 1},
    {"reverse", Builtin::kReverse, 1, 1},
    {"strings.quote", Builtin::kQuote, 1, 1},
    {"math.greatest", Builtin::kMathGreatest, 1, kMaxArgs},
    {"math.least", Builtin::kMathLeast, 1, kMaxArgs},
    {"math.ceil", Builtin::kMathCeil, 1, 1},
    {"math.floor", Builtin::kMathFloor, 1, 1},
    {"math.round", Builtin::kMathRound, 1, 1},
    {"math.trunc", Builtin::kMathTrunc, 1, 1},
    {"math.abs", Builtin::kMathAbs, 1, 1},
    {"math.sign", Builtin::kMathSign, 1, 1},
    {"math.isInf", Builtin::kMathIsInf, 1, 1},
    {"math.isNaN", Builtin::kMathIsNaN, 1, 1},
    {"math.isFinite", Builtin::kMathIsFinite, 1, 1},
    {"math.bitAnd", Builtin::kBitAnd, 2, 2},
    {"math.bitOr", Builtin::kBitOr, 2, 2},
    {"math.bitXor", Builtin::kBitXor, 2, 2},
    {"math.bitNot", Builtin::kBitNot, 1, 1},
    {"math.bitShiftLeft", Builtin::kBitShiftLeft, 2, 2},
    {"math.bitShiftRight", Builtin::kBitShiftRight, 2, 2},
    {"trim", Builtin::kTrim, 1, 1},
    {"upper", Builtin::kUpper, 1, 1},
    {"lower", Builtin::kLower, 1, 1},
    {"truncate", Builtin::kTruncate, 2, 2},
    {"replace", Builtin::kReplace, 3, 4},
    {"split", Builtin::kSplit, 2, 3},
    {"join", Builtin::kJoin, 1, 2},
    {"format", Builtin::kFormat, 1, kMaxArgs},
    {"state_code", Builtin::kStateCode, 1, 1},
    {"country_code", Builtin::kCountryCode, 1, 1},
    {"currency_of", Builtin::kCurrencyOf, 1, 1},
    {"e164", Builtin::kE164, 1, 2},
    {"round", Builtin::kRound, 2, 2},
    {"convert", Builtin::kConvert, 4, 4},
    {"parse_date", Builtin::kParseDate, 2, 2},
    {"parse_datetime", Builtin::kParseDatetime, 2, 3},
    {"format_date", Builtin::kFormatDate, 2, 2},
    {"format_datetime", Builtin::kFormatDatetime, 2, 3},
    {"sf_id18", Builtin::kSfId18, 1, 1},
    {"digits", Builtin::kDigits, 1, 1},
    {"re_replace", Builtin::kReReplace, 3, 3},
    {"re_extract", Builtin::kReExtract, 2, 2},
    {"date", Builtin::kDate, 1, 1},
    {"now", Builtin::kNow, 0, 0},
    {"today", Builtin::kToday, 0, 1},
};

Value NoOverload(Builtin b, const Value* args, size_t n) {
  std::string s = std::string("no matching overload for '") + BuiltinName(b) + "' applied to (";
  for (size_t i = 0; i < n; ++i) s += std::string(i ? ", " : "") + value::TypeName(args[i]);
  return Value::Error(s + ")");
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

int64_t CodePoints(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Value ToInt(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt: return v;
    case Kind::kUint:
      if (v.AsUint() > static_cast<uint64_t>(INT64_MAX)) return Value::Error("range error: uint out of int range");
      return Value::Int(static_cast<int64_t>(v.AsUint()));
    case Kind::kDouble: {
      double d = v.AsDouble();
      if (std::isnan(d) || d <= -9223372036854775809.0 || d >= 9223372036854775807.0) {
        return Value::Error("range error: double out of int range");
      }
      return Value::Int(static_cast<int64_t>(d));
    }
    case Kind::kDecimal: {
      auto r = v.AsDecimal().ToInt64();
      if (!r.ok()) return Value::Error("range error: decimal out of int range");
      return Value::Int(*r);
    }
    case Kind::kString: {
      std::string_view s = v.AsText();
      size_t start = !s.empty() && s[0] == '+' ? 1 : 0;
      int64_t out;
      auto [p, ec] = std::from_chars(s.data() + start, s.data() + s.size(), out);
      if (ec == std::errc::result_out_of_range) return Value::Error("range error: integer out of range");
      if (ec != std::errc() || p != s.data() + s.size() || s.size() == start || (start && s.size() > 1 && s[1] == '-')) {
        return Value::Error("invalid integer `" + std::string(s) + "`");
      }
      return Value::Int(out);
    }
    case Kind::kTimestamp: return Value::Int(v.AsTime().seconds);
    default: return Value();
  }
}

Value ToUint(const Value& v) {
  switch (v.kind()) {
    case Kind::kUint: return v;
    case Kind::kInt:
      if (v.AsInt() < 0) return Value::Error("range error: negative int out of uint range");
      return Value::Uint(static_cast<uint64_t>(v.AsInt()));
    case Kind::kDouble: {
      double d = v.AsDouble();
      if (std::isnan(d) || d <= -1.0 || d >= 18446744073709551616.0) return Value::Error("range error: double out of uint range");
      return Value::Uint(static_cast<uint64_t>(d));
    }
    case Kind::kDecimal: {
      if (v.AsDecimal().IsNegative() && v.AsDecimal() <= Decimal::FromInt(-1)) return Value::Error("range error: decimal out of uint range");
      decimal::Int128 c = v.AsDecimal().Coefficient();
      for (int i = 0; i < v.AsDecimal().Scale(); ++i) c /= 10;
      if (c < 0 || c > static_cast<decimal::Int128>(UINT64_MAX)) return Value::Error("range error: decimal out of uint range");
      return Value::Uint(static_cast<uint64_t>(c));
    }
    case Kind::kString: {
      std::string_view s = v.AsText();
      size_t start = !s.empty() && s[0] == '+' ? 1 : 0;
      uint64_t out;
      auto [p, ec] = std::from_chars(s.data() + start, s.data() + s.size(), out);
      if (ec == std::errc::result_out_of_range) return Value::Error("range error: integer out of range");
      if (ec != std::errc() || p != s.data() + s.size() || s.size() == start) {
        return Value::Error("invalid unsigned integer `" + std::string(s) + "`");
      }
      return Value::Uint(out);
    }
    default: return Value();
  }
}

Value ToDouble(const Value& v) {
  switch (v.kind()) {
    case Kind::kDouble: return v;
    case Kind::kInt: return Value::Double(static_cast<double>(v.AsInt()));
    case Kind::kUint: return Value::Double(static_cast<double>(v.AsUint()));
    case Kind::kDecimal: return Value::Double(v.AsDecimal().ToDouble());
    case Kind::kString: {
      std::string s(v.AsText());
      char* end = nullptr;
      errno = 0;
      double d = s.empty() || std::isspace(static_cast<unsigned char>(s[0])) ? 0 : std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])) ||
          s.find_first_of("xX") != std::string::npos) {
        return Value::Error("invalid double `" + s + "`");
      }
      return Value::Double(d);
    }
    default: return Value();
  }
}

Value ToDecimal(const Value& v) {
  switch (v.kind()) {
    case Kind::kDecimal: return v;
    case Kind::kInt: return Value::Dec(Decimal::FromInt(v.AsInt()));
    case Kind::kUint: {
      auto r = Decimal::FromParts(static_cast<decimal::Int128>(v.AsUint()), 0);
      return r.ok() ? Value::Dec(*r) : Value::Error(std::string(r.reason()));
    }
    case Kind::kDouble: {
      auto r = Decimal::FromDouble(v.AsDouble());
      return r.ok() ? Value::Dec(*r) : Value::Error(std::string(r.reason()));
    }
    case Kind::kString: {
      auto r = Decimal::Parse(v.AsText());
      if (!r.ok()) return Value::Error(std::string(r.reason()) + ": `" + std::string(v.AsText()) + "`");
      return Value::Dec(*r);
    }
    default: return Value();
  }
}

Value ToString(const Value& v) {
  switch (v.kind()) {
    case Kind::kString: return v;
    case Kind::kInt: return Value::String(std::to_string(v.AsInt()));
    case Kind::kUint: return Value::String(std::to_string(v.AsUint()));
    case Kind::kDouble: return Value::String(value::FormatDouble(v.AsDouble()));
    case Kind::kDecimal: return Value::String(v.AsDecimal().ToString());
    case Kind::kBool: return Value::String(v.AsBool() ? "true" : "false");
    case Kind::kBytes:
      if (!ValidUtf8(v.AsText())) return Value::Error("invalid UTF-8 in bytes converted to string");
      return Value::String(std::string(v.AsText()));
    case Kind::kTimestamp: return Value::String(value::FormatTimestamp(v.AsTime()));
    case Kind::kDuration: return Value::String(value::FormatDuration(v.AsTime()));
    case Kind::kType: return Value::String(v.AsTypeName());
    default: return Value();
  }
}

Value ToBool(const Value& v) {
  if (v.kind() == Kind::kBool) return v;
  if (v.kind() != Kind::kString) return Value();
  std::string_view s = v.AsText();
  if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
  if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") return Value::Bool(false);
  return Value::Error("invalid bool `" + std::string(s) + "`");
}

}  // namespace

bool FindBuiltin(const std::string& name, Builtin& out, size_t& min_args, size_t& max_args) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (name == b.name) {
      out = b.id;
      min_args = b.min_args;
      max_args = b.max_args;
      return true;
    }
  }
  return false;
}

const char* BuiltinName(Builtin b) {
  for (const BuiltinInfo& x : kBuiltins) {
    if (x.id == b) return x.name;
  }
  return "?";
}

bool VM::CallDirect(Builtin b, const Value& x, const Value* y, Value& out) {
  switch (b) {
    case Builtin::kSize:
      if (y != nullptr) return false;
      switch (x.kind()) {
        case Kind::kString: out = Value::Int(CodePoints(x.AsText())); return true;
        case Kind::kBytes: out = Value::Int(static_cast<int64_t>(x.AsText().size())); return true;
        case Kind::kList: out = Value::Int(static_cast<int64_t>(x.AsList().size())); return true;
        case Kind::kMap: out = Value::Int(static_cast<int64_t>(x.AsMap().entries.size())); return true;
        default: return false;
      }
    case Builtin::kContains:
    case Builtin::kStartsWith:
    case Builtin::kEndsWith: {
      if (y == nullptr || x.kind() != Kind::kString || y->kind() != Kind::kString) return false;
      std::string_view s = x.AsText(), t = y->AsText();
      if (b == Builtin::kContains) out = Value::Bool(s.find(t) != std::string_view::npos);
      else if (b == Builtin::kStartsWith) out = Value::Bool(s.substr(0, t.size()) == t);
      else out = Value::Bool(s.size() >= t.size() && s.substr(s.size() - t.size()) == t);
      return true;
    }
    default: return false;
  }
}

Value VM::CallBuiltin(Builtin b, Value* args, size_t n) {
  // The clock's functions may have no argument: args[0] is not there.
  if (b == Builtin::kNow || b == Builtin::kToday) return CallClock(b, args, n);
  const Value& x = args[0];
  Value r;
  switch (b) {
    case Builtin::kSize:
    case Builtin::kContains:
    case Builtin::kStartsWith:
    case Builtin::kEndsWith:
      // CallDirect answers every overload these have.
      return CallDirect(b, x, b == Builtin::kSize ? nullptr : &args[1], r) ? r : NoOverload(b, args, n);
    case Builtin::kMatches: {
      if (x.kind() != Kind::kString || args[1].kind() != Kind::kString) return NoOverload(b, args, n);
      std::string_view s = x.AsText(), t = args[1].AsText();
      std::string error;
      const re2::RE2* re = Regex(t, error);
      if (re == nullptr) return Value::Error(error);
      return Value::Bool(re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re));
    }
    case Builtin::kInt: r = ToInt(x); break;
    case Builtin::kUint: r = ToUint(x); break;
    case Builtin::kDouble: r = ToDouble(x); break;
    case Builtin::kDecimal: r = ToDecimal(x); break;
    case Builtin::kString: r = ToString(x); break;
    case Builtin::kBool: r = ToBool(x); break;
    case Builtin::kBytes:
      if (x.kind() == Kind::kBytes) return x;
      if (x.kind() == Kind::kString) return Value::Bytes(std::string(x.AsText()));
      break;
    case Builtin::kTimestamp: {
      if (x.kind() == Kind::kTimestamp) return x;
      Time t;
      if (x.kind() == Kind::kString) {
        if (!value::ParseTimestamp(x.AsText(), t)) return Value::Error("invalid timestamp `" + std::string(x.AsText()) + "`");
        return Value::Timestamp(t);
      }
      if (x.kind() == Kind::kInt) {
        if (!value::MakeTimestamp(x.AsInt(), 0, t)) return Value::Error("timestamp out of range");
        return Value::Timestamp(t);
      }
      break;
    }
    case Builtin::kDuration: {
      if (x.kind() == Kind::kDuration) return x;
      Time t;
      if (x.kind() == Kind::kString) {
        if (!value::ParseDuration(x.AsText(), t)) return Value::Error("invalid duration `" + std::string(x.AsText()) + "`");
        return Value::Duration(t);
      }
      if (x.kind() == Kind::kInt) {
        if (!value::MakeDuration(x.AsInt(), 0, t)) return Value::Error("duration out of range");
        return Value::Duration(t);
      }
      break;
    }
    case Builtin::kType: return Value::Type(value::TypeName(x));
    case Builtin::kDyn: return x;
    default: return CallExtension(b, args, n);
  }
  // Conversions return null for a kind they do not take.
  if (r.IsNull()) return NoOverload(b, args, n);
  return r;
}

// ------------------------------------------------------------------------------ disassembly

const char* OpName(Op op) {
  switch (op) {
    case Op::kConst: return "const";
    case Op::kLoadInput: return "load_input";
    case Op::kLoadLocal: return "load_local";
    case Op::kStoreLocal: return "store_local";
    case Op::kPop: return "pop";
    case Op::kAdd: return "add";
    case Op::kSub: return "sub";
    case Op::kMul: return "mul";
    case Op::kDiv: return "div";
    case Op::kMod: return "mod";
    case Op::kNeg: return "neg";
    case Op::kNot: return "not";
    case Op::kEq: return "eq";
    case Op::kNe: return "ne";
    case Op::kLt: return "lt";
    case Op::kLe: return "le";
    case Op::kGt: return "gt";
    case Op::kGe: return "ge";
    case Op::kIn: return "in";
    case Op::kJumpIfFalseKeep: return "jump_if_false_keep";
    case Op::kJumpIfTrueKeep: return "jump_if_true_keep";
    case Op::kAnd: return "and";
    case Op::kOr: return "or";
    case Op::kJump: return "jump";
    case Op::kJumpIfFalse: return "jump_if_false";
    case Op::kTestBool: return "test_bool";
    case Op::kCoalesce: return "coalesce";
    case Op::kSelect: return "select";
    case Op::kHas: return "has";
    case Op::kIndex: return "index";
    case Op::kMakeList: return "make_list";
    case Op::kMakeMap: return "make_map";
    case Op::kCall: return "call";
    case Op::kIterInit: return "iter_init";
    case Op::kIterNext: return "iter_next";
    case Op::kJumpIfFalseValue: return "jump_if_false_value";
    case Op::kJumpIfTrueValue: return "jump_if_true_value";
    case Op::kAppendLocal: return "append_local";
    case Op::kFilterStep: return "filter_step";
    case Op::kCountStep: return "count_step";
    case Op::kFail: return "fail";
    case Op::kIterPair: return "iter_pair";
    case Op::kAppendPairLocal: return "append_pair_local";
    case Op::kPairsToMap: return "pairs_to_map";
    case Op::kFilterText: return "filter_text";
  }
  return "?";
}

std::string Program::Disassemble() const {
  std::string out;
  for (size_t i = 0; i < code.size(); ++i) {
    const Instr& in = code[i];
    out += std::to_string(i) + "  " + OpName(in.op);
    switch (in.op) {
      case Op::kPop: case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kMod: case Op::kNeg:
      case Op::kNot: case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
      case Op::kIn: case Op::kAnd: case Op::kOr: case Op::kIndex: case Op::kPairsToMap:
        break;
      case Op::kConst: case Op::kSelect: case Op::kHas: case Op::kFail:
        out += " " + std::to_string(in.arg) + "  ; " + value::Display(constants[static_cast<size_t>(in.arg)]);
        break;
      case Op::kLoadInput:
        out += " " + std::to_string(in.arg) + "  ; " + input_names[static_cast<size_t>(in.arg)];
        break;
      case Op::kCall:
        out += " " + std::string(BuiltinName(static_cast<Builtin>(in.arg))) + "/" + std::to_string(in.a);
        break;
      case Op::kIterInit: case Op::kIterNext: case Op::kFilterStep: case Op::kIterPair: case Op::kAppendPairLocal:
        out += " " + std::to_string(in.a) + " " + std::to_string(in.arg);
        break;
      case Op::kFilterText:
        out += " " + std::to_string(in.arg) + "  ; " + value::Display(constants[static_cast<size_t>(in.arg)]);
        break;
      default:
        out += " " + std::to_string(in.arg);
        break;
    }
    out += "\n";
  }
  return out;
}

}  // namespace crmx::vm
