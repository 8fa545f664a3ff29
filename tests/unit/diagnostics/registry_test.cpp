// Tests the registry around the renderers: the error index covers kinds.def exactly,
// FindCode is case-insensitive, and the sink caps errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "compiler/diagnostics/diagnostic.h"
#include "compiler/diagnostics/error_pages.h"

using namespace crmx::diag;

TEST_CASE("every kind has an error page and every page a kind") {
  std::set<std::string> kinds;
  for (const KindInfo& k : AllKinds()) kinds.insert(std::string(k.code));
  std::set<std::string> embedded;
  for (std::string_view c : ErrorPageCodes()) embedded.insert(std::string(c));
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::directory_iterator(CRMX_SOURCE_DIR "/docs/errors")) {
    if (e.path().extension() == ".md") on_disk.insert(e.path().stem().string());
  }
  CHECK(embedded == kinds);
  CHECK(on_disk == kinds);
  for (const KindInfo& k : AllKinds()) {
    CAPTURE(k.code);
    auto page = ErrorPage(k.code);
    REQUIRE(page.has_value());
    // The title line repeats the code and the registry summary.
    std::string title = "# " + std::string(k.code) + ": ";
    CHECK(page->substr(0, title.size()) == title);
    CHECK(page->find("```crmx") != std::string_view::npos);
  }
  CHECK_FALSE(ErrorPage("E9999").has_value());
}

TEST_CASE("FindCode ignores case and rejects unknown codes") {
  CHECK(FindCode("E0004") == Kind::AssignInCondition);
  CHECK(FindCode("e0004") == Kind::AssignInCondition);
  CHECK(FindCode("e0101") == Kind::NoSync);
  CHECK_FALSE(FindCode("E9999").has_value());
  CHECK_FALSE(FindCode("E004").has_value());
  CHECK_FALSE(FindCode("").has_value());
}

TEST_CASE("the sink stops at the cap with one E0009 and still fails the run") {
  crmx::SourceManager sm;
  auto id = sm.Add("a.crmx", "integration a\n");
  auto span = sm.Get(id).MakeSpan(0, 1);
  DiagnosticSink sink(3);
  for (int i = 0; i < 10; ++i) sink.Report(Make(Kind::UnexpectedToken, span, "unexpected `x`"));
  Diagnostic w = Make(Kind::UnexpectedToken, span, "a warning");
  w.severity = Severity::Warning;
  sink.Report(w);
  CHECK(sink.capped());
  CHECK(sink.has_errors());
  REQUIRE(sink.diagnostics().size() == 5);
  CHECK(sink.diagnostics()[3].kind == Kind::TooManyErrors);
  CHECK(sink.diagnostics()[4].severity == Severity::Warning);
  CHECK(sink.error_count() == 4);
  CHECK(sink.warning_count() == 1);
  sink.SortByPosition();
  CHECK(sink.diagnostics().back().kind == Kind::TooManyErrors);
}
