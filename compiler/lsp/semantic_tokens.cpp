// Defines SemanticTokens and SemanticTokensLegend (document_features.h). Every token comes from
// the lexer (syntax/tokens.h), so comments, strings, numbers, keywords and operators are
// highlighted in any text, however broken. Names are then refined by the AST: what a name
// declares or refers to (a system, an object, a map, a table, a field, a function ...), and
// whether a contextual keyword is a keyword or a name where it stands.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/lsp/document_features.h"
#include "compiler/syntax/parser.h"
#include "compiler/syntax/tokens.h"

namespace crmx::lsp {

namespace {

// The legend: indexes into these lists are what the data holds.
enum Type : uint32_t {
  kNamespace,
  kType,
  kClass,
  kFunction,
  kMethod,
  kProperty,
  kVariable,
  kParameter,
  kEnumMember,
  kEvent,
  kKeyword,
  kModifier,
  kComment,
  kString,
  kNumber,
  kOperator,
};
const char* const kTypeNames[] = {"namespace", "type",       "class", "function", "method",   "property",
                                  "variable",  "parameter",  "enumMember", "event", "keyword", "modifier",
                                  "comment",   "string",     "number", "operator"};
enum Modifier : uint32_t { kDeclaration = 1u << 0, kDocumentation = 1u << 1 };
const char* const kModifierNames[] = {"declaration", "documentation"};

struct Role {
  uint32_t type = kVariable;
  uint32_t modifiers = 0;
};

// What the AST says about the names of a file: a role per name, by its first byte.
class Roles {
 public:
  explicit Roles(const ast::Module& module) {
    for (const ast::DeclPtr& d : module.items) {
      if (const auto* t = d->As<ast::TableDecl>()) tables_.insert(t->name.text);
      if (const auto* s = d->As<ast::SystemDecl>()) systems_.insert(s->name.text);
    }
    Set(module.name, kNamespace, kDeclaration);
    for (const ast::DeclPtr& d : module.items) Decl(*d);
  }

  const std::map<uint32_t, Role>& roles() const { return roles_; }

 private:
  void Set(const ast::Name& name, uint32_t type, uint32_t modifiers = 0) {
    if (name.span.valid() && name.span.end > name.span.begin) roles_[name.span.begin] = Role{type, modifiers};
  }

  void Object(const ast::ObjectRef& r) {
    Set(r.system, kNamespace);
    Set(r.object, kClass);
  }

  void TypeRef(const ast::TypeRef& t) {
    Set(t.name, kType);
    for (const ast::TypeRef& a : t.args) TypeRef(a);
  }

  // `fields`: bare names read fields of a record (map bodies, `when` predicates, records).
  void Expr(const ast::Expr* e, bool fields) {
    if (e == nullptr) return;
    switch (e->kind) {
      case ast::ExprKind::Literal:
      case ast::ExprKind::Hold:
        return;
      case ast::ExprKind::Ident: {
        const ast::Name& n = e->As<ast::IdentExpr>()->name;
        if (bound_.count(n.text) != 0) Set(n, kParameter);
        else if (tables_.count(n.text) != 0) Set(n, kVariable);
        else if (systems_.count(n.text) != 0) Set(n, kNamespace);
        else Set(n, fields ? kProperty : kVariable);
        return;
      }
      case ast::ExprKind::Select: {
        const auto* s = e->As<ast::SelectExpr>();
        Expr(s->operand.get(), fields);
        // `crm.Opportunity`: an object of a system.
        const auto* base = s->operand ? s->operand->As<ast::IdentExpr>() : nullptr;
        bool object = base != nullptr && systems_.count(base->name.text) != 0 && bound_.count(base->name.text) == 0;
        Set(s->field, object ? kClass : kProperty);
        return;
      }
      case ast::ExprKind::Call: {
        const auto* c = e->As<ast::CallExpr>();
        Expr(c->receiver.get(), fields);
        Set(c->function, c->receiver ? kMethod : kFunction);
        // Macros bind their first argument: `Lines.map(li, li.Amount)`.
        static const std::set<std::string> kMacros = {"map", "filter", "all", "exists", "exists_one"};
        const ast::IdentExpr* var = nullptr;
        if (c->receiver && kMacros.count(c->function.text) != 0 && c->args.size() >= 2 && c->args[0])
          var = c->args[0]->As<ast::IdentExpr>();
        if (var != nullptr) {
          Set(var->name, kParameter, kDeclaration);
          bool fresh = bound_.insert(var->name.text).second;
          for (size_t i = 1; i < c->args.size(); ++i) Expr(c->args[i].get(), fields);
          if (fresh) bound_.erase(var->name.text);
        } else {
          for (const ast::ExprPtr& a : c->args) Expr(a.get(), fields);
        }
        return;
      }
      case ast::ExprKind::Index: {
        const auto* i = e->As<ast::IndexExpr>();
        Expr(i->operand.get(), fields);
        Expr(i->index.get(), fields);
        return;
      }
      case ast::ExprKind::List:
        for (const ast::ExprPtr& x : e->As<ast::ListExpr>()->elements) Expr(x.get(), fields);
        return;
      case ast::ExprKind::MapLit:
        for (const ast::MapEntry& entry : e->As<ast::MapExpr>()->entries) {
          if (entry.field_key) Set(*entry.field_key, kProperty);
          Expr(entry.key.get(), fields);
          Expr(entry.value.get(), fields);
        }
        return;
      case ast::ExprKind::Unary:
        Expr(e->As<ast::UnaryExpr>()->operand.get(), fields);
        return;
      case ast::ExprKind::Binary: {
        const auto* b = e->As<ast::BinaryExpr>();
        Expr(b->left.get(), fields);
        Expr(b->right.get(), fields);
        return;
      }
      case ast::ExprKind::Conditional: {
        const auto* c = e->As<ast::ConditionalExpr>();
        Expr(c->cond.get(), fields);
        Expr(c->then.get(), fields);
        Expr(c->otherwise.get(), fields);
        return;
      }
      case ast::ExprKind::Coalesce: {
        const auto* c = e->As<ast::CoalesceExpr>();
        Expr(c->value.get(), fields);
        Expr(c->fallback.get(), fields);
        return;
      }
      case ast::ExprKind::Ref: {
        const auto* r = e->As<ast::RefExpr>();
        Set(r->map, kFunction);
        Expr(r->source_id.get(), fields);
        return;
      }
    }
  }

  void Decl(const ast::Decl& d) {
    switch (d.kind) {
      case ast::DeclKind::Import: {
        const auto& i = *d.As<ast::ImportDecl>();
        if (i.alias) Set(*i.alias, kNamespace, kDeclaration);
        return;
      }
      case ast::DeclKind::Use:
        for (const ast::UseDecl::Module& m : d.As<ast::UseDecl>()->modules)
          for (const ast::Name& part : m.parts) Set(part, kNamespace);
        return;
      case ast::DeclKind::System: {
        const auto& s = *d.As<ast::SystemDecl>();
        Set(s.name, kNamespace, kDeclaration);
        Set(s.system_kind, kType);
        for (const ast::SchemaSetting& schema : s.schemas)
          if (schema.format) Set(*schema.format, kType);
        for (const ast::BudgetSetting& b : s.budgets) Set(b.metric, kProperty);
        for (const ast::FieldOverlay& o : s.overlays) {
          Set(o.object, kClass);
          for (const ast::Name& n : o.path) Set(n, kProperty);
          if (o.type) {
            Set(o.type->name, kType);
            for (const ast::OverlayTypeArg& a : o.type->args)
              if (a.kind == ast::OverlayTypeArg::Kind::Name && a.span.valid()) roles_[a.span.begin] = Role{kClass, 0};
          }
          for (const ast::Name& fact : o.facts) Set(fact, kModifier);
        }
        return;
      }
      case ast::DeclKind::Owner: {
        const auto& o = *d.As<ast::OwnerDecl>();
        Set(o.system, kNamespace);
        for (const ast::OwnedObject& obj : o.objects) {
          Set(obj.object, kClass);
          for (const ast::Name& f : obj.fields) Set(f, kProperty);
        }
        return;
      }
      case ast::DeclKind::Table: {
        const auto& t = *d.As<ast::TableDecl>();
        Set(t.name, kVariable, kDeclaration);
        if (t.type) TypeRef(*t.type);
        for (const ast::NamedArg& a : t.csv_args) {
          Set(a.name, kParameter);
          Expr(a.value.get(), false);
        }
        Expr(t.value.get(), false);
        return;
      }
      case ast::DeclKind::Map: {
        const auto& m = *d.As<ast::MapDecl>();
        Set(m.name, kFunction, kDeclaration);
        Object(m.source);
        Object(m.target);
        for (const ast::MapStmt& s : m.stmts) {
          for (const ast::Name& n : s.target) Set(n, kProperty);
          Expr(s.value.get(), true);
        }
        return;
      }
      case ast::DeclKind::Sync: {
        const auto& s = *d.As<ast::SyncDecl>();
        Set(s.map, kFunction);
        Expr(s.when.get(), true);
        if (s.retry && s.retry->backoff) Set(*s.retry->backoff, kFunction);
        for (const ast::ExhaustedAction& a : s.on_exhausted)
          for (const ast::ExprPtr& t : a.targets) Expr(t.get(), false);
        return;
      }
      case ast::DeclKind::Conflicts:
        Set(d.As<ast::ConflictsDecl>()->strategy, kEnumMember);
        return;
      case ast::DeclKind::Alert: {
        const auto& a = *d.As<ast::AlertDecl>();
        Set(a.name, kEvent, kDeclaration);
        Object(a.object);
        Expr(a.when.get(), true);
        for (const ast::ExprPtr& n : a.notify) Expr(n.get(), false);
        return;
      }
      case ast::DeclKind::Reconcile: {
        const auto& r = *d.As<ast::ReconcileDecl>();
        Object(r.left);
        Object(r.right);
        Expr(r.by.get(), true);
        for (const ast::ReconcileRule& rule : r.rules) {
          Expr(rule.left.get(), true);
          Expr(rule.right.get(), true);
        }
        return;
      }
      case ast::DeclKind::Test:
        for (const ast::TestStmt& s : d.As<ast::TestDecl>()->stmts) {
          if (!s.record) continue;
          Object(s.record->object);
          for (const ast::FieldInit& f : s.record->fields) {
            Set(f.name, kProperty);
            Expr(f.value.get(), false);
          }
        }
        return;
    }
  }

  std::set<std::string> tables_, systems_, bound_;
  std::map<uint32_t, Role> roles_;
};

}  // namespace

nlohmann::json SemanticTokensLegend() {
  nlohmann::json types = nlohmann::json::array(), modifiers = nlohmann::json::array();
  for (const char* t : kTypeNames) types.push_back(t);
  for (const char* m : kModifierNames) modifiers.push_back(m);
  return {{"tokenTypes", types}, {"tokenModifiers", modifiers}};
}

nlohmann::json SemanticTokens(const Document& doc) {
  SourceManager sources;
  FileId id = sources.Add(doc.path().empty() ? doc.uri() : doc.path(), doc.text());
  const SourceFile& file = sources.Get(id);
  diag::DiagnosticSink sink;
  std::unique_ptr<ast::Module> module = syntax::Parse(file, sink);
  Roles roles(*module);
  const std::map<uint32_t, Role>& by_offset = roles.roles();

  std::vector<uint32_t> data;
  Position last;
  // Emits [begin, end) as one token per line it covers.
  auto emit = [&](uint32_t begin, uint32_t end, Role role) {
    const std::string& text = doc.text();
    while (begin < end) {
      uint32_t line_end = begin;
      while (line_end < end && text[line_end] != '\n' && text[line_end] != '\r') ++line_end;
      if (line_end > begin) {
        Position from = doc.At(begin), to = doc.At(line_end);
        uint32_t delta_line = static_cast<uint32_t>(from.line - last.line);
        uint32_t delta_char = static_cast<uint32_t>(delta_line == 0 ? from.character - last.character : from.character);
        data.insert(data.end(), {delta_line, delta_char, static_cast<uint32_t>(to.character - from.character), role.type,
                                 role.modifiers});
        last = from;
      }
      begin = line_end;
      while (begin < end && (text[begin] == '\n' || text[begin] == '\r')) ++begin;
    }
  };
  for (const syntax::Token& t : syntax::Tokenize(file)) {
    auto named = by_offset.find(t.begin);
    switch (t.cls) {
      case syntax::TokenClass::Comment:
        emit(t.begin, t.end, {kComment, 0});
        break;
      case syntax::TokenClass::DocComment:
        emit(t.begin, t.end, {kComment, kDocumentation});
        break;
      case syntax::TokenClass::String:
        emit(t.begin, t.end, {kString, 0});
        break;
      case syntax::TokenClass::Number:
        emit(t.begin, t.end, {kNumber, 0});
        break;
      case syntax::TokenClass::Operator:
        emit(t.begin, t.end, {kOperator, 0});
        break;
      case syntax::TokenClass::ReservedKeyword:
      case syntax::TokenClass::ContextualKeyword:
      case syntax::TokenClass::Literal:
        // A keyword is a name where the grammar reads one (`x.map(...)`, `{key: 1}`, a
        // contextual keyword as a field).
        emit(t.begin, t.end, named != by_offset.end() ? named->second : Role{kKeyword, 0});
        break;
      case syntax::TokenClass::Name:
      case syntax::TokenClass::QuotedName:
        emit(t.begin, t.end, named != by_offset.end() ? named->second : Role{kVariable, 0});
        break;
      case syntax::TokenClass::Punctuation:
      case syntax::TokenClass::Bad:
        break;
    }
  }
  return {{"data", data}};
}

}  // namespace crmx::lsp
