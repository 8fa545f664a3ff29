// Defines Tokenize() (tokens.h): runs the generated lexer over a file and classes each token
// by its lexer rule. The lexer is not recursive, so unlike Parse() it runs on the caller's
// thread; no ANTLR exception leaves this file.
#include "compiler/syntax/tokens.h"

#include <antlr4-runtime.h>

#include <string>

#include "CrmxLexer.h"
#include "compiler/syntax/literals.h"

namespace crmx::syntax {
namespace {

using L = crmx_antlr::CrmxLexer;

// The keyword rules are consecutive in the grammar (between `// KEYWORDS (reserved)` and
// `// END KEYWORDS`, the reserved ones first, ending with `null`, and `->` right after them),
// so the classes below are ranges of token types.
static_assert(L::VERSION == L::NULL_LIT + 1, "the contextual keywords no longer follow the reserved ones in Crmx.g4");
static_assert(L::INTEGRATION < L::NULL_LIT && L::NULL_LIT < L::ARROW, "the keywords are no longer first in Crmx.g4");

TokenClass ClassOf(size_t type) {
  if (type == L::TRUE_LIT || type == L::FALSE_LIT || type == L::NULL_LIT) return TokenClass::Literal;
  if (type >= L::INTEGRATION && type <= L::NULL_LIT) return TokenClass::ReservedKeyword;
  if (type >= L::VERSION && type < L::ARROW) return TokenClass::ContextualKeyword;
  switch (type) {
    case L::IDENT:
      return TokenClass::Name;
    case L::QUOTED_IDENT:
      return TokenClass::QuotedName;
    case L::STRING:
    case L::BYTES:
    case L::UNTERMINATED_STRING:
      return TokenClass::String;
    case L::DURATION:
    case L::DECIMAL:
    case L::FLOAT:
    case L::UINT:
    case L::INT:
      return TokenClass::Number;
    case L::LINE_COMMENT:
    case L::BLOCK_COMMENT:
    case L::UNTERMINATED_COMMENT:
      return TokenClass::Comment;
    case L::DOC_COMMENT:
      return TokenClass::DocComment;
    case L::LPAREN:
    case L::RPAREN:
    case L::LBRACKET:
    case L::RBRACKET:
    case L::LBRACE:
    case L::RBRACE:
    case L::COMMA:
    case L::DOT:
    case L::COLON:
      return TokenClass::Punctuation;
    case L::ARROW:
    case L::COALESCE:
    case L::EQ:
    case L::NE:
    case L::LE:
    case L::GE:
    case L::AND:
    case L::OR:
    case L::ASSIGN:
    case L::LT:
    case L::GT:
    case L::NOT:
    case L::PLUS:
    case L::MINUS:
    case L::STAR:
    case L::SLASH:
    case L::PERCENT:
    case L::QUESTION:
    case L::TILDE:
      return TokenClass::Operator;
    default:
      return TokenClass::Bad;  // BAD_NUMBER, ERROR_CHAR
  }
}

void TokenizeHere(const SourceFile& file, std::vector<Token>& out) {
  const std::string& original = file.text();
  // ANTLR reads code points and counts in them; offsets are bytes. Invalid UTF-8 bytes become
  // 0x01, a character the lexer has no rule for (as in Parse()).
  std::string text = original;
  std::vector<uint32_t> cp_to_byte;
  cp_to_byte.reserve(text.size() + 1);
  for (size_t i = 0; i < original.size();) {
    size_t n = Utf8SequenceLength(original, i);
    cp_to_byte.push_back(static_cast<uint32_t>(i));
    if (n == 0) {
      text[i] = '\x01';
      n = 1;
    }
    i += n;
  }
  cp_to_byte.push_back(static_cast<uint32_t>(original.size()));
  auto byte = [&](size_t cp) { return cp < cp_to_byte.size() ? cp_to_byte[cp] : cp_to_byte.back(); };

  antlr4::ANTLRInputStream input(text);
  L lexer(&input);
  lexer.removeErrorListeners();
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.nextToken();
    if (t == nullptr || t->getType() == antlr4::Token::EOF) break;
    if (t->getType() == L::WS) continue;
    Token tok;
    tok.begin = byte(t->getStartIndex());
    tok.end = byte(t->getStopIndex() + 1);
    tok.cls = ClassOf(t->getType());
    if (tok.end > tok.begin) out.push_back(tok);
  }
}

}  // namespace

std::vector<Token> Tokenize(const SourceFile& file) {
  std::vector<Token> out;
  try {
    TokenizeHere(file, out);
  } catch (...) {
    // ANTLR has thrown strings and its own exception types: nothing crosses this wall. What
    // was read so far is kept.
  }
  return out;
}

}  // namespace crmx::syntax
