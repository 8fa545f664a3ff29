// Defines the AST builder: walks the ANTLR parse tree (named fields of labelled
// alternatives) and produces crmx::ast nodes with spans. It also reports the mistakes that
// the grammar's `...Error` alternatives match, invalid literals, and expressions nested past
// the cap. The tree may be incomplete after syntax errors: every child is null-checked.
#include <string>

#include "compiler/syntax/literals.h"
#include "compiler/syntax/parse_session.h"

namespace crmx::syntax {
namespace {

using P = crmx_antlr::CrmxParser;
using namespace crmx::ast;

class Builder {
 public:
  explicit Builder(ParseSession& s) : s_(s) {}

  std::unique_ptr<Module> Build(P::FileContext* tree) {
    auto module = std::make_unique<Module>();
    module->file = s_.file.id();
    std::vector<P::ItemContext*> items;
    if (auto* f = dynamic_cast<P::IntegrationFileContext*>(tree)) {
      module->kind = FileKind::Integration;
      module->name = MakeName(f->name);
      if (f->version) module->version = StringValue(f->version);
      module->header = Span::Cover(SpanOf(f->INTEGRATION()), SpanOf(f->LBRACE()));
      items = f->item();
    } else if (auto* m = dynamic_cast<P::ModuleFileContext*>(tree)) {
      module->kind = FileKind::Module;
      module->name = MakeName(m->name);
      module->header = Span::Cover(SpanOf(m->MODULE()), SpanOf(m->LBRACE()));
      items = m->item();
    }
    for (P::ItemContext* item : items) {
      if (DeclPtr d = BuildItem(item)) module->items.push_back(std::move(d));
    }
    module->expr_count = next_id_;
    return module;
  }

  ExprPtr BuildStandalone(P::StandaloneExprContext* tree, uint32_t& expr_count) {
    ExprPtr e = tree != nullptr ? Expr(tree->expr()) : nullptr;
    expr_count = next_id_;
    return e;
  }

 private:
  // ------------------------------------------------------------------ helpers
  Span SpanOf(antlr4::ParserRuleContext* c) { return s_.CtxSpan(c); }
  Span SpanOf(antlr4::Token* t) { return s_.TokenSpan(t); }
  Span SpanOf(antlr4::tree::TerminalNode* n) { return n ? s_.TokenSpan(n->getSymbol()) : Span{}; }

  Name MakeName(antlr4::ParserRuleContext* c) {
    Name n;
    if (c == nullptr) return n;
    n.text = c->getText();
    if (n.text.size() >= 2 && n.text.front() == '`' && n.text.back() == '`') n.text = n.text.substr(1, n.text.size() - 2);
    n.span = SpanOf(c);
    return n;
  }

  std::string StringValue(antlr4::Token* t) {
    if (t == nullptr) return {};
    std::string out;
    std::string text = t->getText();
    if (auto err = DecodeString(text, out)) {
      Span tok = SpanOf(t);
      Span at = s_.file.MakeSpan(tok.begin + err->begin, tok.begin + err->end);
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidEscape, at, err->message, "invalid escape");
      d.help = "valid escapes are \\n \\t \\r \\\\ \\\" \\' \\xHH \\uHHHH \\UHHHHHHHH and octal \\ooo; "
               "use a raw string r\"...\" for backslashes";
      s_.Report(std::move(d));
    }
    return out;
  }

  int64_t Duration(antlr4::Token* t) {
    if (t == nullptr || s_.IsBad(t)) return 0;
    auto ms = ParseDurationMs(t->getText());
    if (!ms) {
      s_.Report(diag::Make(diag::Kind::InvalidDuration, SpanOf(t), "duration `" + t->getText() + "` is out of range",
                           "too large"));
      return 0;
    }
    return *ms;
  }

  int64_t IntValue(antlr4::Token* t) {
    if (t == nullptr || s_.IsBad(t)) return 0;
    auto v = ParseInt(t->getText(), false);
    if (!v) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidNumber, SpanOf(t),
                                      "integer `" + t->getText() + "` does not fit in 64 bits", "out of range");
      s_.Report(std::move(d));
      return 0;
    }
    return *v;
  }

  double NumberValue(P::NumberContext* n) {
    if (n == nullptr) return 0;
    if (n->INT()) return static_cast<double>(IntValue(n->INT()->getSymbol()));
    if (n->FLOAT()) return ParseDouble(n->FLOAT()->getText()).value_or(0);
    return 0;
  }

  // A number's text as a decimal reads it: a FLOAT as written, an INT in decimal digits
  // (`0x10` is "16").
  std::string NumberText(P::NumberContext* n) {
    if (n == nullptr) return "0";
    if (n->INT()) return std::to_string(IntValue(n->INT()->getSymbol()));
    if (n->FLOAT()) return n->FLOAT()->getText();
    return "0";
  }

  ObjectRef MakeObjectRef(P::ObjectRefContext* c) {
    ObjectRef r;
    if (c == nullptr) return r;
    r.system = MakeName(c->system);
    r.object = MakeName(c->object);
    r.span = SpanOf(c);
    return r;
  }

  std::optional<TimeOfDay> MakeTime(P::TimeOfDayContext* c) {
    if (c == nullptr || c->hour == nullptr || c->minute == nullptr) return std::nullopt;
    TimeOfDay t;
    t.span = SpanOf(c);
    auto h = ParseInt(c->hour->getText(), false);
    auto m = ParseInt(c->minute->getText(), false);
    Span hm = Span::Cover(SpanOf(c->hour), SpanOf(c->minute));
    std::string written = c->hour->getText() + ":" + c->minute->getText();
    std::string why;
    if (!h || *h > 23) why = "hour " + c->hour->getText() + " is out of range (00-23)";
    else if (!m || *m > 59) why = "minute " + c->minute->getText() + " is out of range (00-59)";
    else if (c->minute->getText().size() != 2 || c->hour->getText().size() > 2) why = "write the time as HH:MM";
    if (!why.empty()) {
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidDuration, hm, "`" + written + "` is not a time of day: " + why,
                                      "not a time of day");
      d.help = "write a 24-hour time between 00:00 and 23:59, such as `02:00`";
      s_.Report(std::move(d));
    } else {
      t.hour = static_cast<int>(*h);
      t.minute = static_cast<int>(*m);
    }
    if (c->zone) t.zone = StringValue(c->zone);
    return t;
  }

  // Reports `=` written for `==` in a condition; returns the condition as if `==` was written.
  ExprPtr Predicate(P::PredicateContext* c) {
    if (c == nullptr) return nullptr;
    if (c->right == nullptr) return Expr(c->left);
    auto* bad = c;
    Span op = SpanOf(bad->ASSIGN());
    diag::Diagnostic d = diag::Make(diag::Kind::AssignInCondition, op, "`=` assigns; a condition compares with `==`",
                                    "this assigns; comparison is `==`");
    d.help = "write `==` to compare";
    d.fix = diag::Fix{op, "==", true};
    s_.Report(std::move(d));
    auto e = std::make_unique<BinaryExpr>(SpanOf(c));
    e->id = next_id_++;
    e->op = BinaryOp::Eq;
    e->op_span = op;
    e->left = Expr(bad->left);
    e->right = Expr(bad->right);
    return e;
  }

  // ------------------------------------------------------------------ declarations
  DeclPtr BuildItem(P::ItemContext* item) {
    Span span = SpanOf(item);
    if (auto* c = dynamic_cast<P::MisplacedHeaderItemContext*>(item)) {
      diag::Diagnostic d = diag::Make(diag::Kind::HeaderNotFirst, span,
                                      "`integration` inside another block: a file holds one integration",
                                      "nested integration");
      d.help = "put each integration in its own file, and share declarations through a `module`";
      s_.Report(std::move(d));
      (void)c;
      return nullptr;
    }
    if (auto* c = dynamic_cast<P::ImportItemContext*>(item)) {
      auto d = std::make_unique<ImportDecl>(span);
      d->path = StringValue(c->path);
      d->path_span = SpanOf(c->path);
      if (c->alias) d->alias = MakeName(c->alias);
      return d;
    }
    if (auto* c = dynamic_cast<P::UseItemContext*>(item)) {
      auto d = std::make_unique<UseDecl>(span);
      for (P::ModulePathContext* m : c->modulePath()) {
        UseDecl::Module mod;
        mod.span = SpanOf(m);
        for (P::IdentContext* part : m->ident()) mod.parts.push_back(MakeName(part));
        d->modules.push_back(std::move(mod));
      }
      return d;
    }
    if (auto* c = dynamic_cast<P::SystemItemContext*>(item)) return BuildSystem(c, span);
    if (auto* c = dynamic_cast<P::OwnerItemContext*>(item)) return BuildOwner(c, span);
    if (auto* c = dynamic_cast<P::TableItemContext*>(item)) return BuildTable(c, span);
    if (auto* c = dynamic_cast<P::MapItemContext*>(item)) return BuildMap(c, span);
    if (auto* c = dynamic_cast<P::SyncItemContext*>(item)) return BuildSync(c, span);
    if (auto* c = dynamic_cast<P::ConflictsItemContext*>(item)) {
      auto d = std::make_unique<ConflictsDecl>(span);
      d->strategy = MakeName(c->strategy);
      for (P::ConflictOptionContext* o : c->conflictOption()) {
        if (auto* g = dynamic_cast<P::GraceOptionContext*>(o)) d->grace_ms = Duration(g->window);
        if (dynamic_cast<P::AuditOptionContext*>(o)) d->audit = true;
      }
      return d;
    }
    if (auto* c = dynamic_cast<P::AlertItemContext*>(item)) {
      auto d = std::make_unique<AlertDecl>(span);
      d->name = MakeName(c->name);
      d->object = MakeObjectRef(c->object);
      d->when = Predicate(c->predicate());
      d->for_ms = Duration(c->window);
      for (P::ExprContext* e : c->expr()) d->notify.push_back(Expr(e));
      return d;
    }
    if (auto* c = dynamic_cast<P::ReconcileItemContext*>(item)) return BuildReconcile(c, span);
    if (auto* c = dynamic_cast<P::TestItemContext*>(item)) return BuildTest(c, span);
    return nullptr;
  }

  DeclPtr BuildSystem(P::SystemItemContext* c, Span span) {
    auto d = std::make_unique<SystemDecl>(span);
    d->name = MakeName(c->name);
    d->system_kind = MakeName(c->kind);
    for (P::SystemSettingContext* st : c->systemSetting()) {
      if (auto* sc = dynamic_cast<P::SchemaSettingContext*>(st)) {
        SchemaSetting s;
        s.path = StringValue(sc->path);
        s.span = SpanOf(sc);
        if (sc->format) s.format = MakeName(sc->format);
        d->schemas.push_back(std::move(s));
      } else if (auto* b = dynamic_cast<P::BudgetSettingContext*>(st)) {
        BudgetSetting bs;
        bs.metric = MakeName(b->metric);
        bs.amount = IntValue(b->amount);
        if (b->period) bs.period_ms = Duration(b->period);
        if (b->warnAt) bs.warn_at_percent = NumberValue(b->warnAt->value);
        bs.span = SpanOf(b);
        d->budgets.push_back(std::move(bs));
      } else if (auto* bt = dynamic_cast<P::BatchSettingContext*>(st)) {
        d->batch = IntValue(bt->size);
        d->batch_span = SpanOf(bt);
      } else if (auto* fo = dynamic_cast<P::FieldOverlayContext*>(st)) {
        d->overlays.push_back(BuildOverlay(fo));
      }
    }
    return d;
  }

  FieldOverlay BuildOverlay(P::FieldOverlayContext* c) {
    FieldOverlay o;
    o.object = MakeName(c->object);
    o.path = Path(c->path);
    o.span = SpanOf(c);
    if (P::OverlayTypeContext* t = c->fieldType) {
      OverlayType type;
      type.name = MakeName(t->name);
      type.span = SpanOf(t);
      for (P::OverlayTypeArgContext* a : t->args) {
        OverlayTypeArg arg;
        arg.span = SpanOf(a);
        if (auto* i = dynamic_cast<P::OverlayIntArgContext*>(a)) {
          arg.kind = OverlayTypeArg::Kind::Int;
          arg.int_value = i->INT() ? IntValue(i->INT()->getSymbol()) : 0;
        } else if (auto* str = dynamic_cast<P::OverlayStringArgContext*>(a)) {
          arg.kind = OverlayTypeArg::Kind::String;
          arg.text = str->STRING() ? StringValue(str->STRING()->getSymbol()) : std::string();
        } else if (auto* n = dynamic_cast<P::OverlayNameArgContext*>(a)) {
          arg.kind = OverlayTypeArg::Kind::Name;
          arg.text = MakeName(n->ident()).text;
        }
        type.args.push_back(std::move(arg));
      }
      o.type = std::move(type);
    }
    for (antlr4::Token* f : c->facts) {
      Name n;
      n.text = f->getText();
      n.span = SpanOf(f);
      o.facts.push_back(std::move(n));
    }
    return o;
  }

  DeclPtr BuildOwner(P::OwnerItemContext* c, Span span) {
    auto d = std::make_unique<OwnerDecl>(span);
    d->system = MakeName(c->system);
    for (P::OwnerObjectContext* o : c->ownerObject()) {
      OwnedObject obj;
      obj.object = MakeName(o->object);
      obj.span = SpanOf(o);
      if (auto* all = dynamic_cast<P::OwnerAllFieldsContext*>(o->ownerFields())) {
        obj.all_fields = true;
        for (P::IdentContext* f : all->ident()) obj.fields.push_back(MakeName(f));
      } else if (auto* list = dynamic_cast<P::OwnerFieldListContext*>(o->ownerFields())) {
        for (P::IdentContext* f : list->ident()) obj.fields.push_back(MakeName(f));
      }
      d->objects.push_back(std::move(obj));
    }
    return d;
  }

  TypeRef MakeType(P::TypeContext* c) {
    TypeRef t;
    if (c == nullptr) return t;
    t.name = MakeName(c->name);
    t.span = SpanOf(c);
    for (P::TypeContext* a : c->type()) t.args.push_back(MakeType(a));
    return t;
  }

  DeclPtr BuildTable(P::TableItemContext* c, Span span) {
    auto d = std::make_unique<TableDecl>(span);
    d->name = MakeName(c->name);
    if (c->tableType) d->type = MakeType(c->tableType);
    if (auto* csv = dynamic_cast<P::CsvTableContext*>(c->tableValue())) {
      d->csv_path = StringValue(csv->path);
      d->csv_span = SpanOf(csv->path);
      for (P::NamedArgContext* a : csv->namedArg()) {
        NamedArg arg;
        arg.name = MakeName(a->name);
        arg.value = Expr(a->value);
        d->csv_args.push_back(std::move(arg));
      }
    } else if (auto* lit = dynamic_cast<P::LiteralTableContext*>(c->tableValue())) {
      d->value = Expr(lit->expr());
    }
    return d;
  }

  std::vector<Name> Path(P::FieldPathContext* c) {
    std::vector<Name> out;
    if (c == nullptr) return out;
    for (P::IdentContext* i : c->ident()) out.push_back(MakeName(i));
    return out;
  }

  DeclPtr BuildMap(P::MapItemContext* c, Span span) {
    auto d = std::make_unique<MapDecl>(span);
    d->name = MakeName(c->name);
    d->source = MakeObjectRef(c->source);
    d->target = MakeObjectRef(c->target);
    d->open_brace = SpanOf(c->LBRACE());
    for (P::MapStmtContext* st : c->mapStmt()) {
      MapStmt m;
      m.span = SpanOf(st);
      if (auto* k = dynamic_cast<P::KeyStmtContext*>(st)) {
        m.kind = MapStmtKind::Key;
        m.target = Path(k->target);
        m.value = Expr(k->value);
      } else if (auto* r = dynamic_cast<P::RequireStmtContext*>(st)) {
        m.kind = MapStmtKind::Require;
        m.value = Predicate(r->predicate());
        if (r->reason) {
          m.reason = StringValue(r->reason);
          m.reason_span = SpanOf(r->reason);
        }
      } else if (auto* a = dynamic_cast<P::AssignStmtContext*>(st)) {
        m.kind = MapStmtKind::Assign;
        m.target = Path(a->target);
        m.value = Expr(a->value);
        if (a->label) {
          m.flag = StringValue(a->label);
          m.flag_span = SpanOf(a->label);
        }
        if (a->op != nullptr && a->op->getType() == P::COLON) {
          Span colon = SpanOf(a->op);
          std::string field = a->target ? a->target->getText() : "field";
          diag::Diagnostic diag = diag::Make(diag::Kind::ColonInAssignment, colon,
                                             "`:` in a mapping line; assignments use `=`", "expected `=`");
          diag.notes.push_back("`name: value` is how fields are written inside records and `{...}` literals");
          diag.help = "write `" + field + " = ...`";
          // `name: value` -> `name = value`: keep the spacing of an assignment.
          bool space_before = colon.begin > 0 && s_.file.text()[colon.begin - 1] == ' ';
          diag.fix = diag::Fix{colon, space_before ? "=" : " =", true};
          s_.Report(std::move(diag));
        } else if (a->op != nullptr && a->op->getType() == P::EQ) {
          Span op = SpanOf(a->op);
          diag::Diagnostic diag = diag::Make(diag::Kind::UnexpectedToken, op,
                                             "`==` compares; a mapping line assigns with `=`", "expected `=`");
          diag.help = "write `=` to assign the target field";
          diag.fix = diag::Fix{op, "=", true};
          s_.Report(std::move(diag));
        }
      } else {
        continue;
      }
      d->stmts.push_back(std::move(m));
    }
    return d;
  }

  DeclPtr BuildSync(P::SyncItemContext* c, Span span) {
    auto d = std::make_unique<SyncDecl>(span);
    d->map = MakeName(c->map);
    d->trigger_span = SpanOf(c->trigger());
    if (dynamic_cast<P::OnChangeTriggerContext*>(c->trigger())) {
      d->trigger = TriggerKind::OnChange;
    } else if (auto* ev = dynamic_cast<P::EveryTriggerContext*>(c->trigger())) {
      d->trigger = TriggerKind::Every;
      d->every_ms = Duration(ev->interval);
    } else if (auto* da = dynamic_cast<P::DailyTriggerContext*>(c->trigger())) {
      d->trigger = TriggerKind::DailyAt;
      if (auto t = MakeTime(da->time)) d->daily_at = *t;
    }
    if (c->predicate()) d->when = Predicate(c->predicate());
    if (P::SyncBlockContext* block = c->syncBlock()) {
      for (P::SyncPolicyContext* p : block->syncPolicy()) {
        if (auto* r = dynamic_cast<P::RetryPolicyContext*>(p)) {
          RetryPolicy rp;
          rp.span = SpanOf(r);
          rp.attempts = IntValue(r->attempts);
          rp.jitter = r->JITTER() != nullptr;
          if (P::BackoffContext* b = r->backoff()) {
            rp.backoff = MakeName(b->kind);
            for (antlr4::tree::TerminalNode* dur : b->DURATION()) rp.backoff_args_ms.push_back(Duration(dur->getSymbol()));
          }
          d->retry = std::move(rp);
        } else if (auto* ex = dynamic_cast<P::ExhaustedPolicyContext*>(p)) {
          for (P::ExhaustedActionContext* a : ex->exhaustedAction()) {
            ExhaustedAction act;
            act.span = SpanOf(a);
            if (dynamic_cast<P::DeadLetterActionContext*>(a)) {
              act.kind = ExhaustedActionKind::DeadLetter;
            } else if (auto* n = dynamic_cast<P::NotifyActionContext*>(a)) {
              act.kind = ExhaustedActionKind::Notify;
              for (P::ExprContext* e : n->expr()) act.targets.push_back(Expr(e));
            } else if (auto* h = dynamic_cast<P::HoldActionContext*>(a)) {
              act.kind = ExhaustedActionKind::Hold;
              act.reason = StringValue(h->reason);
            }
            d->on_exhausted.push_back(std::move(act));
          }
        }
      }
    }
    return d;
  }

  DeclPtr BuildReconcile(P::ReconcileItemContext* c, Span span) {
    auto d = std::make_unique<ReconcileDecl>(span);
    if (auto* daily = dynamic_cast<P::DailyScheduleContext*>(c->schedule())) {
      d->schedule = ScheduleKind::Daily;
      if (daily->timeOfDay()) d->at = MakeTime(daily->timeOfDay());
    } else if (dynamic_cast<P::HourlyScheduleContext*>(c->schedule())) {
      d->schedule = ScheduleKind::Hourly;
    } else if (auto* every = dynamic_cast<P::EveryScheduleContext*>(c->schedule())) {
      d->schedule = ScheduleKind::Every;
      d->every_ms = Duration(every->interval);
    }
    d->left = MakeObjectRef(c->left);
    d->right = MakeObjectRef(c->right);
    d->by = Predicate(c->predicate());
    for (P::ReconcileRuleContext* r : c->reconcileRule()) {
      ReconcileRule rule;
      rule.span = SpanOf(r);
      rule.left = Expr(r->left);
      rule.right = Expr(r->right);
      if (auto* pt = dynamic_cast<P::PercentToleranceContext*>(r->tolerance())) {
        rule.tolerance = NumberValue(pt->percent() ? pt->percent()->value : nullptr);
        rule.tolerance_text = NumberText(pt->percent() ? pt->percent()->value : nullptr);
        rule.tolerance_percent = true;
      } else if (auto* at = dynamic_cast<P::AbsoluteToleranceContext*>(r->tolerance())) {
        rule.tolerance = NumberValue(at->number());
        rule.tolerance_text = NumberText(at->number());
      }
      d->rules.push_back(std::move(rule));
    }
    return d;
  }

  std::optional<RecordLit> MakeRecord(P::RecordContext* c) {
    if (c == nullptr) return std::nullopt;
    RecordLit r;
    r.span = SpanOf(c);
    r.object = MakeObjectRef(c->objectRef());
    for (P::FieldInitContext* f : c->fieldInit()) {
      FieldInit fi;
      fi.name = MakeName(f->name);
      fi.value = Expr(f->value);
      r.fields.push_back(std::move(fi));
    }
    return r;
  }

  // An expectation's outcome into `t`; false when the parser recovered from broken text.
  bool BuildOutcome(P::OutcomeContext* o, TestStmt& t) {
    if (auto* w = dynamic_cast<P::WrittenOutcomeContext*>(o)) {
      t.kind = TestStmtKind::ExpectRecord;
      t.negated = w->negated != nullptr;
      t.written_word = w->written != nullptr;
      if (w->record()) {
        t.record = MakeRecord(w->record());
      } else if (w->target) {
        RecordLit r;
        r.span = SpanOf(w->target);
        r.object = MakeObjectRef(w->target);
        t.record = std::move(r);
        t.has_body = false;
      }
      return t.record.has_value();
    }
    antlr4::Token* text = nullptr;
    if (auto* x = dynamic_cast<P::ExceptionOutcomeContext*>(o)) {
      t.kind = TestStmtKind::ExpectException;
      t.negated = x->negated != nullptr;
      text = x->reason;
    } else if (auto* h = dynamic_cast<P::HoldOutcomeContext*>(o)) {
      t.kind = TestStmtKind::ExpectHold;
      t.negated = h->negated != nullptr;
      text = h->reason;
    } else if (auto* f = dynamic_cast<P::FlagOutcomeContext*>(o)) {
      t.kind = TestStmtKind::ExpectFlag;
      t.negated = f->negated != nullptr;
      text = f->label;
    } else if (auto* k = dynamic_cast<P::SkippedOutcomeContext*>(o)) {
      t.kind = TestStmtKind::ExpectSkipped;
      t.negated = k->negated != nullptr;
    } else {
      return false;
    }
    t.has_text = text != nullptr;
    if (text != nullptr) {
      t.text = StringValue(text);
      t.text_span = SpanOf(text);
    }
    return true;
  }

  DeclPtr BuildTest(P::TestItemContext* c, Span span) {
    auto d = std::make_unique<TestDecl>(span);
    d->name = StringValue(c->name);
    d->name_span = SpanOf(c->name);
    for (P::TestStmtContext* st : c->testStmt()) {
      TestStmt t;
      t.span = SpanOf(st);
      P::OutcomeContext* outcome = nullptr;
      if (auto* g = dynamic_cast<P::GivenStmtContext*>(st)) {
        t.kind = TestStmtKind::Given;
        t.record = MakeRecord(g->record());
        if (g->name) t.record_name = MakeName(g->name);
      } else if (auto* n = dynamic_cast<P::NowStmtContext*>(st)) {
        t.kind = TestStmtKind::Now;
        t.text = StringValue(n->clock);
        if (n->clock) t.text_span = SpanOf(n->clock);
      } else if (auto* e = dynamic_cast<P::ExpectStmtContext*>(st)) {
        outcome = e->outcome();
      } else if (auto* a = dynamic_cast<P::ExpectAboutStmtContext*>(st)) {
        outcome = a->outcome();
        if (a->subject) t.record_name = MakeName(a->subject);
      } else {
        continue;
      }
      if (outcome != nullptr && !BuildOutcome(outcome, t)) continue;
      d->stmts.push_back(std::move(t));
    }
    return d;
  }

  // ------------------------------------------------------------------ expressions
  template <typename T>
  std::unique_ptr<T> New(Span span) {
    auto e = std::make_unique<T>(span);
    e->id = next_id_++;
    return e;
  }

  // Guards recursion: past the cap, reports E0008 once and stops descending.
  struct DepthGuard {
    Builder& b;
    explicit DepthGuard(Builder& builder) : b(builder) { ++b.depth_; }
    ~DepthGuard() { --b.depth_; }
    bool TooDeep(Span at) {
      if (b.depth_ <= b.s_.options.max_nesting) return false;
      if (!b.reported_depth_) {
        b.reported_depth_ = true;
        diag::Diagnostic d = diag::Make(diag::Kind::NestingTooDeep, at,
                                        "expression nested more than " + std::to_string(b.s_.options.max_nesting) +
                                            " levels deep",
                                        "too deep");
        d.help = "split the expression, for example with a lookup table";
        b.s_.Report(std::move(d));
      }
      return true;
    }
  };

  ExprPtr Expr(P::ExprContext* c) {
    if (c == nullptr) return nullptr;
    DepthGuard g(*this);
    if (g.TooDeep(SpanOf(c))) return nullptr;
    ExprPtr cond = Or(c->cond);
    if (c->then == nullptr) return cond;
    auto e = New<ConditionalExpr>(SpanOf(c));
    e->cond = std::move(cond);
    e->then = Or(c->then);
    e->otherwise = Expr(c->otherwise);
    return e;
  }

  // `a || b || ...` is flat in the parse tree but left-deep in the AST: cap its length too.
  size_t ChainCap() const { return static_cast<size_t>(s_.options.max_nesting) * 16; }
  void ReportChain(Span at) {
    if (reported_depth_) return;
    reported_depth_ = true;
    diag::Diagnostic d = diag::Make(diag::Kind::NestingTooDeep, at,
                                    "condition chains more than " + std::to_string(ChainCap()) + " terms",
                                    "too long");
    d.help = "split the condition, for example with a lookup table and `in`";
    s_.Report(std::move(d));
  }

  ExprPtr Binary(BinaryOp op, antlr4::Token* op_tok, ExprPtr left, ExprPtr right) {
    Span span = left && right ? Span::Cover(left->span, right->span) : SpanOf(op_tok);
    auto e = New<BinaryExpr>(span);
    e->op = op;
    e->op_span = SpanOf(op_tok);
    e->left = std::move(left);
    e->right = std::move(right);
    return e;
  }

  ExprPtr Or(P::ConditionalOrContext* c) {
    if (c == nullptr) return nullptr;
    if (c->rest.size() > ChainCap()) {
      ReportChain(SpanOf(c));
      return nullptr;
    }
    ExprPtr acc = And(c->left);
    for (size_t i = 0; i < c->rest.size() && i < c->ops.size(); ++i) {
      acc = Binary(BinaryOp::Or, c->ops[i], std::move(acc), And(c->rest[i]));
    }
    return acc;
  }

  ExprPtr And(P::ConditionalAndContext* c) {
    if (c == nullptr) return nullptr;
    if (c->rest.size() > ChainCap()) {
      ReportChain(SpanOf(c));
      return nullptr;
    }
    ExprPtr acc = Relation(c->left);
    for (size_t i = 0; i < c->rest.size() && i < c->ops.size(); ++i) {
      acc = Binary(BinaryOp::And, c->ops[i], std::move(acc), Relation(c->rest[i]));
    }
    return acc;
  }

  ExprPtr Relation(P::RelationContext* c) {
    if (c == nullptr) return nullptr;
    DepthGuard g(*this);
    if (g.TooDeep(SpanOf(c))) return nullptr;
    if (auto* n = dynamic_cast<P::RelationNullishContext*>(c)) return Nullish(n->nullish());
    auto* r = dynamic_cast<P::RelationOpContext*>(c);
    if (r == nullptr || r->op == nullptr) return nullptr;
    BinaryOp op = BinaryOp::Eq;
    switch (r->op->getType()) {
      case P::LT: op = BinaryOp::Lt; break;
      case P::LE: op = BinaryOp::Le; break;
      case P::GT: op = BinaryOp::Gt; break;
      case P::GE: op = BinaryOp::Ge; break;
      case P::EQ: op = BinaryOp::Eq; break;
      case P::NE: op = BinaryOp::Ne; break;
      case P::IN: op = BinaryOp::In; break;
      default: break;
    }
    return Binary(op, r->op, Relation(r->left), Relation(r->right));
  }

  ExprPtr Nullish(P::NullishContext* c) {
    if (c == nullptr) return nullptr;
    DepthGuard g(*this);
    if (g.TooDeep(SpanOf(c))) return nullptr;
    ExprPtr value = Calc(c->value);
    if (c->fallback == nullptr) return value;
    auto e = New<CoalesceExpr>(SpanOf(c));
    e->value = std::move(value);
    e->fallback = Nullish(c->fallback);
    return e;
  }

  ExprPtr Calc(P::CalcContext* c) {
    if (c == nullptr) return nullptr;
    DepthGuard g(*this);
    if (g.TooDeep(SpanOf(c))) return nullptr;
    if (auto* u = dynamic_cast<P::CalcUnaryContext*>(c)) return Unary(u->unary());
    antlr4::Token* op_tok = nullptr;
    P::CalcContext* l = nullptr;
    P::CalcContext* r = nullptr;
    if (auto* m = dynamic_cast<P::CalcMulContext*>(c)) {
      op_tok = m->op;
      l = m->left;
      r = m->right;
    } else if (auto* a = dynamic_cast<P::CalcAddContext*>(c)) {
      op_tok = a->op;
      l = a->left;
      r = a->right;
    }
    if (op_tok == nullptr) return nullptr;
    BinaryOp op = BinaryOp::Add;
    switch (op_tok->getType()) {
      case P::STAR: op = BinaryOp::Mul; break;
      case P::SLASH: op = BinaryOp::Div; break;
      case P::PERCENT: op = BinaryOp::Mod; break;
      case P::PLUS: op = BinaryOp::Add; break;
      case P::MINUS: op = BinaryOp::Sub; break;
      default: break;
    }
    return Binary(op, op_tok, Calc(l), Calc(r));
  }

  ExprPtr Unary(P::UnaryContext* c) {
    if (c == nullptr) return nullptr;
    if (auto* m = dynamic_cast<P::UnaryMemberContext*>(c)) return Member(m->member());
    std::vector<antlr4::Token*> ops;
    P::MemberContext* operand = nullptr;
    UnaryOp op = UnaryOp::Not;
    if (auto* n = dynamic_cast<P::UnaryNotContext*>(c)) {
      ops = n->ops;
      operand = n->member();
      op = UnaryOp::Not;
    } else if (auto* g = dynamic_cast<P::UnaryNegContext*>(c)) {
      ops = g->ops;
      operand = g->member();
      op = UnaryOp::Negate;
    }
    size_t count = ops.size();
    if (count > s_.options.max_nesting) {
      ReportChain(SpanOf(c));
      return nullptr;
    }
    ExprPtr inner;
    // CEL: `-` directly before a number literal is part of the literal (so the most negative
    // int64 is representable).
    if (op == UnaryOp::Negate && operand != nullptr) {
      if (auto* prim = dynamic_cast<P::MemberPrimaryContext*>(operand)) {
        if (auto* lit = dynamic_cast<P::PrimaryLiteralContext*>(prim->primary())) {
          if (P::LiteralContext* l = lit->literal(); l != nullptr && (dynamic_cast<P::IntLitContext*>(l) || dynamic_cast<P::FloatLitContext*>(l) || dynamic_cast<P::DecimalLitContext*>(l))) {
            inner = Literal(l, /*negative=*/true, ops.empty() ? nullptr : ops.back());
            --count;
          }
        }
      }
    }
    if (!inner) inner = Member(operand);
    for (size_t i = count; i-- > 0;) {
      auto e = New<UnaryExpr>(inner ? Span::Cover(SpanOf(ops[i]), inner->span) : SpanOf(ops[i]));
      e->op = op;
      e->operand = std::move(inner);
      inner = std::move(e);
    }
    return inner;
  }

  std::vector<ExprPtr> List(P::ExprListContext* c) {
    std::vector<ExprPtr> out;
    if (c == nullptr) return out;
    for (P::ExprContext* e : c->expr()) out.push_back(Expr(e));
    return out;
  }

  ExprPtr Member(P::MemberContext* c) {
    if (c == nullptr) return nullptr;
    DepthGuard g(*this);
    if (g.TooDeep(SpanOf(c))) return nullptr;
    if (auto* p = dynamic_cast<P::MemberPrimaryContext*>(c)) return Primary(p->primary());
    if (auto* s = dynamic_cast<P::MemberSelectContext*>(c); s != nullptr && s->call != nullptr) {
      auto e = New<CallExpr>(SpanOf(c));
      e->receiver = Member(s->member());
      e->function = MakeName(s->name);
      e->args = List(s->args);
      return e;
    }
    if (auto* s = dynamic_cast<P::MemberSelectContext*>(c)) {
      auto e = New<SelectExpr>(SpanOf(c));
      e->operand = Member(s->member());
      e->field = MakeName(s->name);
      return e;
    }
    if (auto* i = dynamic_cast<P::MemberIndexContext*>(c)) {
      auto e = New<IndexExpr>(SpanOf(c));
      e->operand = Member(i->member());
      e->index = Expr(i->index);
      return e;
    }
    return nullptr;
  }

  ExprPtr Primary(P::PrimaryContext* c) {
    if (c == nullptr) return nullptr;
    Span span = SpanOf(c);
    if (auto* l = dynamic_cast<P::PrimaryLiteralContext*>(c)) return Literal(l->literal(), false, nullptr);
    if (auto* i = dynamic_cast<P::PrimaryIdentContext*>(c); i != nullptr && i->call == nullptr) {
      auto e = New<IdentExpr>(span);
      e->name = MakeName(i->name);
      return e;
    }
    if (auto* f = dynamic_cast<P::PrimaryIdentContext*>(c)) {
      auto e = New<CallExpr>(span);
      e->function = MakeName(f->name);
      e->args = List(f->args);
      return e;
    }
    if (auto* p = dynamic_cast<P::PrimaryParensContext*>(c)) return Expr(p->inner);
    if (auto* l = dynamic_cast<P::PrimaryListContext*>(c)) {
      auto e = New<ListExpr>(span);
      e->elements = List(l->elems);
      return e;
    }
    if (auto* m = dynamic_cast<P::PrimaryMapContext*>(c)) {
      auto e = New<MapExpr>(span);
      if (m->entries) {
        for (P::MapEntryContext* en : m->entries->mapEntry()) {
          MapEntry entry;
          entry.span = SpanOf(en);
          if (auto* fk = dynamic_cast<P::FieldKeyContext*>(en->key)) entry.field_key = MakeName(fk->name);
          else if (auto* ek = dynamic_cast<P::ExprKeyContext*>(en->key)) entry.key = Expr(ek->expr());
          entry.value = Expr(en->value);
          e->entries.push_back(std::move(entry));
        }
      }
      return e;
    }
    if (auto* h = dynamic_cast<P::PrimaryHoldContext*>(c)) {
      auto e = New<HoldExpr>(span);
      e->reason = StringValue(h->reason);
      e->reason_span = SpanOf(h->reason);
      return e;
    }
    if (auto* r = dynamic_cast<P::PrimaryRefContext*>(c)) {
      auto e = New<RefExpr>(span);
      e->map = MakeName(r->map);
      e->source_id = Expr(r->id);
      return e;
    }
    return nullptr;
  }

  ExprPtr Literal(P::LiteralContext* c, bool negative, antlr4::Token* minus) {
    if (c == nullptr) return nullptr;
    Span span = SpanOf(c);
    if (minus != nullptr) span = Span::Cover(SpanOf(minus), span);
    auto e = New<LiteralExpr>(span);
    antlr4::Token* tok = c->getStart();
    e->text = (negative ? "-" : "") + (tok ? tok->getText() : std::string());
    std::string text = tok ? tok->getText() : std::string();
    auto bad_number = [&](const std::string& why) {
      if (s_.IsBad(tok)) return;
      diag::Diagnostic d = diag::Make(diag::Kind::InvalidNumber, span, "number `" + e->text + "` " + why, why);
      s_.Report(std::move(d));
    };
    if (dynamic_cast<P::IntLitContext*>(c)) {
      e->literal = LiteralKind::Int;
      auto v = ParseInt(text, negative);
      if (v) e->int_value = *v;
      else bad_number("does not fit in a 64-bit integer");
    } else if (dynamic_cast<P::UintLitContext*>(c)) {
      e->literal = LiteralKind::Uint;
      auto v = ParseUint(text);
      if (v) e->uint_value = *v;
      else bad_number("does not fit in a 64-bit unsigned integer");
    } else if (dynamic_cast<P::FloatLitContext*>(c)) {
      e->literal = LiteralKind::Double;
      auto v = ParseDouble(text);
      if (v) e->double_value = negative ? -*v : *v;
      else bad_number("is out of the range of a double");
    } else if (dynamic_cast<P::DecimalLitContext*>(c)) {
      e->literal = LiteralKind::Decimal;
      e->string_value = (negative ? "-" : "") + text.substr(0, text.size() - 1);
    } else if (dynamic_cast<P::StringLitContext*>(c)) {
      e->literal = LiteralKind::String;
      e->string_value = StringValue(tok);
    } else if (dynamic_cast<P::BytesLitContext*>(c)) {
      e->literal = LiteralKind::Bytes;
      e->string_value = StringValue(tok);
    } else if (dynamic_cast<P::TrueLitContext*>(c)) {
      e->literal = LiteralKind::Bool;
      e->int_value = 1;
    } else if (dynamic_cast<P::FalseLitContext*>(c)) {
      e->literal = LiteralKind::Bool;
    } else if (dynamic_cast<P::NullLitContext*>(c)) {
      e->literal = LiteralKind::Null;
    } else if (dynamic_cast<P::DurationLitContext*>(c)) {
      e->literal = LiteralKind::Duration;
      e->int_value = Duration(tok);
    }
    return e;
  }

  ParseSession& s_;
  uint32_t next_id_ = 0;
  uint32_t depth_ = 0;
  bool reported_depth_ = false;
};

}  // namespace

std::unique_ptr<ast::Module> BuildAst(ParseSession& session, crmx_antlr::CrmxParser::FileContext* tree) {
  return Builder(session).Build(tree);
}

ast::ExprPtr BuildExprAst(ParseSession& session, crmx_antlr::CrmxParser::StandaloneExprContext* tree,
                          uint32_t& expr_count) {
  return Builder(session).BuildStandalone(tree, expr_count);
}

}  // namespace crmx::syntax
