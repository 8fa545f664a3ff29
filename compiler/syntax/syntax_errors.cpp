// Defines the error strategy that turns ANTLR's syntax-error callbacks into diagnostics that
// speak the language ("expected `->` between the source and target objects of map `x`"),
// never ANTLR's token sets. Recovery itself is ANTLR's (single-token insertion and deletion,
// then resynchronisation); the number of reported errors is capped by ParseSession.
#include <algorithm>
#include <string>
#include <vector>

#include "compiler/syntax/parse_session.h"

namespace crmx::syntax {

using crmx_antlr::CrmxParser;
using P = crmx_antlr::CrmxParser;

Span ParseSession::TokenSpan(const antlr4::Token* t) const {
  if (t == nullptr) return file.MakeSpan(0, 0);
  if (t->getType() == antlr4::Token::EOF) {
    uint32_t end = static_cast<uint32_t>(file.text().size());
    return file.MakeSpan(end, end);
  }
  size_t start = t->getStartIndex();
  size_t stop = t->getStopIndex();
  uint32_t b = Byte(start);
  uint32_t e = stop + 1 >= start ? Byte(stop + 1) : b;
  return file.MakeSpan(b, e);
}

Span ParseSession::CtxSpan(const antlr4::ParserRuleContext* const_ctx) const {
  // ANTLR 4.9's accessors are not const.
  auto* ctx = const_cast<antlr4::ParserRuleContext*>(const_ctx);
  if (ctx == nullptr || ctx->getStart() == nullptr) return file.MakeSpan(0, 0);
  Span s = TokenSpan(ctx->getStart());
  const antlr4::Token* stop = ctx->getStop();
  if (stop != nullptr && stop->getType() != antlr4::Token::EOF && stop->getTokenIndex() >= ctx->getStart()->getTokenIndex()) {
    s = Span::Cover(s, TokenSpan(stop));
  }
  return s;
}

void ParseSession::Report(diag::Diagnostic d) {
  bool is_error = d.severity == diag::Severity::Error;
  if (is_error && syntax_errors >= options.max_errors) {
    diag::Diagnostic cap = diag::Make(diag::Kind::TooManyErrors, d.primary.span,
                                      "too many syntax errors: stopped parsing after " +
                                          std::to_string(options.max_errors));
    cap.notes.push_back("fix the errors above and run again to see the rest of this file");
    sink.Report(std::move(cap));
    throw ParseAbandoned{};
  }
  if (is_error) ++syntax_errors;
  sink.Report(std::move(d));
}

namespace {

bool IsReserved(size_t t) { return t >= P::INTEGRATION && t <= P::NULL_LIT; }
bool IsSoft(size_t t) { return t >= P::VERSION && t <= P::SKIPPED; }
bool IsDeclKeyword(size_t t) {
  switch (t) {
    case P::INTEGRATION: case P::IMPORT: case P::USE: case P::SYSTEM: case P::OWNER: case P::TABLE:
    case P::MAP: case P::SYNC: case P::CONFLICTS: case P::ALERT: case P::RECONCILE: case P::TEST:
      return true;
    default:
      return false;
  }
}
bool IsExprStart(size_t t) {
  switch (t) {
    case P::INT: case P::UINT: case P::FLOAT: case P::DECIMAL: case P::STRING: case P::BYTES:
    case P::TRUE_LIT: case P::FALSE_LIT: case P::NULL_LIT: case P::DURATION: case P::LPAREN: case P::LBRACKET:
    case P::LBRACE: case P::NOT: case P::MINUS: case P::HOLD: case P::REF: case P::IDENT: case P::QUOTED_IDENT:
      return true;
    default:
      return IsSoft(t);
  }
}

std::string Clip(std::string s, size_t n = 24) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

std::string TokenName(const antlr4::dfa::Vocabulary& vocab, size_t t) {
  if (t == antlr4::Token::EOF) return "end of file";
  switch (t) {
    case P::IDENT: case P::QUOTED_IDENT: return "a name";
    case P::STRING: return "a string";
    case P::INT: return "a whole number";
    case P::FLOAT: case P::DECIMAL: case P::UINT: return "a number";
    case P::DURATION: return "a duration such as `60s` or `1h`";
    case P::BYTES: return "a bytes literal";
    default: break;
  }
  std::string lit = vocab.getLiteralName(t);
  if (lit.size() >= 2 && lit.front() == '\'' && lit.back() == '\'') return "`" + lit.substr(1, lit.size() - 2) + "`";
  return vocab.getDisplayName(t);
}

std::string JoinOr(const std::vector<std::string>& items) {
  if (items.empty()) return "something else";
  std::string out;
  size_t n = std::min<size_t>(items.size(), 7);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += (i + 1 == n && n == items.size()) ? " or " : ", ";
    out += items[i];
  }
  if (n < items.size()) out += " or another";
  return out;
}

// Renders an expected-token set in the language's words, collapsing families of tokens.
std::string DescribeExpected(const antlr4::misc::IntervalSet& set, const antlr4::dfa::Vocabulary& vocab) {
  std::vector<size_t> toks;
  for (ssize_t t : set.toList()) toks.push_back(static_cast<size_t>(t));
  auto has = [&](size_t t) { return std::find(toks.begin(), toks.end(), t) != toks.end(); };
  bool expr = has(P::INT) && has(P::STRING) && has(P::LPAREN) && has(P::IDENT);
  bool name = has(P::IDENT);
  // After `.` and before `:` any word is a name, reserved or not: say "a name", not the list.
  bool any_name = name && has(P::MAP) && has(P::KEY) && has(P::NULL_LIT);
  bool decl = has(P::MAP) && has(P::SYNC) && has(P::SYSTEM) && !any_name;
  std::vector<std::string> out;
  if (decl) out.push_back("a declaration (`map`, `sync`, `system`, `owner`, `table`, `test`...)");
  if (expr) out.push_back("an expression");
  else if (name) out.push_back("a name");
  for (size_t t : toks) {
    if (decl && IsDeclKeyword(t)) continue;
    if (expr && IsExprStart(t)) continue;
    if (name && (t == P::IDENT || t == P::QUOTED_IDENT || IsSoft(t))) continue;
    if (any_name && IsReserved(t)) continue;
    std::string s = TokenName(vocab, t);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return JoinOr(out);
}

std::string DescribeFound(const antlr4::Token* t) {
  if (t == nullptr || t->getType() == antlr4::Token::EOF) return "end of file";
  size_t type = t->getType();
  std::string text = Clip(t->getText());
  if (IsReserved(type)) return "keyword `" + text + "`";
  if (type == P::STRING || type == P::UNTERMINATED_STRING) return "string `" + text + "`";
  return "`" + text + "`";
}

std::string NameOf(antlr4::ParserRuleContext* ident) {
  if (ident == nullptr) return "";
  std::string s = ident->getText();
  if (s.size() >= 2 && s.front() == '`' && s.back() == '`') s = s.substr(1, s.size() - 2);
  return s;
}

std::string Quote(const std::string& name) { return name.empty() ? std::string() : " `" + name + "`"; }

// The innermost construct the parser is in, for "... in map `x`" phrases, and the `{` it opened.
struct Where {
  std::string phrase;                  // "map `won_to_order`", empty at top level
  const antlr4::Token* open_brace = nullptr;
  antlr4::ParserRuleContext* item = nullptr;
};

const antlr4::Token* FindOpenBrace(antlr4::ParserRuleContext* ctx) {
  for (antlr4::tree::ParseTree* child : ctx->children) {
    if (auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child)) {
      // A `{` conjured by recovery (index -1) is not in the text.
      if (term->getSymbol()->getType() == P::LBRACE && term->getSymbol()->getTokenIndex() != static_cast<size_t>(-1)) {
        return term->getSymbol();
      }
    }
  }
  return nullptr;
}

// The next token on the default channel after `t`, or null.
const antlr4::Token* NextVisible(const ParseSession& s, const antlr4::Token* t) {
  if (s.tokens == nullptr || t == nullptr || t->getTokenIndex() == static_cast<size_t>(-1)) return nullptr;
  const std::vector<antlr4::Token*>& all = s.tokens->getTokens();
  for (size_t i = t->getTokenIndex() + 1; i < all.size(); ++i) {
    if (all[i]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) return all[i];
  }
  return nullptr;
}

// The previous token on the default channel before `t`, or null.
antlr4::Token* PreviousVisible(const ParseSession& s, const antlr4::Token* t) {
  if (s.tokens == nullptr || t == nullptr || t->getTokenIndex() == static_cast<size_t>(-1)) return nullptr;
  const std::vector<antlr4::Token*>& all = s.tokens->getTokens();
  for (size_t i = t->getTokenIndex(); i-- > 0;) {
    if (all[i]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) return all[i];
  }
  return nullptr;
}

// The innermost `(` or `[` that the parser has entered and not yet closed.
const antlr4::Token* FindUnclosedBracket(antlr4::ParserRuleContext* ctx) {
  for (antlr4::ParserRuleContext* c = ctx; c != nullptr; c = dynamic_cast<antlr4::ParserRuleContext*>(c->parent)) {
    const antlr4::Token* open = nullptr;
    for (antlr4::tree::ParseTree* child : c->children) {
      auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child);
      if (term == nullptr) continue;
      size_t t = term->getSymbol()->getType();
      if (t == P::LPAREN || t == P::LBRACKET) open = term->getSymbol();
      if (t == P::RPAREN || t == P::RBRACKET) open = nullptr;
    }
    if (open != nullptr) return open;
    // A block stops the search: its brackets are closed or reported on their own.
    if (FindOpenBrace(c) != nullptr) return nullptr;
  }
  return nullptr;
}

Where Locate(antlr4::ParserRuleContext* ctx) {
  Where w;
  for (antlr4::ParserRuleContext* c = ctx; c != nullptr; c = dynamic_cast<antlr4::ParserRuleContext*>(c->parent)) {
    if (w.open_brace == nullptr) {
      bool braced = dynamic_cast<P::RecordContext*>(c) || dynamic_cast<P::OwnerObjectContext*>(c) ||
                    dynamic_cast<P::SyncBlockContext*>(c) || dynamic_cast<P::PrimaryMapContext*>(c) ||
                    dynamic_cast<P::ItemContext*>(c) || dynamic_cast<P::FileContext*>(c);
      if (braced) w.open_brace = FindOpenBrace(c);
    }
    std::string phrase;
    if (auto* m = dynamic_cast<P::MapItemContext*>(c)) phrase = "map" + Quote(NameOf(m->name));
    else if (auto* s = dynamic_cast<P::SystemItemContext*>(c)) phrase = "system" + Quote(NameOf(s->name));
    else if (auto* o = dynamic_cast<P::OwnerItemContext*>(c)) phrase = "owner block" + Quote(NameOf(o->system));
    else if (auto* t = dynamic_cast<P::TableItemContext*>(c)) phrase = "table" + Quote(NameOf(t->name));
    else if (auto* y = dynamic_cast<P::SyncItemContext*>(c)) phrase = "sync" + Quote(NameOf(y->map));
    else if (auto* a = dynamic_cast<P::AlertItemContext*>(c)) phrase = "alert" + Quote(NameOf(a->name));
    else if (dynamic_cast<P::ReconcileItemContext*>(c)) phrase = "reconcile";
    else if (auto* te = dynamic_cast<P::TestItemContext*>(c)) phrase = "test " + (te->name ? te->name->getText() : std::string());
    else if (dynamic_cast<P::ConflictsItemContext*>(c)) phrase = "conflicts";
    else if (dynamic_cast<P::UseItemContext*>(c)) phrase = "use";
    else if (dynamic_cast<P::ImportItemContext*>(c)) phrase = "import";
    else if (auto* i = dynamic_cast<P::IntegrationFileContext*>(c)) phrase = "integration" + Quote(NameOf(i->name));
    else if (auto* mf = dynamic_cast<P::ModuleFileContext*>(c)) phrase = "module" + Quote(NameOf(mf->name));
    else if (dynamic_cast<P::MisplacedHeaderItemContext*>(c)) phrase = "the integration header";
    if (!phrase.empty()) {
      w.phrase = phrase;
      w.item = c;
      break;
    }
  }
  return w;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1), prev2(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      // An adjacent transposition (`snyc`) counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The keyword in `set` closest to a misspelled word, if close enough to suggest.
std::string ClosestKeyword(const std::string& word, const antlr4::misc::IntervalSet& set,
                           const antlr4::dfa::Vocabulary& vocab) {
  std::string best;
  size_t best_d = 3;
  for (ssize_t t : set.toList()) {
    std::string lit = vocab.getLiteralName(static_cast<size_t>(t));
    if (lit.size() < 3 || lit.front() != '\'') continue;
    lit = lit.substr(1, lit.size() - 2);
    if (!std::isalpha(static_cast<unsigned char>(lit[0]))) continue;
    size_t d = EditDistance(word, lit);
    if (d < best_d && d <= std::max<size_t>(1, lit.size() / 3)) {
      best_d = d;
      best = lit;
    }
  }
  return best;
}

}  // namespace

void CrmxErrorStrategy::ReportExpected(antlr4::Parser* recognizer, antlr4::Token* found,
                                       const antlr4::misc::IntervalSet& expected, bool missing) {
  // A comma that could only be a trailing one (`f(a, b,` before `)`), followed by a token that
  // is neither an argument nor the closer: the parser's decision fails at the `,`, but the
  // mistake is the token after it, often on the next line. Report that one.
  if (found != nullptr && found->getType() == P::COMMA &&
      (expected.contains(static_cast<size_t>(P::RPAREN)) || expected.contains(static_cast<size_t>(P::RBRACKET)) ||
       expected.contains(static_cast<size_t>(P::RBRACE)))) {
    const antlr4::Token* next = NextVisible(session_, found);
    if (next != nullptr && next->getType() != antlr4::Token::EOF && next->getType() != P::RPAREN &&
        next->getType() != P::RBRACKET && next->getType() != P::RBRACE) {
      found = const_cast<antlr4::Token*>(next);
    }
  }
  if (found != nullptr &&
      std::find(session_.bad_token_indexes.begin(), session_.bad_token_indexes.end(), found->getTokenIndex()) !=
          session_.bad_token_indexes.end()) {
    // Already reported by the lexical pass (a bad character or an unterminated string).
    return;
  }
  const antlr4::dfa::Vocabulary& vocab = recognizer->getVocabulary();
  size_t ftype = found ? found->getType() : antlr4::Token::EOF;
  struct NoteLast {
    ParseSession& s;
    antlr4::Token* t;
    ~NoteLast() {
      if (t != nullptr) s.last_error_token = static_cast<ssize_t>(t->getTokenIndex());
    }
  } note_last{session_, found};
  Span at = session_.TokenSpan(found);
  Where where = Locate(recognizer->getContext());
  std::string in = where.phrase.empty() ? "" : " in " + where.phrase;
  std::string found_desc = DescribeFound(found);

  // The start of the file: it must open an `integration` or `module` block.
  if (expected.contains(static_cast<size_t>(P::INTEGRATION)) && expected.contains(static_cast<size_t>(P::MODULE)) &&
      !expected.contains(static_cast<size_t>(P::MAP))) {
    if (ftype == antlr4::Token::EOF) {
      diag::Diagnostic d = diag::Make(diag::Kind::EmptySpec, at, "this file declares nothing", "the file ends here");
      d.help = "a spec is one block, `integration NAME { ... }`; shared declarations go in `module NAME { ... }`";
      session_.Report(std::move(d));
      return;
    }
    if (IsDeclKeyword(ftype)) {
      diag::Diagnostic d = diag::Make(diag::Kind::OutsideBlock, at,
                                      "`" + found->getText() + "` outside an `integration` or `module` block",
                                      "the file must open a block first");
      d.help = "wrap the file's declarations in `integration NAME { ... }` (a spec) or `module NAME { ... }` "
               "(shared declarations)";
      session_.Report(std::move(d));
      return;
    }
  }

  // The header line of the draft syntax, without the block.
  auto* file_ctx = dynamic_cast<P::FileContext*>(recognizer->getContext());
  if (file_ctx != nullptr && expected.contains(static_cast<size_t>(P::LBRACE)) && IsDeclKeyword(ftype)) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, at,
                                    "expected `{` after the header of " + where.phrase + ", found " + found_desc,
                                    "expected `{` before this");
    d.notes.push_back("a spec is one block: its declarations go between `{` and the `}` that ends the file");
    d.help = "add `{` at the end of the header line and `}` at the end of the file";
    session_.Report(std::move(d));
    return;
  }

  // Text after the block that ends the file.
  if (expected.contains(static_cast<size_t>(antlr4::Token::EOF)) && expected.size() == 1) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, at,
                                    found_desc + " after the end of " +
                                        (where.phrase.empty() ? std::string("the file's block") : where.phrase),
                                    "outside the block");
    if (file_ctx != nullptr) {
      if (antlr4::tree::TerminalNode* close = file_ctx->getToken(P::RBRACE, 0)) {
        d.secondary.push_back({session_.TokenSpan(close->getSymbol()), "the block ends here"});
      }
    }
    d.help = "move it inside the block, or remove the `}` that closes the block too early";
    session_.Report(std::move(d));
    return;
  }

  // A block left open: the file ends, or a new declaration starts, where `}` was expected.
  if (expected.contains(static_cast<size_t>(P::RBRACE)) && (ftype == antlr4::Token::EOF || IsDeclKeyword(ftype))) {
    diag::Diagnostic d = diag::Make(diag::Kind::UnclosedDelimiter, at,
                                    "expected `}` to close " + (where.phrase.empty() ? std::string("the block") : where.phrase) +
                                        ", found " + found_desc,
                                    ftype == antlr4::Token::EOF ? "the file ends here" : "expected `}` before this");
    if (where.open_brace != nullptr) {
      d.secondary.push_back({session_.TokenSpan(where.open_brace), "this `{` is never closed"});
    }
    d.help = "add the missing `}`";
    session_.Report(std::move(d));
    return;
  }

  // A `(` or `[` left open across lines, followed by text that cannot continue it: the open
  // bracket is the likely mistake (a stray `foo(`), so it is the primary span.
  // Only when the bracket ends its line (`foo(` and then the next line): a bracket followed by
  // more text on its line was probably closed too late, not opened by mistake.
  if ((expected.contains(static_cast<size_t>(P::RPAREN)) || expected.contains(static_cast<size_t>(P::RBRACKET))) &&
      ftype != antlr4::Token::EOF && !IsDeclKeyword(ftype)) {
    const antlr4::Token* open = FindUnclosedBracket(recognizer->getContext());
    const antlr4::Token* after_open = open ? NextVisible(session_, open) : nullptr;
    if (open != nullptr && after_open != nullptr && after_open->getLine() > open->getLine() &&
        open->getLine() < found->getLine() &&
        static_cast<ssize_t>(open->getTokenIndex()) > session_.last_error_token) {
      bool paren = open->getType() == P::LPAREN;
      std::string closer = paren ? "`)`" : "`]`";
      diag::Diagnostic d = diag::Make(diag::Kind::UnclosedDelimiter, session_.TokenSpan(open),
                                      std::string("unclosed ") + (paren ? "`(`" : "`[`") + in,
                                      "this " + std::string(paren ? "`(`" : "`[`") + " is never closed");
      d.secondary.push_back({at, "expected " + closer + " before " + found_desc});
      d.help = "close it with " + closer + ", or remove it";
      session_.Report(std::move(d));
      return;
    }
  }

  // A reserved word where a name belongs.
  if (IsReserved(ftype) && expected.contains(static_cast<size_t>(P::IDENT))) {
    std::string word = found->getText();
    diag::Diagnostic d = diag::Make(diag::Kind::KeywordAsName, at,
                                    "`" + word + "` is a keyword and cannot be used as a name" + in,
                                    "keyword used as a name");
    d.help = "write it in backticks, `` `" + word + "` ``, to use it as a name, or choose another name";
    d.fix = diag::Fix{at, "`" + word + "`", false};
    session_.Report(std::move(d));
    return;
  }

  // A closing delimiter nobody expects.
  if ((ftype == P::RBRACE || ftype == P::RPAREN || ftype == P::RBRACKET) && !expected.contains(static_cast<size_t>(ftype))) {
    // Right after an error (no more than two tokens later), the parser's recovery is what left
    // this closer unexpected: reporting it would only repeat that error.
    if (session_.last_error_token >= 0 && found != nullptr && session_.tokens != nullptr) {
      size_t visible = 0;
      const std::vector<antlr4::Token*>& all = session_.tokens->getTokens();
      for (size_t i = static_cast<size_t>(session_.last_error_token) + 1; i < found->getTokenIndex() && i < all.size(); ++i) {
        if (all[i]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) ++visible;
      }
      if (visible < 2) return;
    }
    diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedCloser, at,
                                    "unexpected " + found_desc + in + ": expected " + DescribeExpected(expected, vocab),
                                    "unexpected closing delimiter");
    d.help = "remove it, or check the brackets opened before it";
    session_.Report(std::move(d));
    return;
  }

  std::string message;
  std::string label = missing ? "expected " + DescribeExpected(expected, vocab) + " here" : "unexpected " + found_desc;
  std::optional<std::string> help;
  auto* map_ctx = where.item ? dynamic_cast<P::MapItemContext*>(where.item) : nullptr;
  auto* sync_ctx = where.item ? dynamic_cast<P::SyncItemContext*>(where.item) : nullptr;
  if (map_ctx != nullptr && expected.contains(static_cast<size_t>(P::ARROW)) && map_ctx->source != nullptr) {
    message = "expected `->` between the source and target objects of map" + Quote(NameOf(map_ctx->name)) +
              ", found " + found_desc;
    help = "write the map header as `map NAME: crm.Source -> erp.Target { ... }`";
  } else if (sync_ctx != nullptr && expected.contains(static_cast<size_t>(P::ON)) && expected.contains(static_cast<size_t>(P::EVERY)) && expected.contains(static_cast<size_t>(P::DAILY))) {
    message = "expected a trigger for sync" + Quote(NameOf(sync_ctx->map)) + ", found " + found_desc;
    help = "a sync runs `on change`, `every 1h` or `daily at 02:00`";
  } else if (expected.contains(static_cast<size_t>(P::ASSIGN)) && map_ctx != nullptr && ftype != P::ASSIGN) {
    // The word before is the target of a mapping line that never got its `=`: a misspelled
    // `require`/`key`, or a stray word at the end of the line before.
    antlr4::Token* target = PreviousVisible(session_, found);
    std::string word = target ? target->getText() : std::string();
    std::string kw;
    for (const char* k : {"require", "key"}) {
      size_t dist = EditDistance(word, k);
      if (dist > 0 && dist <= 2) kw = k;
    }
    if (!kw.empty()) {
      diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, session_.TokenSpan(target),
                                      "`" + word + "` is not a statement" + in, "unknown statement");
      d.help = "did you mean `" + kw + "`?";
      d.fix = diag::Fix{session_.TokenSpan(target), kw, false};
      session_.Report(std::move(d));
      return;
    }
    if (target != nullptr && found != nullptr && target->getLine() < found->getLine() && target->getType() == P::IDENT) {
      at = session_.TokenSpan(target);
      message = "`" + word + "` is not a mapping line: expected `=` after it" + in;
      label = "expected `=` after this";
      help = "a mapping line reads `targetField = expression`; if `" + word +
             "` belongs to the line before, join it to that expression with an operator";
    } else {
      message = "expected `=` after the target field" + in + ", found " + found_desc;
      help = "a mapping line reads `targetField = expression`";
    }
  } else {
    message = "expected " + DescribeExpected(expected, vocab) + in + ", found " + found_desc;
  }
  if (ftype == P::IDENT) {
    std::string kw = ClosestKeyword(found->getText(), expected, vocab);
    if (!kw.empty()) help = "did you mean `" + kw + "`?" + (help ? " (" + *help + ")" : std::string());
  }
  diag::Diagnostic d = diag::Make(diag::Kind::UnexpectedToken, at, message, label);
  d.help = help;
  session_.Report(std::move(d));
}

void CrmxErrorStrategy::reportNoViableAlternative(antlr4::Parser* recognizer, const antlr4::NoViableAltException& e) {
  ReportExpected(recognizer, e.getOffendingToken(), e.getExpectedTokens(), false);
}

void CrmxErrorStrategy::reportInputMismatch(antlr4::Parser* recognizer, const antlr4::InputMismatchException& e) {
  ReportExpected(recognizer, e.getOffendingToken(), e.getExpectedTokens(), false);
}

void CrmxErrorStrategy::reportFailedPredicate(antlr4::Parser* recognizer, const antlr4::FailedPredicateException& e) {
  ReportExpected(recognizer, e.getOffendingToken(), recognizer->getExpectedTokens(), false);
}

void CrmxErrorStrategy::reportUnwantedToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  ReportExpected(recognizer, recognizer->getCurrentToken(), getExpectedTokens(recognizer), false);
}

void CrmxErrorStrategy::reportMissingToken(antlr4::Parser* recognizer) {
  if (inErrorRecoveryMode(recognizer)) return;
  beginErrorCondition(recognizer);
  ReportExpected(recognizer, recognizer->getCurrentToken(), getExpectedTokens(recognizer), true);
}

}  // namespace crmx::syntax
