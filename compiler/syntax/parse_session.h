// Defines the state shared by the pieces of one parse: the file, the diagnostics sink, the
// code-point-to-byte table and the token stream. Internal to compiler/syntax/ (includes ANTLR).
#pragma once

#include <antlr4-runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "CrmxLexer.h"
#include "CrmxParser.h"
#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/syntax/parser.h"

namespace crmx::syntax {

// Thrown (inside the wall only) to stop a parse that hit the error cap.
struct ParseAbandoned {};

struct ParseSession {
  ParseSession(const SourceFile& f, diag::DiagnosticSink& s, const ParseOptions& o) : file(f), sink(s), options(o) {}

  const SourceFile& file;
  diag::DiagnosticSink& sink;
  const ParseOptions& options;
  // ANTLR counts in code points; spans are in bytes. cp_to_byte[i] is the byte offset of code
  // point i (size = code points + 1). Empty when the text is ASCII (identity).
  std::vector<uint32_t> cp_to_byte;
  antlr4::CommonTokenStream* tokens = nullptr;
  uint32_t syntax_errors = 0;
  // Token index of the last syntax error reported by the parser (recovery makes the parse tree
  // after it unreliable as evidence of what is open).
  ssize_t last_error_token = -1;
  // Byte offsets of tokens already reported by the lexical pass: parse errors there are
  // duplicates and are not reported again.
  std::vector<size_t> bad_token_indexes;

  uint32_t Byte(size_t cp) const {
    if (cp_to_byte.empty()) return static_cast<uint32_t>(cp);
    return cp < cp_to_byte.size() ? cp_to_byte[cp] : cp_to_byte.back();
  }
  Span TokenSpan(const antlr4::Token* t) const;
  // True for tokens the lexical pass already reported (their values are not decoded again).
  bool IsBad(const antlr4::Token* t) const {
    return t != nullptr &&
           std::find(bad_token_indexes.begin(), bad_token_indexes.end(), t->getTokenIndex()) != bad_token_indexes.end();
  }
  Span CtxSpan(const antlr4::ParserRuleContext* ctx) const;
  // Reports a diagnostic, counting syntax errors against the cap.
  void Report(diag::Diagnostic d);
};

// The error strategy: turns ANTLR's error callbacks into crmx diagnostics (syntax_errors.cpp).
class CrmxErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  explicit CrmxErrorStrategy(ParseSession& session) : session_(session) {}

 protected:
  void reportNoViableAlternative(antlr4::Parser* recognizer, const antlr4::NoViableAltException& e) override;
  void reportInputMismatch(antlr4::Parser* recognizer, const antlr4::InputMismatchException& e) override;
  void reportFailedPredicate(antlr4::Parser* recognizer, const antlr4::FailedPredicateException& e) override;
  void reportUnwantedToken(antlr4::Parser* recognizer) override;
  void reportMissingToken(antlr4::Parser* recognizer) override;

 private:
  void ReportExpected(antlr4::Parser* recognizer, antlr4::Token* found, const antlr4::misc::IntervalSet& expected,
                      bool missing);
  ParseSession& session_;
};

// Builds the AST from a parse tree (ast_builder.cpp). Reports the mistakes matched by the
// grammar's `...Error` alternatives and invalid literals.
std::unique_ptr<ast::Module> BuildAst(ParseSession& session, crmx_antlr::CrmxParser::FileContext* tree);
// Builds one standalone expression (null when the tree holds none); `expr_count` receives the
// number of expression ids used.
ast::ExprPtr BuildExprAst(ParseSession& session, crmx_antlr::CrmxParser::StandaloneExprContext* tree,
                          uint32_t& expr_count);

}  // namespace crmx::syntax
