// Defines TextTable (text_table.h).
#include "runtime/report/text_table.h"

#include <algorithm>

namespace crmx::report {

std::string TextTable(const std::vector<std::vector<std::string>>& rows, const std::set<size_t>& right,
                      const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], r[c].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      bool last = c + 1 == r.size();
      std::string pad(width[c] - r[c].size(), ' ');
      line += right.count(c) ? pad + r[c] : (last ? r[c] : r[c] + pad);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += indent + line + "\n";
  }
  return out;
}

}  // namespace crmx::report
