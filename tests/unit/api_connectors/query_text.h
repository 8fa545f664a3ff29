// Defines the tests' readers of query literals: given a query and where a string literal
// opens, they decode it by the dialect's rules and say where it ends, so a test can show that
// a value with quotes and backslashes stays one literal. Header-only.
#pragma once

#include <string>
#include <string_view>

namespace crmx::testing {

struct Literal {
  bool ok = false;
  std::string text;  // decoded
  size_t end = 0;    // just after the closing quote
};

// SOQL: backslash escapes (\' \" \\ \n \r \t \b \f, and \% \_ in LIKE patterns).
inline Literal ReadSoqlLiteral(std::string_view q, size_t open) {
  Literal out;
  if (open >= q.size() || q[open] != '\'') return out;
  for (size_t i = open + 1; i < q.size(); ++i) {
    char c = q[i];
    if (c == '\'') {
      out.ok = true;
      out.end = i + 1;
      return out;
    }
    if (c == '\n') return out;  // a raw newline would end the query's line: not allowed
    if (c != '\\') {
      out.text += c;
      continue;
    }
    if (++i >= q.size()) return out;
    switch (q[i]) {
      case 'n': out.text += '\n'; break;
      case 'r': out.text += '\r'; break;
      case 't': out.text += '\t'; break;
      case 'b': out.text += '\b'; break;
      case 'f': out.text += '\f'; break;
      case '\'': case '"': case '\\': case '%': case '_': out.text += q[i]; break;
      default: return out;  // SOQL rejects any other escape
    }
  }
  return out;
}

// SuiteQL (Oracle): '' inside a literal is one quote; nothing else is special.
inline Literal ReadSqlLiteral(std::string_view q, size_t open) {
  Literal out;
  if (open >= q.size() || q[open] != '\'') return out;
  for (size_t i = open + 1; i < q.size(); ++i) {
    if (q[i] != '\'') {
      out.text += q[i];
      continue;
    }
    if (i + 1 < q.size() && q[i + 1] == '\'') {
      out.text += '\'';
      ++i;
      continue;
    }
    out.ok = true;
    out.end = i + 1;
    return out;
  }
  return out;
}

}  // namespace crmx::testing
