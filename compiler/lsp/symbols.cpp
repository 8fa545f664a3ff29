// Defines DocumentSymbols (document_features.h): the outline of a document, built from the AST
// the parser returns (also for broken text: what it recovered).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "compiler/lsp/document_features.h"
#include "compiler/syntax/parser.h"

namespace crmx::lsp {

namespace {

// LSP SymbolKind values.
enum Kind : int {
  kFile = 1,
  kModule = 2,
  kNamespace = 3,
  kPackage = 4,
  kClass = 5,
  kMethod = 6,
  kProperty = 7,
  kField = 8,
  kFunction = 12,
  kConstant = 14,
  kString = 15,
  kBoolean = 17,
  kObject = 19,
  kKey = 20,
  kStruct = 23,
  kEvent = 24,
};

class Outline {
 public:
  explicit Outline(const Document& doc) : doc_(doc) {}

  // A DocumentSymbol covering `range` with its name at `selection` (which is clamped into the
  // range, as the protocol requires).
  nlohmann::json Symbol(std::string name, std::string detail, int kind, Span range, Span selection,
                        nlohmann::json children = nlohmann::json::array()) const {
    if (name.empty()) name = "(unnamed)";
    uint32_t begin = range.begin, end = std::max(range.begin, range.end);
    uint32_t sel_begin = selection.begin, sel_end = std::max(selection.begin, selection.end);
    if (!selection.valid() || sel_begin < begin || sel_end > end) sel_begin = begin, sel_end = begin;
    nlohmann::json j = {{"name", name},
                        {"kind", kind},
                        {"range", doc_.Range(begin, end)},
                        {"selectionRange", doc_.Range(sel_begin, sel_end)}};
    if (!detail.empty()) j["detail"] = detail;
    if (!children.empty()) j["children"] = std::move(children);
    return j;
  }

  // The source text of `span` on one line: runs of whitespace become one space, and long text
  // is cut to `limit` bytes (at a UTF-8 boundary) with an ellipsis.
  std::string Text(const Span& span, size_t limit = 60) const {
    const std::string& text = doc_.text();
    if (!span.valid() || span.begin >= span.end || span.end > text.size()) return "";
    std::string out;
    bool space = false;
    for (uint32_t i = span.begin; i < span.end; ++i) {
      char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        space = !out.empty();
        continue;
      }
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
    if (out.size() > limit) {
      size_t cut = limit;
      while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
      out = out.substr(0, cut) + "...";
    }
    return out;
  }

  static std::string Ref(const ast::ObjectRef& r) { return r.system.text + "." + r.object.text; }

  static std::string Path(const std::vector<ast::Name>& names) {
    std::string out;
    for (const ast::Name& n : names) out += (out.empty() ? "" : ".") + n.text;
    return out;
  }

  static Span PathSpan(const std::vector<ast::Name>& names, const Span& fallback) {
    if (names.empty() || !names.front().span.valid()) return fallback;
    return Span::Cover(names.front().span, names.back().span);
  }

  nlohmann::json System(const ast::SystemDecl& s) const {
    nlohmann::json children = nlohmann::json::array();
    for (const ast::SchemaSetting& schema : s.schemas)
      children.push_back(Symbol(schema.path, schema.format ? "as " + schema.format->text : "schema", kFile, schema.span,
                                schema.span));
    for (const ast::BudgetSetting& b : s.budgets)
      children.push_back(Symbol("budget " + b.metric.text, Text(b.span), kProperty, b.span, b.metric.span));
    if (s.batch) children.push_back(Symbol("batch", std::to_string(*s.batch), kProperty, s.batch_span, s.batch_span));
    for (const ast::FieldOverlay& o : s.overlays) {
      std::string detail = o.type ? Text(o.type->span) : "";
      for (const ast::Name& fact : o.facts) detail += (detail.empty() ? "" : " ") + fact.text;
      children.push_back(Symbol("field " + o.object.text + "." + Path(o.path), detail, kField, o.span, o.object.span));
    }
    return Symbol(s.name.text, s.system_kind.text, kNamespace, s.span, s.name.span, std::move(children));
  }

  nlohmann::json Owner(const ast::OwnerDecl& o) const {
    nlohmann::json objects = nlohmann::json::array();
    for (const ast::OwnedObject& obj : o.objects) {
      nlohmann::json fields = nlohmann::json::array();
      std::string detail;
      if (obj.all_fields) {
        detail = "*";
        if (!obj.fields.empty()) detail += " except " + std::to_string(obj.fields.size());
      } else {
        for (const ast::Name& f : obj.fields) fields.push_back(Symbol(f.text, "", kField, f.span, f.span));
        detail = std::to_string(obj.fields.size()) + (obj.fields.size() == 1 ? " field" : " fields");
      }
      objects.push_back(Symbol(obj.object.text, detail, kClass, obj.span, obj.object.span, std::move(fields)));
    }
    return Symbol("owner " + o.system.text, "", kObject, o.span, o.system.span, std::move(objects));
  }

  nlohmann::json Table(const ast::TableDecl& t) const {
    std::string detail;
    if (t.csv_path) detail = "csv(\"" + *t.csv_path + "\")";
    else if (t.type) detail = Text(t.type->span);
    return Symbol(t.name.text, detail, kConstant, t.span, t.name.span);
  }

  nlohmann::json Map(const ast::MapDecl& m) const {
    nlohmann::json stmts = nlohmann::json::array();
    for (const ast::MapStmt& s : m.stmts) {
      Span value = s.value ? s.value->span : Span{};
      switch (s.kind) {
        case ast::MapStmtKind::Key:
          stmts.push_back(Symbol("key " + Path(s.target), Text(value), kKey, s.span, PathSpan(s.target, s.span)));
          break;
        case ast::MapStmtKind::Require:
          stmts.push_back(Symbol("require", Text(value) + (s.reason ? " else \"" + *s.reason + "\"" : ""), kBoolean,
                                 s.span, s.span));
          break;
        case ast::MapStmtKind::Assign:
          stmts.push_back(Symbol(Path(s.target), Text(value), kField, s.span, PathSpan(s.target, s.span)));
          break;
      }
    }
    return Symbol(m.name.text, Ref(m.source) + " -> " + Ref(m.target), kFunction, m.span, m.name.span, std::move(stmts));
  }

  nlohmann::json Sync(const ast::SyncDecl& s) const {
    nlohmann::json policies = nlohmann::json::array();
    if (s.retry) {
      std::string detail = s.retry->backoff ? "backoff " + s.retry->backoff->text : "";
      if (s.retry->jitter) detail += detail.empty() ? "jitter" : " jitter";
      policies.push_back(Symbol("retry " + std::to_string(s.retry->attempts), detail, kProperty, s.retry->span,
                                s.retry->span));
    }
    for (const ast::ExhaustedAction& a : s.on_exhausted)
      policies.push_back(Symbol("on exhausted", Text(a.span), kProperty, a.span, a.span));
    return Symbol("sync " + s.map.text, Text(s.trigger_span), kEvent, s.span, s.map.span, std::move(policies));
  }

  nlohmann::json Reconcile(const ast::ReconcileDecl& r) const {
    nlohmann::json rules = nlohmann::json::array();
    for (const ast::ReconcileRule& rule : r.rules) {
      std::string name = (rule.left ? Text(rule.left->span, 30) : "") + " ~ " + (rule.right ? Text(rule.right->span, 30) : "");
      rules.push_back(Symbol(name, rule.tolerance_text.empty() ? "exact" : "within " + rule.tolerance_text +
                                                                           (rule.tolerance_percent ? "%" : ""),
                             kField, rule.span, rule.span));
    }
    const char* schedule = r.schedule == ast::ScheduleKind::Daily ? "daily" : r.schedule == ast::ScheduleKind::Hourly ? "hourly" : "every";
    return Symbol("reconcile " + Ref(r.left) + " ~ " + Ref(r.right), schedule, kStruct, r.span, r.left.span,
                  std::move(rules));
  }

  nlohmann::json Test(const ast::TestDecl& t) const {
    nlohmann::json stmts = nlohmann::json::array();
    for (const ast::TestStmt& s : t.stmts) {
      // Named by their text: `given won: crm.Opportunity` (up to the record's body),
      // `expect no flag "L"`, `expect exception "missing Name"`.
      if (s.record && s.record->object.span.valid() && s.record->object.span.end >= s.span.begin) {
        Span head = s.span;
        head.end = s.record->object.span.end;
        stmts.push_back(Symbol(Text(head), "", kObject, s.span, s.record->object.span));
      } else {
        stmts.push_back(Symbol(Text(s.span), "", kString, s.span, s.span));
      }
    }
    return Symbol(t.name, "test", kMethod, t.span, t.name_span, std::move(stmts));
  }

  nlohmann::json Item(const ast::Decl& d) const {
    switch (d.kind) {
      case ast::DeclKind::Import: {
        const auto& i = *d.As<ast::ImportDecl>();
        return Symbol(i.path, i.alias ? "as " + i.alias->text : "import", kFile, i.span, i.path_span);
      }
      case ast::DeclKind::Use: {
        const auto& u = *d.As<ast::UseDecl>();
        nlohmann::json modules = nlohmann::json::array();
        for (const ast::UseDecl::Module& m : u.modules) modules.push_back(Symbol(m.Dotted(), "", kPackage, m.span, m.span));
        return Symbol("use", Text(u.span), kNamespace, u.span, u.span, std::move(modules));
      }
      case ast::DeclKind::System:
        return System(*d.As<ast::SystemDecl>());
      case ast::DeclKind::Owner:
        return Owner(*d.As<ast::OwnerDecl>());
      case ast::DeclKind::Table:
        return Table(*d.As<ast::TableDecl>());
      case ast::DeclKind::Map:
        return Map(*d.As<ast::MapDecl>());
      case ast::DeclKind::Sync:
        return Sync(*d.As<ast::SyncDecl>());
      case ast::DeclKind::Conflicts: {
        const auto& c = *d.As<ast::ConflictsDecl>();
        // The detail is what follows the keyword: `latest_wins grace 60s audit`.
        std::string detail = Text(c.span);
        if (detail.rfind("conflicts ", 0) == 0) detail = detail.substr(10);
        return Symbol("conflicts", detail, kProperty, c.span, c.strategy.span);
      }
      case ast::DeclKind::Alert: {
        const auto& a = *d.As<ast::AlertDecl>();
        return Symbol(a.name.text, "alert on " + Ref(a.object), kEvent, a.span, a.name.span);
      }
      case ast::DeclKind::Reconcile:
        return Reconcile(*d.As<ast::ReconcileDecl>());
      case ast::DeclKind::Test:
        return Test(*d.As<ast::TestDecl>());
    }
    return nullptr;
  }

 private:
  const Document& doc_;
};

}  // namespace

nlohmann::json DocumentSymbols(const Document& doc) {
  SourceManager sources;
  FileId id = sources.Add(doc.path().empty() ? doc.uri() : doc.path(), doc.text());
  diag::DiagnosticSink sink;
  std::unique_ptr<ast::Module> module = syntax::Parse(sources.Get(id), sink);
  Outline outline(doc);
  nlohmann::json items = nlohmann::json::array();
  for (const ast::DeclPtr& d : module->items) {
    nlohmann::json s = outline.Item(*d);
    if (!s.is_null()) items.push_back(std::move(s));
  }
  if (module->kind == ast::FileKind::Unknown) return items;
  // The file's block: from its keyword to the end of the text (comments after the closing
  // brace included, so every item lies inside it).
  Span whole = sources.Get(id).MakeSpan(module->header.valid() ? module->header.begin : 0,
                                        static_cast<uint32_t>(doc.text().size()));
  bool integration = module->is_integration();
  std::string detail = integration ? "integration" : "module";
  if (module->version) detail += " " + *module->version;
  nlohmann::json root = outline.Symbol(module->name.text, detail, integration ? kModule : kPackage, whole,
                                       module->name.span, std::move(items));
  return nlohmann::json::array({root});
}

}  // namespace crmx::lsp
