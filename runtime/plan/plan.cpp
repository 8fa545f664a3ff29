// Defines the plan model's file format (plan.h, docs/plan-format.md).
#include "runtime/plan/plan.h"

#include "runtime/plan/pushdown.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <utility>

namespace crmx::plan {

using json = nlohmann::json;
using value::Kind;
using value::Value;

const char* BindingKindName(BindingKind k) {
  switch (k) {
    case BindingKind::kField: return "field";
    case BindingKind::kParent: return "parent";
    case BindingKind::kChildren: return "children";
    case BindingKind::kAssigned: return "assigned";
    case BindingKind::kTable: return "table";
    case BindingKind::kShared: return "shared";
  }
  return "field";
}

const char* FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kAny: return "any";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "bool";
    case FieldType::kInt: return "int";
    case FieldType::kDouble: return "double";
    case FieldType::kDecimal: return "decimal";
    case FieldType::kDate: return "date";
    case FieldType::kDateTime: return "datetime";
  }
  return "any";
}

bool ParseFieldType(const std::string& name, FieldType& out) {
  for (FieldType t : {FieldType::kAny, FieldType::kString, FieldType::kBool, FieldType::kInt, FieldType::kDouble,
                      FieldType::kDecimal, FieldType::kDate, FieldType::kDateTime}) {
    if (name == FieldTypeName(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

const char* StepKindName(StepKind k) {
  switch (k) {
    case StepKind::kKey: return "key";
    case StepKind::kRequire: return "require";
    case StepKind::kAssign: return "assign";
    case StepKind::kRef: return "ref";
  }
  return "assign";
}

const char* ExpectKindName(ExpectKind k) {
  switch (k) {
    case ExpectKind::kRecord: return "record";
    case ExpectKind::kException: return "exception";
    case ExpectKind::kHold: return "hold";
    case ExpectKind::kFlag: return "flag";
    case ExpectKind::kSkipped: return "skipped";
  }
  return "record";
}

const char* ToleranceKindName(ToleranceKind k) {
  switch (k) {
    case ToleranceKind::kExact: return "exact";
    case ToleranceKind::kPercent: return "percent";
    case ToleranceKind::kAbsolute: return "absolute";
  }
  return "exact";
}

bool ParseToleranceKind(const std::string& name, ToleranceKind& out) {
  for (ToleranceKind k : {ToleranceKind::kExact, ToleranceKind::kPercent, ToleranceKind::kAbsolute}) {
    if (name == ToleranceKindName(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

const Reconcile* Plan::FindReconcile(const std::string& name) const {
  for (const Reconcile& r : reconciles) if (r.name == name) return &r;
  return nullptr;
}

const Map* Plan::FindMap(const std::string& name) const {
  for (const Map& m : maps) if (m.name == name) return &m;
  return nullptr;
}
const Table* Plan::FindTable(const std::string& name) const {
  for (const Table& t : tables) if (t.name == name) return &t;
  return nullptr;
}
const Sync* Plan::FindSync(const std::string& map) const {
  for (const Sync& s : syncs) if (s.map == map) return &s;
  return nullptr;
}
const System* Plan::FindSystem(const std::string& name) const {
  for (const System& s : systems) if (s.name == name) return &s;
  return nullptr;
}

namespace {

// A malformed plan file: thrown inside the reader, turned into ReadPlan's error.
struct FormatError {
  std::string message;
};

[[noreturn]] void Bad(const std::string& m) { throw FormatError{m}; }

// An integer member of type T: a JSON integer in T's range. nlohmann's get<T>() casts any
// number, and casting a float outside T's range (`"scale": 1e300`) is undefined behaviour.
template <typename T>
T Integer(const json& j, const char* member) {
  if (j.is_number_unsigned()) {
    if (std::in_range<T>(j.get<uint64_t>())) return static_cast<T>(j.get<uint64_t>());
  } else if (j.is_number_integer()) {
    if (std::in_range<T>(j.get<int64_t>())) return static_cast<T>(j.get<int64_t>());
  } else if (j.is_number_float()) {
    Bad(std::string("`") + member + "` is not an integer: " + j.dump());
  } else {
    Bad(std::string("`") + member + "` is " + j.type_name() + ", not an integer");
  }
  Bad(std::string("`") + member + "` is out of range: " + j.dump());
}

// An optional integer member of object `o`: `fallback` when absent.
template <typename T>
T Integer(const json& o, const char* member, T fallback) {
  return o.contains(member) ? Integer<T>(o.at(member), member) : fallback;
}

const char* const kTypeNames[] = {"int", "uint", "double", "decimal", "string", "bool", "bytes", "list", "map",
                                  "null_type", "type", "dyn", "error", "google.protobuf.Timestamp",
                                  "google.protobuf.Duration", "timestamp", "duration"};

std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string Unhex(const std::string& h) {
  if (h.size() % 2 != 0) Bad("odd-length hex bytes");
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    Bad("bad hex digit");
  };
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) out += static_cast<char>(nib(h[i]) * 16 + nib(h[i + 1]));
  return out;
}

json EncodeValue(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return nullptr;
    case Kind::kBool: return v.AsBool();
    case Kind::kInt: return json{{"int", std::to_string(v.AsInt())}};
    case Kind::kUint: return json{{"uint", std::to_string(v.AsUint())}};
    case Kind::kDouble: {
      double d = v.AsDouble();
      if (std::isfinite(d)) return json{{"double", d}};
      return json{{"double", value::FormatDouble(d)}};
    }
    case Kind::kDecimal: return json{{"decimal", v.AsDecimal().ToString()}};
    case Kind::kString: return std::string(v.AsText());
    case Kind::kBytes: return json{{"bytes", Hex(v.AsText())}};
    case Kind::kList: {
      json a = json::array();
      for (const Value& x : v.AsList()) a.push_back(EncodeValue(x));
      return json{{"list", a}};
    }
    case Kind::kMap: {
      json a = json::array();
      for (const auto& [k, x] : v.AsMap().entries) a.push_back(json::array({EncodeValue(k), EncodeValue(x)}));
      return json{{"map", a}};
    }
    case Kind::kTimestamp: return json{{"timestamp", value::FormatTimestamp(v.AsTime())}};
    case Kind::kDuration: return json{{"duration", value::FormatDuration(v.AsTime())}};
    case Kind::kType: return json{{"type", v.AsTypeName()}};
    case Kind::kError: return json{{"error", v.ErrorReason()}, {"hold", v.IsHold()}};
  }
  return nullptr;
}

Value DecodeValue(const json& j) {
  if (j.is_null()) return Value::Null();
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_string()) return Value::String(j.get<std::string>());
  if (!j.is_object() || j.empty()) Bad("a value must be null, a bool, a string or a tagged object");
  const std::string& tag = j.begin().key();
  const json& x = j.begin().value();
  try {
    if (tag == "int") return Value::Int(std::stoll(x.get<std::string>()));
    if (tag == "uint") return Value::Uint(std::stoull(x.get<std::string>()));
    if (tag == "double") {
      if (x.is_number()) return Value::Double(x.get<double>());
      std::string s = x.get<std::string>();
      if (s == "NaN") return Value::Double(std::nan(""));
      if (s == "+Inf") return Value::Double(HUGE_VAL);
      if (s == "-Inf") return Value::Double(-HUGE_VAL);
      Bad("bad double " + s);
    }
    if (tag == "decimal") {
      auto d = decimal::Decimal::Parse(x.get<std::string>());
      if (!d) Bad("bad decimal " + x.get<std::string>());
      return Value::Dec(*d);
    }
    if (tag == "bytes") return Value::Bytes(Unhex(x.get<std::string>()));
    if (tag == "list") {
      std::vector<Value> items;
      for (const json& e : x) items.push_back(DecodeValue(e));
      return Value::List(std::move(items));
    }
    if (tag == "map") {
      std::vector<std::pair<Value, Value>> entries;
      for (const json& e : x) {
        if (!e.is_array() || e.size() != 2) Bad("a map entry is [key, value]");
        entries.emplace_back(DecodeValue(e[0]), DecodeValue(e[1]));
      }
      return Value::Map(std::move(entries));
    }
    if (tag == "timestamp") {
      value::Time t;
      if (!value::ParseTimestamp(x.get<std::string>(), t)) Bad("bad timestamp");
      return Value::Timestamp(t);
    }
    if (tag == "duration") {
      value::Time t;
      std::string s = x.get<std::string>();
      if (!value::ParseDuration(s, t)) Bad("bad duration " + s);
      return Value::Duration(t);
    }
    if (tag == "type") {
      std::string s = x.get<std::string>();
      for (const char* n : kTypeNames) if (s == n) return Value::Type(n);
      Bad("unknown type name " + s);
    }
    if (tag == "error") {
      bool hold = j.value("hold", false);
      return hold ? Value::Hold(x.get<std::string>()) : Value::Error(x.get<std::string>());
    }
  } catch (const json::exception& e) {
    Bad(std::string("bad value: ") + e.what());
  } catch (const std::logic_error& e) {
    Bad(std::string("bad number: ") + e.what());
  }
  Bad("unknown value tag `" + tag + "`");
}

vm::Op OpFromName(const std::string& name) {
  // Every opcode OpName names (not only those up to kFail: the two-variable macros' kIterPair,
  // kAppendPairLocal and kPairsToMap come after it); "?" is OpName's answer for no opcode.
  for (int i = 0; i <= UINT8_MAX; ++i) {
    const char* known = vm::OpName(static_cast<vm::Op>(i));
    if (std::string_view(known) != "?" && name == known) return static_cast<vm::Op>(i);
  }
  Bad("unknown opcode `" + name + "` (a plan from another crmx version?)");
}

json EncodeProgram(const vm::Program& p) {
  json code = json::array();
  for (const vm::Instr& in : p.code) {
    json arg = in.arg;
    if (in.op == vm::Op::kCall) arg = vm::BuiltinName(static_cast<vm::Builtin>(in.arg));
    code.push_back(json::array({vm::OpName(in.op), in.a, arg}));
  }
  json consts = json::array();
  for (const Value& c : p.constants) consts.push_back(EncodeValue(c));
  return json{{"code", code}, {"constants", consts}, {"inputs", p.input_names}, {"locals", p.local_count}};
}

vm::Program DecodeProgram(const json& j) {
  vm::Program p;
  for (const json& in : j.at("code")) {
    vm::Instr ins{};
    ins.op = OpFromName(in.at(0).get<std::string>());
    ins.a = Integer<uint16_t>(in.at(1), "code");
    if (ins.op == vm::Op::kCall) {
      vm::Builtin b;
      size_t lo = 0, hi = 0;
      std::string name = in.at(2).get<std::string>();
      if (!vm::FindBuiltin(name, b, lo, hi)) Bad("unknown builtin `" + name + "`");
      ins.arg = static_cast<int32_t>(b);
    } else {
      ins.arg = Integer<int32_t>(in.at(2), "code");
    }
    p.code.push_back(ins);
  }
  for (const json& c : j.at("constants")) p.constants.push_back(DecodeValue(c));
  p.input_names = j.at("inputs").get<std::vector<std::string>>();
  p.local_count = Integer<uint32_t>(j.at("locals"), "locals");
  for (const vm::Instr& in : p.code) {
    if ((in.op == vm::Op::kConst || in.op == vm::Op::kSelect || in.op == vm::Op::kHas || in.op == vm::Op::kFail) &&
        (in.arg < 0 || static_cast<size_t>(in.arg) >= p.constants.size()))
      Bad("constant index out of range");
    if (in.op == vm::Op::kLoadInput && (in.arg < 0 || static_cast<size_t>(in.arg) >= p.input_names.size()))
      Bad("input index out of range");
    if (in.op == vm::Op::kFilterText && (in.arg < 0 || static_cast<size_t>(in.arg) >= p.constants.size() ||
                                         !vm::TextFilterValid(p.constants[static_cast<size_t>(in.arg)])))
      Bad("filter_text needs a text filter constant (a separator and a character test)");
  }
  return p;
}

json EncodeTypes(const std::vector<FieldType>& types) {
  json a = json::array();
  for (FieldType t : types) a.push_back(FieldTypeName(t));
  return a;
}

std::vector<FieldType> DecodeTypes(const json& a, size_t expected) {
  std::vector<FieldType> out;
  for (const json& t : a) {
    FieldType f;
    if (!ParseFieldType(t.get<std::string>(), f)) Bad("unknown field type `" + t.get<std::string>() + "`");
    out.push_back(f);
  }
  if (out.size() != expected) Bad("a projection lists " + std::to_string(expected) + " fields but " +
                                  std::to_string(out.size()) + " types");
  return out;
}

json EncodeBindings(const std::vector<Binding>& bs) {
  json a = json::array();
  for (const Binding& b : bs) {
    json o{{"name", b.name}, {"kind", BindingKindName(b.kind)}};
    if (!b.relation.empty()) o["relation"] = b.relation;
    if (!b.field.empty()) o["field"] = b.field;
    a.push_back(o);
  }
  return a;
}

std::vector<Binding> DecodeBindings(const json& a) {
  std::vector<Binding> out;
  for (const json& o : a) {
    Binding b;
    b.name = o.at("name").get<std::string>();
    std::string k = o.at("kind").get<std::string>();
    bool found = false;
    for (BindingKind c : {BindingKind::kField, BindingKind::kParent, BindingKind::kChildren, BindingKind::kAssigned,
                          BindingKind::kTable, BindingKind::kShared}) {
      if (k == BindingKindName(c)) {
        b.kind = c;
        found = true;
      }
    }
    if (!found) Bad("unknown binding kind `" + k + "`");
    b.relation = o.value("relation", "");
    b.field = o.value("field", "");
    out.push_back(std::move(b));
  }
  return out;
}

// A target field: `path` only when the name has a dot, `reference`/`sublist`/`element`/
// `owner`/`constant` only when set (docs/plan-format.md).
json EncodeTargetField(const TargetField& t) {
  json o{{"name", t.name}, {"type", FieldTypeName(t.type)}};
  if (t.scale) o["scale"] = *t.scale;
  if (t.path.size() > 1) o["path"] = t.path;
  if (t.reference) o["reference"] = true;
  if (t.create_only) o["create_only"] = true;
  if (!t.sublist.empty()) o["sublist"] = t.sublist;
  if (!t.element.empty()) {
    json e = json::array();
    for (const TargetField& x : t.element) e.push_back(EncodeTargetField(x));
    o["element"] = e;
  }
  if (!t.owner.empty()) o["owner"] = t.owner;
  if (t.constant) o["constant"] = true;
  return o;
}

// `ownership`: the plan's version has `owner` and `constant` (a version-5 plan has neither).
TargetField DecodeTargetField(const json& t, const std::string& map, bool ownership) {
  TargetField f;
  f.name = t.at("name").get<std::string>();
  if (!ParseFieldType(t.at("type").get<std::string>(), f.type)) Bad("unknown field type in map `" + map + "`");
  if (t.contains("scale")) f.scale = Integer<int>(t["scale"], "scale");
  if (t.contains("path")) {
    f.path = t["path"].get<std::vector<std::string>>();
    std::string joined;
    for (const std::string& s : f.path) joined += (joined.empty() ? "" : ".") + s;
    if (f.path.empty() || joined != f.name) Bad("target field `" + f.name + "` of map `" + map + "`: its path does not spell its name");
  } else {
    f.path = {f.name};
  }
  f.reference = t.value("reference", false);
  f.create_only = t.value("create_only", false);
  f.sublist = t.value("sublist", "");
  for (const json& e : t.value("element", json::array())) f.element.push_back(DecodeTargetField(e, map, ownership));
  if (ownership) {
    f.owner = t.value("owner", "");
    f.constant = t.value("constant", false);
    if (f.constant && !f.owner.empty())
      Bad("target field `" + f.name + "` of map `" + map + "` is a constant with an owner (`" + f.owner + "`)");
  }
  return f;
}

json EncodeConditions(const std::vector<SourceCondition>& cs) {
  json a = json::array();
  for (const SourceCondition& c : cs)
    a.push_back(json{{"field", c.field}, {"op", FilterOpName(c.op)}, {"value", EncodeValue(c.value)}, {"when", c.when}});
  return a;
}

std::vector<SourceCondition> DecodeConditions(const json& a, size_t when_parts) {
  std::vector<SourceCondition> out;
  for (const json& o : a) {
    SourceCondition c;
    c.field = o.at("field").get<std::string>();
    if (!ParseFilterOp(o.at("op").get<std::string>(), c.op)) Bad("unknown pushdown operator `" + o.at("op").dump() + "`");
    c.value = DecodeValue(o.at("value"));
    c.when = Integer<size_t>(o.at("when"), "when");
    if (c.when >= when_parts) Bad("a pushdown condition names `when` conjunct " + std::to_string(c.when) + " of " +
                                  std::to_string(when_parts));
    out.push_back(std::move(c));
  }
  return out;
}

// Record fields as `[[name, Value]...]`: an array, so the spec's order survives the sorted keys
// of the canonical text.
json EncodeFields(const std::vector<std::pair<std::string, Value>>& fields) {
  json a = json::array();
  for (const auto& [name, v] : fields) a.push_back(json::array({name, EncodeValue(v)}));
  return a;
}

std::vector<std::pair<std::string, Value>> DecodeFields(const json& a) {
  std::vector<std::pair<std::string, Value>> out;
  for (const json& e : a) {
    if (!e.is_array() || e.size() != 2) Bad("a test record field is [name, value]");
    out.emplace_back(e[0].get<std::string>(), DecodeValue(e[1]));
  }
  return out;
}

json EncodeTests(const std::vector<SpecTest>& tests) {
  json a = json::array();
  for (const SpecTest& t : tests) {
    json given = json::array();
    for (const GivenRecord& g : t.given) {
      json o{{"system", g.system}, {"object", g.object}, {"fields", EncodeFields(g.fields)}};
      if (!g.name.empty()) o["name"] = g.name;
      given.push_back(o);
    }
    json expect = json::array();
    for (const Expectation& e : t.expect) {
      json o{{"kind", ExpectKindName(e.kind)}};
      if (e.kind == ExpectKind::kRecord) {
        o["system"] = e.system;
        o["object"] = e.object;
        o["fields"] = EncodeFields(e.fields);
      } else if (e.kind != ExpectKind::kSkipped && !e.any) {
        o["text"] = e.text;
      }
      if (e.negated) o["negated"] = true;
      if (!e.record.empty()) o["record"] = e.record;
      expect.push_back(o);
    }
    json test{{"name", t.name}, {"given", given}, {"expect", expect}};
    if (!t.now.empty()) test["now"] = t.now;
    a.push_back(test);
  }
  return a;
}

std::vector<SpecTest> DecodeTests(const json& a) {
  std::vector<SpecTest> out;
  for (const json& tj : a) {
    SpecTest t;
    t.name = tj.at("name").get<std::string>();
    for (const json& g : tj.at("given"))
      t.given.push_back(GivenRecord{g.at("system").get<std::string>(), g.at("object").get<std::string>(),
                                    DecodeFields(g.at("fields")), g.value("name", std::string())});
    t.now = tj.value("now", std::string());
    for (const json& ej : tj.at("expect")) {
      Expectation e;
      std::string k = ej.at("kind").get<std::string>();
      bool found = false;
      for (ExpectKind c : {ExpectKind::kRecord, ExpectKind::kException, ExpectKind::kHold, ExpectKind::kFlag,
                           ExpectKind::kSkipped}) {
        if (k == ExpectKindName(c)) {
          e.kind = c;
          found = true;
        }
      }
      if (!found) Bad("unknown expectation kind `" + k + "` in test `" + t.name + "`");
      if (e.kind == ExpectKind::kRecord) {
        e.system = ej.at("system").get<std::string>();
        e.object = ej.at("object").get<std::string>();
        e.fields = DecodeFields(ej.at("fields"));
      } else if (ej.contains("text")) {
        e.text = ej.at("text").get<std::string>();
      } else {
        e.any = true;
      }
      e.negated = ej.value("negated", false);
      e.record = ej.value("record", std::string());
      t.expect.push_back(std::move(e));
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Reconciles (docs/plan-format.md, "Reconcile").
json EncodeReconcileExpr(const ReconcileExpr& e) {
  return json{{"text", e.text}, {"program", EncodeProgram(e.program)}, {"bindings", EncodeBindings(e.bindings)}};
}

// A side's expression: its bindings are fields of that side's projection, so the runtime binds
// every input from the record it read.
ReconcileExpr DecodeReconcileExpr(const json& j, const ReconcileSide& side, const std::string& name) {
  ReconcileExpr e{j.at("text").get<std::string>(), DecodeProgram(j.at("program")), DecodeBindings(j.at("bindings"))};
  for (const Binding& b : e.bindings) {
    if (b.kind != BindingKind::kField)
      Bad("reconcile `" + name + "`: `" + e.text + "` binds `" + b.name + "` as " + BindingKindName(b.kind) +
          " (a reconcile reads only its records' own fields)");
    if (std::find(side.fields.begin(), side.fields.end(), b.field) == side.fields.end())
      Bad("reconcile `" + name + "`: `" + e.text + "` reads `" + b.field + "`, which its side does not project");
  }
  return e;
}

json EncodeReconcileSide(const ReconcileSide& s) {
  json o{{"system", s.object.system}, {"object", s.object.object}, {"fields", s.fields},
         {"types", EncodeTypes(s.types)}, {"read_batch", s.read_batch}};
  if (!s.id_field.empty()) o["id_field"] = s.id_field;
  if (!s.carried_by.empty()) o["carried_by"] = s.carried_by;
  return o;
}

ReconcileSide DecodeReconcileSide(const json& j, const Plan& p, const std::string& name) {
  ReconcileSide s;
  s.object = {j.at("system").get<std::string>(), j.at("object").get<std::string>()};
  s.fields = j.at("fields").get<std::vector<std::string>>();
  s.types = DecodeTypes(j.at("types"), s.fields.size());
  s.id_field = j.value("id_field", "");
  s.read_batch = Integer(j, "read_batch", int64_t{0});
  s.carried_by = j.value("carried_by", "");
  if (!s.carried_by.empty() && p.FindMap(s.carried_by) == nullptr)
    Bad("reconcile `" + name + "`: carried by `" + s.carried_by + "`, which is not a map of the plan");
  return s;
}

json EncodeReconciles(const std::vector<Reconcile>& rs) {
  json a = json::array();
  for (const Reconcile& r : rs) {
    json keys = json::array();
    for (const ReconcileKey& k : r.keys)
      keys.push_back(json{{"left", EncodeReconcileExpr(k.left)}, {"right", EncodeReconcileExpr(k.right)}});
    json rules = json::array();
    for (const ReconcileRule& x : r.rules) {
      json o{{"left", EncodeReconcileExpr(x.left)}, {"right", EncodeReconcileExpr(x.right)},
             {"tolerance", ToleranceKindName(x.tolerance)}};
      if (x.tolerance != ToleranceKind::kExact) o["within"] = x.within.ToString();
      rules.push_back(o);
    }
    json o{{"name", r.name}, {"schedule", r.schedule}, {"left", EncodeReconcileSide(r.left)},
           {"right", EncodeReconcileSide(r.right)}, {"keys", keys}, {"rules", rules}};
    if (!r.at.empty()) o["at"] = r.at;
    if (r.schedule == "every") o["every_ms"] = r.every_ms;
    a.push_back(o);
  }
  return a;
}

std::vector<Reconcile> DecodeReconciles(const json& a, const Plan& p) {
  std::vector<Reconcile> out;
  for (const json& j : a) {
    Reconcile r;
    r.name = j.at("name").get<std::string>();
    for (const Reconcile& earlier : out)
      if (earlier.name == r.name) Bad("two reconciles are named `" + r.name + "`");
    r.schedule = j.at("schedule").get<std::string>();
    if (r.schedule != "daily" && r.schedule != "hourly" && r.schedule != "every")
      Bad("reconcile `" + r.name + "`: unknown schedule `" + r.schedule + "`");
    r.at = j.value("at", "");
    r.every_ms = Integer(j, "every_ms", int64_t{0});
    r.left = DecodeReconcileSide(j.at("left"), p, r.name);
    r.right = DecodeReconcileSide(j.at("right"), p, r.name);
    for (const json& k : j.at("keys"))
      r.keys.push_back(ReconcileKey{DecodeReconcileExpr(k.at("left"), r.left, r.name),
                                    DecodeReconcileExpr(k.at("right"), r.right, r.name)});
    if (r.keys.empty()) Bad("reconcile `" + r.name + "` has no key to match records by");
    for (const json& x : j.at("rules")) {
      ReconcileRule rule;
      rule.left = DecodeReconcileExpr(x.at("left"), r.left, r.name);
      rule.right = DecodeReconcileExpr(x.at("right"), r.right, r.name);
      std::string kind = x.at("tolerance").get<std::string>();
      if (!ParseToleranceKind(kind, rule.tolerance)) Bad("reconcile `" + r.name + "`: unknown tolerance `" + kind + "`");
      if (rule.tolerance != ToleranceKind::kExact) {
        std::string w = x.at("within").get<std::string>();
        auto d = decimal::Decimal::Parse(w);
        if (!d || d->IsNegative()) Bad("reconcile `" + r.name + "`: `within` is not a decimal >= 0: " + w);
        rule.within = *d;
      }
      r.rules.push_back(std::move(rule));
    }
    out.push_back(std::move(r));
  }
  return out;
}

// The conjuncts of a `when` (a Sync's, an Alert's).
json EncodeWhen(const std::vector<WhenPart>& when) {
  json a = json::array();
  for (const WhenPart& w : when)
    a.push_back(json{{"reason", w.reason}, {"program", EncodeProgram(w.program)}, {"bindings", EncodeBindings(w.bindings)}});
  return a;
}

WhenPart DecodeWhenPart(const json& w) {
  return WhenPart{w.at("reason").get<std::string>(), DecodeProgram(w.at("program")), DecodeBindings(w.at("bindings"))};
}

// Alerts (docs/plan-format.md, "Alert").
json EncodeNotifyTarget(const NotifyTarget& t) {
  json o{{"text", t.text}};
  if (!t.channel.empty()) {
    o["channel"] = t.channel;
    return o;
  }
  o["owner_of"] = json{{"system", t.owner_object.system}, {"object", t.owner_object.object}};
  o["link"] = json{{"map", t.link_map}, {"field", t.link_field}, {"key", t.link_key}};
  o["owner_field"] = t.owner_field;
  o["user"] = json{{"object", t.user_object}, {"id", t.user_id}, {"email", t.user_email}};
  return o;
}

NotifyTarget DecodeNotifyTarget(const json& j, const Alert& a) {
  NotifyTarget t;
  t.text = j.at("text").get<std::string>();
  t.channel = j.value("channel", "");
  if (!t.channel.empty()) return t;
  const json& owner = j.at("owner_of");
  t.owner_object = {owner.at("system").get<std::string>(), owner.at("object").get<std::string>()};
  const json& link = j.at("link");
  t.link_map = link.at("map").get<std::string>();
  t.link_field = link.at("field").get<std::string>();
  t.link_key = link.at("key").get<std::string>();
  t.owner_field = j.at("owner_field").get<std::string>();
  const json& user = j.at("user");
  t.user_object = user.at("object").get<std::string>();
  t.user_id = user.at("id").get<std::string>();
  t.user_email = user.at("email").get<std::string>();
  const std::vector<std::string>& fields = a.projection.fields;
  if (t.link_field.empty() || std::find(fields.begin(), fields.end(), t.link_field) == fields.end())
    Bad("alert `" + a.name + "`: `" + t.text + "` is linked by `" + t.link_field + "`, which the alert does not project");
  if (t.owner_field.empty() || t.link_key.empty() || t.user_object.empty() || t.user_id.empty() || t.user_email.empty())
    Bad("alert `" + a.name + "`: `" + t.text + "` names no owner field, link key or user fields");
  return t;
}

json EncodeAlerts(const std::vector<Alert>& as) {
  json out = json::array();
  for (const Alert& a : as) {
    json notify = json::array();
    for (const NotifyTarget& t : a.notify) notify.push_back(EncodeNotifyTarget(t));
    json o{{"name", a.name}, {"object", {{"system", a.object.system}, {"object", a.object.object}}},
           {"condition", a.condition}, {"fields", a.projection.fields}, {"types", EncodeTypes(a.projection.types)},
           {"when", EncodeWhen(a.when)},
           {"pushdown", EncodeConditions(a.pushdown)}, {"for_ms", a.for_ms}, {"notify", notify},
           {"read_batch", a.read_batch}};
    if (!a.id_field.empty()) o["id_field"] = a.id_field;
    out.push_back(o);
  }
  return out;
}

// An alert's `when` reads the alerted record's projected fields and the plan's tables only.
std::vector<Alert> DecodeAlerts(const json& as, const Plan& p) {
  std::vector<Alert> out;
  for (const json& j : as) {
    Alert a;
    a.name = j.at("name").get<std::string>();
    for (const Alert& earlier : out)
      if (earlier.name == a.name) Bad("two alerts are named `" + a.name + "`");
    a.object = {j.at("object").at("system").get<std::string>(), j.at("object").at("object").get<std::string>()};
    a.projection.fields = j.at("fields").get<std::vector<std::string>>();
    a.projection.types = DecodeTypes(j.at("types"), a.projection.fields.size());
    a.id_field = j.value("id_field", "");
    a.condition = j.value("condition", "");
    for (const json& w : j.at("when")) {
      WhenPart part = DecodeWhenPart(w);
      for (const Binding& b : part.bindings) {
        bool ok = b.kind == BindingKind::kField
                      ? std::find(a.projection.fields.begin(), a.projection.fields.end(), b.field) != a.projection.fields.end()
                      : b.kind == BindingKind::kTable && p.FindTable(b.field) != nullptr;
        if (!ok) Bad("alert `" + a.name + "`: `when` binds `" + b.name + "` to what the alert does not read");
      }
      a.when.push_back(std::move(part));
    }
    a.pushdown = DecodeConditions(j.value("pushdown", json::array()), a.when.size());
    a.for_ms = Integer<int64_t>(j.at("for_ms"), "for_ms");
    if (a.for_ms < 0) Bad("alert `" + a.name + "`: `for_ms` is negative");
    for (const json& t : j.at("notify")) a.notify.push_back(DecodeNotifyTarget(t, a));
    a.read_batch = Integer(j, "read_batch", int64_t{0});
    out.push_back(std::move(a));
  }
  return out;
}

json Body(const Plan& p) {
  json systems = json::array();
  for (const System& s : p.systems) {
    json o{{"name", s.name}, {"kind", s.kind}};
    if (s.batch) o["batch"] = *s.batch;
    json budgets = json::array();
    for (const Budget& b : s.budgets) {
      json bo{{"metric", b.metric}, {"amount", b.amount}};
      if (b.period_ms) bo["period_ms"] = *b.period_ms;
      if (b.warn_at_percent) bo["warn_at_percent"] = *b.warn_at_percent;
      budgets.push_back(bo);
    }
    o["budgets"] = budgets;
    systems.push_back(o);
  }
  json tables = json::array();
  for (const Table& t : p.tables) {
    json entries = json::array();
    for (const auto& [k, v] : t.entries) entries.push_back(json::array({EncodeValue(k), EncodeValue(v)}));
    tables.push_back(json{{"name", t.name}, {"entries", entries}});
  }
  json maps = json::array();
  for (const Map& m : p.maps) {
    json rels = json::array();
    for (const Relation& r : m.projection.relations) {
      rels.push_back(json{{"name", r.name}, {"child", r.child}, {"object", r.object}, {"via", r.via},
                          {"id_field", r.id_field}, {"fields", r.fields}, {"types", EncodeTypes(r.types)}});
      if (!r.cursor.empty()) rels.back()["cursor"] = r.cursor;
    }
    json targets = json::array();
    for (const TargetField& t : m.target_fields) targets.push_back(EncodeTargetField(t));
    json steps = json::array();
    for (const Step& s : m.steps) {
      json o{{"kind", StepKindName(s.kind)}, {"program", EncodeProgram(s.program)}, {"bindings", EncodeBindings(s.bindings)}};
      if (!s.target.empty()) o["target"] = s.target;
      if (!s.reason.empty()) o["reason"] = s.reason;
      if (s.flag) o["flag"] = *s.flag;
      if (s.flag_probe) o["flag_probe"] = EncodeProgram(*s.flag_probe);
      if (!s.ref_map.empty()) o["ref_map"] = s.ref_map;
      if (s.local) o["local"] = true;
      steps.push_back(o);
    }
    json shared = json::array();
    for (const SharedValue& v : m.shared)
      shared.push_back(json{{"name", v.name}, {"program", EncodeProgram(v.program)}, {"bindings", EncodeBindings(v.bindings)}});
    maps.push_back(json{{"name", m.name},
                        {"source", {{"system", m.source.system}, {"object", m.source.object}}},
                        {"target", {{"system", m.target.system}, {"object", m.target.object}}},
                        {"depends_on", m.depends_on},
                        {"referenced_by", m.referenced_by},
                        {"projection", {{"fields", m.projection.fields}, {"types", EncodeTypes(m.projection.types)},
                                        {"relations", rels}}},
                        {"target_fields", targets},
                        {"shared", shared},
                        {"steps", steps}});
    if (!m.cursor.empty()) maps.back()["cursor"] = m.cursor;
    if (!m.deleted_field.empty()) maps.back()["deleted_field"] = m.deleted_field;
    if (!m.source_id.empty()) maps.back()["source_id"] = m.source_id;
    if (!m.target_id.empty()) maps.back()["target_id"] = m.target_id;
    maps.back()["read_batch"] = m.read_batch;
    maps.back()["write_batch"] = m.write_batch;
  }
  json syncs = json::array();
  for (const Sync& s : p.syncs) {
    json o{{"map", s.map}, {"trigger", s.trigger}, {"when", EncodeWhen(s.when)}, {"on_exhausted", s.on_exhausted}};
    if (s.trigger == "every") o["every_ms"] = s.every_ms;
    if (s.trigger == "daily_at") o["daily_at"] = s.daily_at;
    o["pushdown"] = EncodeConditions(s.pushdown);
    if (s.retry) {
      o["retry"] = json{{"attempts", s.retry->attempts}, {"backoff", s.retry->backoff},
                        {"backoff_args_ms", s.retry->backoff_args_ms}, {"jitter", s.retry->jitter}};
    }
    syncs.push_back(o);
  }
  json body{{"integration", p.integration}, {"spec_version", p.spec_version}, {"systems", systems},
            {"tables", tables}, {"maps", maps}, {"syncs", syncs}, {"tests", EncodeTests(p.tests)},
            {"reconciles", EncodeReconciles(p.reconciles)}};
  if (!p.alerts.empty()) body["alerts"] = EncodeAlerts(p.alerts);
  if (p.conflicts)
    body["conflicts"] = json{{"strategy", p.conflicts->strategy}, {"grace_ms", p.conflicts->grace_ms}, {"audit", p.conflicts->audit}};
  return body;
}

void FromBody(const json& b, Plan& p) {
  p.integration = b.at("integration").get<std::string>();
  p.spec_version = b.value("spec_version", "");
  for (const json& s : b.at("systems")) {
    System sys;
    sys.name = s.at("name").get<std::string>();
    sys.kind = s.at("kind").get<std::string>();
    if (s.contains("batch")) sys.batch = Integer<int64_t>(s["batch"], "batch");
    for (const json& bo : s.value("budgets", json::array())) {
      Budget bu;
      bu.metric = bo.at("metric").get<std::string>();
      bu.amount = Integer<int64_t>(bo.at("amount"), "amount");
      if (bo.contains("period_ms")) bu.period_ms = Integer<int64_t>(bo["period_ms"], "period_ms");
      if (bo.contains("warn_at_percent")) bu.warn_at_percent = bo["warn_at_percent"].get<double>();
      sys.budgets.push_back(bu);
    }
    p.systems.push_back(std::move(sys));
  }
  for (const json& t : b.at("tables")) {
    Table tab;
    tab.name = t.at("name").get<std::string>();
    for (const json& e : t.at("entries")) tab.entries.emplace_back(DecodeValue(e.at(0)), DecodeValue(e.at(1)));
    p.tables.push_back(std::move(tab));
  }
  for (const json& mj : b.at("maps")) {
    Map m;
    m.name = mj.at("name").get<std::string>();
    m.source = {mj.at("source").at("system").get<std::string>(), mj.at("source").at("object").get<std::string>()};
    m.target = {mj.at("target").at("system").get<std::string>(), mj.at("target").at("object").get<std::string>()};
    m.depends_on = mj.at("depends_on").get<std::vector<std::string>>();
    for (const std::string& d : m.depends_on)
      if (p.FindMap(d) == nullptr) Bad("map `" + m.name + "` depends on `" + d + "`, which does not come before it");
    m.referenced_by = mj.at("referenced_by").get<std::vector<std::string>>();
    m.projection.fields = mj.at("projection").at("fields").get<std::vector<std::string>>();
    m.projection.types = DecodeTypes(mj.at("projection").at("types"), m.projection.fields.size());
    for (const json& r : mj.at("projection").at("relations")) {
      Relation rel{r.at("name").get<std::string>(), r.at("child").get<bool>(), r.at("object").get<std::string>(),
                   r.at("via").get<std::string>(), r.at("id_field").get<std::string>(),
                   r.at("fields").get<std::vector<std::string>>(), {}, {}};
      rel.types = DecodeTypes(r.at("types"), rel.fields.size());
      rel.cursor = r.value("cursor", "");
      m.projection.relations.push_back(std::move(rel));
    }
    for (const json& t : mj.at("target_fields"))
      m.target_fields.push_back(DecodeTargetField(t, m.name, p.ownership_known));
    m.cursor = mj.value("cursor", "");
    m.deleted_field = mj.value("deleted_field", "");
    m.source_id = mj.value("source_id", "");
    m.target_id = mj.value("target_id", "");
    for (const json& v : mj.value("shared", json::array()))
      m.shared.push_back(SharedValue{v.at("name").get<std::string>(), DecodeProgram(v.at("program")),
                                     DecodeBindings(v.at("bindings"))});
    for (const json& sj : mj.at("steps")) {
      Step s;
      std::string k = sj.at("kind").get<std::string>();
      bool found = false;
      for (StepKind c : {StepKind::kKey, StepKind::kRequire, StepKind::kAssign, StepKind::kRef}) {
        if (k == StepKindName(c)) {
          s.kind = c;
          found = true;
        }
      }
      if (!found) Bad("unknown step kind `" + k + "`");
      s.program = DecodeProgram(sj.at("program"));
      s.bindings = DecodeBindings(sj.at("bindings"));
      s.target = sj.value("target", "");
      s.reason = sj.value("reason", "");
      if (sj.contains("flag")) s.flag = sj["flag"].get<std::string>();
      if (sj.contains("flag_probe")) s.flag_probe = DecodeProgram(sj["flag_probe"]);
      s.ref_map = sj.value("ref_map", "");
      s.local = sj.value("local", false);
      m.steps.push_back(std::move(s));
    }
    m.read_batch = Integer(mj, "read_batch", int64_t{0});
    m.write_batch = Integer(mj, "write_batch", int64_t{0});
    p.maps.push_back(std::move(m));
  }
  if (b.contains("conflicts")) {
    const json& c = b["conflicts"];
    p.conflicts = Conflicts{c.at("strategy").get<std::string>(), Integer<int64_t>(c.at("grace_ms"), "grace_ms"),
                            c.at("audit").get<bool>()};
  }
  for (const json& sj : b.at("syncs")) {
    Sync s;
    s.map = sj.at("map").get<std::string>();
    s.trigger = sj.at("trigger").get<std::string>();
    s.every_ms = Integer(sj, "every_ms", int64_t{0});
    s.daily_at = sj.value("daily_at", "");
    for (const json& w : sj.at("when")) s.when.push_back(DecodeWhenPart(w));
    if (sj.contains("retry")) {
      const json& r = sj["retry"];
      s.retry = Retry{Integer<int64_t>(r.at("attempts"), "attempts"), r.at("backoff").get<std::string>(), {},
                      r.at("jitter").get<bool>()};
      if (!r.at("backoff_args_ms").is_array()) Bad("`backoff_args_ms` is not an array");
      for (const json& a : r.at("backoff_args_ms")) s.retry->backoff_args_ms.push_back(Integer<int64_t>(a, "backoff_args_ms"));
    }
    s.on_exhausted = sj.value("on_exhausted", std::vector<std::string>{});
    s.pushdown = DecodeConditions(sj.value("pushdown", json::array()), s.when.size());
    p.syncs.push_back(std::move(s));
  }
  p.tests = DecodeTests(b.value("tests", json::array()));
  p.reconciles = DecodeReconciles(b.value("reconciles", json::array()), p);
  p.alerts = DecodeAlerts(b.value("alerts", json::array()), p);
}

std::string Sha256Hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string HashOfBody(const json& body) { return "sha256:" + Sha256Hex(body.dump()); }

// How deep arrays and objects may nest in a plan file. nlohmann::json parses any depth, but
// dump() (the content hash), DecodeValue and EncodeValue recurse once a level: a file nested
// 100,000 deep overflowed the stack. The deepest plan crmxc writes is far shallower: the front
// end refuses expressions nested past 256 levels (compiler/syntax/parser.h), and a CEL value
// takes at most 3 levels of JSON a level ({"map": [[key, value]]}), so 3 * 256 and the ~10
// levels around a constant stay under the limit.

}  // namespace

size_t JsonNesting(const std::string& text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string ContentHash(const Plan& plan) { return HashOfBody(Body(plan)); }

std::string WritePlan(const Plan& plan) {
  json body = Body(plan);
  // nlohmann::json keeps object keys sorted: dump() of the body is the canonical text.
  // A plan read from version 5 knows no ownership: written back, it stays what it was.
  json file{{"crmx_plan", plan.ownership_known ? kPlanVersion : kOldestPlanVersion},
            {"compiler", plan.compiler}, {"content_hash", HashOfBody(body)},
            {"plan", body}};
  return file.dump(1) + "\n";
}

bool ReadPlan(const std::string& text, Plan& out, std::string& error) {
  if (JsonNesting(text) > kMaxPlanNesting) {
    error = "malformed plan: arrays and objects nested deeper than " + std::to_string(kMaxPlanNesting) + " levels";
    return false;
  }
  json file = json::parse(text, nullptr, false);
  if (file.is_discarded() || !file.is_object()) {
    error = "not a plan file: not a JSON object";
    return false;
  }
  if (!file.contains("crmx_plan")) {
    error = "not a plan file: no `crmx_plan` version field (build one with `crmxc build SPEC -o PLAN`)";
    return false;
  }
  if (!file["crmx_plan"].is_number_integer() || file["crmx_plan"].get<int64_t>() < kOldestPlanVersion ||
      file["crmx_plan"].get<int64_t>() > kPlanVersion) {
    error = "unsupported plan version " + file["crmx_plan"].dump() + ": this crmx-run reads versions " +
            std::to_string(kOldestPlanVersion) + " to " + std::to_string(kPlanVersion) +
            "; rebuild the plan with a matching crmxc";
    return false;
  }
  if (!file.contains("plan") || !file["plan"].is_object()) {
    error = "malformed plan: no `plan` body";
    return false;
  }
  // value() would throw (outside the try below) on a `content_hash` that is not a string.
  if (file.contains("content_hash") && !file["content_hash"].is_string()) {
    error = "malformed plan: `content_hash` is " + std::string(file["content_hash"].type_name()) +
            ", not the string \"sha256:...\"";
    return false;
  }
  std::string stated = file.value("content_hash", "");
  std::string actual = HashOfBody(file["plan"]);
  if (stated != actual) {
    error = "plan content hash mismatch: the file says `" + stated + "` but its body hashes to `" + actual +
            "`; the plan was edited or corrupted after `crmxc build`";
    return false;
  }
  try {
    Plan p;
    p.compiler = file.value("compiler", "");
    // Version 5 predates ownership (kOldestPlanVersion).
    p.ownership_known = file["crmx_plan"].get<int64_t>() > kOldestPlanVersion;
    FromBody(file["plan"], p);
    out = std::move(p);
    return true;
  } catch (const FormatError& e) {
    error = "malformed plan: " + e.message;
  } catch (const json::exception& e) {
    error = std::string("malformed plan: ") + e.what();
  }
  return false;
}

bool ReadPlanFile(const std::string& path, Plan& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read plan `" + path + "`";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (!ReadPlan(ss.str(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

std::string ValueToJsonText(const Value& v) { return EncodeValue(v).dump(); }

bool ValueFromJsonText(const std::string& text, Value& out, std::string& error) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    error = "not JSON";
    return false;
  }
  try {
    out = DecodeValue(j);
    return true;
  } catch (const FormatError& e) {
    error = e.message;
  }
  return false;
}

}  // namespace crmx::plan
