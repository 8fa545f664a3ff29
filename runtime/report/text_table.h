// Defines TextTable: rows of cells as a table for people in a terminal, used by the text forms
// of `crmx-run queue`, `crmx-run audit` and `crmx-run report`.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace crmx::report {

// Columns padded to their widest cell (the last one not), two spaces apart, each line prefixed
// with `indent`; columns in `right` aligned right. Trailing spaces are trimmed.
std::string TextTable(const std::vector<std::vector<std::string>>& rows, const std::set<size_t>& right = {},
                      const std::string& indent = "");

}  // namespace crmx::report
