// Defines Lower(): a single pass over the expression tree that emits stack code, patching
// jump targets as it goes. Short-circuit operators, `?:`, `??` and macros become jumps; macros
// are loops over local slots (see bytecode.h for each opcode's contract). The result then goes
// through the optimizer (compiler/opt) unless LowerOptions::optimize is false.
#include "compiler/lower/lower.h"

#include <algorithm>

#include "compiler/opt/optimize.h"

namespace crmx::lower {
namespace {

using namespace crmx::ast;
using vm::Instr;
using vm::Op;
using value::Value;

const char* const kTypeNames[] = {"int", "uint", "double", "decimal", "string", "bool", "bytes", "list", "map",
                                  "null_type", "type"};

class Lowerer {
 public:
  Lowerer(const std::vector<check::Typed>* types, const LowerOptions& options) : types_(types), options_(options) {
    program_.input_names = options.inputs;
  }

  vm::Program Run(const Expr& e) {
    Emit(e);
    program_.local_count = next_local_;
    return std::move(program_);
  }

 private:
  size_t Add(Op op, int32_t arg = 0, uint16_t a = 0) {
    Instr in{op};
    in.arg = arg;
    in.a = a;
    program_.code.push_back(in);
    return program_.code.size() - 1;
  }
  int32_t Here() const { return static_cast<int32_t>(program_.code.size()); }
  void Patch(size_t at) { program_.code[at].arg = Here(); }
  int32_t Const(Value v) {
    program_.constants.push_back(std::move(v));
    return static_cast<int32_t>(program_.constants.size() - 1);
  }
  void Fail(const std::string& reason) { Add(Op::kFail, Const(Value::String(reason))); }
  uint16_t Locals(uint16_t n) {
    uint16_t first = static_cast<uint16_t>(next_local_);
    next_local_ += n;
    return first;
  }

  const check::Typed* TypeOf(const Expr& e) const {
    if (types_ == nullptr || e.id >= types_->size()) return nullptr;
    return &(*types_)[e.id];
  }
  bool TypedDecimal(const Expr& e) const {
    const check::Typed* t = TypeOf(e);
    return t != nullptr && t->type.kind == check::TypeKind::kDecimal;
  }

  // The dotted name of an identifier or a chain of selections on one (`a.b.c`), or empty.
  static std::string Dotted(const Expr& e) {
    if (const auto* id = e.As<IdentExpr>()) return id->name.text;
    if (const auto* s = e.As<SelectExpr>()) {
      std::string base = Dotted(*s->operand);
      return base.empty() ? base : base + "." + s->field.text;
    }
    return {};
  }

  bool IsBound(const std::string& name) const {
    for (const auto& sc : scopes_) {
      if (sc.first == name) return true;
    }
    return std::find(options_.inputs.begin(), options_.inputs.end(), name) != options_.inputs.end();
  }

  // A macro variable or input named `name`: emits the load and returns true.
  bool LoadName(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->first == name) {
        Add(Op::kLoadLocal, it->second);
        return true;
      }
    }
    auto in = std::find(options_.inputs.begin(), options_.inputs.end(), name);
    if (in != options_.inputs.end()) {
      Add(Op::kLoadInput, static_cast<int32_t>(in - options_.inputs.begin()));
      return true;
    }
    return false;
  }

  void Emit(const Expr& e) {
    for (const auto& [node, name] : options_.substitutes) {
      if (node == &e && LoadName(name)) return;
    }
    switch (e.kind) {
      case ExprKind::Literal: EmitLiteral(*e.As<LiteralExpr>()); return;
      case ExprKind::Ident: {
        const std::string& name = e.As<IdentExpr>()->name.text;
        if (LoadName(name)) return;
        for (const char* t : kTypeNames) {
          if (name == t) {
            Add(Op::kConst, Const(Value::Type(t)));
            return;
          }
        }
        Fail("undeclared reference to '" + name + "'");
        return;
      }
      case ExprKind::Select: {
        const auto* s = e.As<SelectExpr>();
        // A qualified input name (`a.b.c`) wins over selection, as CEL resolves it.
        std::string dotted = Dotted(e);
        if (!dotted.empty() && LoadName(dotted)) return;
        Emit(*s->operand);
        Add(Op::kSelect, Const(Value::String(s->field.text)));
        return;
      }
      case ExprKind::Call: EmitCall(*e.As<CallExpr>()); return;
      case ExprKind::Index: {
        const auto* x = e.As<IndexExpr>();
        Emit(*x->operand);
        Emit(*x->index);
        Add(Op::kIndex);
        return;
      }
      case ExprKind::List: {
        const auto* l = e.As<ListExpr>();
        for (const ExprPtr& el : l->elements) Emit(*el);
        Add(Op::kMakeList, static_cast<int32_t>(l->elements.size()));
        return;
      }
      case ExprKind::MapLit: {
        const auto* m = e.As<MapExpr>();
        for (const MapEntry& en : m->entries) {
          if (en.field_key) Add(Op::kConst, Const(Value::String(en.field_key->text)));
          else Emit(*en.key);
          Emit(*en.value);
        }
        Add(Op::kMakeMap, static_cast<int32_t>(m->entries.size()));
        return;
      }
      case ExprKind::Unary: {
        const auto* u = e.As<UnaryExpr>();
        Emit(*u->operand);
        Add(u->op == UnaryOp::Not ? Op::kNot : Op::kNeg);
        return;
      }
      case ExprKind::Binary: EmitBinary(*e.As<BinaryExpr>()); return;
      case ExprKind::Conditional: {
        const auto* c = e.As<ConditionalExpr>();
        Emit(*c->cond);
        size_t test = Add(Op::kTestBool);
        size_t to_else = Add(Op::kJumpIfFalse);
        Emit(*c->then);
        size_t to_end = Add(Op::kJump);
        Patch(to_else);
        Emit(*c->otherwise);
        Patch(to_end);
        Patch(test);
        return;
      }
      case ExprKind::Coalesce: {
        const auto* c = e.As<CoalesceExpr>();
        Emit(*c->value);
        size_t skip = Add(Op::kCoalesce);
        Emit(*c->fallback);
        Patch(skip);
        return;
      }
      case ExprKind::Hold: Add(Op::kFail, Const(Value::String(e.As<HoldExpr>()->reason)), 1); return;
      case ExprKind::Ref: Fail("`ref` needs the id cross-reference of a running integration"); return;
    }
  }

  void EmitLiteral(const LiteralExpr& l) {
    Value v;
    switch (l.literal) {
      case LiteralKind::Int:
        v = TypedDecimal(l) ? Value::Dec(decimal::Decimal::FromInt(l.int_value)) : Value::Int(l.int_value);
        break;
      case LiteralKind::Uint: v = Value::Uint(l.uint_value); break;
      case LiteralKind::Double:
        if (TypedDecimal(l)) {
          auto d = decimal::Decimal::Parse(l.text);
          if (d.ok()) {
            v = Value::Dec(*d);
            break;
          }
        }
        v = Value::Double(l.double_value);
        break;
      case LiteralKind::Decimal: {
        auto d = decimal::Decimal::Parse(l.string_value);
        v = d.ok() ? Value::Dec(*d) : Value::Error(std::string(d.reason()));
        break;
      }
      case LiteralKind::String: v = Value::String(l.string_value); break;
      case LiteralKind::Bytes: v = Value::Bytes(l.string_value); break;
      case LiteralKind::Bool: v = Value::Bool(l.int_value != 0); break;
      case LiteralKind::Null: v = Value::Null(); break;
      case LiteralKind::Duration: {
        value::Time t;
        value::MakeDuration(l.int_value / 1000, (l.int_value % 1000) * 1000000, t);
        v = Value::Duration(t);
        break;
      }
    }
    Add(Op::kConst, Const(std::move(v)));
  }

  void EmitBinary(const BinaryExpr& b) {
    if (b.op == BinaryOp::And || b.op == BinaryOp::Or) {
      Emit(*b.left);
      size_t skip = Add(b.op == BinaryOp::And ? Op::kJumpIfFalseKeep : Op::kJumpIfTrueKeep);
      Emit(*b.right);
      Add(b.op == BinaryOp::And ? Op::kAnd : Op::kOr);
      Patch(skip);
      return;
    }
    Emit(*b.left);
    Emit(*b.right);
    switch (b.op) {
      case BinaryOp::Mul: Add(Op::kMul); break;
      case BinaryOp::Div: Add(Op::kDiv); break;
      case BinaryOp::Mod: Add(Op::kMod); break;
      case BinaryOp::Add: Add(Op::kAdd); break;
      case BinaryOp::Sub: Add(Op::kSub); break;
      case BinaryOp::Lt: Add(Op::kLt); break;
      case BinaryOp::Le: Add(Op::kLe); break;
      case BinaryOp::Gt: Add(Op::kGt); break;
      case BinaryOp::Ge: Add(Op::kGe); break;
      case BinaryOp::Eq: Add(Op::kEq); break;
      case BinaryOp::Ne: Add(Op::kNe); break;
      case BinaryOp::In: Add(Op::kIn); break;
      default: break;
    }
  }

  static const LiteralExpr* StringLiteral(const Expr& e) {
    const auto* l = e.As<LiteralExpr>();
    return l != nullptr && l->literal == LiteralKind::String ? l : nullptr;
  }

  // Appends the postfix code of `e` as a test of the character `var` (vm::CharTestStep), or
  // returns false when `e` is anything else than comparisons of `var` with string literals
  // combined by `&&`, `||` and `!`.
  static bool CharTest(const Expr& e, const std::string& var, std::vector<Value>& out) {
    using Step = vm::CharTestStep;
    auto step = [&](Step s) { out.push_back(Value::Int(static_cast<int64_t>(s))); };
    auto is_var = [&](const Expr& x) {
      const auto* id = x.As<IdentExpr>();
      return id != nullptr && id->name.text == var;
    };
    if (const auto* u = e.As<UnaryExpr>()) {
      if (u->op != UnaryOp::Not || !CharTest(*u->operand, var, out)) return false;
      step(Step::kCharNot);
      return true;
    }
    const auto* b = e.As<BinaryExpr>();
    if (b == nullptr) return false;
    if (b->op == BinaryOp::And || b->op == BinaryOp::Or) {
      if (!CharTest(*b->left, var, out) || !CharTest(*b->right, var, out)) return false;
      step(b->op == BinaryOp::And ? Step::kCharAnd : Step::kCharOr);
      return true;
    }
    if (b->op == BinaryOp::In) {
      const auto* list = b->right->As<ListExpr>();
      if (!is_var(*b->left) || list == nullptr || list->elements.empty()) return false;
      for (size_t i = 0; i < list->elements.size(); ++i) {
        const LiteralExpr* k = StringLiteral(*list->elements[i]);
        if (k == nullptr) return false;
        step(Step::kCharEq);
        out.push_back(Value::String(k->string_value));
        if (i > 0) step(Step::kCharOr);
      }
      return true;
    }
    // `c < "k"`, or `"k" < c` read as `c > "k"`.
    bool flipped = !is_var(*b->left);
    const LiteralExpr* k = StringLiteral(flipped ? *b->left : *b->right);
    if (k == nullptr || !is_var(flipped ? *b->right : *b->left)) return false;
    Step s;
    switch (b->op) {
      case BinaryOp::Lt: s = flipped ? Step::kCharGt : Step::kCharLt; break;
      case BinaryOp::Le: s = flipped ? Step::kCharGe : Step::kCharLe; break;
      case BinaryOp::Gt: s = flipped ? Step::kCharLt : Step::kCharGt; break;
      case BinaryOp::Ge: s = flipped ? Step::kCharLe : Step::kCharGe; break;
      case BinaryOp::Eq: s = Step::kCharEq; break;
      case BinaryOp::Ne: s = Step::kCharNe; break;
      default: return false;
    }
    step(s);
    out.push_back(Value::String(k->string_value));
    return true;
  }

  // `s.split("").filter(c, test).join([sep])` as one kFilterText (LowerOptions::
  // fuse_text_filters); false, emitting nothing, for any other call.
  bool EmitFilterText(const CallExpr& join) {
    if (!options_.fuse_text_filters || !options_.macros || join.function.text != "join" || !join.receiver ||
        join.args.size() > 1 || (join.args.size() == 1 && StringLiteral(*join.args[0]) == nullptr))
      return false;
    const auto* filter = join.receiver->As<CallExpr>();
    if (filter == nullptr || filter->function.text != "filter" || !filter->receiver || filter->args.size() != 2 ||
        filter->args[0]->As<IdentExpr>() == nullptr)
      return false;
    const auto* split = filter->receiver->As<CallExpr>();
    if (split == nullptr || split->function.text != "split" || !split->receiver || split->args.size() != 1) return false;
    const LiteralExpr* empty = StringLiteral(*split->args[0]);
    if (empty == nullptr || !empty->string_value.empty()) return false;
    // `ns.split("")` where `ns.split` names a namespaced builtin is that builtin, not split.
    vm::Builtin b;
    size_t lo = 0, hi = 0;
    if (const auto* ns = split->receiver->As<IdentExpr>();
        ns != nullptr && !IsBound(ns->name.text) && vm::FindBuiltin(ns->name.text + ".split", b, lo, hi))
      return false;
    std::vector<Value> code{Value::String(join.args.empty() ? std::string() : StringLiteral(*join.args[0])->string_value)};
    if (!CharTest(*filter->args[1], filter->args[0]->As<IdentExpr>()->name.text, code)) return false;
    Value text_filter = Value::List(std::move(code));
    if (!vm::TextFilterValid(text_filter)) return false;
    Emit(*split->receiver);
    Add(Op::kFilterText, Const(std::move(text_filter)));
    return true;
  }

  void EmitCall(const CallExpr& c) {
    const std::string& name = c.function.text;
    if (EmitFilterText(c)) return;
    bool macro_name = name == "all" || name == "exists" || name == "exists_one" || name == "map" || name == "filter";
    if (options_.macros && c.receiver && macro_name && !c.args.empty() && c.args[0]->As<IdentExpr>() != nullptr &&
        (c.args.size() == 2 || (name == "map" && c.args.size() == 3))) {
      EmitMacro(c);
      return;
    }
    // cel.bind(name, init, expr): `name` is a local holding `init` inside `expr`.
    if (const auto* cel = c.receiver ? c.receiver->As<IdentExpr>() : nullptr;
        options_.macros && cel != nullptr && cel->name.text == "cel" && name == "bind" && c.args.size() == 3 &&
        !IsBound("cel") && c.args[0]->As<IdentExpr>() != nullptr) {
      uint16_t slot = Locals(1);
      Emit(*c.args[1]);
      Add(Op::kStoreLocal, slot);
      scopes_.emplace_back(c.args[0]->As<IdentExpr>()->name.text, static_cast<int32_t>(slot));
      Emit(*c.args[2]);
      scopes_.pop_back();
      return;
    }
    bool macro2_name = name == "all" || name == "exists" || name == "existsOne" || name == "exists_one" ||
                       name == "transformList" || name == "transformMap";
    if (options_.macros && c.receiver && macro2_name && c.args.size() >= 3 && c.args[0]->As<IdentExpr>() != nullptr &&
        c.args[1]->As<IdentExpr>() != nullptr &&
        (c.args.size() == 3 || (c.args.size() == 4 && name.rfind("transform", 0) == 0))) {
      EmitMacro2(c);
      return;
    }
    if (options_.macros && !c.receiver && name == "has" && c.args.size() == 1) {
      const auto* sel = c.args[0]->As<SelectExpr>();
      if (sel == nullptr) {
        Fail("invalid argument to has() macro");
        return;
      }
      Emit(*sel->operand);
      Add(Op::kHas, Const(Value::String(sel->field.text)));
      return;
    }
    vm::Builtin b;
    size_t lo = 0, hi = 0;
    // A namespaced function (`math.greatest(...)`, `strings.quote(s)`): the receiver is the
    // namespace, unless it names a variable.
    if (const auto* ns = c.receiver ? c.receiver->As<IdentExpr>() : nullptr) {
      std::string qualified = ns->name.text + "." + name;
      if (!IsBound(ns->name.text) && vm::FindBuiltin(qualified, b, lo, hi)) {
        if (c.args.size() < lo || c.args.size() > hi) {
          Fail("no matching overload for '" + qualified + "' with " + std::to_string(c.args.size()) + " arguments");
          return;
        }
        for (const ExprPtr& a : c.args) Emit(*a);
        Add(Op::kCall, static_cast<int32_t>(b), static_cast<uint16_t>(c.args.size()));
        return;
      }
    }
    size_t argc = c.args.size() + (c.receiver ? 1 : 0);
    if (!vm::FindBuiltin(name, b, lo, hi) || name.find('.') != std::string::npos) {
      Fail("no such function: " + name);
      return;
    }
    if (argc < lo || argc > hi) {
      Fail("no matching overload for '" + name + "' with " + std::to_string(argc) + " arguments");
      return;
    }
    if (c.receiver) Emit(*c.receiver);
    for (const ExprPtr& a : c.args) Emit(*a);
    Add(Op::kCall, static_cast<int32_t>(b), static_cast<uint16_t>(argc));
  }

  // The accumulator's start value: true for all, false for exists, 0 for exists_one, [] else.
  void EmitMacroInit(const std::string& name, uint16_t acc) {
    if (name == "all") Add(Op::kConst, Const(Value::Bool(true)));
    else if (name == "exists") Add(Op::kConst, Const(Value::Bool(false)));
    else if (name == "exists_one") Add(Op::kConst, Const(Value::Int(0)));
    else Add(Op::kConst, Const(Value::List({})));
    Add(Op::kStoreLocal, acc);
  }

  // The loop body of all/exists (with early exit) and exists_one; false for other macros.
  bool EmitQuantifierStep(const std::string& name, const Expr& pred, uint16_t acc, std::vector<size_t>& to_done) {
    if (name == "all" || name == "exists") {
      Add(Op::kLoadLocal, acc);
      to_done.push_back(Add(name == "all" ? Op::kJumpIfFalseValue : Op::kJumpIfTrueValue));
      Add(Op::kLoadLocal, acc);
      Emit(pred);
      Add(name == "all" ? Op::kAnd : Op::kOr);
      Add(Op::kStoreLocal, acc);
      return true;
    }
    if (name == "exists_one") {
      Emit(pred);
      Add(Op::kCountStep, acc);
      return true;
    }
    return false;
  }

  // After the loop: the accumulator, compared with 1 for exists_one.
  void EmitMacroResult(const std::string& name, uint16_t acc) {
    Add(Op::kLoadLocal, acc);
    if (name == "exists_one") {
      Add(Op::kConst, Const(Value::Int(1)));
      Add(Op::kEq);
    }
  }

  // range; iter_init; acc = init; loop: iter_next ->done; [exit test]; step; jump loop;
  // done: load acc [== 1]; end:
  void EmitMacro(const CallExpr& c) {
    const std::string& name = c.function.text;
    const std::string& var = c.args[0]->As<IdentExpr>()->name.text;
    uint16_t it = Locals(3);  // the elements, the index, the variable
    uint16_t acc = Locals(1);
    Emit(*c.receiver);
    size_t init = Add(Op::kIterInit, 0, it);
    EmitMacroInit(name, acc);
    int32_t loop = Here();
    size_t next = Add(Op::kIterNext, 0, it);
    std::vector<size_t> to_done;
    scopes_.emplace_back(var, static_cast<int32_t>(it + 2));
    if (EmitQuantifierStep(name, *c.args[1], acc, to_done)) {
      // all, exists, exists_one: done
    } else if (name == "filter") {
      Emit(*c.args[1]);
      Add(Op::kFilterStep, acc, static_cast<uint16_t>(it + 2));
    } else if (c.args.size() == 3) {
      // map(x, p, e): e of the elements for which p holds.
      Emit(*c.args[1]);
      size_t test = Add(Op::kTestBool);
      Add(Op::kJumpIfFalse, loop);
      Emit(*c.args[2]);
      Add(Op::kAppendLocal, acc);
      Add(Op::kJump, loop);
      Patch(test);
      Add(Op::kAppendLocal, acc);  // the predicate's error replaces the list
    } else {
      Emit(*c.args[1]);
      Add(Op::kAppendLocal, acc);
    }
    scopes_.pop_back();
    Add(Op::kJump, loop);
    Patch(next);
    for (size_t d : to_done) Patch(d);
    EmitMacroResult(name, acc);
    Patch(init);
  }

  // The two-variable macros: all(i, v, p), exists, existsOne, transformList(i, v, [p,] e),
  // transformMap(k, v, [p,] e). Over a list the variables are the index and the element, over
  // a map the key and its value.
  void EmitMacro2(const CallExpr& c) {
    std::string name = c.function.text;
    if (name == "existsOne") name = "exists_one";
    const std::string& v1 = c.args[0]->As<IdentExpr>()->name.text;
    const std::string& v2 = c.args[1]->As<IdentExpr>()->name.text;
    uint16_t it = Locals(5);  // the elements, the index, the element, the two variables
    uint16_t acc = Locals(1);
    uint16_t range = Locals(1);
    Emit(*c.receiver);
    Add(Op::kStoreLocal, range);
    Add(Op::kLoadLocal, range);
    size_t init = Add(Op::kIterInit, 0, it);
    EmitMacroInit(name, acc);
    int32_t loop = Here();
    size_t next = Add(Op::kIterNext, 0, it);
    Add(Op::kIterPair, range, it);
    std::vector<size_t> to_done;
    scopes_.emplace_back(v1, static_cast<int32_t>(it + 3));
    scopes_.emplace_back(v2, static_cast<int32_t>(it + 4));
    bool to_map = name == "transformMap";
    if (EmitQuantifierStep(name, *c.args[2], acc, to_done)) {
      // all, exists, exists_one: done
    } else if (c.args.size() == 4) {
      Emit(*c.args[2]);
      size_t test = Add(Op::kTestBool);
      Add(Op::kJumpIfFalse, loop);
      Emit(*c.args[3]);
      if (to_map) Add(Op::kAppendPairLocal, acc, static_cast<uint16_t>(it + 3));
      else Add(Op::kAppendLocal, acc);
      Add(Op::kJump, loop);
      Patch(test);
      Add(Op::kAppendLocal, acc);  // the predicate's error replaces the result
    } else {
      Emit(*c.args[2]);
      if (to_map) Add(Op::kAppendPairLocal, acc, static_cast<uint16_t>(it + 3));
      else Add(Op::kAppendLocal, acc);
    }
    scopes_.pop_back();
    scopes_.pop_back();
    Add(Op::kJump, loop);
    Patch(next);
    for (size_t d : to_done) Patch(d);
    EmitMacroResult(name, acc);
    if (to_map) Add(Op::kPairsToMap);
    Patch(init);
  }

  const std::vector<check::Typed>* types_;
  const LowerOptions& options_;
  vm::Program program_;
  uint32_t next_local_ = 0;
  std::vector<std::pair<std::string, int32_t>> scopes_;
};

}  // namespace

vm::Program Lower(const ast::Expr& expr, const std::vector<check::Typed>* types, const LowerOptions& options) {
  vm::Program program = Lowerer(types, options).Run(expr);
  if (options.optimize) opt::Optimize(program);
  return program;
}

}  // namespace crmx::lower
