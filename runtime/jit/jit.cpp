// Defines the JIT (jit.h): the stack-height analysis that turns the operand stack into frame
// slots, the LLVM IR each opcode becomes (calls of helpers.h and native branches), and the ORC
// LLJIT that compiles it in this process.
#include "runtime/jit/jit.h"

#include <llvm/ExecutionEngine/JITSymbol.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "runtime/jit/helpers.h"
#include "runtime/vm/stack_effect.h"
#include "runtime/vm/vm.h"

namespace crmx::jit {

namespace {

using vm::Instr;
using vm::Op;
using vm::Program;

std::string ErrorText(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

// The operand-stack height before each pc (-1: unreachable), the height at the end (pc ==
// code.size()) and the largest height; or why the bytecode does not fit the static discipline.
struct Heights {
  std::vector<int32_t> at;
  int32_t end = -1;
  int32_t max = 0;
  std::string problem;
};

Heights Analyze(const Program& p) {
  Heights h;
  const int32_t n = static_cast<int32_t>(p.code.size());
  const int64_t locals = p.local_count;
  h.at.assign(p.code.size(), -1);
  std::vector<int32_t> work;
  auto reach = [&](int32_t pc, int32_t height) {
    if (height < 0) {
      h.problem = "stack";
      return;
    }
    if (height > h.max) h.max = height;
    if (pc < 0 || pc > n) {
      h.problem = "jump";
      return;
    }
    int32_t& slot = pc == n ? h.end : h.at[static_cast<size_t>(pc)];
    if (slot == -1) {
      slot = height;
      if (pc < n) work.push_back(pc);
    } else if (slot != height) {
      h.problem = "stack";
    }
  };
  auto local_ok = [&](int64_t i) { return i >= 0 && i < locals; };
  auto const_text = [&](int32_t i) {
    return i >= 0 && static_cast<size_t>(i) < p.constants.size() &&
           (p.constants[static_cast<size_t>(i)].kind() == value::Kind::kString ||
            p.constants[static_cast<size_t>(i)].kind() == value::Kind::kBytes);
  };
  reach(0, 0);
  if (n == 0) return h;
  while (!work.empty() && h.problem.empty()) {
    int32_t pc = work.back();
    work.pop_back();
    const Instr& in = p.code[static_cast<size_t>(pc)];
    int32_t s = h.at[static_cast<size_t>(pc)];
    int32_t next = pc + 1;
    auto need = [&](int32_t k) {
      if (s < k) h.problem = "stack";
      return s >= k;
    };
    switch (in.op) {
      case Op::kJumpIfFalseKeep:
      case Op::kJumpIfTrueKeep:
      case Op::kTestBool:
        if (need(1)) {
          reach(in.arg, s);
          reach(next, s);
        }
        break;
      case Op::kCoalesce:
        if (need(1)) {
          reach(in.arg, s);
          reach(next, s - 1);
        }
        break;
      case Op::kJump: reach(in.arg, s); break;
      case Op::kJumpIfFalse:
      case Op::kJumpIfFalseValue:
      case Op::kJumpIfTrueValue:
        if (need(1)) {
          reach(in.arg, s - 1);
          reach(next, s - 1);
        }
        break;
      case Op::kIterInit:
        if (!local_ok(in.a + 1)) h.problem = "local";
        if (need(1)) {
          reach(in.arg, s);  // the range's slot holds the error
          reach(next, s - 1);
        }
        break;
      case Op::kIterNext:
        if (!local_ok(in.a + 2)) h.problem = "local";
        reach(in.arg, s);
        reach(next, s);
        break;
      default: {
        if (in.op > Op::kFilterText) {
          h.problem = "opcode " + std::to_string(static_cast<int>(in.op));
          break;
        }
        // What the instruction reads besides the stack (constants, locals), then its stack
        // effect, the same table the optimizer reads (runtime/vm/stack_effect.h).
        switch (in.op) {
          case Op::kConst:
            if (in.arg < 0 || static_cast<size_t>(in.arg) >= p.constants.size()) h.problem = "constant";
            break;
          case Op::kLoadInput:
            if (in.arg < 0) h.problem = "input";
            break;
          case Op::kLoadLocal:
          case Op::kStoreLocal:
          case Op::kAppendLocal:
          case Op::kCountStep:
            if (!local_ok(in.arg)) h.problem = "local";
            break;
          case Op::kFail:
          case Op::kSelect:
          case Op::kHas:
            if (!const_text(in.arg)) h.problem = "constant";
            break;
          case Op::kFilterStep:
          case Op::kAppendPairLocal:
            if (!local_ok(in.arg) || !local_ok(in.a)) h.problem = "local";
            break;
          case Op::kFilterText:
            if (in.arg < 0 || static_cast<size_t>(in.arg) >= p.constants.size() ||
                !vm::TextFilterValid(p.constants[static_cast<size_t>(in.arg)]))
              h.problem = "constant";
            break;
          case Op::kIterPair:
            if (!local_ok(in.arg) || !local_ok(in.a + 4)) h.problem = "local";
            break;
          default: break;
        }
        if ((in.op == Op::kMakeList || in.op == Op::kMakeMap) && in.arg < 0) {
          h.problem = "stack";
          break;
        }
        vm::StackEffect fx = vm::EffectOf(in);
        const auto pops = static_cast<int32_t>(fx.pops), pushes = static_cast<int32_t>(fx.pushes);
        if (need(pops)) reach(next, s - pops + pushes);
        break;
      }
    }
  }
  if (h.problem.empty() && h.end < 0) h.end = 0;  // the program never ends normally (cannot happen)
  return h;
}

void InitLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::atomic<uint64_t> g_function_counter{0};

}  // namespace

struct Jit::Impl {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
};

std::string Stats::Summary() const {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f", compile_ms);
  std::string s = "jit: " + std::to_string(compiled) + " of " + std::to_string(programs) + " programs compiled, " +
                  std::to_string(programs - compiled) + " on the VM";
  if (!on_vm.empty()) {
    s += " (ops:";
    bool first = true;
    for (const auto& [why, count] : on_vm) {
      s += (first ? " " : ", ") + why + " " + std::to_string(count);
      first = false;
    }
    s += ")";
  }
  return s + ", " + ms + " ms";
}

Jit::Jit(std::unique_ptr<Impl> impl, Options options) : impl_(std::move(impl)), options_(std::move(options)) {}
Jit::~Jit() = default;

std::unique_ptr<Jit> Jit::Create(std::string& error, Options options) {
  InitLlvm();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = ErrorText(jtmb.takeError());
    return nullptr;
  }
  // The native code is calls and branches: there is little for the optimizer to do, and
  // `Less` compiles a plan's programs faster than `Default`.
  jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Less);
  auto lljit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!lljit) {
    error = ErrorText(lljit.takeError());
    return nullptr;
  }
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char* name, auto* fn) {
    symbols[(*lljit)->mangleAndIntern(name)] = llvm::JITEvaluatedSymbol(
        llvm::pointerToJITTargetAddress(fn), llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  };
#define CRMX_JIT_HELPER(name) add(#name, &name)
  CRMX_JIT_HELPER(crmx_jit_enter);
  CRMX_JIT_HELPER(crmx_jit_leave);
  CRMX_JIT_HELPER(crmx_jit_const);
  CRMX_JIT_HELPER(crmx_jit_copy);
  CRMX_JIT_HELPER(crmx_jit_move);
  CRMX_JIT_HELPER(crmx_jit_clear);
  CRMX_JIT_HELPER(crmx_jit_binary);
  CRMX_JIT_HELPER(crmx_jit_neg);
  CRMX_JIT_HELPER(crmx_jit_not);
  CRMX_JIT_HELPER(crmx_jit_logic);
  CRMX_JIT_HELPER(crmx_jit_truth);
  CRMX_JIT_HELPER(crmx_jit_pop_truth);
  CRMX_JIT_HELPER(crmx_jit_test_bool);
  CRMX_JIT_HELPER(crmx_jit_coalesce);
  CRMX_JIT_HELPER(crmx_jit_select);
  CRMX_JIT_HELPER(crmx_jit_index);
  CRMX_JIT_HELPER(crmx_jit_make_list);
  CRMX_JIT_HELPER(crmx_jit_make_map);
  CRMX_JIT_HELPER(crmx_jit_call);
  CRMX_JIT_HELPER(crmx_jit_iter_init);
  CRMX_JIT_HELPER(crmx_jit_iter_next);
  CRMX_JIT_HELPER(crmx_jit_append);
  CRMX_JIT_HELPER(crmx_jit_filter_step);
  CRMX_JIT_HELPER(crmx_jit_count_step);
  CRMX_JIT_HELPER(crmx_jit_iter_pair);
  CRMX_JIT_HELPER(crmx_jit_append_pair);
  CRMX_JIT_HELPER(crmx_jit_pairs_to_map);
  CRMX_JIT_HELPER(crmx_jit_filter_text);
  CRMX_JIT_HELPER(crmx_jit_fail);
#undef CRMX_JIT_HELPER
  if (llvm::Error e = (*lljit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    error = ErrorText(std::move(e));
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->lljit = std::move(*lljit);
  return std::unique_ptr<Jit>(new Jit(std::move(impl), std::move(options)));
}

std::string Jit::Uncovered(const vm::Program& program) const {
  for (const Instr& in : program.code) {
    if (options_.leave_out.count(in.op)) return vm::OpName(in.op);
  }
  Heights h = Analyze(program);
  return h.problem;
}

namespace {

// Builds the native function of one program into a module.
class Emitter {
 public:
  explicit Emitter(llvm::Module& m) : m_(m), ctx_(m.getContext()), b_(ctx_) {
    ptr_ = llvm::Type::getInt8PtrTy(ctx_);
    i32_ = llvm::Type::getInt32Ty(ctx_);
    void_ = llvm::Type::getVoidTy(ctx_);
  }

  void Emit(const Program& p, const Heights& h, const std::string& name) {
    auto* fty = llvm::FunctionType::get(void_, {ptr_, ptr_, ptr_, ptr_}, false);
    llvm::Function* f = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, m_);
    f->addFnAttr(llvm::Attribute::UWTable);
    llvm::Value* vm = f->getArg(0);
    llvm::Value* prog = f->getArg(1);
    llvm::Value* inputs = f->getArg(2);
    llvm::Value* out = f->getArg(3);
    const int32_t stack = h.max;
    const int32_t total = std::max<int32_t>(1, stack + static_cast<int32_t>(p.local_count));
    const size_t n = p.code.size();

    llvm::BasicBlock* entry = llvm::BasicBlock::Create(ctx_, "entry", f);
    std::vector<llvm::BasicBlock*> blocks(n, nullptr);
    for (size_t pc = 0; pc < n; ++pc) {
      if (h.at[pc] >= 0) blocks[pc] = llvm::BasicBlock::Create(ctx_, "pc" + std::to_string(pc), f);
    }
    llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx_, "exit", f);
    auto block = [&](size_t pc) { return pc >= n ? exit : blocks[pc]; };

    b_.SetInsertPoint(entry);
    llvm::AllocaInst* slots = b_.CreateAlloca(llvm::Type::getInt8Ty(ctx_), I64(static_cast<uint64_t>(total) * kSize), "slots");
    slots->setAlignment(llvm::Align(alignof(value::Value)));
    Call("crmx_jit_enter", void_, {ptr_, i32_}, {slots, I32(total)});
    b_.CreateBr(block(0));

    auto slot = [&](int64_t i) { return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), slots, static_cast<uint64_t>(i) * kSize); };
    auto local = [&](int64_t i) { return slot(stack + i); };
    auto input = [&](int64_t i) { return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), inputs, static_cast<uint64_t>(i) * kSize); };

    for (size_t pc = 0; pc < n; ++pc) {
      if (!blocks[pc]) continue;
      b_.SetInsertPoint(blocks[pc]);
      const Instr& in = p.code[pc];
      const int64_t s = h.at[pc];
      llvm::BasicBlock* next = block(pc + 1);
      auto branch_if = [&](llvm::Value* cond) {
        b_.CreateCondBr(cond, block(static_cast<size_t>(in.arg)), next);
      };
      auto eq = [&](llvm::Value* v, int32_t k) { return b_.CreateICmpEQ(v, I32(k)); };
      switch (in.op) {
        case Op::kConst: Call("crmx_jit_const", void_, {ptr_, ptr_, i32_}, {slot(s), prog, I32(in.arg)}); break;
        case Op::kLoadInput: Call("crmx_jit_copy", void_, {ptr_, ptr_}, {slot(s), input(in.arg)}); break;
        case Op::kLoadLocal: Call("crmx_jit_copy", void_, {ptr_, ptr_}, {slot(s), local(in.arg)}); break;
        case Op::kStoreLocal: Call("crmx_jit_move", void_, {ptr_, ptr_}, {local(in.arg), slot(s - 1)}); break;
        case Op::kPop: Call("crmx_jit_clear", void_, {ptr_}, {slot(s - 1)}); break;
        case Op::kAdd:
        case Op::kSub:
        case Op::kMul:
        case Op::kDiv:
        case Op::kMod:
        case Op::kEq:
        case Op::kNe:
        case Op::kLt:
        case Op::kLe:
        case Op::kGt:
        case Op::kGe:
        case Op::kIn:
          Call("crmx_jit_binary", void_, {i32_, ptr_, ptr_}, {I32(static_cast<int32_t>(in.op)), slot(s - 2), slot(s - 1)});
          break;
        case Op::kNeg: Call("crmx_jit_neg", void_, {ptr_}, {slot(s - 1)}); break;
        case Op::kNot: Call("crmx_jit_not", void_, {ptr_}, {slot(s - 1)}); break;
        case Op::kAnd:
        case Op::kOr:
          Call("crmx_jit_logic", void_, {i32_, ptr_, ptr_}, {I32(in.op == Op::kAnd ? 1 : 0), slot(s - 2), slot(s - 1)});
          break;
        case Op::kJumpIfFalseKeep:
          branch_if(eq(Call("crmx_jit_truth", i32_, {ptr_}, {slot(s - 1)}), 0));
          continue;
        case Op::kJumpIfTrueKeep:
          branch_if(eq(Call("crmx_jit_truth", i32_, {ptr_}, {slot(s - 1)}), 1));
          continue;
        case Op::kJump: b_.CreateBr(block(static_cast<size_t>(in.arg))); continue;
        case Op::kJumpIfFalse:
        case Op::kJumpIfFalseValue:
          branch_if(eq(Call("crmx_jit_pop_truth", i32_, {ptr_}, {slot(s - 1)}), 0));
          continue;
        case Op::kJumpIfTrueValue:
          branch_if(eq(Call("crmx_jit_pop_truth", i32_, {ptr_}, {slot(s - 1)}), 1));
          continue;
        case Op::kTestBool: branch_if(eq(Call("crmx_jit_test_bool", i32_, {ptr_}, {slot(s - 1)}), 1)); continue;
        case Op::kCoalesce:
          branch_if(eq(Call("crmx_jit_coalesce", i32_, {ptr_, ptr_}, {vm, slot(s - 1)}), 1));
          continue;
        case Op::kSelect:
        case Op::kHas:
          Call("crmx_jit_select", void_, {i32_, ptr_, ptr_, i32_},
               {I32(in.op == Op::kHas ? 1 : 0), slot(s - 1), prog, I32(in.arg)});
          break;
        case Op::kIndex: Call("crmx_jit_index", void_, {ptr_, ptr_}, {slot(s - 2), slot(s - 1)}); break;
        case Op::kMakeList: Call("crmx_jit_make_list", void_, {ptr_, i32_}, {slot(s - in.arg), I32(in.arg)}); break;
        case Op::kMakeMap:
          Call("crmx_jit_make_map", void_, {ptr_, i32_}, {slot(s - 2 * static_cast<int64_t>(in.arg)), I32(in.arg)});
          break;
        case Op::kCall:
          Call("crmx_jit_call", void_, {ptr_, ptr_, i32_, i32_}, {vm, slot(s - in.a), I32(in.a), I32(in.arg)});
          break;
        case Op::kIterInit:
          branch_if(eq(Call("crmx_jit_iter_init", i32_, {ptr_, ptr_}, {slot(s - 1), local(in.a)}), 1));
          continue;
        case Op::kIterNext: branch_if(eq(Call("crmx_jit_iter_next", i32_, {ptr_}, {local(in.a)}), 1)); continue;
        case Op::kAppendLocal: Call("crmx_jit_append", void_, {ptr_, ptr_}, {slot(s - 1), local(in.arg)}); break;
        case Op::kFilterStep:
          Call("crmx_jit_filter_step", void_, {ptr_, ptr_, ptr_}, {slot(s - 1), local(in.arg), local(in.a)});
          break;
        case Op::kCountStep: Call("crmx_jit_count_step", void_, {ptr_, ptr_}, {slot(s - 1), local(in.arg)}); break;
        case Op::kIterPair: Call("crmx_jit_iter_pair", void_, {ptr_, ptr_}, {local(in.arg), local(in.a)}); break;
        case Op::kAppendPairLocal:
          Call("crmx_jit_append_pair", void_, {ptr_, ptr_, ptr_}, {slot(s - 1), local(in.arg), local(in.a)});
          break;
        case Op::kPairsToMap: Call("crmx_jit_pairs_to_map", void_, {ptr_}, {slot(s - 1)}); break;
        case Op::kFilterText:
          Call("crmx_jit_filter_text", void_, {ptr_, ptr_, ptr_, i32_}, {vm, slot(s - 1), prog, I32(in.arg)});
          break;
        case Op::kFail: Call("crmx_jit_fail", void_, {ptr_, ptr_, i32_, i32_}, {slot(s), prog, I32(in.arg), I32(in.a)}); break;
      }
      b_.CreateBr(next);
    }
    b_.SetInsertPoint(exit);
    Call("crmx_jit_leave", void_, {ptr_, ptr_, i32_, i32_, i32_}, {out, slots, I32(h.end), I32(stack), I32(total)});
    b_.CreateRetVoid();
  }

 private:
  static constexpr uint64_t kSize = sizeof(value::Value);

  llvm::Value* I32(int64_t v) { return llvm::ConstantInt::get(i32_, static_cast<uint64_t>(v), true); }
  llvm::Value* I64(uint64_t v) { return llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx_), v); }
  llvm::Value* Call(const char* name, llvm::Type* ret, std::vector<llvm::Type*> params, std::vector<llvm::Value*> args) {
    llvm::FunctionCallee fn = m_.getOrInsertFunction(name, llvm::FunctionType::get(ret, params, false));
    return b_.CreateCall(fn, args);
  }

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  llvm::Type* ptr_;
  llvm::Type* i32_;
  llvm::Type* void_;
};

}  // namespace

bool Jit::Compile(const std::vector<vm::Program*>& programs, std::string& error) {
  auto start = std::chrono::steady_clock::now();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("crmx_jit", *ctx);
  module->setDataLayout(impl_->lljit->getDataLayout());
  Emitter emit(*module);
  std::vector<std::pair<vm::Program*, std::string>> todo;
  for (vm::Program* p : programs) {
    ++stats_.programs;
    if (p->native != nullptr) {  // compiled already (a program shared by two callers)
      ++stats_.compiled;
      continue;
    }
    std::string why;
    for (const Instr& in : p->code) {
      if (options_.leave_out.count(in.op)) {
        why = vm::OpName(in.op);
        break;
      }
    }
    Heights h;
    if (why.empty()) {
      h = Analyze(*p);
      why = h.problem;
    }
    if (!why.empty()) {
      ++stats_.on_vm[why];
      continue;
    }
    std::string name = "crmx_jit_program_" + std::to_string(g_function_counter++);
    emit.Emit(*p, h, name);
    todo.emplace_back(p, name);
  }
  if (!todo.empty()) {
    std::string verify;
    llvm::raw_string_ostream vos(verify);
    if (llvm::verifyModule(*module, &vos)) {
      error = "jit: invalid module: " + vos.str();
      return false;
    }
    if (llvm::Error e = impl_->lljit->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx)))) {
      error = "jit: " + ErrorText(std::move(e));
      return false;
    }
    std::vector<vm::NativeFn> fns;
    for (const auto& [p, name] : todo) {
      auto sym = impl_->lljit->lookup(name);
      if (!sym) {
        error = "jit: " + ErrorText(sym.takeError());
        return false;
      }
      fns.push_back(reinterpret_cast<vm::NativeFn>(static_cast<uintptr_t>(sym->getAddress())));
    }
    for (size_t i = 0; i < todo.size(); ++i) {
      todo[i].first->native = fns[i];
      ++stats_.compiled;
    }
  }
  stats_.compile_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return true;
}

bool Jit::CompilePlan(plan::Plan& plan, std::string& error) {
  std::vector<vm::Program*> programs;
  for (plan::Map& m : plan.maps) {
    for (plan::SharedValue& s : m.shared) programs.push_back(&s.program);
    for (plan::Step& s : m.steps) {
      programs.push_back(&s.program);
      if (s.flag_probe) programs.push_back(&*s.flag_probe);
    }
  }
  for (plan::Sync& s : plan.syncs) {
    for (plan::WhenPart& w : s.when) programs.push_back(&w.program);
  }
  for (plan::Reconcile& r : plan.reconciles) {
    for (plan::ReconcileKey& k : r.keys) {
      programs.push_back(&k.left.program);
      programs.push_back(&k.right.program);
    }
    for (plan::ReconcileRule& x : r.rules) {
      programs.push_back(&x.left.program);
      programs.push_back(&x.right.program);
    }
  }
  for (plan::Alert& a : plan.alerts) {
    for (plan::WhenPart& w : a.when) programs.push_back(&w.program);
  }
  return Compile(programs, error);
}

}  // namespace crmx::jit
