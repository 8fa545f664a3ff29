// stdlib_eval: evaluates standard-library calls written as text, one per input line, and prints
// one result per line. tests/docs/check_stdlib_examples.py feeds it the examples of
// docs/stdlib.md.
//
// A line is a call with literal arguments: strings ("..." with \" \\ \n \t \uXXXX escapes), ints (42,
// -7), uints (7u), doubles (1.5), decimals (19.99m), true, false, null, lists [..], maps
// {"k": v}, and nested calls. Receiver style works: `"  x ".trim()` is `trim("  x ")`.
// Output: strings quoted ("CA"), 42, 7u, 1.5, 19.99m, true, null, ["a", "b"], dates as
// date("2024-01-19"), datetimes as timestamp("2024-01-19T09:42:24Z"), and a failure as
// `fails: REASON`. `date("...")` and `timestamp("...")` may be used as arguments too.
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/stdlib/geo.h"
#include "runtime/stdlib/id.h"
#include "runtime/stdlib/money.h"
#include "runtime/stdlib/phone.h"
#include "runtime/stdlib/text.h"
#include "runtime/stdlib/time.h"

namespace {

using crmx::decimal::Decimal;
namespace sl = crmx::stdlib;

struct Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value>;
struct Value {
  std::variant<std::monostate, bool, int64_t, uint64_t, double, Decimal, std::string, std::shared_ptr<List>,
               std::shared_ptr<Map>, sl::Date, sl::DateTime>
      v;
};

// A failure in evaluation: either the function's own (a Result failure) or a usage mistake in
// the example (bad syntax, unknown function), which the checker reports differently.
struct Error {
  std::string message;
  bool usage = false;
};

class Evaluator {
 public:
  explicit Evaluator(std::string_view text) : s_(text) {}

  std::variant<Value, Error> Run() {
    auto v = Expr();
    if (std::holds_alternative<Error>(v)) return v;
    Space();
    if (p_ != s_.size()) return Usage("unexpected `" + std::string(s_.substr(p_)) + "`");
    return v;
  }

 private:
  static Error Usage(std::string m) { return Error{std::move(m), true}; }

  void Space() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t')) ++p_;
  }
  bool Eat(char c) {
    Space();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }

  std::variant<Value, Error> Expr() {
    auto v = Primary();
    if (std::holds_alternative<Error>(v)) return v;
    while (Eat('.')) {
      std::string name = Ident();
      if (name.empty() || !Eat('(')) return Usage("expected a method call after `.`");
      std::vector<Value> args{std::get<Value>(v)};
      auto e = Args(&args);
      if (e) return *e;
      v = Call(name, args);
      if (std::holds_alternative<Error>(v)) return v;
    }
    return v;
  }

  std::string Ident() {
    Space();
    size_t start = p_;
    while (p_ < s_.size() && (isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_')) ++p_;
    return std::string(s_.substr(start, p_ - start));
  }

  std::optional<Error> Args(std::vector<Value>* args) {
    if (Eat(')')) return std::nullopt;
    while (true) {
      auto a = Expr();
      if (auto* e = std::get_if<Error>(&a)) return *e;
      args->push_back(std::get<Value>(a));
      if (Eat(')')) return std::nullopt;
      if (!Eat(',')) return Usage("expected `,` or `)`");
    }
  }

  std::variant<Value, Error> String() {
    std::string out;
    ++p_;
    while (p_ < s_.size() && s_[p_] != '"') {
      char c = s_[p_++];
      if (c == '\\' && p_ < s_.size()) {
        char e = s_[p_++];
        if (e == 'u' && p_ + 4 <= s_.size()) {
          // \uXXXX: a BMP code point, written as UTF-8.
          unsigned cp = static_cast<unsigned>(std::stoul(std::string(s_.substr(p_, 4)), nullptr, 16));
          p_ += 4;
          if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          continue;
        }
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
      out.push_back(c);
    }
    if (p_ >= s_.size()) return Usage("unterminated string");
    ++p_;
    return Value{out};
  }

  std::variant<Value, Error> Number() {
    size_t start = p_;
    if (s_[p_] == '-' || s_[p_] == '+') ++p_;
    bool dot = false;
    while (p_ < s_.size() && (isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' || s_[p_] == 'e' ||
                              s_[p_] == 'E' || ((s_[p_] == '-' || s_[p_] == '+') && (s_[p_ - 1] == 'e' || s_[p_ - 1] == 'E')))) {
      dot = dot || s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E';
      ++p_;
    }
    std::string text(s_.substr(start, p_ - start));
    if (p_ < s_.size() && s_[p_] == 'm') {
      ++p_;
      auto d = Decimal::Parse(text);
      if (!d) return Usage("bad decimal literal");
      return Value{*d};
    }
    if (p_ < s_.size() && s_[p_] == 'u') {
      ++p_;
      return Value{static_cast<uint64_t>(std::stoull(text))};
    }
    if (dot) return Value{std::stod(text)};
    return Value{static_cast<int64_t>(std::stoll(text))};
  }

  std::variant<Value, Error> Primary() {
    Space();
    if (p_ >= s_.size()) return Usage("unexpected end");
    char c = s_[p_];
    if (c == '"') return String();
    if (isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') return Number();
    if (c == '[') {
      ++p_;
      auto list = std::make_shared<List>();
      if (!Eat(']')) {
        while (true) {
          auto v = Expr();
          if (std::holds_alternative<Error>(v)) return v;
          list->push_back(std::get<Value>(v));
          if (Eat(']')) break;
          if (!Eat(',')) return Usage("expected `,` or `]`");
        }
      }
      return Value{list};
    }
    if (c == '{') {
      ++p_;
      auto map = std::make_shared<Map>();
      if (!Eat('}')) {
        while (true) {
          Space();
          if (p_ >= s_.size() || s_[p_] != '"') return Usage("map keys are strings");
          auto k = String();
          if (!Eat(':')) return Usage("expected `:`");
          auto v = Expr();
          if (std::holds_alternative<Error>(v)) return v;
          (*map)[std::get<std::string>(std::get<Value>(k).v)] = std::get<Value>(v);
          if (Eat('}')) break;
          if (!Eat(',')) return Usage("expected `,` or `}`");
        }
      }
      return Value{map};
    }
    std::string name = Ident();
    if (name.empty()) return Usage("unexpected `" + std::string(1, c) + "`");
    if (name == "true") return Value{true};
    if (name == "false") return Value{false};
    if (name == "null") return Value{};
    if (!Eat('(')) return Usage("expected `(` after `" + name + "`");
    std::vector<Value> args;
    if (auto e = Args(&args)) return *e;
    return Call(name, args);
  }

  template <class T>
  static std::variant<Value, Error> From(const sl::Result<T>& r) {
    if (!r) return Error{std::string(r.reason())};
    return Value{*r};
  }

  static const std::string* Str(const std::vector<Value>& a, size_t i) {
    return i < a.size() ? std::get_if<std::string>(&a[i].v) : nullptr;
  }
  static std::optional<int64_t> Int(const std::vector<Value>& a, size_t i) {
    if (i >= a.size()) return std::nullopt;
    if (auto* v = std::get_if<int64_t>(&a[i].v)) return *v;
    return std::nullopt;
  }
  static std::optional<Decimal> Dec(const std::vector<Value>& a, size_t i) {
    if (i >= a.size()) return std::nullopt;
    if (auto* v = std::get_if<Decimal>(&a[i].v)) return *v;
    if (auto* v = std::get_if<int64_t>(&a[i].v)) return Decimal::FromInt(*v);
    if (auto* v = std::get_if<double>(&a[i].v)) {
      auto d = Decimal::FromDouble(*v);
      if (d) return *d;
    }
    return std::nullopt;
  }

  std::variant<Value, Error> Call(const std::string& f, const std::vector<Value>& a) {
    size_t n = a.size();
    auto bad = [&] { return Usage("bad arguments for `" + f + "`"); };
    // std.text
    if (f == "trim" || f == "upper" || f == "lower") {
      if (n != 1 || !Str(a, 0)) return bad();
      return Value{f == "trim" ? sl::Trim(*Str(a, 0)) : f == "upper" ? sl::Upper(*Str(a, 0)) : sl::Lower(*Str(a, 0))};
    }
    if (f == "truncate") {
      if (n != 2 || !Str(a, 0) || !Int(a, 1)) return bad();
      return Value{sl::Truncate(*Str(a, 0), *Int(a, 1))};
    }
    if (f == "replace") {
      if (n != 3 || !Str(a, 0) || !Str(a, 1) || !Str(a, 2)) return bad();
      return Value{sl::Replace(*Str(a, 0), *Str(a, 1), *Str(a, 2))};
    }
    if (f == "split") {
      if (n != 2 || !Str(a, 0) || !Str(a, 1)) return bad();
      auto list = std::make_shared<List>();
      for (auto& s : sl::Split(*Str(a, 0), *Str(a, 1))) list->push_back(Value{s});
      return Value{list};
    }
    if (f == "join") {
      auto* list = n == 2 ? std::get_if<std::shared_ptr<List>>(&a[0].v) : nullptr;
      if (!list || !Str(a, 1)) return bad();
      std::vector<std::string> parts;
      for (auto& v : **list) {
        auto* s = std::get_if<std::string>(&v.v);
        if (!s) return bad();
        parts.push_back(*s);
      }
      return Value{sl::Join(parts, *Str(a, 1))};
    }
    if (f == "matches") {
      if (n != 2 || !Str(a, 0) || !Str(a, 1)) return bad();
      return From(sl::Matches(*Str(a, 0), *Str(a, 1)));
    }
    if (f == "digits") {
      if (n != 1 || !Str(a, 0)) return bad();
      return From(sl::Result<std::string>(sl::Digits(*Str(a, 0))));
    }
    if (f == "re_replace") {
      if (n != 3 || !Str(a, 0) || !Str(a, 1) || !Str(a, 2)) return bad();
      return From(sl::ReReplace(*Str(a, 0), *Str(a, 1), *Str(a, 2)));
    }
    if (f == "re_extract") {
      if (n != 2 || !Str(a, 0) || !Str(a, 1)) return bad();
      return From(sl::ReExtract(*Str(a, 0), *Str(a, 1)));
    }
    if (f == "format") {
      if (n < 1 || !Str(a, 0)) return bad();
      std::vector<sl::FormatArg> args;
      for (size_t i = 1; i < n; ++i) {
        const auto& v = a[i].v;
        if (std::holds_alternative<std::monostate>(v)) args.emplace_back(std::monostate{});
        else if (auto* b = std::get_if<bool>(&v)) args.emplace_back(*b);
        else if (auto* x = std::get_if<int64_t>(&v)) args.emplace_back(*x);
        else if (auto* u = std::get_if<uint64_t>(&v)) args.emplace_back(*u);
        else if (auto* d = std::get_if<double>(&v)) args.emplace_back(*d);
        else if (auto* m = std::get_if<Decimal>(&v)) args.emplace_back(*m);
        else if (auto* s = std::get_if<std::string>(&v)) args.emplace_back(std::string_view(*s));
        else if (auto* dt = std::get_if<sl::Date>(&v)) args.emplace_back(*dt);
        else if (auto* ts = std::get_if<sl::DateTime>(&v)) args.emplace_back(*ts);
        else return bad();
      }
      return From(sl::Format(*Str(a, 0), args));
    }
    // std.geo
    if (f == "state_code" || f == "country_code" || f == "currency_of") {
      if (n != 1 || !Str(a, 0)) return bad();
      if (f == "currency_of") return From(sl::CurrencyOf(*Str(a, 0)));
      sl::Result<std::string_view> code = f == "state_code" ? sl::StateCode(*Str(a, 0)) : sl::CountryCode(*Str(a, 0));
      if (!code) return From(sl::Result<std::string>(sl::Fail(std::string(code.reason()))));
      return From(sl::Result<std::string>(std::string(*code)));
    }
    // std.phone
    if (f == "e164") {
      if (n < 1 || n > 2 || !Str(a, 0) || (n == 2 && !Str(a, 1))) return bad();
      return From(sl::E164(*Str(a, 0), n == 2 ? std::string_view(*Str(a, 1)) : std::string_view()));
    }
    // std.money
    if (f == "round") {
      if (n != 2 || !Dec(a, 0) || !Int(a, 1)) return bad();
      return From(sl::Round(*Dec(a, 0), *Int(a, 1)));
    }
    if (f == "convert") {
      auto* rates = n == 4 ? std::get_if<std::shared_ptr<Map>>(&a[3].v) : nullptr;
      if (!rates || !Dec(a, 0) || !Str(a, 1) || !Str(a, 2)) return bad();
      sl::RateTable table;
      for (auto& [k, v] : **rates) {
        auto d = Dec(std::vector<Value>{v}, 0);
        if (!d) return bad();
        table.emplace(k, *d);
      }
      return From(sl::Convert(*Dec(a, 0), *Str(a, 1), *Str(a, 2), table));
    }
    // std.time
    if (f == "parse_date") {
      if (n != 2 || !Str(a, 0) || !Str(a, 1)) return bad();
      return From(sl::ParseDate(*Str(a, 0), *Str(a, 1)));
    }
    if (f == "parse_datetime") {
      if (n < 2 || n > 3 || !Str(a, 0) || !Str(a, 1) || (n == 3 && !Str(a, 2))) return bad();
      return From(sl::ParseDateTime(*Str(a, 0), *Str(a, 1), n == 3 ? std::string_view(*Str(a, 2)) : "UTC"));
    }
    if (f == "format_date" || f == "format_datetime") {
      if (n < 2 || n > 3 || !Str(a, 1) || (n == 3 && !Str(a, 2))) return bad();
      std::string_view zone = n == 3 ? std::string_view(*Str(a, 2)) : "UTC";
      if (auto* d = std::get_if<sl::Date>(&a[0].v); d && n == 2) return From(sl::FormatDate(*d, *Str(a, 1)));
      if (auto* t = std::get_if<sl::DateTime>(&a[0].v)) return From(sl::FormatDateTime(*t, *Str(a, 1), zone));
      return bad();
    }
    if (f == "date") {
      if (n != 1 || !Str(a, 0)) return bad();
      return From(sl::ParseDate(*Str(a, 0), "%Y-%m-%d"));
    }
    if (f == "timestamp") {
      if (n != 1 || !Str(a, 0)) return bad();
      return From(sl::ParseTimestamp(*Str(a, 0)));
    }
    // std.id
    if (f == "sf_id18") {
      if (n != 1 || !Str(a, 0)) return bad();
      return From(sl::SfId18(*Str(a, 0)));
    }
    return Usage("unknown function `" + f + "`");
  }

  std::string_view s_;
  size_t p_ = 0;
};

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Show(const Value& value) {
  const auto& v = value.v;
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u) + "u";
  if (auto* d = std::get_if<double>(&v)) {
    std::string s = sl::ToText(*d);
    if (s.find_first_of(".eIN") == std::string::npos) s += ".0";
    return s;
  }
  if (auto* m = std::get_if<Decimal>(&v)) return m->ToString() + "m";
  if (auto* s = std::get_if<std::string>(&v)) return Quoted(*s);
  if (auto* l = std::get_if<std::shared_ptr<List>>(&v)) {
    std::string out = "[";
    for (size_t i = 0; i < (*l)->size(); ++i) out += (i ? ", " : "") + Show((**l)[i]);
    return out + "]";
  }
  if (auto* m = std::get_if<std::shared_ptr<Map>>(&v)) {
    std::string out = "{";
    bool first = true;
    for (auto& [k, x] : **m) {
      out += (first ? "" : ", ") + Quoted(k) + ": " + Show(x);
      first = false;
    }
    return out + "}";
  }
  if (auto* d = std::get_if<sl::Date>(&v)) return "date(\"" + sl::ToText(*d) + "\")";
  if (auto* t = std::get_if<sl::DateTime>(&v)) return "timestamp(\"" + sl::TimestampText(*t) + "\")";
  return "?";
}

}  // namespace

int main() {
  std::string line;
  int usage_errors = 0;
  while (std::getline(std::cin, line)) {
    auto r = Evaluator(line).Run();
    if (auto* e = std::get_if<Error>(&r)) {
      if (e->usage) {
        ++usage_errors;
        std::cout << "usage error: " << e->message << "\n";
      } else {
        std::cout << "fails: " << e->message << "\n";
      }
    } else {
      std::cout << Show(std::get<Value>(r)) << "\n";
    }
  }
  return usage_errors == 0 ? 0 : 1;
}
