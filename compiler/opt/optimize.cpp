// Defines Optimize() (optimize.h): the passes in their order.
#include "compiler/opt/optimize.h"

#include "compiler/opt/passes.h"
#include "compiler/opt/program_edit.h"

namespace crmx::opt {

OptimizeStats Optimize(vm::Program& program) {
  OptimizeStats stats;
  // Folding first: constants it makes can complete a repeated expression.
  stats.folded = FoldConstants(program);
  stats.shared = ShareCommonSubexpressions(program);
  CompactConstants(program);
  return stats;
}

}  // namespace crmx::opt
