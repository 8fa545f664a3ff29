// Helpers for tests of specs: building a spec's plan as `crmxc build` does, and mutating the
// north-star example (examples/acme-salesforce-netsuite/acme.crmx) in memory to compare the
// diagnostics: the example is checked as if at its own path, so its schemas and imports resolve.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "compiler/driver/pipeline.h"
#include "compiler/driver/spec_plan.h"

namespace crmx::testing {

inline const std::string kExample = CRMX_SOURCE_DIR "/examples/acme-salesforce-netsuite/acme.crmx";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using Key = std::tuple<std::string, uint32_t>;  // code, line of the primary span

// Every diagnostic of `text` checked as the example.
inline std::multiset<Key> CheckExample(const std::string& text) {
  driver::Compilation c;
  c.CheckText(kExample, text);
  std::multiset<Key> out;
  for (const diag::Diagnostic& d : c.SortedDiagnostics()) out.insert({std::string(d.code()), d.primary.span.line});
  return out;
}

// The 1-based line of the first occurrence of `needle`.
inline uint32_t LineOf(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  REQUIRE_MESSAGE(at != std::string::npos, "not found in the example: " << needle);
  return static_cast<uint32_t>(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// `text` with the first occurrence of `from` replaced by `to`.
inline std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "the example no longer contains: " << from);
  text.replace(at, from.size(), to);
  return text;
}

inline std::multiset<Key> Minus(const std::multiset<Key>& a, const std::multiset<Key>& b) {
  std::multiset<Key> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// The plan of `spec` (a path), as `crmxc build` builds it; the spec must check without errors.
inline plan::Plan BuildSpecPlanOrFail(const std::string& spec) {
  driver::Compilation comp;
  std::string error;
  REQUIRE_MESSAGE(comp.CheckFile(spec, error), error);
  REQUIRE(comp.sink().error_count() == 0);
  driver::SpecPlan built;
  bool usage = false;
  REQUIRE_MESSAGE(driver::BuildSpecPlan(comp, spec, built, error, usage), error);
  REQUIRE(built.errors.empty());
  return std::move(built.plan);
}

}  // namespace crmx::testing
