// Declares the helpers the JIT's native code calls (helpers.cpp): plain C functions over the
// native frame's Value slots (void* = value::Value*), one per opcode that does real work. Each
// does what VM::Run does for that opcode (runtime/vm/vm.cpp) with the same vm:: and value::
// functions. Those that decide a branch return 1 to jump, 0 to fall through; crmx_jit_truth /
// crmx_jit_pop_truth return 0 for false, 1 for true, 2 for anything else.
#pragma once

#include <cstdint>

extern "C" {
void crmx_jit_enter(void* slots, int32_t n);
// Moves the value on top (slot height - 1) to `out` and ends the slots' lifetimes: those below
// `height` and the locals (from slot `locals` to n); the others are null.
void crmx_jit_leave(void* out, void* slots, int32_t height, int32_t locals, int32_t n);
void crmx_jit_const(void* dst, const void* program, int32_t index);
void crmx_jit_copy(void* dst, const void* src);
void crmx_jit_move(void* dst, void* src);
void crmx_jit_clear(void* v);
void crmx_jit_binary(int32_t op, void* a_slot, void* b_slot);
void crmx_jit_neg(void* a_slot);
void crmx_jit_not(void* a_slot);
void crmx_jit_logic(int32_t is_and, void* a_slot, void* b_slot);
int32_t crmx_jit_truth(const void* v);
int32_t crmx_jit_pop_truth(void* v);
int32_t crmx_jit_test_bool(void* v);
int32_t crmx_jit_coalesce(void* vm, void* v);
void crmx_jit_select(int32_t has, void* a_slot, const void* program, int32_t index);
void crmx_jit_index(void* a_slot, void* i_slot);
void crmx_jit_make_list(void* base_slot, int32_t count);
void crmx_jit_make_map(void* base_slot, int32_t count);
void crmx_jit_call(void* vm, void* base_slot, int32_t argc, int32_t builtin);
int32_t crmx_jit_iter_init(void* range_slot, void* locals);
int32_t crmx_jit_iter_next(void* locals);
void crmx_jit_append(void* v_slot, void* acc_slot);
void crmx_jit_filter_step(void* c_slot, void* acc_slot, const void* elem);
void crmx_jit_count_step(void* c_slot, void* acc_slot);
void crmx_jit_iter_pair(const void* range_local, void* locals);
void crmx_jit_append_pair(void* v_slot, void* acc_slot, const void* key);
void crmx_jit_pairs_to_map(void* top_slot);
void crmx_jit_filter_text(void* vm, void* top_slot, const void* program, int32_t index);
void crmx_jit_fail(void* dst, const void* program, int32_t index, int32_t hold);
}
