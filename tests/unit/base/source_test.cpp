#include <doctest/doctest.h>

#include "compiler/base/source.h"

using crmx::SourceManager;

TEST_CASE("positions are 1-based lines and byte columns") {
  SourceManager sm;
  auto id = sm.Add("a.crmx", "ab\ncd\n\nx");
  const auto& f = sm.Get(id);
  CHECK(f.LineCount() == 4);
  CHECK(f.Position(0).line == 1);
  CHECK(f.Position(3).line == 2);
  CHECK(f.Position(4).col == 2);
  CHECK(f.LineText(2) == "cd");
  CHECK(f.LineText(3).empty());
  CHECK(f.LineText(4) == "x");
  auto s = f.MakeSpan(3, 8);
  CHECK(s.line == 2);
  CHECK(s.end_line == 4);
  CHECK(s.end_col == 2);
}

TEST_CASE("an unreadable file is an error, not an exception") {
  SourceManager sm;
  std::string err;
  CHECK(sm.Load("/nonexistent/file.crmx", err) == crmx::kNoFile);
  CHECK(err.find("cannot read") != std::string::npos);
}
