// Defines Parse(): the wall around the generated ANTLR parser.
//
// Steps: make the text safe for ANTLR (invalid UTF-8 bytes become bad characters), lex, report
// lexical errors (bad characters, unterminated strings and comments), refuse input nested
// deeper than the cap, parse (fast SLL first; on failure, again in full LL with the crmx error
// strategy for good messages), then build the AST. Everything runs on a thread with a large
// stack, and every exception stops at this file.
#include "compiler/syntax/parser.h"

#include <cctype>
#include <functional>

#include "compiler/syntax/large_stack.h"
#include "compiler/syntax/literals.h"
#include "compiler/syntax/parse_session.h"

namespace crmx::syntax {
namespace {

using P = crmx_antlr::CrmxParser;

// Copies the text, replacing each byte that is not valid UTF-8 with 0x01 (a bad character
// for the lexer), and fills the code-point-to-byte table when the text is not ASCII.
std::string Sanitize(const std::string& text, std::vector<uint32_t>& cp_to_byte, std::vector<uint32_t>& invalid) {
  std::string out = text;
  bool ascii = true;
  for (unsigned char c : text) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return out;
  cp_to_byte.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    cp_to_byte.push_back(static_cast<uint32_t>(i));
    if (n == 0) {
      out[i] = '\x01';
      invalid.push_back(static_cast<uint32_t>(i));
      n = 1;
    }
    i += n;
  }
  cp_to_byte.push_back(static_cast<uint32_t>(text.size()));
  return out;
}

// Reports bad characters, unterminated strings and comments; returns false when the input
// must not be parsed (nesting past the cap).
bool LexicalPass(ParseSession& s, antlr4::CommonTokenStream& tokens, const std::vector<uint32_t>& invalid) {
  const std::vector<antlr4::Token*>& all = tokens.getTokens();
  for (size_t i = 0; i < all.size(); ++i) {
    antlr4::Token* t = all[i];
    switch (t->getType()) {
      case P::ERROR_CHAR: {
        size_t j = i;
        while (j + 1 < all.size() && all[j + 1]->getType() == P::ERROR_CHAR &&
               all[j + 1]->getStartIndex() == all[j]->getStopIndex() + 1 && all[j + 1]->getLine() == t->getLine()) {
          ++j;
        }
        Span span = Span::Cover(s.TokenSpan(t), s.TokenSpan(all[j]));
        bool bad_utf8 = std::binary_search(invalid.begin(), invalid.end(), span.begin);
        std::string text = s.file.text().substr(span.begin, span.end - span.begin);
        diag::Diagnostic d;
        if (bad_utf8) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(s.file.text()[span.begin]));
          d = diag::Make(diag::Kind::InvalidCharacter, span, std::string("invalid UTF-8 byte ") + hex, "not UTF-8");
          d.help = "save the file as UTF-8";
        } else {
          bool printable = text.size() <= 40;
          for (char c : text) printable = printable && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
          d = diag::Make(diag::Kind::InvalidCharacter, span,
                         printable ? (j > i ? "invalid characters `" : "invalid character `") + text + "`"
                                   : std::string("invalid character"),
                         "not part of the language");
          if (text == ";") d.help = "statements need no `;`: remove it";
          else if (text == "&" || text == "|") d.help = "logical operators are `&&` and `||`";
          else if (text == "#") d.help = "comments start with `//`";
        }
        // Reported here, so the parser does not see them: its recovery would only add noise
        // (and its prediction could misplace the next error before them).
        for (size_t k = i; k <= j; ++k) {
          s.bad_token_indexes.push_back(all[k]->getTokenIndex());
          if (auto* w = dynamic_cast<antlr4::WritableToken*>(all[k])) w->setChannel(antlr4::Token::HIDDEN_CHANNEL);
        }
        s.Report(std::move(d));
        i = j;
        break;
      }
      case P::UNTERMINATED_STRING: {
        Span span = s.TokenSpan(t);
        char quote = '"';
        for (char c : t->getText()) {
          if (c == '"' || c == '\'') {
            quote = c;
            break;
          }
        }
        // Reported where the closing quote is missing (the string's start is a secondary span).
        Span end = s.file.MakeSpan(span.end, span.end);
        diag::Diagnostic d = diag::Make(diag::Kind::UnterminatedString, end, "unterminated string",
                                        std::string("expected `") + quote + "` here");
        d.secondary.push_back({s.file.MakeSpan(span.begin, span.begin + 1), "the string starts here"});
        d.help = std::string("add the closing `") + quote + "` on the same line, or use a triple-quoted string for "
                 "text over several lines";
        d.fix = diag::Fix{end, std::string(1, quote), false};
        s.Report(std::move(d));
        if (auto* w = dynamic_cast<antlr4::WritableToken*>(t)) w->setType(P::STRING);
        break;
      }
      case P::BAD_NUMBER: {
        Span span = s.TokenSpan(t);
        std::string text = t->getText();
        size_t digits = 0;
        while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
          ++digits;
        }
        std::string suffix = text.substr(digits);
        bool integer = text.find('.') == std::string::npos;
        diag::Diagnostic d;
        if (integer && !suffix.empty() && std::string("smhd").find(suffix[0]) != std::string::npos) {
          d = diag::Make(diag::Kind::InvalidDuration, span, "unknown unit `" + suffix + "` in duration `" + text + "`",
                         "not a duration unit");
          d.help = "durations are a whole number and a unit: `ms`, `s`, `m`, `h` or `d` (`90s`, `10m`, `48h`)";
        } else if (text.size() > 1 && text[0] == '0' && (text[1] == 'X')) {
          d = diag::Make(diag::Kind::InvalidNumber, span, "`" + text + "` is not a number", "invalid number");
          d.help = "hexadecimal numbers start with a lowercase `0x`, as in CEL: `0x" + text.substr(2) + "`";
          d.fix = diag::Fix{span, "0x" + text.substr(2), true};
        } else if (text[0] == '.') {
          d = diag::Make(diag::Kind::InvalidNumber, span, "`" + text + "` is not a number", "invalid number");
          d.help = "write a digit before the decimal point: `0" + text + "`";
          d.fix = diag::Fix{span, "0" + text, true};
        } else {
          d = diag::Make(diag::Kind::InvalidNumber, span, "`" + text + "` is not a number", "letters after a number");
          d.help = "a number cannot run into a name: put a space or an operator between them";
        }
        bool duration = d.kind == diag::Kind::InvalidDuration;
        s.bad_token_indexes.push_back(t->getTokenIndex());
        s.Report(std::move(d));
        // The parser sees a number (or a duration) in its place, so the rest of the line parses.
        if (auto* w = dynamic_cast<antlr4::WritableToken*>(t)) w->setType(duration ? P::DURATION : P::INT);
        break;
      }
      case P::UNTERMINATED_COMMENT: {
        Span span = s.TokenSpan(t);
        Span open = s.file.MakeSpan(span.begin, span.begin + 2);
        Span end = s.file.MakeSpan(span.end, span.end);
        diag::Diagnostic d = diag::Make(diag::Kind::UnterminatedComment, end, "unterminated block comment",
                                        "the file ends inside a comment");
        d.secondary.push_back({open, "the comment starts here"});
        d.help = "close it with `*/`";
        s.bad_token_indexes.push_back(t->getTokenIndex());
        // The comment swallowed the rest of the file: what the parser misses at the end (the
        // closing braces) is this same mistake, so errors at the end are not reported again.
        s.bad_token_indexes.push_back(all.back()->getTokenIndex());
        s.Report(std::move(d));
        if (auto* w = dynamic_cast<antlr4::WritableToken*>(t)) w->setChannel(antlr4::Token::HIDDEN_CHANNEL);
        break;
      }
      default:
        break;
    }
  }
  // Nesting: brackets, plus `?`/`??` chains (right-recursive in the grammar) within a level.
  std::vector<uint32_t> chain{0};
  uint32_t chain_total = 0;
  const uint32_t budget = s.options.max_nesting * 8;
  for (antlr4::Token* t : all) {
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    size_t type = t->getType();
    if (type == P::LPAREN || type == P::LBRACKET || type == P::LBRACE) {
      chain.push_back(0);
      if (chain.size() - 1 > s.options.max_nesting) {
        diag::Diagnostic d = diag::Make(diag::Kind::NestingTooDeep, s.TokenSpan(t),
                                        "brackets nested more than " + std::to_string(s.options.max_nesting) +
                                            " levels deep",
                                        "too deep");
        d.help = "flatten the expression; deep nesting is almost always generated by mistake";
        s.Report(std::move(d));
        return false;
      }
    } else if (type == P::RPAREN || type == P::RBRACKET || type == P::RBRACE) {
      if (chain.size() > 1) {
        chain_total -= chain.back();
        chain.pop_back();
      }
    } else if (type == P::QUESTION || type == P::COALESCE) {
      ++chain.back();
      ++chain_total;
      if (chain_total > budget) {
        diag::Diagnostic d = diag::Make(diag::Kind::NestingTooDeep, s.TokenSpan(t),
                                        "expression chains more than " + std::to_string(budget) +
                                            " `?`/`??` operators",
                                        "too deep");
        d.help = "split the expression, for example with a lookup table";
        s.Report(std::move(d));
        return false;
      }
    } else if (type == P::COMMA || type == P::ASSIGN || (type >= P::INTEGRATION && type <= P::REF)) {
      chain_total -= chain.back();
      chain.back() = 0;
    }
  }
  return true;
}

// Lexes the session's file, runs the lexical pass, then parses from `start` (a member function
// of the generated parser: `&P::file`, `&P::standaloneExpr`) in two stages: SLL with bail-out,
// fast and enough for almost every valid input; on failure, full LL with the crmx error
// strategy, for exact messages and recovery. Calls `use` with the tree; not at all when the
// input must not be parsed (nesting past the cap).
template <typename Tree, typename Use>
void LexAndParse(ParseSession& s, Tree* (P::*start)(), Use use) {
  std::vector<uint32_t> invalid;
  std::string text = Sanitize(s.file.text(), s.cp_to_byte, invalid);
  antlr4::ANTLRInputStream input(text);
  crmx_antlr::CrmxLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  s.tokens = &tokens;
  if (!LexicalPass(s, tokens, invalid)) return;

  P parser(&tokens);
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  Tree* tree = nullptr;
  try {
    tree = (parser.*start)();
  } catch (antlr4::ParseCancellationException&) {
    tree = nullptr;
  }
  if (tree == nullptr) {
    tokens.seek(0);
    parser.reset();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
    parser.setErrorHandler(std::make_shared<CrmxErrorStrategy>(s));
    tree = (parser.*start)();
  }
  use(tree);
}

void ParseOnThisThread(ParseSession& s, std::unique_ptr<ast::Module>& out) {
  LexAndParse(s, &P::file, [&](P::FileContext* tree) { out = BuildAst(s, tree); });
}

void ParseExpressionOnThisThread(ParseSession& s, ParsedExpression& out) {
  LexAndParse(s, &P::standaloneExpr, [&](P::StandaloneExprContext* tree) {
    if (s.syntax_errors > 0) return;
    out.expr = BuildExprAst(s, tree, out.expr_count);
  });
}

}  // namespace

std::unique_ptr<ast::Module> Parse(const SourceFile& file, diag::DiagnosticSink& sink, const ParseOptions& options) {
  ParseSession session{file, sink, options};
  std::unique_ptr<ast::Module> module;
  RunWithLargeStack([&] {
    try {
      ParseOnThisThread(session, module);
    } catch (ParseAbandoned&) {
      module.reset();
    } catch (...) {
      // ANTLR has thrown strings and its own exception types: nothing crosses this wall.
      module.reset();
      diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, file.MakeSpan(0, 0),
                                      "the parser could not continue with this file (internal error)");
      d.notes.push_back("please report this file to the crmx maintainers");
      sink.Report(std::move(d));
    }
  });
  if (!module) {
    module = std::make_unique<ast::Module>();
    module->file = file.id();
  }
  return module;
}

ParsedExpression ParseExpression(const SourceFile& file, diag::DiagnosticSink& sink, const ParseOptions& options) {
  ParseSession session{file, sink, options};
  ParsedExpression out;
  RunWithLargeStack([&] {
    try {
      ParseExpressionOnThisThread(session, out);
    } catch (ParseAbandoned&) {
      out.expr.reset();
    } catch (...) {
      out.expr.reset();
      diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, file.MakeSpan(0, 0),
                                      "the parser could not continue with this expression (internal error)");
      sink.Report(std::move(d));
    }
  });
  if (session.syntax_errors > 0) out.expr.reset();
  return out;
}

}  // namespace crmx::syntax
