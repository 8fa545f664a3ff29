// Defines the typed overloads of the built-in and standard-library functions (see functions.h).
// docs/types.md lists them; keep the two in step.
#include "compiler/check/functions.h"

#include <unordered_map>

namespace crmx::check {

namespace {

using P = Param;
using R = Result;

Function Fn(std::string_view name, std::string_view module, std::vector<Param> params, Result result,
            std::string_view failure = {}, size_t required = SIZE_MAX) {
  Function f;
  f.name = name;
  f.module = module;
  f.required = required == SIZE_MAX ? params.size() : required;
  f.params = std::move(params);
  f.result = result;
  f.fallible = !failure.empty();
  f.failure = failure;
  return f;
}

std::vector<Function> Build() {
  std::vector<Function> v;
  // CEL standard functions.
  v.push_back(Fn("size", "", {P::kSized}, R::kInt));
  v.push_back(Fn("contains", "", {P::kText, P::kText}, R::kBool));
  v.push_back(Fn("startsWith", "", {P::kText, P::kText}, R::kBool));
  v.push_back(Fn("endsWith", "", {P::kText, P::kText}, R::kBool));
  v.push_back(Fn("matches", "", {P::kText, P::kText}, R::kBool));
  v.push_back(Fn("int", "", {P::kNumber}, R::kInt));
  v.push_back(Fn("int", "", {P::kText}, R::kInt, "text that is not an integer"));
  v.push_back(Fn("uint", "", {P::kNumber}, R::kUint));
  v.push_back(Fn("uint", "", {P::kText}, R::kUint, "text that is not an unsigned integer"));
  v.push_back(Fn("double", "", {P::kNumber}, R::kDouble));
  v.push_back(Fn("double", "", {P::kText}, R::kDouble, "text that is not a number"));
  v.push_back(Fn("decimal", "", {P::kNumber}, R::kDecimal));
  v.push_back(Fn("decimal", "", {P::kText}, R::kDecimal, "text that is not a number"));
  v.push_back(Fn("string", "", {P::kAny}, R::kString));
  v.push_back(Fn("bool", "", {P::kBool}, R::kBool));
  v.push_back(Fn("bool", "", {P::kText}, R::kBool, "text other than `true` and `false`"));
  v.push_back(Fn("bytes", "", {P::kText}, R::kBytes));
  v.push_back(Fn("timestamp", "", {P::kText}, R::kDateTime, "text that is not an RFC 3339 timestamp"));
  v.push_back(Fn("duration", "", {P::kText}, R::kDuration, "text that is not a duration"));
  v.push_back(Fn("timestamp", "", {P::kInt}, R::kDateTime));
  v.push_back(Fn("timestamp", "", {P::kTemporal}, R::kDateTime));
  // Not CEL's: a date literal as docs/stdlib.md writes them (`date("2024-01-19")`).
  v.push_back(Fn("date", "", {P::kText}, R::kDate, "text that is not a date (YYYY-MM-DD)"));
  v.push_back(Fn("date", "", {P::kTemporal}, R::kDate));
  // The run's clock (the run's start, the same for every record; a spec test's `now "..."`):
  // now() the instant, today() its date in UTC or in an IANA zone.
  v.push_back(Fn("now", "", {}, R::kDateTime));
  v.push_back(Fn("today", "", {}, R::kDate));
  v.push_back(Fn("today", "", {P::kText}, R::kDate, "unknown time zones"));
  v.push_back(Fn("duration", "", {P::kDuration}, R::kDuration));
  v.push_back(Fn("int", "", {P::kTemporal}, R::kInt));
  v.push_back(Fn("dyn", "", {P::kAny}, R::kDyn));
  v.push_back(Fn("type", "", {P::kAny}, R::kDyn));
  // CEL's string extensions (cel-go ext.Strings): no `use` needed, as CEL's own functions.
  v.push_back(Fn("indexOf", "", {P::kText, P::kText, P::kInt}, R::kInt, {}, 2));
  v.push_back(Fn("lastIndexOf", "", {P::kText, P::kText, P::kInt}, R::kInt, {}, 2));
  v.push_back(Fn("substring", "", {P::kText, P::kInt, P::kInt}, R::kString, {}, 2));
  v.push_back(Fn("charAt", "", {P::kText, P::kInt}, R::kString));
  v.push_back(Fn("lowerAscii", "", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("upperAscii", "", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("reverse", "", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("strings.quote", "", {P::kText}, R::kString));
  // CEL's math extensions (cel-go ext.Math), called as `math.NAME(...)`.
  {
    Function f = Fn("math.greatest", "", {P::kAny}, R::kDyn);
    f.variadic = true;
    v.push_back(f);
    f.name = "math.least";
    v.push_back(f);
  }
  for (std::string_view n : {"math.ceil", "math.floor", "math.round", "math.trunc"}) {
    v.push_back(Fn(n, "", {P::kNumber}, R::kDouble));
  }
  v.push_back(Fn("math.abs", "", {P::kNumber}, R::kDyn));
  v.push_back(Fn("math.sign", "", {P::kNumber}, R::kDyn));
  for (std::string_view n : {"math.isInf", "math.isNaN", "math.isFinite"}) v.push_back(Fn(n, "", {P::kNumber}, R::kBool));
  for (std::string_view n : {"math.bitAnd", "math.bitOr", "math.bitXor", "math.bitShiftLeft", "math.bitShiftRight"}) {
    v.push_back(Fn(n, "", {P::kInt, P::kInt}, R::kDyn));
  }
  v.push_back(Fn("math.bitNot", "", {P::kInt}, R::kDyn));
  // std.text
  v.push_back(Fn("trim", "std.text", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("upper", "std.text", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("lower", "std.text", {P::kText}, R::kStringSameLength));
  v.push_back(Fn("truncate", "std.text", {P::kText, P::kInt}, R::kStringTruncated));
  // The optional count / limit / separator are CEL's (replace(old, new, n), split(sep, n),
  // list.join()).
  v.push_back(Fn("replace", "std.text", {P::kText, P::kText, P::kText, P::kInt}, R::kString, {}, 3));
  v.push_back(Fn("split", "std.text", {P::kText, P::kText, P::kInt}, R::kTextList, {}, 2));
  v.push_back(Fn("join", "std.text", {P::kTextList, P::kText}, R::kString, {}, 1));
  v.push_back(Fn("digits", "std.text", {P::kText}, R::kStringSameLength));
  // Like `matches`, an invalid pattern is the spec's mistake, an error of the record, not a
  // failure a `??` handles; re_extract fails on text that does not match.
  v.push_back(Fn("re_replace", "std.text", {P::kText, P::kText, P::kText}, R::kString));
  v.push_back(Fn("re_extract", "std.text", {P::kText, P::kText}, R::kStringSameLength,
                 "text the pattern does not match, and invalid patterns"));
  {
    Function f = Fn("format", "std.text", {P::kText, P::kAny}, R::kString, {}, 1);
    f.variadic = true;
    v.push_back(f);
  }
  // std.geo
  v.push_back(Fn("state_code", "std.geo", {P::kText}, R::kString, "unknown state names"));
  {
    Function f = Fn("country_code", "std.geo", {P::kText}, R::kStringFixed, "unknown country names");
    f.length = 2;
    v.push_back(f);
    f = Fn("currency_of", "std.geo", {P::kText}, R::kStringFixed, "countries without a known currency");
    f.length = 3;
    v.push_back(f);
  }
  // std.phone
  {
    Function f = Fn("e164", "std.phone", {P::kText, P::kText}, R::kStringFixed, "text that is not a phone number", 1);
    f.length = 16;
    v.push_back(f);
  }
  // std.money
  v.push_back(Fn("round", "std.money", {P::kDecimal, P::kInt}, R::kDecimalRounded));
  v.push_back(Fn("convert", "std.money", {P::kNumber, P::kText, P::kText, P::kAny}, R::kDecimal,
                 "currencies without an exchange rate"));
  // std.time
  v.push_back(Fn("parse_date", "std.time", {P::kText, P::kText}, R::kDate, "text that does not match the format"));
  v.push_back(Fn("parse_datetime", "std.time", {P::kText, P::kText, P::kText}, R::kDateTime,
                 "text that does not match the format, and unknown time zones", 2));
  v.push_back(Fn("format_date", "std.time", {P::kTemporal, P::kText}, R::kString));
  // Without a zone it cannot fail; with one it fails on an unknown zone.
  v.push_back(Fn("format_datetime", "std.time", {P::kTemporal, P::kText}, R::kString));
  v.push_back(Fn("format_datetime", "std.time", {P::kTemporal, P::kText, P::kText}, R::kString, "unknown time zones"));
  // std.id
  {
    Function f = Fn("sf_id18", "std.id", {P::kText}, R::kStringFixed, "text that is not a 15- or 18-character Salesforce id");
    f.length = 18;
    v.push_back(f);
  }
  return v;
}

const std::unordered_map<std::string_view, std::vector<const Function*>>& ByName() {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, std::vector<const Function*>>();
    for (const Function& f : Functions()) (*m)[f.name].push_back(&f);
    return m;
  }();
  return *index;
}

}  // namespace

const std::vector<Function>& Functions() {
  static const std::vector<Function>* all = new std::vector<Function>(Build());
  return *all;
}

std::vector<const Function*> FindFunctions(std::string_view name) {
  auto it = ByName().find(name);
  return it == ByName().end() ? std::vector<const Function*>{} : it->second;
}

const std::vector<std::string>& FunctionNames() {
  static const std::vector<std::string>* names = [] {
    auto* v = new std::vector<std::string>();
    for (const Function& f : Functions()) {
      if (v->empty() || v->back() != f.name) v->emplace_back(f.name);
    }
    v->insert(v->end(), {"all", "exists", "exists_one", "map", "filter", "has"});
    return v;
  }();
  return *names;
}

bool Accepts(Param param, const Type& t) {
  if (t.IsPermissive() || t.kind == TypeKind::kNull) return true;
  switch (param) {
    case P::kAny: return true;
    case P::kText: return t.IsText();
    case P::kInt: return t.IsIntegral();
    case P::kNumber: return t.IsNumeric();
    case P::kDecimal: return t.kind == TypeKind::kDecimal || t.IsIntegral();
    case P::kBool: return t.kind == TypeKind::kBool;
    case P::kTemporal: return t.kind == TypeKind::kDate || t.kind == TypeKind::kDateTime;
    case P::kDuration: return t.kind == TypeKind::kDuration;
    case P::kList: return t.kind == TypeKind::kList;
    case P::kTextList: return t.kind == TypeKind::kList && (t.element->IsPermissive() || t.element->IsText());
    case P::kSized:
      return t.kind == TypeKind::kString || t.kind == TypeKind::kBytes || t.kind == TypeKind::kList ||
             t.kind == TypeKind::kMap || t.IsText();
  }
  return false;
}

std::string_view Describe(Param param) {
  switch (param) {
    case P::kAny: return "any value";
    case P::kText: return "a string";
    case P::kInt: return "an int";
    case P::kNumber: return "a number";
    case P::kDecimal: return "a decimal";
    case P::kBool: return "a bool";
    case P::kTemporal: return "a date or datetime";
    case P::kDuration: return "a duration";
    case P::kList: return "a list";
    case P::kTextList: return "a list of strings";
    case P::kSized: return "a string, bytes, list or map";
  }
  return "a value";
}

namespace {

std::string_view ParamName(Param param) {
  switch (param) {
    case P::kAny: return "any";
    case P::kText: return "string";
    case P::kInt: return "int";
    case P::kNumber: return "number";
    case P::kDecimal: return "decimal";
    case P::kBool: return "bool";
    case P::kTemporal: return "date|datetime";
    case P::kDuration: return "duration";
    case P::kList: return "list";
    case P::kTextList: return "list<string>";
    case P::kSized: return "string|bytes|list|map";
  }
  return "any";
}

std::string_view ResultName(Result r) {
  switch (r) {
    case Result::kBool: return "bool";
    case Result::kInt: return "int";
    case Result::kUint: return "uint";
    case Result::kDouble: return "double";
    case Result::kDecimal:
    case Result::kDecimalRounded: return "decimal";
    case Result::kString:
    case Result::kStringSameLength:
    case Result::kStringTruncated:
    case Result::kStringFixed: return "string";
    case Result::kBytes: return "bytes";
    case Result::kDate: return "date";
    case Result::kDateTime: return "datetime";
    case Result::kDuration: return "duration";
    case Result::kTextList: return "list<string>";
    case Result::kDyn: return "dyn";
  }
  return "dyn";
}

}  // namespace

std::string Signature(const Function& fn) {
  std::string out = std::string(fn.name) + "(";
  for (size_t i = 0; i < fn.params.size(); ++i) {
    bool optional = i >= fn.required;
    if (optional) out += "[";
    if (i > 0) out += ", ";
    out += ParamName(fn.params[i]);
    if (fn.variadic && i + 1 == fn.params.size()) out += "...";
  }
  for (size_t i = fn.required; i < fn.params.size(); ++i) out += "]";
  out += ") -> ";
  out += ResultName(fn.result);
  if (fn.fallible) out += " (fallible)";
  return out;
}

Type ResultType(const Function& fn, const std::vector<Typed>& args, const std::vector<std::optional<int64_t>>& int_args) {
  auto int_arg = [&](size_t i) -> std::optional<uint32_t> {
    if (i < int_args.size() && int_args[i] && *int_args[i] >= 0 && *int_args[i] <= UINT32_MAX) {
      return static_cast<uint32_t>(*int_args[i]);
    }
    return std::nullopt;
  };
  switch (fn.result) {
    case R::kBool: return Type(TypeKind::kBool);
    case R::kInt: return Type(TypeKind::kInt);
    case R::kUint: return Type(TypeKind::kUint);
    case R::kDouble: return Type(TypeKind::kDouble);
    case R::kDecimal: return Type::Decimal(std::nullopt, std::nullopt);
    case R::kDecimalRounded: {
      std::optional<uint32_t> scale = int_arg(1);
      std::optional<uint32_t> precision;
      if (scale && !args.empty() && args[0].type.kind == TypeKind::kDecimal && args[0].type.precision && args[0].type.scale) {
        precision = *args[0].type.precision - *args[0].type.scale + *scale;
      }
      return Type::Decimal(precision, scale);
    }
    case R::kString: return Type::String();
    case R::kStringSameLength:
      return Type::String(!args.empty() && args[0].type.IsText() ? args[0].type.length : std::nullopt);
    case R::kStringTruncated: return Type::String(int_arg(1));
    case R::kStringFixed: return Type::String(fn.length);
    case R::kBytes: return Type(TypeKind::kBytes);
    case R::kDate: return Type(TypeKind::kDate);
    case R::kDateTime: return Type(TypeKind::kDateTime);
    case R::kDuration: return Type(TypeKind::kDuration);
    case R::kTextList: return Type::List(Type::String());
    case R::kDyn: return Type(TypeKind::kDyn);
  }
  return Type(TypeKind::kDyn);
}

}  // namespace crmx::check
