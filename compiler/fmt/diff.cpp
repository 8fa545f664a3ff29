// Defines UnifiedDiff(): Myers' O(ND) shortest edit script over lines, then hunks with three
// lines of context.
#include "compiler/fmt/diff.h"

#include <string_view>
#include <vector>

namespace crmx::fmt {
namespace {

std::vector<std::string_view> SplitLines(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size() - 1;
    lines.push_back(std::string_view(text).substr(start, nl + 1 - start));
    start = nl + 1;
  }
  return lines;
}

enum class Op { Keep, Remove, Add };

// The edit script turning `a` into `b`, one Op per line.
std::vector<Op> EditScript(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = n + m;
  std::vector<int> v(2 * static_cast<size_t>(max) + 2, 0);
  std::vector<std::vector<int>> trace;
  int found_d = -1;
  for (int d = 0; d <= max && found_d < 0; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      size_t ki = static_cast<size_t>(k + max);
      int x = (k == -d || (k != d && v[ki - 1] < v[ki + 1])) ? v[ki + 1] : v[ki - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[static_cast<size_t>(x)] == b[static_cast<size_t>(y)]) ++x, ++y;
      v[ki] = x;
      if (x >= n && y >= m) {
        found_d = d;
        break;
      }
    }
  }
  // Walk back through the saved frontiers.
  std::vector<Op> ops;
  int x = n, y = m;
  for (int d = found_d; d > 0; --d) {
    const std::vector<int>& pv = trace[static_cast<size_t>(d)];
    int k = x - y;
    size_t ki = static_cast<size_t>(k + max);
    int prev_k = (k == -d || (k != d && pv[ki - 1] < pv[ki + 1])) ? k + 1 : k - 1;
    int prev_x = pv[static_cast<size_t>(prev_k + max)];
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      ops.push_back(Op::Keep);
      --x, --y;
    }
    if (x == prev_x) ops.push_back(Op::Add);
    else ops.push_back(Op::Remove);
    x = prev_x, y = prev_y;
  }
  while (x > 0 && y > 0) {
    ops.push_back(Op::Keep);
    --x, --y;
  }
  return std::vector<Op>(ops.rbegin(), ops.rend());
}

void AppendLine(std::string& out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string UnifiedDiff(const std::string& path, const std::string& before, const std::string& after) {
  if (before == after) return std::string();
  std::vector<std::string_view> a = SplitLines(before), b = SplitLines(after);
  std::vector<Op> ops = EditScript(a, b);
  constexpr size_t kContext = 3;
  std::string out = "--- a/" + path + "\n+++ b/" + path + "\n";
  // Positions (in a and b) at the start of each op.
  std::vector<size_t> ai(ops.size() + 1), bi(ops.size() + 1);
  for (size_t i = 0; i < ops.size(); ++i) {
    ai[i + 1] = ai[i] + (ops[i] != Op::Add);
    bi[i + 1] = bi[i] + (ops[i] != Op::Remove);
  }
  size_t i = 0;
  while (i < ops.size()) {
    if (ops[i] == Op::Keep) {
      ++i;
      continue;
    }
    // A hunk: from kContext lines before this change to kContext lines after the last change
    // that is closer than 2 * kContext lines to the one before it.
    size_t start = i >= kContext ? i - kContext : 0;
    size_t end = i;
    size_t j = i;
    while (j < ops.size()) {
      if (ops[j] != Op::Keep) {
        end = j + 1;
        ++j;
        continue;
      }
      size_t run = j;
      while (run < ops.size() && ops[run] == Op::Keep) ++run;
      if (run == ops.size() || run - j > 2 * kContext) break;
      j = run;
    }
    end = std::min(ops.size(), end + kContext);
    size_t a_len = ai[end] - ai[start], b_len = bi[end] - bi[start];
    out += "@@ -" + std::to_string(a_len == 0 ? ai[start] : ai[start] + 1) + "," + std::to_string(a_len) + " +" +
           std::to_string(b_len == 0 ? bi[start] : bi[start] + 1) + "," + std::to_string(b_len) + " @@\n";
    for (size_t k = start; k < end; ++k) {
      if (ops[k] == Op::Keep) AppendLine(out, ' ', a[ai[k]]);
      else if (ops[k] == Op::Remove) AppendLine(out, '-', a[ai[k]]);
      else AppendLine(out, '+', b[bi[k]]);
    }
    i = end;
  }
  return out;
}

}  // namespace crmx::fmt
