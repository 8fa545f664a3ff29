// Defines the grammar's keywords as data (see keywords.h), from the generated lexer's
// vocabulary: a keyword renamed or added in grammar/Crmx.g4 changes these lists with it.
#include "compiler/syntax/keywords.h"

#include <initializer_list>

#include "CrmxLexer.h"

namespace crmx::syntax {

namespace {

using L = crmx_antlr::CrmxLexer;

// The literal of a keyword token without its quotes: 'map' -> map.
std::string Word(size_t type) {
  static antlr4::ANTLRInputStream empty("");
  static L lexer(&empty);
  std::string literal = lexer.getVocabulary().getLiteralName(type);
  if (literal.size() >= 2 && literal.front() == '\'' && literal.back() == '\'') return literal.substr(1, literal.size() - 2);
  return literal;
}

std::vector<std::string> Words(std::initializer_list<size_t> types) {
  std::vector<std::string> out;
  for (size_t t : types) out.push_back(Word(t));
  return out;
}

}  // namespace

const std::vector<Keyword>& Keywords() {
  // The grammar declares the reserved words from INTEGRATION to NULL_LIT, then the contextual
  // ones from VERSION to `// END KEYWORDS`, after which ARROW is the first other token.
  static const std::vector<Keyword> kKeywords = [] {
    std::vector<Keyword> out;
    for (size_t t = L::INTEGRATION; t <= L::NULL_LIT; ++t) out.push_back({Word(t), true});
    for (size_t t = L::VERSION; t < L::ARROW; ++t) out.push_back({Word(t), false});
    return out;
  }();
  return kKeywords;
}

std::vector<std::string> ItemKeywords() {
  return Words({L::IMPORT, L::USE, L::SYSTEM, L::OWNER, L::TABLE, L::MAP, L::SYNC, L::CONFLICTS, L::ALERT,
                L::RECONCILE, L::TEST});
}

std::vector<std::string> MapStatementKeywords() { return Words({L::KEY, L::REQUIRE}); }

std::vector<std::string> SystemSettingKeywords() { return Words({L::SCHEMA, L::BUDGET, L::BATCH, L::FIELD}); }

std::vector<std::string> TestStatementKeywords() { return Words({L::GIVEN, L::EXPECT}); }

std::vector<std::string> ExpressionKeywords() {
  return Words({L::HOLD, L::REF, L::TRUE_LIT, L::FALSE_LIT, L::NULL_LIT});
}

}  // namespace crmx::syntax
