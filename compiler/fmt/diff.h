// Defines UnifiedDiff(): the line diff `crmxc fmt --check` and `--diff` print, in the unified
// format of `diff -u` (Myers' algorithm, three lines of context).
#pragma once

#include <string>

namespace crmx::fmt {

// The unified diff from `before` to `after`, labelled `a/<path>` and `b/<path>`; empty when
// the texts are equal.
std::string UnifiedDiff(const std::string& path, const std::string& before, const std::string& after);

}  // namespace crmx::fmt
