// Defines the stable AST dump.
#include "compiler/ast/dump.h"

#include <cstdio>
#include <sstream>

namespace crmx::ast {
namespace {

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string At(const Span& s) { return "@" + std::to_string(s.line) + ":" + std::to_string(s.col); }

std::string Ms(int64_t ms) { return std::to_string(ms) + "ms"; }

std::string Obj(const ObjectRef& r) { return r.system.text + "." + r.object.text; }

std::string Path(const std::vector<Name>& p) {
  std::string out;
  for (const Name& n : p) out += (out.empty() ? "" : ".") + n.text;
  return out;
}

std::string Type(const TypeRef& t) {
  std::string out = t.name.text;
  if (!t.args.empty()) {
    out += "<";
    for (size_t i = 0; i < t.args.size(); ++i) out += (i ? ", " : "") + Type(t.args[i]);
    out += ">";
  }
  return out;
}

std::string Time(const TimeOfDay& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", t.hour, t.minute);
  return std::string(buf) + (t.zone ? " zone " + Quoted(*t.zone) : "");
}

}  // namespace

std::string ExprToString(const Expr* e) {
  if (e == nullptr) return "<missing>";
  switch (e->kind) {
    case ExprKind::Literal: {
      const auto* l = e->As<LiteralExpr>();
      switch (l->literal) {
        case LiteralKind::Int: return std::to_string(l->int_value);
        case LiteralKind::Uint: return std::to_string(l->uint_value) + "u";
        case LiteralKind::Double: return "(double " + l->text + ")";
        case LiteralKind::Decimal: return "(decimal " + l->string_value + ")";
        case LiteralKind::String: return Quoted(l->string_value);
        case LiteralKind::Bytes: return "(bytes " + Quoted(l->string_value) + ")";
        case LiteralKind::Bool: return l->int_value ? "true" : "false";
        case LiteralKind::Null: return "null";
        case LiteralKind::Duration: return "(duration " + Ms(l->int_value) + ")";
      }
      return "?";
    }
    case ExprKind::Ident: return "(id " + e->As<IdentExpr>()->name.text + ")";
    case ExprKind::Select: {
      const auto* s = e->As<SelectExpr>();
      return "(. " + ExprToString(s->operand.get()) + " " + s->field.text + ")";
    }
    case ExprKind::Call: {
      const auto* c = e->As<CallExpr>();
      std::string out = "(call " + (c->receiver ? "." : std::string()) + c->function.text;
      if (c->receiver) out += " " + ExprToString(c->receiver.get());
      for (const ExprPtr& a : c->args) out += " " + ExprToString(a.get());
      return out + ")";
    }
    case ExprKind::Index: {
      const auto* i = e->As<IndexExpr>();
      return "([] " + ExprToString(i->operand.get()) + " " + ExprToString(i->index.get()) + ")";
    }
    case ExprKind::List: {
      std::string out = "(list";
      for (const ExprPtr& x : e->As<ListExpr>()->elements) out += " " + ExprToString(x.get());
      return out + ")";
    }
    case ExprKind::MapLit: {
      std::string out = "(map";
      for (const MapEntry& en : e->As<MapExpr>()->entries) {
        out += " (" + (en.field_key ? en.field_key->text : ExprToString(en.key.get())) + ": " +
               ExprToString(en.value.get()) + ")";
      }
      return out + ")";
    }
    case ExprKind::Unary: {
      const auto* u = e->As<UnaryExpr>();
      return std::string("(") + (u->op == UnaryOp::Not ? "!" : "-") + " " + ExprToString(u->operand.get()) + ")";
    }
    case ExprKind::Binary: {
      const auto* b = e->As<BinaryExpr>();
      return std::string("(") + Spelling(b->op) + " " + ExprToString(b->left.get()) + " " +
             ExprToString(b->right.get()) + ")";
    }
    case ExprKind::Conditional: {
      const auto* c = e->As<ConditionalExpr>();
      return "(?: " + ExprToString(c->cond.get()) + " " + ExprToString(c->then.get()) + " " +
             ExprToString(c->otherwise.get()) + ")";
    }
    case ExprKind::Coalesce: {
      const auto* c = e->As<CoalesceExpr>();
      return "(?? " + ExprToString(c->value.get()) + " " + ExprToString(c->fallback.get()) + ")";
    }
    case ExprKind::Hold: return "(hold " + Quoted(e->As<HoldExpr>()->reason) + ")";
    case ExprKind::Ref: {
      const auto* r = e->As<RefExpr>();
      return "(ref " + r->map.text + " " + ExprToString(r->source_id.get()) + ")";
    }
  }
  return "?";
}

void Dump(std::ostream& out, const Module& m) {
  switch (m.kind) {
    case FileKind::Integration: out << "integration " << m.name.text; break;
    case FileKind::Module: out << "module " << m.name.text; break;
    case FileKind::Unknown: out << "(unparsed file)"; break;
  }
  if (m.version) out << " version " << Quoted(*m.version);
  out << " " << At(m.header) << "\n";
  for (const DeclPtr& d : m.items) {
    out << "  " << Spelling(d->kind) << " " << At(d->span);
    if (const auto* x = d->As<ImportDecl>()) {
      out << " " << Quoted(x->path) << (x->alias ? " as " + x->alias->text : "") << "\n";
    } if (const auto* x = d->As<UseDecl>()) {
      for (const auto& mod : x->modules) out << " " << mod.Dotted();
      out << "\n";
    } if (const auto* x = d->As<SystemDecl>()) {
      out << " " << x->name.text << ": " << x->system_kind.text << "\n";
      for (const auto& s : x->schemas) {
        out << "    schema " << At(s.span) << " " << Quoted(s.path) << (s.format ? " as " + s.format->text : "") << "\n";
      }
      for (const auto& b : x->budgets) {
        out << "    budget " << At(b.span) << " " << b.metric.text << " " << b.amount;
        if (b.period_ms) out << " per " << Ms(*b.period_ms);
        if (b.warn_at_percent) out << " warn at " << *b.warn_at_percent << "%";
        out << "\n";
      }
      if (x->batch) out << "    batch " << At(x->batch_span) << " " << *x->batch << "\n";
      for (const auto& o : x->overlays) {
        out << "    field " << At(o.span) << " " << o.object.text;
        for (const auto& p : o.path) out << "." << p.text;
        if (o.type) {
          out << ": " << o.type->name.text;
          if (!o.type->args.empty()) {
            out << "(";
            for (size_t i = 0; i < o.type->args.size(); ++i) {
              const auto& a = o.type->args[i];
              out << (i ? ", " : "");
              if (a.kind == OverlayTypeArg::Kind::Int) out << a.int_value;
              else if (a.kind == OverlayTypeArg::Kind::String) out << Quoted(a.text);
              else out << a.text;
            }
            out << ")";
          }
        }
        for (const auto& f : o.facts) out << " " << f.text;
        out << "\n";
      }
    } if (const auto* x = d->As<OwnerDecl>()) {
      out << " " << x->system.text << "\n";
      for (const auto& o : x->objects) {
        out << "    " << o.object.text << " " << At(o.span) << (o.all_fields ? " *" : "")
            << (o.all_fields && !o.fields.empty() ? " except" : "");
        for (const auto& f : o.fields) out << " " << f.text;
        out << "\n";
      }
    } if (const auto* x = d->As<TableDecl>()) {
      out << " " << x->name.text;
      if (x->type) out << ": " << Type(*x->type);
      if (x->csv_path) {
        out << " = csv " << Quoted(*x->csv_path);
        for (const auto& a : x->csv_args) out << " " << a.name.text << "=" << ExprToString(a.value.get());
      } else {
        out << " = " << ExprToString(x->value.get());
      }
      out << "\n";
    } if (const auto* x = d->As<MapDecl>()) {
      out << " " << x->name.text << ": " << Obj(x->source) << " -> " << Obj(x->target) << "\n";
      for (const MapStmt& s : x->stmts) {
        out << "    ";
        switch (s.kind) {
          case MapStmtKind::Key: out << "key " << At(s.span) << " " << Path(s.target) << " = "; break;
          case MapStmtKind::Require: out << "require " << At(s.span) << " "; break;
          case MapStmtKind::Assign: out << "assign " << At(s.span) << " " << Path(s.target) << " = "; break;
        }
        out << ExprToString(s.value.get());
        if (s.reason) out << " else " << Quoted(*s.reason);
        if (s.flag) out << " flag " << Quoted(*s.flag);
        out << "\n";
      }
    } if (const auto* x = d->As<SyncDecl>()) {
      out << " " << x->map.text;
      switch (x->trigger) {
        case TriggerKind::OnChange: out << " on change"; break;
        case TriggerKind::Every: out << " every " << Ms(x->every_ms); break;
        case TriggerKind::DailyAt: out << " daily at " << Time(x->daily_at); break;
      }
      if (x->when) out << " when " << ExprToString(x->when.get());
      out << "\n";
      if (x->retry) {
        out << "    retry " << x->retry->attempts;
        if (x->retry->backoff) {
          out << " backoff " << x->retry->backoff->text << "(";
          for (size_t i = 0; i < x->retry->backoff_args_ms.size(); ++i) out << (i ? ", " : "") << Ms(x->retry->backoff_args_ms[i]);
          out << ")";
        }
        if (x->retry->jitter) out << " jitter";
        out << "\n";
      }
      if (!x->on_exhausted.empty()) {
        out << "    on exhausted";
        for (const auto& a : x->on_exhausted) {
          switch (a.kind) {
            case ExhaustedActionKind::DeadLetter: out << " dead_letter"; break;
            case ExhaustedActionKind::Hold: out << " hold " << Quoted(a.reason); break;
            case ExhaustedActionKind::Notify:
              out << " notify";
              for (const auto& t : a.targets) out << " " << ExprToString(t.get());
              break;
          }
        }
        out << "\n";
      }
    } if (const auto* x = d->As<ConflictsDecl>()) {
      out << " " << x->strategy.text;
      if (x->grace_ms) out << " grace " << Ms(*x->grace_ms);
      if (x->audit) out << " audit";
      out << "\n";
    } if (const auto* x = d->As<AlertDecl>()) {
      out << " " << x->name.text << " on " << Obj(x->object) << " when " << ExprToString(x->when.get()) << " for "
          << Ms(x->for_ms) << " notify";
      for (const auto& n : x->notify) out << " " << ExprToString(n.get());
      out << "\n";
    } if (const auto* x = d->As<ReconcileDecl>()) {
      switch (x->schedule) {
        case ScheduleKind::Daily: out << " daily" << (x->at ? " at " + Time(*x->at) : ""); break;
        case ScheduleKind::Hourly: out << " hourly"; break;
        case ScheduleKind::Every: out << " every " << Ms(x->every_ms); break;
      }
      out << " " << Obj(x->left) << " ~ " << Obj(x->right) << " by " << ExprToString(x->by.get()) << "\n";
      for (const auto& r : x->rules) {
        out << "    " << At(r.span) << " " << ExprToString(r.left.get()) << " ~ " << ExprToString(r.right.get());
        if (r.tolerance) out << " within " << *r.tolerance << (r.tolerance_percent ? "%" : "");
        out << "\n";
      }
    } if (const auto* x = d->As<TestDecl>()) {
      out << " " << Quoted(x->name) << "\n";
      for (const auto& s : x->stmts) {
        out << "    ";
        const bool expect = s.kind != TestStmtKind::Given && s.kind != TestStmtKind::Now;
        if (expect) out << "expect" << (s.record_name.text.empty() ? "" : " `" + s.record_name.text + "`");
        const char* no = s.negated ? " no" : "";
        const std::string text = s.has_text ? " " + Quoted(s.text) : "";
        switch (s.kind) {
          case TestStmtKind::Given:
            out << "given" << (s.record_name.text.empty() ? "" : " " + s.record_name.text + ":");
            break;
          case TestStmtKind::Now: out << "now " << Quoted(s.text); break;
          case TestStmtKind::ExpectRecord: out << (s.negated ? " not written" : s.written_word ? " written" : ""); break;
          case TestStmtKind::ExpectException: out << no << " exception" << text; break;
          case TestStmtKind::ExpectHold: out << no << " hold" << text; break;
          case TestStmtKind::ExpectFlag: out << no << " flag" << text; break;
          case TestStmtKind::ExpectSkipped: out << (s.negated ? " not" : "") << " skipped"; break;
        }
        out << " " << At(s.span);
        if (s.record) {
          out << " " << Obj(s.record->object) << " {";
          for (size_t i = 0; i < s.record->fields.size(); ++i) {
            out << (i ? ", " : " ") << s.record->fields[i].name.text << ": " << ExprToString(s.record->fields[i].value.get());
          }
          out << " }";
        }
        out << "\n";
      }
    }
  }
}

}  // namespace crmx::ast
