// Defines the helpers the JIT's native code calls (helpers.h): one per opcode that does more
// than move values between slots or branch. Each does exactly what VM::Run's case for that
// opcode does to its operand stack and locals (runtime/vm/vm.cpp), on the native frame's slots
// instead, calling the same functions (vm::Add, value::Equal, VM::CallBuiltin...): the results
// are the VM's by construction. Popped slots are left null, as the VM's pop() leaves nothing.
#include "runtime/jit/helpers.h"

#include <new>
#include <string>
#include <utility>
#include <vector>

#include "runtime/vm/vm.h"

namespace crmx::vm {

// VM's friend (vm.h): what native code needs of the VM's private state.
struct JitAccess {
  static void TookFallback(VM& vm) { ++vm.fallbacks_taken_; }
};

}  // namespace crmx::vm

namespace {

using crmx::value::Kind;
using crmx::value::Value;
using crmx::vm::Op;

Value& V(void* p) { return *static_cast<Value*>(p); }
const Value& C(const void* p) { return *static_cast<const Value*>(p); }
const crmx::vm::Program& P(const void* p) { return *static_cast<const crmx::vm::Program*>(p); }

// An operation that took the `n` slots from `s` leaves its value in the first, the others null
// (the frame's invariant: slots above the height are null).
void Settle(Value* s, size_t n, Value result) {
  for (size_t i = 0; i < n; ++i) s[i] = Value();
  s[0] = std::move(result);
}

}  // namespace

extern "C" {

void crmx_jit_enter(void* slots, int32_t n) {
  for (int32_t i = 0; i < n; ++i) new (static_cast<Value*>(slots) + i) Value();
}

void crmx_jit_leave(void* out, void* slots, int32_t height, int32_t locals, int32_t n) {
  Value* s = static_cast<Value*>(slots);
  V(out) = height > 0 ? std::move(s[height - 1]) : Value();
  // The operand slots from `height` to the locals are null: every pop leaves its slot null.
  for (int32_t i = 0; i < height; ++i) s[i].~Value();
  for (int32_t i = locals; i < n; ++i) s[i].~Value();
}

void crmx_jit_const(void* dst, const void* program, int32_t index) {
  V(dst) = P(program).constants[static_cast<size_t>(index)];
}

void crmx_jit_copy(void* dst, const void* src) { V(dst) = C(src); }

void crmx_jit_move(void* dst, void* src) { V(dst) = std::move(V(src)); }

void crmx_jit_clear(void* v) { V(v) = Value(); }

void crmx_jit_binary(int32_t op, void* a_slot, void* b_slot) {
  crmx::vm::ApplyBinary(static_cast<Op>(op), V(a_slot), std::move(V(b_slot)));
}

void crmx_jit_neg(void* a_slot) {
  Value& a = V(a_slot);
  if (!a.IsError()) a = crmx::vm::Negate(a);
}

void crmx_jit_not(void* a_slot) { crmx::vm::ApplyNot(V(a_slot)); }

void crmx_jit_logic(int32_t is_and, void* a_slot, void* b_slot) {
  crmx::vm::ApplyLogic(is_and ? Op::kAnd : Op::kOr, V(a_slot), std::move(V(b_slot)));
}

int32_t crmx_jit_truth(const void* v) {
  const Value& x = C(v);
  return x.IsFalse() ? 0 : x.IsTrue() ? 1 : 2;
}

int32_t crmx_jit_pop_truth(void* v) {
  Value x = std::move(V(v));
  return x.IsFalse() ? 0 : x.IsTrue() ? 1 : 2;
}

int32_t crmx_jit_test_bool(void* v) {
  Value& c = V(v);
  if (c.IsBool()) return 0;
  if (!c.IsError()) c = Value::Error(std::string("no matching overload for '_?_:_' applied to (") + crmx::value::TypeName(c) + ")");
  return 1;
}

int32_t crmx_jit_coalesce(void* vm, void* v) {
  const Value& x = V(v);
  // A hold is not handled by a fallback: it parks the record.
  if ((!x.IsNull() && !x.IsError()) || x.IsHold()) return 1;
  V(v) = Value();
  crmx::vm::JitAccess::TookFallback(*static_cast<crmx::vm::VM*>(vm));
  return 0;
}

void crmx_jit_select(int32_t has, void* a_slot, const void* program, int32_t index) {
  crmx::vm::ApplySelect(has ? Op::kHas : Op::kSelect, V(a_slot), P(program).constants[static_cast<size_t>(index)]);
}

void crmx_jit_index(void* a_slot, void* i_slot) { crmx::vm::ApplyIndex(V(a_slot), std::move(V(i_slot))); }

void crmx_jit_make_list(void* base_slot, int32_t count) {
  Value* s = static_cast<Value*>(base_slot);
  Value result = crmx::vm::MakeList(s, static_cast<size_t>(count));
  Settle(s, static_cast<size_t>(count), std::move(result));
}

void crmx_jit_make_map(void* base_slot, int32_t count) {
  Value* s = static_cast<Value*>(base_slot);
  Value result = crmx::vm::MakeMap(s, static_cast<size_t>(count));
  Settle(s, 2 * static_cast<size_t>(count), std::move(result));
}

void crmx_jit_call(void* vm, void* base_slot, int32_t argc, int32_t builtin) {
  Value* s = static_cast<Value*>(base_slot);
  Value result = static_cast<crmx::vm::VM*>(vm)->Call(static_cast<crmx::vm::Builtin>(builtin), s, static_cast<size_t>(argc));
  Settle(s, static_cast<size_t>(argc), std::move(result));
}

void crmx_jit_filter_text(void* vm, void* top_slot, const void* program, int32_t index) {
  const auto* p = static_cast<const crmx::vm::Program*>(program);
  V(top_slot) = static_cast<crmx::vm::VM*>(vm)->FilterText(V(top_slot), p->constants[static_cast<size_t>(index)]);
}

int32_t crmx_jit_iter_init(void* range_slot, void* locals) {
  Value range = std::move(V(range_slot));
  Value* l = static_cast<Value*>(locals);
  if (range.kind() == Kind::kList) {
    l[0] = std::move(range);
  } else if (range.kind() == Kind::kMap) {
    std::vector<Value> keys;
    keys.reserve(range.AsMap().entries.size());
    for (const auto& e : range.AsMap().entries) keys.push_back(e.first);
    l[0] = Value::List(std::move(keys));
  } else {
    V(range_slot) = range.IsError() ? std::move(range)
                                    : Value::Error(std::string("no matching overload for a macro applied to (") +
                                                   crmx::value::TypeName(range) + ")");
    return 1;
  }
  l[1] = Value::Int(0);
  return 0;
}

int32_t crmx_jit_iter_next(void* locals) {
  Value* l = static_cast<Value*>(locals);
  const auto& items = l[0].AsList();
  int64_t i = l[1].AsInt();
  if (static_cast<size_t>(i) >= items.size()) return 1;
  l[2] = items[static_cast<size_t>(i)];
  l[1] = Value::Int(i + 1);
  return 0;
}

void crmx_jit_append(void* v_slot, void* acc_slot) {
  Value v = std::move(V(v_slot));
  Value& acc = V(acc_slot);
  if (acc.IsError()) return;
  if (v.IsError()) acc = std::move(v);
  else acc.Append(std::move(v));
}

void crmx_jit_filter_step(void* c_slot, void* acc_slot, const void* elem) {
  Value c = std::move(V(c_slot));
  Value& acc = V(acc_slot);
  if (acc.IsError()) return;
  if (c.IsTrue()) acc.Append(C(elem));
  else if (c.IsError()) acc = std::move(c);
  else if (!c.IsBool()) acc = Value::Error(std::string("no matching overload: the predicate of filter is ") + crmx::value::TypeName(c));
}

void crmx_jit_count_step(void* c_slot, void* acc_slot) {
  Value c = std::move(V(c_slot));
  Value& acc = V(acc_slot);
  if (acc.IsError()) return;
  if (c.IsTrue()) acc = Value::Int(acc.AsInt() + 1);
  else if (c.IsError()) acc = std::move(c);
  else if (!c.IsBool()) acc = Value::Error(std::string("no matching overload: the predicate of exists_one is ") + crmx::value::TypeName(c));
}

void crmx_jit_iter_pair(const void* range_local, void* locals) {
  const Value& range = C(range_local);
  Value* l = static_cast<Value*>(locals);
  if (range.kind() == Kind::kMap) {
    const Value* v = range.AsMap().Find(l[2]);
    l[4] = v != nullptr ? *v : Value();
    l[3] = l[2];
  } else {
    l[3] = Value::Int(l[1].AsInt() - 1);
    l[4] = l[2];
  }
}

void crmx_jit_append_pair(void* v_slot, void* acc_slot, const void* key) {
  Value v = std::move(V(v_slot));
  Value& acc = V(acc_slot);
  if (acc.IsError()) return;
  if (v.IsError()) {
    acc = std::move(v);
    return;
  }
  acc.Append(C(key));
  acc.Append(std::move(v));
}

void crmx_jit_pairs_to_map(void* top_slot) {
  Value& top = V(top_slot);
  if (top.kind() != Kind::kList) return;
  const auto& items = top.AsList();
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(items.size() / 2);
  for (size_t i = 0; i + 1 < items.size(); i += 2) entries.emplace_back(items[i], items[i + 1]);
  top = Value::Map(std::move(entries));
}

void crmx_jit_fail(void* dst, const void* program, int32_t index, int32_t hold) {
  const Value& reason = P(program).constants[static_cast<size_t>(index)];
  V(dst) = hold == 1 ? Value::Hold(std::string(reason.AsText())) : Value::Error(std::string(reason.AsText()));
}

}  // extern "C"
