// Defines `crmxc explain CODE`: prints the error-index page docs/errors/CODE.md, embedded
// in the binary (crmx_error_pages), so it works from any directory. Without a code it lists
// every code with its summary. An unknown code is a usage error (exit 2) that names the
// closest codes.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "compiler/diagnostics/diagnostic.h"
#include "compiler/diagnostics/error_pages.h"
#include "compiler/driver/commands.h"

namespace crmx::driver {

namespace {

// "e0004", "E0004", "4" and "0004" all mean E0004.
std::string Normalize(std::string_view code) {
  std::string out;
  for (char c : code) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool digits = !out.empty() && std::all_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && out.size() <= 4) out = "E" + std::string(4 - out.size(), '0') + out;
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int Explain(const std::string& raw) {
  if (raw.empty()) {
    for (const diag::KindInfo& k : diag::AllKinds()) std::cout << k.code << "  " << k.summary << "\n";
    return 0;
  }
  std::string code = Normalize(raw);
  if (auto kind = diag::FindCode(code)) {
    if (auto page = diag::ErrorPage(diag::Info(*kind).code)) {
      std::cout << *page;
      if (!page->empty() && page->back() != '\n') std::cout << "\n";
      return 0;
    }
    // A kind without a page is a build defect (tests/unit/diagnostics guards against it).
    std::cerr << "error: `" << diag::Info(*kind).code << "` (" << diag::Info(*kind).summary
              << ") has no page in the error index\n";
    return 1;
  }
  std::vector<std::pair<size_t, std::string_view>> near;
  for (const diag::KindInfo& k : diag::AllKinds()) near.emplace_back(EditDistance(code, k.code), k.code);
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::cerr << "error: `" << raw << "` is not a crmx diagnostic code\n";
  std::string list;
  for (size_t i = 0; i < near.size() && i < 3 && near[i].first <= 2; ++i)
    list += (list.empty() ? "`" : ", `") + std::string(near[i].second) + "`";
  if (!list.empty()) std::cerr << "  = help: the closest codes are " << list << "\n";
  std::cerr << "  = note: `crmxc explain` with no code lists every code\n";
  return 2;
}

}  // namespace

void RegisterExplain(CLI::App& root, int& exit_code) {
  CLI::App* cmd = root.add_subcommand("explain", "Print the error-index page for a diagnostic code");
  auto code = std::make_shared<std::string>();
  cmd->add_option("code", *code, "A code such as E0004 (case-insensitive); omit to list all codes");
  cmd->callback([code, &exit_code] { exit_code = Explain(*code); });
}

}  // namespace crmx::driver
