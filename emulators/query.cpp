// Defines the SOQL/SuiteQL subset parser (a tokenizer and a recursive-descent parser over
// it) and the evaluation of conditions against records.
#include "emulators/query.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

namespace crmx::emulate {
namespace {

struct Token {
  enum class Kind { kWord, kString, kNumber, kDateTime, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;     // word, punctuation, number digits, datetime text, decoded string
  std::string pattern;  // strings: the LIKE form (see Literal::pattern)
  bool like_escape = false;  // SOQL: the string has \% or \_, allowed in LIKE only
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Splits the query into tokens; false with `error` on a literal the dialect does not allow.
bool Tokenize(std::string_view s, Dialect dialect, std::vector<Token>& out, std::string& error) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    if (c == '\'') {
      t.kind = Token::Kind::kString;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char d = s[i];
        if (dialect == Dialect::kSuiteQl) {
          if (d == '\'') {
            if (i + 1 < s.size() && s[i + 1] == '\'') {
              t.text += '\'';
              t.pattern += '\'';
              i += 2;
              continue;
            }
            closed = true;
            ++i;
            break;
          }
          t.text += d;
          t.pattern += d == '%' ? '\x02' : d == '_' ? '\x03' : d;
          ++i;
          continue;
        }
        // SOQL: backslash escapes; \% and \_ are a literal % and _ in a LIKE pattern.
        if (d == '\'') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\') {
          if (i + 1 >= s.size()) break;
          char e = s[i + 1];
          char lit = 0;
          if (e == 'u' && i + 5 < s.size()) {
            // \uXXXX: the code point, written as UTF-8.
            unsigned cp = static_cast<unsigned>(std::strtoul(std::string(s.substr(i + 2, 4)).c_str(), nullptr, 16));
            std::string utf8;
            if (cp < 0x80) {
              utf8 += static_cast<char>(cp);
            } else if (cp < 0x800) {
              utf8 += static_cast<char>(0xC0 | (cp >> 6));
              utf8 += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              utf8 += static_cast<char>(0xE0 | (cp >> 12));
              utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              utf8 += static_cast<char>(0x80 | (cp & 0x3F));
            }
            t.text += utf8;
            t.pattern += utf8;
            i += 6;
            continue;
          }
          switch (e) {
            case '\'': lit = '\''; break;
            case '"': lit = '"'; break;
            case '\\': lit = '\\'; break;
            case 'n': case 'N': lit = '\n'; break;
            case 'r': case 'R': lit = '\r'; break;
            case 't': case 'T': lit = '\t'; break;
            case 'b': case 'B': lit = '\b'; break;
            case 'f': case 'F': lit = '\f'; break;
            case '%': lit = '%'; t.like_escape = true; break;
            case '_': lit = '_'; t.like_escape = true; break;
            default:
              error = std::string("Invalid string literal: unknown escape \\") + e;
              return false;
          }
          t.text += lit;
          t.pattern += lit;
          i += 2;
          continue;
        }
        t.text += d;
        t.pattern += d == '%' ? '\x02' : d == '_' ? '\x03' : d;
        ++i;
      }
      if (!closed) {
        error = "unexpected end of query: a string literal is not closed";
        return false;
      }
      out.push_back(std::move(t));
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t start = i++;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
                              s[i] == ':' || s[i] == '-' || s[i] == '+')) {
        ++i;
      }
      t.text = std::string(s.substr(start, i - start));
      char* end = nullptr;
      std::strtod(t.text.c_str(), &end);
      if (end == t.text.c_str() + t.text.size()) {
        t.kind = Token::Kind::kNumber;
      } else if (dialect == Dialect::kSoql && ParseInstant(t.text)) {
        t.kind = Token::Kind::kDateTime;
      } else {
        error = "unexpected token: '" + t.text + "'";
        return false;
      }
      out.push_back(std::move(t));
      continue;
    }
    if (IsWordChar(c)) {
      size_t start = i;
      while (i < s.size() && IsWordChar(s[i])) ++i;
      t.kind = Token::Kind::kWord;
      t.text = std::string(s.substr(start, i - start));
      out.push_back(std::move(t));
      continue;
    }
    t.kind = Token::Kind::kPunct;
    std::string_view two = s.substr(i, 2);
    if (two == "!=" || two == "<>" || two == "<=" || two == ">=") {
      t.text = std::string(two);
      i += 2;
    } else if (std::string_view("=<>,()*").find(c) != std::string_view::npos) {
      t.text = std::string(1, c);
      ++i;
    } else {
      error = std::string("unexpected token: '") + c + "'";
      return false;
    }
    out.push_back(std::move(t));
  }
  out.push_back(Token{});
  return true;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, Dialect dialect) : tokens_(std::move(tokens)), dialect_(dialect) {}

  bool ParseSelect(Query& q, std::string& error) {
    if (!ExpectWord("SELECT", error)) return false;
    if (dialect_ == Dialect::kSoql && Peek().kind == Token::Kind::kWord && Upper(Peek().text) == "COUNT" &&
        pos_ + 2 < tokens_.size() && tokens_[pos_ + 1].text == "(" && tokens_[pos_ + 2].text == ")") {
      q.count = true;
      pos_ += 3;
    } else if (!ParseSelectList(q, error)) {
      return false;
    }
    if (!ExpectWord("FROM", error)) return false;
    if (Peek().kind != Token::Kind::kWord) return Fail("an object name", error);
    q.from = Next().text;
    if (AcceptWord("WHERE")) {
      q.where = ParseOr(error);
      if (!q.where) return false;
    }
    if (AcceptWord("ORDER")) {
      if (!ExpectWord("BY", error)) return false;
      if (Peek().kind != Token::Kind::kWord) return Fail("a field name", error);
      q.order_by = Next().text;
      if (AcceptWord("DESC")) {
        q.descending = true;
      } else {
        AcceptWord("ASC");
      }
      // Both vendors put nulls first in ascending order unless told otherwise.
      q.nulls_last = q.descending;
      if (AcceptWord("NULLS")) {
        if (AcceptWord("LAST")) {
          q.nulls_last = true;
        } else if (AcceptWord("FIRST")) {
          q.nulls_last = false;
        } else {
          return Fail("FIRST or LAST", error);
        }
      }
    }
    if (dialect_ == Dialect::kSoql) {
      if (AcceptWord("LIMIT")) {
        if (Peek().kind != Token::Kind::kNumber) return Fail("a number", error);
        q.limit = std::atoll(Next().text.c_str());
      }
      if (AcceptWord("OFFSET")) {
        if (Peek().kind != Token::Kind::kNumber) return Fail("a number", error);
        q.offset = std::atoll(Next().text.c_str());
      }
    }
    if (Peek().kind != Token::Kind::kEnd) return Fail("the end of the query", error);
    return true;
  }

 private:
  bool ParseSelectList(Query& q, std::string& error) {
    do {
      SelectItem item;
      if (Peek().kind == Token::Kind::kPunct && Peek().text == "*" && dialect_ == Dialect::kSuiteQl) {
        item.field = "*";
        ++pos_;
      } else if (dialect_ == Dialect::kSuiteQl && Peek().kind == Token::Kind::kWord && Upper(Peek().text) == "TO_CHAR") {
        ++pos_;
        if (!Accept("(")) return Fail("'('", error);
        if (Peek().kind != Token::Kind::kWord) return Fail("a field name", error);
        item.field = Next().text;
        if (!Accept(",") || Peek().kind != Token::Kind::kString) return Fail("a format string", error);
        item.to_char = Next().text;
        if (!Accept(")")) return Fail("')'", error);
      } else {
        if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) return Fail("a field name", error);
        item.field = Next().text;
      }
      if (dialect_ == Dialect::kSuiteQl && AcceptWord("AS")) {
        if (Peek().kind != Token::Kind::kWord) return Fail("an alias", error);
        item.alias = Next().text;
      }
      q.fields.push_back(item.field);
      q.select.push_back(std::move(item));
    } while (Accept(","));
    return true;
  }

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(std::string_view punct) {
    if (Peek().kind == Token::Kind::kPunct && Peek().text == punct) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AcceptWord(std::string_view word) {
    if (Peek().kind == Token::Kind::kWord && Upper(Peek().text) == word) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ExpectWord(std::string_view word, std::string& error) {
    return AcceptWord(word) || Fail(std::string(word), error);
  }
  bool Fail(const std::string& expected, std::string& error) {
    const Token& t = Peek();
    error = t.kind == Token::Kind::kEnd ? "unexpected end of query, expecting " + expected
                                         : "unexpected token: '" + t.text + "', expecting " + expected;
    return false;
  }
  static bool IsKeyword(const std::string& w) {
    static const char* kWords[] = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE",
                                   "ORDER", "BY", "LIMIT", "OFFSET", "IS", "NULL"};
    std::string u = Upper(w);
    return std::any_of(std::begin(kWords), std::end(kWords), [&](const char* k) { return u == k; });
  }

  std::unique_ptr<Condition> ParseOr(std::string& error) {
    auto left = ParseAnd(error);
    while (left && AcceptWord("OR")) {
      auto right = ParseAnd(error);
      if (!right) return nullptr;
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kOr;
      node->left = std::move(left);
      node->right = std::move(right);
      left = std::move(node);
    }
    return left;
  }
  std::unique_ptr<Condition> ParseAnd(std::string& error) {
    auto left = ParseFactor(error);
    while (left && AcceptWord("AND")) {
      auto right = ParseFactor(error);
      if (!right) return nullptr;
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kAnd;
      node->left = std::move(left);
      node->right = std::move(right);
      left = std::move(node);
    }
    return left;
  }
  std::unique_ptr<Condition> ParseFactor(std::string& error) {
    if (AcceptWord("NOT")) {
      auto inner = ParseFactor(error);
      if (!inner) return nullptr;
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kNot;
      node->left = std::move(inner);
      return node;
    }
    if (Accept("(")) {
      auto inner = ParseOr(error);
      if (!inner) return nullptr;
      if (!Accept(")")) {
        Fail("')'", error);
        return nullptr;
      }
      return inner;
    }
    if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) {
      Fail("a field name", error);
      return nullptr;
    }
    auto c = std::make_unique<Condition>();
    c->field = Next().text;
    if (dialect_ == Dialect::kSuiteQl && AcceptWord("IS")) {
      c->negated = AcceptWord("NOT");
      if (!ExpectWord("NULL", error)) return nullptr;
      c->op = c->negated ? "!=" : "=";
      c->negated = false;
      c->values.push_back(Literal{});
      return c;
    }
    bool negated = AcceptWord("NOT");
    if (AcceptWord("IN")) {
      c->kind = Condition::Kind::kIn;
      c->negated = negated;
      if (!Accept("(")) {
        Fail("'('", error);
        return nullptr;
      }
      do {
        Literal lit;
        if (!ParseLiteral(lit, error)) return nullptr;
        c->values.push_back(std::move(lit));
      } while (Accept(","));
      if (!Accept(")")) {
        Fail("')'", error);
        return nullptr;
      }
      return c;
    }
    if (AcceptWord("LIKE")) {
      c->kind = Condition::Kind::kLike;
      c->negated = negated;
      if (Peek().kind != Token::Kind::kString) {
        Fail("a string", error);
        return nullptr;
      }
      Literal lit;
      if (!ParseLiteral(lit, error, /*in_like=*/true)) return nullptr;
      c->values.push_back(std::move(lit));
      return c;
    }
    if (negated) {
      Fail("IN or LIKE", error);
      return nullptr;
    }
    const Token& op = Peek();
    static const char* kOps[] = {"=", "!=", "<>", "<", "<=", ">", ">="};
    if (op.kind != Token::Kind::kPunct ||
        std::none_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op.text == o; })) {
      Fail("an operator", error);
      return nullptr;
    }
    c->op = Next().text == "<>" ? "!=" : tokens_[pos_ - 1].text;
    Literal lit;
    if (!ParseLiteral(lit, error)) return nullptr;
    c->values.push_back(std::move(lit));
    return c;
  }

  bool ParseLiteral(Literal& lit, std::string& error, bool in_like = false) {
    const Token& t = Peek();
    switch (t.kind) {
      case Token::Kind::kString:
        if (t.like_escape && !in_like) {
          // The SOQL reference: \_ and \% are for LIKE expressions only.
          error = "Invalid string literal '" + t.text + "'. Illegal character sequence \\% or \\_ outside a LIKE expression";
          return false;
        }
        lit.kind = Literal::Kind::kString;
        lit.text = t.text;
        lit.pattern = t.pattern;
        ++pos_;
        return true;
      case Token::Kind::kNumber:
        lit.kind = Literal::Kind::kNumber;
        lit.text = t.text;
        ++pos_;
        return true;
      case Token::Kind::kDateTime:
        lit.kind = Literal::Kind::kDateTime;
        lit.text = t.text;
        lit.instant = *ParseInstant(t.text);
        ++pos_;
        return true;
      case Token::Kind::kWord: {
        std::string w = Upper(t.text);
        if (w == "NULL") {
          lit.kind = Literal::Kind::kNull;
          ++pos_;
          return true;
        }
        if (dialect_ == Dialect::kSoql && (w == "TRUE" || w == "FALSE")) {
          lit.kind = Literal::Kind::kBool;
          lit.text = w == "TRUE" ? "true" : "false";
          ++pos_;
          return true;
        }
        if (dialect_ == Dialect::kSuiteQl && (w == "TO_DATE" || w == "TO_TIMESTAMP")) {
          // TO_DATE('2024-01-01T00:00:00', 'YYYY-MM-DD"T"HH24:MI:SS'): the format is read but
          // the text must be one ParseInstant knows (ISO-like); see docs/emulators.md.
          ++pos_;
          if (!Accept("(") || Peek().kind != Token::Kind::kString) return Fail("'(' and a string", error);
          std::string text = Next().text;
          if (Accept(",")) {
            if (Peek().kind != Token::Kind::kString) return Fail("a format string", error);
            ++pos_;
          }
          if (!Accept(")")) return Fail("')'", error);
          auto instant = ParseInstant(text);
          if (!instant) {
            error = "Invalid date value: '" + text + "'";
            return false;
          }
          lit.kind = Literal::Kind::kDateTime;
          lit.text = text;
          lit.instant = *instant;
          return true;
        }
        break;
      }
      default:
        break;
    }
    return Fail("a value", error);
  }

  std::vector<Token> tokens_;
  Dialect dialect_;
  size_t pos_ = 0;
};

void CollectFields(const Condition& c, std::vector<std::string>& out) {
  if (!c.field.empty()) out.push_back(c.field);
  if (c.left) CollectFields(*c.left, out);
  if (c.right) CollectFields(*c.right, out);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Compares a stored value with a literal: <0, 0, >0, or nullopt when they cannot be compared
// (then every operator is false, as SQL's unknown).
std::optional<int> CompareLiteral(const Json& v, const Literal& lit, Dialect dialect) {
  auto sign = [](auto a, auto b) { return a < b ? -1 : a > b ? 1 : 0; };
  switch (lit.kind) {
    case Literal::Kind::kNull:
      return std::nullopt;
    case Literal::Kind::kNumber: {
      auto n = NumberValue(v);
      if (!n && v.is_string()) {
        char* end = nullptr;
        const std::string& s = v.get_ref<const std::string&>();
        long double d = std::strtold(s.c_str(), &end);
        if (end != s.c_str() && *end == 0) n = d;
      }
      if (!n) return std::nullopt;
      return sign(*n, std::strtold(lit.text.c_str(), nullptr));
    }
    case Literal::Kind::kBool:
      if (!v.is_boolean()) return std::nullopt;
      return sign(v.get<bool>() ? 1 : 0, lit.text == "true" ? 1 : 0);
    case Literal::Kind::kDateTime: {
      auto text = ScalarText(v);
      auto instant = text ? ParseInstant(*text) : std::nullopt;
      if (!instant) return std::nullopt;
      return sign(*instant, lit.instant);
    }
    case Literal::Kind::kString: {
      if (v.is_boolean()) {
        // SuiteQL booleans are 'T' and 'F'.
        std::string tf = v.get<bool>() ? "T" : "F";
        return sign(tf, lit.text);
      }
      auto text = ScalarText(v);
      if (!text) return std::nullopt;
      if (dialect == Dialect::kSuiteQl) {
        auto a = ParseInstant(*text);
        auto b = ParseInstant(lit.text);
        if (a && b) return sign(*a, *b);
      }
      if (dialect == Dialect::kSoql && EqualsIgnoreCase(*text, lit.text)) return 0;
      return sign(text->compare(lit.text), 0);
    }
  }
  return std::nullopt;
}

bool LikeMatch(std::string_view text, std::string_view pattern, bool ignore_case) {
  // Iterative wildcard match: \x02 any run, \x03 one character.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  auto same = [&](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '\x03' || same(pattern[p], text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '\x02') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '\x02') ++p;
  return p == pattern.size();
}

int DaysFromCivil(int y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

}  // namespace

bool ParseQuery(std::string_view text, Dialect dialect, Query& out, std::string& error) {
  std::vector<Token> tokens;
  if (!Tokenize(text, dialect, tokens, error)) return false;
  Parser parser(std::move(tokens), dialect);
  return parser.ParseSelect(out, error);
}

std::vector<std::string> FieldsUsed(const Query& q) {
  std::vector<std::string> out;
  for (const auto& f : q.fields) {
    if (f != "*") out.push_back(f);
  }
  if (q.where) CollectFields(*q.where, out);
  if (!q.order_by.empty()) out.push_back(q.order_by);
  return out;
}

bool Matches(const Condition& c, const FieldValue& value, Dialect dialect) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
      return Matches(*c.left, value, dialect) && Matches(*c.right, value, dialect);
    case Condition::Kind::kOr:
      return Matches(*c.left, value, dialect) || Matches(*c.right, value, dialect);
    case Condition::Kind::kNot:
      return !Matches(*c.left, value, dialect);
    case Condition::Kind::kLike: {
      Json v = value(c.field);
      auto text = ScalarText(v);
      if (!text) return false;
      bool m = LikeMatch(*text, c.values[0].pattern, dialect == Dialect::kSoql);
      return c.negated ? !m : m;
    }
    case Condition::Kind::kIn: {
      Json v = value(c.field);
      bool any = std::any_of(c.values.begin(), c.values.end(), [&](const Literal& lit) {
        auto cmp = CompareLiteral(v, lit, dialect);
        return cmp && *cmp == 0;
      });
      return c.negated ? !any && !v.is_null() : any;
    }
    case Condition::Kind::kCompare: {
      Json v = value(c.field);
      const Literal& lit = c.values[0];
      if (lit.kind == Literal::Kind::kNull) return c.op == "=" ? v.is_null() : c.op == "!=" ? !v.is_null() : false;
      if (v.is_null()) return dialect == Dialect::kSoql && c.op == "!=";
      auto cmp = CompareLiteral(v, lit, dialect);
      if (!cmp) return false;
      if (c.op == "=") return *cmp == 0;
      if (c.op == "!=") return *cmp != 0;
      if (c.op == "<") return *cmp < 0;
      if (c.op == "<=") return *cmp <= 0;
      if (c.op == ">") return *cmp > 0;
      return *cmp >= 0;
    }
  }
  return false;
}

int CompareForSort(const Json& a, const Json& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; };
  auto na = NumberValue(a), nb = NumberValue(b);
  if (na && nb) return sign(*na, *nb);
  auto ta = ScalarText(a), tb = ScalarText(b);
  if (!ta || !tb) return sign(ta ? 1 : 0, tb ? 1 : 0);
  // Text that is a whole number (SuiteQL renders every value as text) sorts as a number.
  auto as_number = [](const std::string& t) -> std::optional<long double> {
    char* end = nullptr;
    long double v = std::strtold(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) return std::nullopt;
    return v;
  };
  auto xa = as_number(*ta), xb = as_number(*tb);
  if (xa && xb) return sign(*xa, *xb);
  auto ia = ParseInstant(*ta), ib = ParseInstant(*tb);
  if (ia && ib) return sign(*ia, *ib);
  return sign(ta->compare(*tb), 0);
}

std::string FormatInstant(int64_t instant_ms, std::string_view format) {
  int64_t seconds = instant_ms >= 0 ? instant_ms / 1000 : (instant_ms - 999) / 1000;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  const int64_t hour = rest / 3600, minute = rest / 60 % 60, second = rest % 60;
  auto pad = [](int64_t v, int width) {
    std::string t = std::to_string(v);
    return std::string(t.size() < static_cast<size_t>(width) ? width - t.size() : 0, '0') + t;
  };
  std::string out;
  std::string upper = Upper(format);
  for (size_t i = 0; i < format.size();) {
    std::string_view rest_of = std::string_view(upper).substr(i);
    if (format[i] == '"') {
      size_t close = format.find('"', i + 1);
      out += format.substr(i + 1, close == std::string_view::npos ? std::string_view::npos : close - i - 1);
      i = close == std::string_view::npos ? format.size() : close + 1;
    } else if (rest_of.rfind("YYYY", 0) == 0) {
      out += pad(y, 4), i += 4;
    } else if (rest_of.rfind("HH24", 0) == 0) {
      out += pad(hour, 2), i += 4;
    } else if (rest_of.rfind("HH12", 0) == 0 || rest_of.rfind("HH", 0) == 0) {
      out += pad(hour % 12 == 0 ? 12 : hour % 12, 2), i += rest_of.rfind("HH12", 0) == 0 ? 4 : 2;
    } else if (rest_of.rfind("MM", 0) == 0) {
      out += pad(m, 2), i += 2;
    } else if (rest_of.rfind("DD", 0) == 0) {
      out += pad(d, 2), i += 2;
    } else if (rest_of.rfind("MI", 0) == 0) {
      out += pad(minute, 2), i += 2;
    } else if (rest_of.rfind("SS", 0) == 0) {
      out += pad(second, 2), i += 2;
    } else if (rest_of.rfind("AM", 0) == 0 || rest_of.rfind("PM", 0) == 0) {
      out += hour < 12 ? "AM" : "PM", i += 2;
    } else if (rest_of[0] == 'M') {
      // NetSuite's date preferences ("M/D/YYYY") write month and day without padding.
      out += std::to_string(m), i += 1;
    } else if (rest_of[0] == 'D') {
      out += std::to_string(d), i += 1;
    } else {
      out += format[i++];
    }
  }
  return out;
}

std::optional<int64_t> ParseInstant(std::string_view s) {
  auto digits = [&](size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  size_t i = 10;
  int64_t offset_min = 0;
  if (i < s.size()) {
    if ((s[i] != 'T' && s[i] != ' ') || !digits(i + 1, 2, h) || s.size() < i + 9 || s[i + 3] != ':' ||
        !digits(i + 4, 2, mi) || s[i + 6] != ':' || !digits(i + 7, 2, sec)) {
      return std::nullopt;
    }
    i += 9;
    if (i < s.size() && s[i] == '.') {
      size_t start = ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      std::string frac(s.substr(start, std::min<size_t>(i - start, 3)));
      while (frac.size() < 3) frac += '0';
      ms = std::atoi(frac.c_str());
    }
    if (i < s.size()) {
      if (s[i] == 'Z' && i + 1 == s.size()) {
        // UTC
      } else if (s[i] == '+' || s[i] == '-') {
        int oh = 0, om = 0;
        size_t rest = s.size() - i - 1;
        if (rest == 4 && digits(i + 1, 2, oh) && digits(i + 3, 2, om)) {
        } else if (rest == 5 && digits(i + 1, 2, oh) && s[i + 3] == ':' && digits(i + 4, 2, om)) {
        } else {
          return std::nullopt;
        }
        offset_min = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
      } else {
        return std::nullopt;
      }
    }
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return seconds * 1000 + ms;
}

}  // namespace crmx::emulate
