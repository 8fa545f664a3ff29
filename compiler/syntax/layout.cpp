// Defines ParseLayout(): lexes and parses a file with the generated parser and walks the tree
// once, tagging every token with its statement and its layout role (layout.h). Like Parse(),
// it runs on a thread with a large stack and no ANTLR exception leaves this file.
#include "compiler/syntax/layout.h"

#include <antlr4-runtime.h>

#include <functional>
#include <string>

#include "CrmxLexer.h"
#include "CrmxParser.h"
#include "compiler/syntax/large_stack.h"

namespace crmx::syntax {
namespace {

using P = crmx_antlr::CrmxParser;

// True for the contexts whose `{ ... }` holds statements.
bool HasStatementBlock(antlr4::ParserRuleContext* c) {
  return dynamic_cast<P::IntegrationFileContext*>(c) || dynamic_cast<P::ModuleFileContext*>(c) ||
         dynamic_cast<P::SystemItemContext*>(c) || dynamic_cast<P::OwnerItemContext*>(c) ||
         dynamic_cast<P::MapItemContext*>(c) || dynamic_cast<P::SyncBlockContext*>(c) ||
         dynamic_cast<P::TestItemContext*>(c);
}

// The kind of statement `c` starts, or false when it is not a statement.
bool StatementOf(antlr4::ParserRuleContext* c, StatementKind& kind) {
  if (dynamic_cast<P::FileContext*>(c)) kind = StatementKind::Header;
  else if (dynamic_cast<P::AssignStmtContext*>(c)) kind = StatementKind::Assign;
  else if (dynamic_cast<P::KeyStmtContext*>(c)) kind = StatementKind::Key;
  else if (dynamic_cast<P::OwnerObjectContext*>(c)) kind = StatementKind::OwnerObject;
  else if (dynamic_cast<P::ItemContext*>(c) || dynamic_cast<P::SystemSettingContext*>(c) ||
           dynamic_cast<P::MapStmtContext*>(c) || dynamic_cast<P::SyncPolicyContext*>(c) ||
           dynamic_cast<P::TestStmtContext*>(c))
    kind = StatementKind::Other;
  else return false;
  return true;
}

LayoutRole RoleOf(antlr4::ParserRuleContext* parent, size_t type) {
  switch (type) {
    case P::LBRACE:
      if (HasStatementBlock(parent)) return LayoutRole::BlockOpen;
      if (dynamic_cast<P::OwnerObjectContext*>(parent)) return LayoutRole::OwnerBrace;
      return LayoutRole::Plain;
    case P::RBRACE:
      return HasStatementBlock(parent) ? LayoutRole::BlockClose : LayoutRole::Plain;
    case P::ASSIGN:
      if (dynamic_cast<P::AssignStmtContext*>(parent)) return LayoutRole::AlignedAssign;
      if (dynamic_cast<P::KeyStmtContext*>(parent)) return LayoutRole::KeyAssign;
      return LayoutRole::Plain;
    case P::LPAREN:
      if (dynamic_cast<P::PrimaryIdentContext*>(parent) || dynamic_cast<P::MemberSelectContext*>(parent) ||
          dynamic_cast<P::CsvTableContext*>(parent) || dynamic_cast<P::PrimaryRefContext*>(parent) ||
          dynamic_cast<P::BackoffContext*>(parent) || dynamic_cast<P::OverlayTypeContext*>(parent))
        return LayoutRole::CallParen;
      return LayoutRole::Plain;
    case P::LBRACKET:
      return dynamic_cast<P::MemberIndexContext*>(parent) ? LayoutRole::IndexBracket : LayoutRole::Plain;
    case P::NOT:
    case P::MINUS:
      if (dynamic_cast<P::UnaryNotContext*>(parent) || dynamic_cast<P::UnaryNegContext*>(parent))
        return LayoutRole::Unary;
      return LayoutRole::Plain;
    case P::LT:
    case P::GT:
      return dynamic_cast<P::TypeContext*>(parent) ? LayoutRole::TypeAngle : LayoutRole::Plain;
    case P::PERCENT:
      return dynamic_cast<P::PercentContext*>(parent) ? LayoutRole::PercentSign : LayoutRole::Plain;
    case P::COLON:
      if (dynamic_cast<P::TimeOfDayContext*>(parent)) return LayoutRole::TimeColon;
      if (dynamic_cast<P::ExprContext*>(parent)) return LayoutRole::TernaryColon;
      return LayoutRole::LabelColon;
    default:
      return LayoutRole::Plain;
  }
}

class Walker {
 public:
  Walker(Layout& out, std::vector<LayoutToken>& by_index, std::vector<bool>& seen)
      : out_(out), by_index_(by_index), seen_(seen) {}

  void Walk(antlr4::ParserRuleContext* c) {
    StatementKind kind;
    bool statement = StatementOf(c, kind);
    uint32_t saved = current_;
    bool saved_start = pending_start_;
    if (statement) {
      current_ = static_cast<uint32_t>(out_.statements.size());
      out_.statements.push_back({kind, depth_});
      pending_start_ = true;
    }
    for (antlr4::tree::ParseTree* child : c->children) {
      if (auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(child)) {
        Walk(rule);
      } else if (auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child)) {
        antlr4::Token* t = term->getSymbol();
        if (t == nullptr || t->getType() == antlr4::Token::EOF) continue;
        size_t index = t->getTokenIndex();
        if (index >= by_index_.size()) continue;
        LayoutToken& lt = by_index_[index];
        lt.kind = LayoutKind::Code;
        lt.role = RoleOf(c, t->getType());
        lt.statement = current_;
        lt.statement_start = pending_start_;
        pending_start_ = false;
        seen_[index] = true;
        if (lt.role == LayoutRole::BlockOpen) ++depth_;
        if (lt.role == LayoutRole::BlockClose && depth_ > 0) --depth_;
      }
    }
    if (statement) {
      current_ = saved;
      pending_start_ = saved_start;
    }
  }

 private:
  Layout& out_;
  std::vector<LayoutToken>& by_index_;
  std::vector<bool>& seen_;
  uint32_t current_ = 0;
  uint32_t depth_ = 0;
  bool pending_start_ = false;
};

void ParseOnThisThread(const SourceFile& file, Layout& out) {
  const std::string& text = file.text();
  // ANTLR counts code points; offsets are bytes. The file parsed without errors, so it is
  // valid UTF-8.
  std::vector<uint32_t> cp_to_byte;
  for (uint32_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) cp_to_byte.push_back(i);
  }
  cp_to_byte.push_back(static_cast<uint32_t>(text.size()));
  auto byte = [&](size_t cp) { return cp < cp_to_byte.size() ? cp_to_byte[cp] : cp_to_byte.back(); };

  antlr4::ANTLRInputStream input(text);
  crmx_antlr::CrmxLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  P parser(&tokens);
  parser.removeErrorListeners();
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  // SLL first, as Parse() does; full LL when SLL gives up on a valid file.
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  P::FileContext* tree = nullptr;
  try {
    tree = parser.file();
  } catch (antlr4::ParseCancellationException&) {
    tree = nullptr;
  }
  if (tree == nullptr) {
    tokens.seek(0);
    parser.reset();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
    try {
      tree = parser.file();
    } catch (antlr4::ParseCancellationException&) {
      return;
    }
  }
  if (tree == nullptr || parser.getNumberOfSyntaxErrors() > 0) return;

  const std::vector<antlr4::Token*>& all = tokens.getTokens();
  std::vector<LayoutToken> by_index(all.size());
  std::vector<bool> seen(all.size(), false);
  Walker walker(out, by_index, seen);
  walker.Walk(tree);
  for (size_t i = 0; i < all.size(); ++i) {
    antlr4::Token* t = all[i];
    size_t type = t->getType();
    if (type == antlr4::Token::EOF || type == P::WS) continue;
    LayoutToken lt = by_index[i];
    if (type == P::LINE_COMMENT || type == P::DOC_COMMENT) {
      lt.kind = LayoutKind::LineComment;
    } else if (type == P::BLOCK_COMMENT) {
      lt.kind = LayoutKind::BlockComment;
    } else if (!seen[i]) {
      return;  // a token the tree does not hold: not a file this view is for
    }
    lt.begin = byte(t->getStartIndex());
    lt.end = byte(t->getStopIndex() + 1);
    out.tokens.push_back(lt);
  }
  out.ok = true;
}

}  // namespace

Layout ParseLayout(const SourceFile& file) {
  Layout out;
  RunWithLargeStack([&] {
    try {
      ParseOnThisThread(file, out);
    } catch (...) {
      // ANTLR has thrown strings and its own exception types: nothing crosses this wall.
      out = Layout{};
    }
  });
  if (!out.ok) out = Layout{};
  return out;
}

}  // namespace crmx::syntax
