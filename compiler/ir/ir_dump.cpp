// Defines DumpIr() (ir_dump.h).
#include "compiler/ir/ir_dump.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "compiler/ir/batch_sizes.h"
#include "runtime/plan/pushdown.h"

namespace crmx::ir {

namespace {

// 86400000 -> "24h", 10000 -> "10s", 1500 -> "1500ms".
std::string Duration(int64_t ms) {
  if (ms > 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms > 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms > 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string BudgetText(const plan::Budget& b) {
  std::string t = b.metric + " " + std::to_string(b.amount);
  if (b.period_ms) t += " per " + Duration(*b.period_ms);
  if (b.warn_at_percent) {
    std::ostringstream pct;
    pct << *b.warn_at_percent;
    t += " warn at " + pct.str() + "%";
  }
  return t;
}

std::string Join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out.empty() ? "(none)" : out;
}

void Indented(std::ostream& out, const std::string& text, const std::string& indent) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out << indent << line << "\n";
}

std::string BindingText(const plan::Binding& b) {
  std::string where = plan::BindingKindName(b.kind);
  if (!b.relation.empty()) where += " " + b.relation + (b.field.empty() ? "" : "." + b.field);
  else if (!b.field.empty()) where += " " + b.field;
  return b.name + " (" + where + ")";
}

void Program(std::ostream& out, const vm::Program& p, const std::vector<plan::Binding>& bindings,
             const std::string& indent) {
  std::vector<std::string> inputs;
  for (const std::string& name : p.input_names) {
    std::string text = name + " (unbound)";
    for (const plan::Binding& b : bindings)
      if (b.name == name) text = BindingText(b);
    inputs.push_back(text);
  }
  if (!inputs.empty()) out << indent << "inputs: " << Join(inputs) << "\n";
  if (p.local_count > 0) out << indent << "locals: " << p.local_count << "\n";
  Indented(out, p.Disassemble(), indent);
}

void Step(std::ostream& out, size_t i, const plan::Step& s) {
  out << "  step " << i << ": " << plan::StepKindName(s.kind);
  if (!s.target.empty()) out << " " << s.target;
  if (s.kind == plan::StepKind::kRequire) out << " else \"" << s.reason << "\"";
  if (s.kind == plan::StepKind::kRef) out << (s.local ? " (local: not a target field)" : " = ref(" + s.ref_map + ", ...)");
  if (s.flag) out << " flag \"" << *s.flag << "\"";
  out << "\n";
  Program(out, s.program, s.bindings, "    ");
  if (s.flag_probe) {
    out << "    flag probe:\n";
    Program(out, *s.flag_probe, s.bindings, "      ");
  }
}

void Projection(std::ostream& out, const plan::Projection& p) {
  out << "  projection: " << Join(p.fields) << "\n";
  for (const plan::Relation& r : p.relations) {
    out << "    " << (r.child ? "children " : "parent ") << r.name << " (" << r.object << (r.child ? " by " : " via ")
        << r.via << (r.child ? " = " : " -> ") << (r.id_field.empty() ? "(no id field)" : r.id_field)
        << "): " << Join(r.fields) << "\n";
  }
}

// Record identity, the target fields a writer does more with than write a flat value (nested
// `CustomerRef.value`, references to another record, sublists, list elements), and who owns
// the target fields.
void Identity(std::ostream& out, const plan::Map& m) {
  out << "  identity: source " << (m.source_id.empty() ? "(none)" : m.source_id) << ", target "
      << (m.target_id.empty() ? "(none)" : m.target_id) << "\n";
  for (const plan::TargetField& f : m.target_fields) {
    std::vector<std::string> facts;
    if (f.path.size() > 1) facts.push_back("nested " + Join(f.path, " > "));
    if (f.reference) facts.push_back("reference");
    if (!f.sublist.empty()) facts.push_back("sublist " + f.sublist);
    if (!f.element.empty()) {
      std::vector<std::string> names;
      for (const plan::TargetField& e : f.element) names.push_back(e.name + (e.reference ? " (reference)" : ""));
      facts.push_back("elements " + Join(names));
    }
    if (!facts.empty()) out << "  target " << f.name << ": " << Join(facts, "; ") << "\n";
  }
  // Who owns each target field (plan::TargetField::owner): by owner, then constants, then none.
  std::vector<std::string> systems;
  std::vector<std::string> constants, none;
  for (const plan::TargetField& f : m.target_fields) {
    if (f.constant) constants.push_back(f.name);
    else if (f.owner.empty()) none.push_back(f.name);
    else if (std::find(systems.begin(), systems.end(), f.owner) == systems.end()) systems.push_back(f.owner);
  }
  std::vector<std::string> groups;
  for (const std::string& sys : systems) {
    std::vector<std::string> names;
    for (const plan::TargetField& f : m.target_fields)
      if (f.owner == sys) names.push_back(f.name);
    groups.push_back(sys + " " + Join(names));
  }
  if (!constants.empty()) groups.push_back("constant " + Join(constants));
  if (!none.empty()) groups.push_back("none " + Join(none));
  if (!groups.empty()) out << "  owners: " << Join(groups, "; ") << "\n";
}

void Batches(std::ostream& out, const plan::Plan& plan, const plan::Map& m) {
  const plan::System* source = plan.FindSystem(m.source.system);
  const plan::System* target = plan.FindSystem(m.target.system);
  out << "  batch: read " << m.read_batch << " (" << ReadBatch(source).why << "), write " << m.write_batch << " ("
      << WriteBatch(target).why << ")\n";
  auto ceilings = [&](const plan::System* s, int64_t batch, const char* verb) {
    if (s == nullptr) return;
    for (const plan::Budget& b : s->budgets) {
      if (std::optional<int64_t> n = Ceiling(b, batch))
        out << "  budget " << s->name << " " << BudgetText(b) << ": at most " << *n << " records " << verb << " per "
            << Duration(*b.period_ms) << "\n";
    }
  };
  ceilings(source, m.read_batch, "read");
  ceilings(target, m.write_batch, "written");
}

void Pushdown(std::ostream& out, const plan::Sync& s, const plan::Map& m) {
  if (s.pushdown.empty()) {
    out << "    pushdown: (none)\n";
    return;
  }
  out << "    pushdown:\n";
  for (const plan::SourceCondition& c : s.pushdown)
    out << "      " << c.field << " " << plan::FilterOpName(c.op) << " " << value::Display(c.value) << "  (when " << c.when
        << ")\n";
  // The SQLite form, for a table that has every projected column.
  std::set<std::string> columns(m.projection.fields.begin(), m.projection.fields.end());
  plan::SqlFilter sql = plan::BuildSqlFilter(s.pushdown, m.projection.fields, m.projection.types, columns);
  out << "    sqlite where: " << (sql.where.empty() ? "(none)" : sql.where) << "\n";
  std::vector<std::string> params;
  for (const value::Value& v : sql.params) params.push_back(value::Display(v));
  if (!params.empty()) out << "    sqlite params: " << Join(params) << "\n";
}

void Sync(std::ostream& out, const plan::Sync& s, const plan::Map& m) {
  out << "  sync: " << s.trigger;
  if (s.trigger == "every") out << " " << Duration(s.every_ms);
  if (s.trigger == "daily_at") out << " " << s.daily_at;
  out << "\n";
  for (size_t i = 0; i < s.when.size(); ++i) {
    out << "    when " << i << ": " << s.when[i].reason << "\n";
    Program(out, s.when[i].program, s.when[i].bindings, "      ");
  }
  if (!s.when.empty()) Pushdown(out, s, m);
  if (s.retry) {
    std::vector<std::string> args;
    for (int64_t a : s.retry->backoff_args_ms) args.push_back(Duration(a));
    out << "    retry: " << s.retry->attempts << " " << (s.retry->backoff.empty() ? "(default backoff)" : s.retry->backoff)
        << (args.empty() ? "" : "(" + Join(args) + ")") << (s.retry->jitter ? " jitter" : "") << "\n";
  }
  if (!s.on_exhausted.empty()) out << "    on exhausted: " << Join(s.on_exhausted) << "\n";
}

void Map(std::ostream& out, const plan::Plan& plan, const plan::Map& m) {
  out << "\nmap " << m.name << ": " << m.source.system << "." << m.source.object << " -> " << m.target.system << "."
      << m.target.object << "\n";
  out << "  depends on: " << Join(m.depends_on) << "\n";
  Batches(out, plan, m);
  Projection(out, m.projection);
  Identity(out, m);
  if (!m.cursor.empty()) out << "  changes: " << m.cursor << " (records not changed since the last run are skipped)\n";
  if (!m.deleted_field.empty())
    out << "  deletions: " << m.deleted_field << " ("
        << (m.deleted_field == plan::kDeletedMarker ? "filled by the connector from NetSuite SOAP getDeleted: " : "")
        << "a record deleted at the source is flagged, not written)\n";
  for (const plan::SharedValue& v : m.shared) {
    out << "  shared " << v.name << " (computed once per record, at its first use)\n";
    Program(out, v.program, v.bindings, "    ");
  }
  for (size_t i = 0; i < m.steps.size(); ++i) Step(out, i, m.steps[i]);
  if (const plan::Sync* s = plan.FindSync(m.name)) Sync(out, *s, m);
  else out << "  sync: (none)\n";
}

// A reconcile: the two sides read (projection, read batch, the map carrying each side's
// records to the other), the key pairs and the rules with their programs.
void Reconcile(std::ostream& out, const plan::Reconcile& r) {
  auto object = [](const plan::ObjectName& o) { return o.system + "." + o.object; };
  out << "\nreconcile " << r.name << ": " << object(r.left.object) << " ~ " << object(r.right.object) << ", "
      << r.schedule;
  if (!r.at.empty()) out << " at " << r.at;
  if (r.schedule == "every") out << " " << Duration(r.every_ms);
  out << "\n";
  for (const plan::ReconcileSide* s : {&r.left, &r.right}) {
    out << "  " << (s == &r.left ? "left " : "right ") << object(s->object) << ": " << Join(s->fields) << " (batch "
        << s->read_batch << ")";
    if (!s->carried_by.empty())
      out << "; carried by " << s->carried_by << " (its when and queues say which records the other side should have)";
    out << "\n";
  }
  auto side = [&out](const char* which, const plan::ReconcileExpr& e) {
    out << "    " << which << " " << e.text << "\n";
    Program(out, e.program, e.bindings, "      ");
  };
  for (size_t i = 0; i < r.keys.size(); ++i) {
    out << "  key " << i << ": " << r.keys[i].left.text << " == " << r.keys[i].right.text << "\n";
    side("left", r.keys[i].left);
    side("right", r.keys[i].right);
  }
  for (size_t i = 0; i < r.rules.size(); ++i) {
    const plan::ReconcileRule& x = r.rules[i];
    out << "  rule " << i << ": " << x.left.text << " ~ " << x.right.text;
    if (x.tolerance == plan::ToleranceKind::kPercent) out << " within " << x.within.ToString() << "% of the left value";
    else if (x.tolerance == plan::ToleranceKind::kAbsolute) out << " within " << x.within.ToString();
    else out << " exactly";
    out << "\n";
    side("left", x.left);
    side("right", x.right);
  }
}

}  // namespace

void DumpIr(std::ostream& out, const plan::Plan& plan) {
  out << "integration " << plan.integration;
  if (!plan.spec_version.empty()) out << " version \"" << plan.spec_version << "\"";
  out << "\n\n";
  for (const plan::System& s : plan.systems) {
    out << "system " << s.name << ": " << s.kind << "\n";
    if (s.batch) out << "  batch " << *s.batch << "\n";
    for (const plan::Budget& b : s.budgets) out << "  budget " << BudgetText(b) << "\n";
  }
  if (!plan.tables.empty()) out << "\n";
  for (const plan::Table& t : plan.tables) out << "table " << t.name << ": " << t.entries.size() << " entries\n";
  std::vector<std::string> order;
  for (const plan::Map& m : plan.maps) order.push_back(m.name);
  out << "\norder: " << Join(order, " -> ") << "\n";
  for (const plan::Map& m : plan.maps) Map(out, plan, m);
  for (const plan::Reconcile& r : plan.reconciles) Reconcile(out, r);
}

}  // namespace crmx::ir
