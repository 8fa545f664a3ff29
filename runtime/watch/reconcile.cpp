// Defines reconciliation (reconcile.h).
#include "runtime/watch/reconcile.h"

#include <algorithm>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>

#include "runtime/state/queue_book.h"
#include "runtime/vm/vm.h"

namespace crmx::watch {

namespace {

using decimal::Decimal;
using value::Kind;
using value::Value;

// A program over one side's record: the column of the read row each input is bound to (-1:
// none, bound to null).
struct Bound {
  const vm::Program* program = nullptr;
  std::vector<int> columns;
};

Bound Bind(const vm::Program& program, const std::vector<plan::Binding>& bindings, const std::vector<std::string>& fields) {
  Bound b{&program, {}};
  for (const std::string& input : program.input_names) {
    int column = -1;
    for (const plan::Binding& x : bindings) {
      if (x.name != input || x.kind != plan::BindingKind::kField) continue;
      auto it = std::find(fields.begin(), fields.end(), x.field);
      if (it != fields.end()) column = static_cast<int>(it - fields.begin());
    }
    b.columns.push_back(column);
  }
  return b;
}

Value Run(vm::VM& machine, const Bound& b, const Value* row, std::vector<Value>& inputs) {
  inputs.clear();
  for (int c : b.columns) inputs.push_back(c < 0 ? Value::Null() : row[c]);
  return machine.Run(*b.program, inputs).Owned();
}

// A key value's text: strings as they are, decimals without trailing zeros, other values as
// CEL prints them; "" for null.
std::string KeyPart(const Value& v) {
  if (v.kind() == Kind::kString) return std::string(v.AsText());
  if (v.kind() == Kind::kDecimal) return v.AsDecimal().Normalize().ToString();
  if (v.IsNull()) return {};
  return value::Display(v, false);
}

std::optional<Decimal> AsDecimal(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt: return Decimal::FromInt(v.AsInt());
    case Kind::kUint: {
      auto d = Decimal::Parse(std::to_string(v.AsUint()));
      return d ? std::optional<Decimal>(*d) : std::nullopt;
    }
    case Kind::kDouble: {
      auto d = Decimal::FromDouble(v.AsDouble());
      return d ? std::optional<Decimal>(*d) : std::nullopt;
    }
    case Kind::kDecimal: return v.AsDecimal();
    default: return std::nullopt;
  }
}

std::string Signed(const Decimal& d) { return (d.Sign() > 0 ? "+" : "") + d.ToString(); }

const char* const kMissingLeft = "missing_left";
const char* const kMissingRight = "missing_right";
const char* const kField = "field";

std::string RuleText(const plan::Reconcile& r, size_t rule) {
  return rule < r.rules.size() ? r.rules[rule].left.text + " ~ " + r.rules[rule].right.text : std::string();
}

std::string Now() { return state::NowText(); }

}  // namespace

std::string ValueText(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kString: return std::string(v.AsText());
    case Kind::kDecimal: return v.AsDecimal().ToString();
    case Kind::kError: return "error: " + v.ErrorReason();
    default: return value::Display(v, false);
  }
}

Comparison Compare(const Value& left, const Value& right, const plan::ReconcileRule& rule) {
  Comparison c;
  std::optional<Decimal> a = AsDecimal(left), b = AsDecimal(right);
  switch (rule.tolerance) {
    case plan::ToleranceKind::kExact: c.tolerance = "exact"; break;
    case plan::ToleranceKind::kAbsolute: c.tolerance = rule.within.ToString(); break;
    case plan::ToleranceKind::kPercent: {
      c.tolerance = rule.within.ToString() + "%";
      auto allowed = a ? a->Abs().Mul(rule.within) : decimal::DecimalResult<Decimal>(decimal::Errc::kInvalid);
      if (allowed) allowed = allowed->Div(Decimal::FromInt(100), std::max(a->Scale(), 2), decimal::Rounding::kHalfUp);
      if (allowed) c.tolerance += " (" + allowed->ToString() + ")";
      break;
    }
  }
  if (left.IsError() || right.IsError()) {
    c.within = false;
    return c;
  }
  if (!a || !b) {
    c.within = (left.IsNull() && right.IsNull()) || (!left.IsNull() && !right.IsNull() && value::Equal(left, right));
    return c;
  }
  auto diff = b->Sub(*a);
  if (!diff) {
    c.within = false;
    c.difference = std::string(diff.reason());
    return c;
  }
  c.difference = Signed(*diff);
  if (!a->IsZero()) {
    auto pct = diff->Mul(Decimal::FromInt(100));
    if (pct) pct = pct->Div(*a, 2, decimal::Rounding::kHalfUp);
    if (pct) c.difference += " (" + Signed(*pct) + "%)";
  }
  switch (rule.tolerance) {
    case plan::ToleranceKind::kExact: c.within = diff->IsZero(); break;
    case plan::ToleranceKind::kAbsolute: c.within = diff->Abs() <= rule.within; break;
    case plan::ToleranceKind::kPercent: {
      // |right - left| * 100 <= |left| * P, both sides exact.
      auto lhs = diff->Abs().Mul(Decimal::FromInt(100));
      auto rhs = a->Abs().Mul(rule.within);
      c.within = lhs && rhs && *lhs <= *rhs;
      break;
    }
  }
  return c;
}

size_t Result::Persistent() const {
  size_t n = 0;
  for (const Missing& m : missing_left) n += m.seen.persistent;
  for (const Missing& m : missing_right) n += m.seen.persistent;
  for (const FieldDiscrepancy& f : fields) n += f.seen.persistent;
  for (const Duplicate& d : duplicates) n += d.seen.persistent;
  return n;
}

bool ReadSide(const plan::Plan& p, const plan::Reconcile& r, bool left, connectors::Connector& connector, SideData& out,
              std::string& error) {
  const plan::ReconcileSide& side = left ? r.left : r.right;
  std::vector<Bound> keys, values, scope;
  for (const plan::ReconcileKey& k : r.keys) {
    const plan::ReconcileExpr& e = left ? k.left : k.right;
    keys.push_back(Bind(e.program, e.bindings, side.fields));
  }
  for (const plan::ReconcileRule& x : r.rules) {
    const plan::ReconcileExpr& e = left ? x.left : x.right;
    values.push_back(Bind(e.program, e.bindings, side.fields));
  }
  // Which records the other side should have: the carrying map's `when`, its conjuncts over
  // the record's own fields (those the plan projects for this side).
  if (const plan::Sync* sync = side.carried_by.empty() ? nullptr : p.FindSync(side.carried_by)) {
    for (const plan::WhenPart& w : sync->when) {
      bool own = std::all_of(w.bindings.begin(), w.bindings.end(), [&](const plan::Binding& b) {
        return b.kind == plan::BindingKind::kField &&
               std::find(side.fields.begin(), side.fields.end(), b.field) != side.fields.end();
      });
      if (own) scope.push_back(Bind(w.program, w.bindings, side.fields));
    }
  }
  connectors::ReadRequest req;
  req.object = side.object.object;
  req.fields = side.fields;
  req.types = side.types;
  req.id_field = side.id_field;
  req.batch = side.read_batch > 0 ? static_cast<size_t>(side.read_batch) : 1024;
  std::string why;
  std::unique_ptr<connectors::RecordReader> reader = connector.OpenReader(req, why);
  std::string what = side.object.system + "." + side.object.object;
  if (!reader) {
    error = "cannot read " + what + ": " + why;
    return false;
  }
  vm::VM machine;
  std::vector<Value> inputs;
  connectors::RecordBatch batch;
  constexpr size_t kMaxNotes = 10;
  auto note = [&](const std::string& text) {
    if (out.notes.size() < kMaxNotes) out.notes.push_back(text);
  };
  while (reader->Next(batch)) {
    for (const connectors::BadLine& bad : batch.bad)
      note(what + ": " + bad.file + " line " + std::to_string(bad.line) + " is not a record (" + bad.reason + ")");
    for (size_t i = 0; i < batch.size(); ++i) {
      const Value* row = batch.Row(i);
      SideRecord rec;
      bool keyed = true;
      for (const Bound& k : keys) {
        Value v = Run(machine, k, row, inputs);
        std::string part = v.IsError() ? std::string() : KeyPart(v);
        if (v.IsError()) note(what + ": a key failed: " + v.ErrorReason());
        if (part.empty()) keyed = false;
        rec.key += (rec.key.empty() ? "" : "\x1f") + part;
        rec.shown_key += (rec.shown_key.empty() ? "" : ", ") + part;
      }
      if (!keyed) {
        ++out.without_key;
        continue;
      }
      for (const Bound& b : values) rec.values.push_back(Run(machine, b, row, inputs));
      for (const Bound& b : scope) {
        Value v = Run(machine, b, row, inputs);
        if (v.kind() == Kind::kBool && !v.AsBool()) rec.expected = false;
      }
      out.records.push_back(std::move(rec));
    }
  }
  out.calls += reader->Calls();
  if (!reader->error().empty()) {
    error = "cannot read " + what + ": " + reader->error();
    return false;
  }
  return true;
}

Result Match(const plan::Reconcile& r, const SideData& left, const SideData& right) {
  Result out;
  out.spec = &r;
  out.left_read = left.records.size() + left.without_key;
  out.right_read = right.records.size() + right.without_key;
  out.left_without_key = left.without_key;
  out.right_without_key = right.without_key;
  out.left_calls = left.calls;
  out.right_calls = right.calls;
  out.notes = left.notes;
  out.notes.insert(out.notes.end(), right.notes.begin(), right.notes.end());
  // Per side, each key's first record and how many it has.
  auto index = [&out](const SideData& side, bool is_left) {
    std::unordered_map<std::string, size_t> first;
    std::map<std::string, size_t> counts;
    for (size_t i = 0; i < side.records.size(); ++i) {
      first.emplace(side.records[i].key, i);
      ++counts[side.records[i].key];
    }
    for (const auto& [key, n] : counts)
      if (n > 1) out.duplicates.push_back(Duplicate{is_left, side.records[first[key]].shown_key, n, {}});
    return first;
  };
  std::unordered_map<std::string, size_t> lefts = index(left, true), rights = index(right, false);
  for (const auto& [key, i] : lefts) {
    const SideRecord& l = left.records[i];
    auto m = rights.find(key);
    if (m == rights.end()) {
      if (l.expected) out.missing_right.push_back(Missing{l.shown_key, {}});
      else ++out.left_not_expected;
      continue;
    }
    ++out.matched;
    const SideRecord& rr = right.records[m->second];
    for (size_t k = 0; k < r.rules.size() && k < l.values.size() && k < rr.values.size(); ++k) {
      Comparison c = Compare(l.values[k], rr.values[k], r.rules[k]);
      if (!c.within)
        out.fields.push_back(FieldDiscrepancy{l.shown_key, k, ValueText(l.values[k]), ValueText(rr.values[k]),
                                              c.difference, c.tolerance, l.values[k].IsNull(), rr.values[k].IsNull(), {}});
    }
  }
  for (const auto& [key, i] : rights) {
    if (lefts.count(key)) continue;
    if (right.records[i].expected) out.missing_left.push_back(Missing{right.records[i].shown_key, {}});
    else ++out.right_not_expected;
  }
  auto by_key = [](const auto& a, const auto& b) { return a.key < b.key; };
  std::sort(out.missing_left.begin(), out.missing_left.end(), by_key);
  std::sort(out.missing_right.begin(), out.missing_right.end(), by_key);
  std::sort(out.fields.begin(), out.fields.end(),
            [](const FieldDiscrepancy& a, const FieldDiscrepancy& b) { return std::tie(a.key, a.rule) < std::tie(b.key, b.rule); });
  std::sort(out.duplicates.begin(), out.duplicates.end(),
            [](const Duplicate& a, const Duplicate& b) { return a.left != b.left ? a.left : a.key < b.key; });
  return out;
}

std::vector<state::DiscrepancyRow> Rows(const Result& result) {
  std::vector<state::DiscrepancyRow> rows;
  auto add = [&rows](const char* kind, const std::string& key, const std::string& field, const Seen& seen) {
    state::DiscrepancyRow row;
    row.kind = kind;
    row.record_key = key;
    row.field = field;
    row.first_reconciliation = seen.since_reconciliation;
    row.first_seen = seen.since;
    rows.push_back(std::move(row));
    return &rows.back();
  };
  for (const Missing& m : result.missing_left) add(kMissingLeft, m.key, "", m.seen);
  for (const Missing& m : result.missing_right) add(kMissingRight, m.key, "", m.seen);
  for (const FieldDiscrepancy& f : result.fields) {
    state::DiscrepancyRow* row = add(kField, f.key, RuleText(*result.spec, f.rule), f.seen);
    row->left_value = f.left;
    row->right_value = f.right;
    row->difference = f.difference;
    row->tolerance = f.tolerance;
  }
  for (const Duplicate& d : result.duplicates) add(d.left ? "duplicate_left" : "duplicate_right", d.key, "", d.seen);
  return rows;
}

void Classify(Result& result, const OpenItems& open, const state::ReconciliationRow& previous_row,
              const std::vector<state::DiscrepancyRow>& previous) {
  const plan::Reconcile& r = *result.spec;
  // A key open in a queue of a map carrying records between the two objects: crmx knows.
  auto queued = [&](const std::string& key, Known& k) {
    for (const std::string* map : {&r.left.carried_by, &r.right.carried_by}) {
      auto m = map->empty() ? open.end() : open.find(*map);
      if (m == open.end()) continue;
      auto it = m->second.find(key);
      if (it == m->second.end()) continue;
      k.key = key;
      k.map = *map;
      k.queue = it->second.first;
      k.reason = it->second.second;
      return true;
    }
    return false;
  };
  auto sift = [&](auto& list, auto kind_of, auto field_of) {
    auto keep = list.begin();
    for (auto it = list.begin(); it != list.end(); ++it) {
      Known k;
      if (queued(it->key, k)) {
        k.kind = kind_of(*it);
        k.field = field_of(*it);
        result.known.push_back(std::move(k));
      } else {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      }
    }
    list.erase(keep, list.end());
  };
  auto none = [](const auto&) { return std::string(); };
  sift(result.missing_left, [](const Missing&) { return std::string(kMissingLeft); }, none);
  sift(result.missing_right, [](const Missing&) { return std::string(kMissingRight); }, none);
  sift(result.fields, [](const FieldDiscrepancy&) { return std::string(kField); },
       [&r](const FieldDiscrepancy& f) { return RuleText(r, f.rule); });
  std::sort(result.known.begin(), result.known.end(),
            [](const Known& a, const Known& b) { return std::tie(a.key, a.kind, a.field) < std::tie(b.key, b.kind, b.field); });

  // New or persistent: the same kind, key and field in the previous reconciliation.
  result.previous_id = previous_row.id;
  result.previous_started = previous_row.started;
  std::map<std::tuple<std::string, std::string, std::string>, const state::DiscrepancyRow*> before;
  for (const state::DiscrepancyRow& d : previous) before[{d.kind, d.record_key, d.field}] = &d;
  std::set<std::tuple<std::string, std::string, std::string>> now;
  auto mark = [&](const std::string& kind, const std::string& key, const std::string& field, Seen& seen) {
    now.insert({kind, key, field});
    auto it = before.find({kind, key, field});
    if (it == before.end()) return;
    seen.persistent = true;
    seen.since_reconciliation = it->second->first_reconciliation;
    seen.since = it->second->first_seen;
  };
  for (Missing& m : result.missing_left) mark(kMissingLeft, m.key, "", m.seen);
  for (Missing& m : result.missing_right) mark(kMissingRight, m.key, "", m.seen);
  for (FieldDiscrepancy& f : result.fields) mark(kField, f.key, RuleText(r, f.rule), f.seen);
  for (Duplicate& d : result.duplicates) mark(d.left ? "duplicate_left" : "duplicate_right", d.key, "", d.seen);
  // Resolved: gone, and not merely known now (a record that went into a queue is not fixed).
  for (const Known& k : result.known) now.insert({k.kind, k.key, k.field});
  for (const state::DiscrepancyRow& d : previous) {
    if (now.count({d.kind, d.record_key, d.field})) continue;
    result.resolved.push_back(Resolved{d.kind, d.record_key, d.field, d.first_reconciliation, d.first_seen});
  }
}

bool Keep(state::StateStore& store, const std::string& plan_hash, Result& result, std::string& error) {
  const plan::Reconcile& r = *result.spec;
  OpenItems open;
  for (const std::string* map : {&r.left.carried_by, &r.right.carried_by}) {
    if (map->empty() || open.count(*map)) continue;
    state::ItemFilter filter;
    filter.map = *map;
    std::vector<state::Item> items;
    if (!state::ListItems(store, filter, items, error)) return false;
    auto& keys = open[*map];
    for (const state::Item& it : items)
      keys.emplace(it.record_id, std::make_pair(it.queue, it.reasons.empty() ? std::string() : it.reasons.front()));
  }
  state::ReconciliationRow previous_row;
  std::vector<state::DiscrepancyRow> previous;
  if (!state::LastReconciliation(store, r.name, previous_row, previous, error)) return false;
  Classify(result, open, previous_row, previous);
  state::ReconciliationRow row;
  row.name = r.name;
  row.started = result.started;
  row.finished = Now();
  row.plan_hash = plan_hash;
  row.matched = static_cast<int64_t>(result.matched);
  row.discrepancies = static_cast<int64_t>(result.Discrepancies());
  row.summary = "{\"matched\":" + std::to_string(result.matched) +
                ",\"missing_left\":" + std::to_string(result.missing_left.size()) +
                ",\"missing_right\":" + std::to_string(result.missing_right.size()) +
                ",\"fields\":" + std::to_string(result.fields.size()) +
                ",\"duplicates\":" + std::to_string(result.duplicates.size()) +
                ",\"known\":" + std::to_string(result.known.size()) +
                ",\"resolved\":" + std::to_string(result.resolved.size()) + "}";
  std::vector<state::DiscrepancyRow> rows = Rows(result);
  if (!state::AddReconciliation(store, row, rows, error)) return false;
  result.id = row.id;
  // A new discrepancy is first seen now.
  auto stamp = [&row](Seen& s) {
    if (s.persistent) return;
    s.since_reconciliation = row.id;
    s.since = row.started;
  };
  for (Missing& m : result.missing_left) stamp(m.seen);
  for (Missing& m : result.missing_right) stamp(m.seen);
  for (FieldDiscrepancy& f : result.fields) stamp(f.seen);
  for (Duplicate& d : result.duplicates) stamp(d.seen);
  return true;
}

bool Reconcile(const plan::Plan& p, const plan::Reconcile& r, const std::map<std::string, connectors::Connector*>& systems,
               Result& out, std::string& error) {
  std::string started = Now();
  SideData sides[2];
  for (int i = 0; i < 2; ++i) {
    const plan::ReconcileSide& side = i == 0 ? r.left : r.right;
    auto c = systems.find(side.object.system);
    if (c == systems.end() || c->second == nullptr) {
      error = "system " + side.object.system + " is not configured (no --system and no entry in the profile's target)";
      return false;
    }
    if (!ReadSide(p, r, i == 0, *c->second, sides[i], error)) return false;
  }
  out = Match(r, sides[0], sides[1]);
  out.started = started;
  return true;
}

}  // namespace crmx::watch
