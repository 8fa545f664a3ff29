// Defines the functions an expression can call: CEL's standard functions (no `use` needed) and
// those of the standard modules (`std.text`, `std.geo`, ...: each needs its `use`), as typed
// overloads with their fallibility.
//
// A fallible function can fail at run time on some inputs (an unknown state name, text that
// is not a number); the type checker requires its failure to be handled (docs/types.md).
// Every function can be called globally, `f(x, y)`, or receiver-style, `x.f(y)`: the receiver
// is the first argument. Macros (`all`, `exists`, `exists_one`, `map`, `filter`, `has`) and
// `owner_of` are not in this table: the expression checker handles them itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/check/types.h"

namespace crmx::check {

// What an argument accepts.
enum class Param : uint8_t {
  kAny,
  kText,      // string, picklist, id
  kInt,       // int or uint
  kNumber,    // int, uint, double, decimal
  kDecimal,   // decimal, int, uint
  kBool,
  kTemporal,  // date or datetime
  kDuration,
  kList,      // any list
  kTextList,  // list of text
  kSized,     // string, bytes, list, map
};

// What a call returns.
enum class Result : uint8_t {
  kBool,
  kInt,
  kUint,
  kDouble,
  kDecimal,
  kDecimalRounded,    // decimal with the scale given by the second argument (a literal)
  kString,
  kStringSameLength,  // a string no longer than the first argument
  kStringTruncated,   // a string no longer than the second argument (a literal)
  kStringFixed,       // a string of at most Function::length characters
  kBytes,
  kDate,
  kDateTime,
  kDuration,
  kTextList,
  kDyn,               // not known statically (`dyn(x)`, `type(x)`)
};

struct Function {
  std::string_view name;
  std::string_view module;  // "std.geo"; empty for CEL's standard functions
  std::vector<Param> params;
  size_t required = 0;      // the first `required` parameters must be given
  bool variadic = false;    // the last parameter repeats
  Result result = Result::kString;
  uint32_t length = 0;      // kStringFixed
  bool fallible = false;
  std::string_view failure;  // when fallible: on what it fails ("unknown state names")
};

// Every overload, grouped by name in declaration order.
const std::vector<Function>& Functions();
// The overloads of `name` (empty when there is none).
std::vector<const Function*> FindFunctions(std::string_view name);
// Every distinct function name, for "did you mean".
const std::vector<std::string>& FunctionNames();

bool Accepts(Param param, const Type& type);
// "a string", "a number", ...
std::string_view Describe(Param param);
// The signature of an overload, as docs/stdlib.md writes it without parameter names:
// "truncate(string, int) -> string", "round(number[, int]) -> decimal", "concat(string...)".
std::string Signature(const Function& fn);

// The type a call of `fn` returns. `int_args[i]` holds argument i when it is an int literal
// (used by `truncate(n)` and `round(x, n)`).
Type ResultType(const Function& fn, const std::vector<Typed>& args, const std::vector<std::optional<int64_t>>& int_args);

}  // namespace crmx::check
