// Defines the small helpers of the AST: operator and declaration spellings.
#include "compiler/ast/ast.h"

namespace crmx::ast {

const char* Spelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    case BinaryOp::In: return "in";
    case BinaryOp::And: return "&&";
    case BinaryOp::Or: return "||";
  }
  return "?";
}

const char* Spelling(DeclKind kind) {
  switch (kind) {
    case DeclKind::Import: return "import";
    case DeclKind::Use: return "use";
    case DeclKind::System: return "system";
    case DeclKind::Owner: return "owner";
    case DeclKind::Table: return "table";
    case DeclKind::Map: return "map";
    case DeclKind::Sync: return "sync";
    case DeclKind::Conflicts: return "conflicts";
    case DeclKind::Alert: return "alert";
    case DeclKind::Reconcile: return "reconcile";
    case DeclKind::Test: return "test";
  }
  return "?";
}

std::string UseDecl::Module::Dotted() const {
  std::string out;
  for (const Name& p : parts) {
    if (!out.empty()) out += '.';
    out += p.text;
  }
  return out;
}

}  // namespace crmx::ast
