// Defines the program edits of the optimizer (program_edit.h).
#include "compiler/opt/program_edit.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "compiler/opt/program_analysis.h"

namespace crmx::opt {

namespace {

constexpr size_t kNowhere = SIZE_MAX;

bool UsesConstant(vm::Op op) {
  return op == vm::Op::kConst || op == vm::Op::kSelect || op == vm::Op::kHas || op == vm::Op::kFail ||
         op == vm::Op::kFilterText;
}

}  // namespace

void ApplyEdits(vm::Program& p, std::vector<Edit> edits) {
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const size_t n = p.code.size();
  std::vector<size_t> land(n + 1, kNowhere);  // per old position: where a jump to it lands now
  std::vector<vm::Instr> code;
  std::vector<bool> from_old;  // per new instruction: copied from the old code (its jump needs retargeting)
  size_t e = 0;
  for (size_t i = 0; i <= n;) {
    while (e < edits.size() && edits[e].begin == i && edits[e].end == i) {
      code.insert(code.end(), edits[e].code.begin(), edits[e].code.end());
      from_old.resize(code.size(), false);
      ++e;
    }
    land[i] = code.size();
    if (e < edits.size() && edits[e].begin == i) {
      code.insert(code.end(), edits[e].code.begin(), edits[e].code.end());
      from_old.resize(code.size(), false);
      i = edits[e].end;
      ++e;
      continue;
    }
    if (i < n) {
      code.push_back(p.code[i]);
      from_old.push_back(true);
    }
    ++i;
  }
  for (size_t k = 0; k < code.size(); ++k) {
    if (!from_old[k] || !IsJump(code[k].op)) continue;
    size_t target = static_cast<size_t>(code[k].arg);
    if (target > n || land[target] == kNowhere) {
      // A pass replaced a run a jump lands inside: the analysis promised that never happens.
      std::fprintf(stderr, "crmxc: internal error: optimizer edit cut a jump target (%zu)\n", target);
      std::abort();
    }
    code[k].arg = static_cast<int32_t>(land[target]);
  }
  p.code = std::move(code);
}

void CompactConstants(vm::Program& p) {
  std::vector<value::Value> pool;
  std::map<std::string, int32_t> by_key;
  std::map<int32_t, int32_t> moved;
  for (vm::Instr& in : p.code) {
    if (!UsesConstant(in.op)) continue;
    auto it = moved.find(in.arg);
    if (it != moved.end()) {
      in.arg = it->second;
      continue;
    }
    const value::Value& c = p.constants[static_cast<size_t>(in.arg)];
    std::optional<std::string> key = ExactKey(c);
    int32_t to = static_cast<int32_t>(pool.size());
    if (key && by_key.count(*key)) {
      to = by_key[*key];
    } else {
      pool.push_back(c);
      if (key) by_key[*key] = to;
    }
    moved[in.arg] = to;
    in.arg = to;
  }
  p.constants = std::move(pool);
}

}  // namespace crmx::opt
