// Declares RunWithLargeStack, which the parser and the layout walker (both recursive descent
// over possibly deeply nested input) run on. Internal to compiler/syntax.
#pragma once

#include <functional>

namespace crmx::syntax {

// Runs `fn` on a thread with a large stack (256 MiB reserved, not committed) and waits for it;
// when no thread can be had, runs it here, with the parser's nesting caps as the only guard.
void RunWithLargeStack(const std::function<void()>& fn);

}  // namespace crmx::syntax
