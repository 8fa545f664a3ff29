// Tests the answers file (runtime/assess/answers.h): the example of docs/ reproduces the seed's
// system (88) and organisation (56) scores; named levels, numbers and percentages; and each kind
// of bad file in answers/*.yaml, whose `# expect: LINE:COL: message` lines are the exact messages
// it must produce, in order, and no others.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/assess/answers.h"
#include "runtime/assess/score.h"

namespace {

namespace fs = std::filesystem;
using namespace crmx::assess;

const fs::path kSource = CRMX_SOURCE_DIR;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_CASE("the example answers file reproduces the seed's system 88 and organisation 56") {
  Answers a;
  std::string error;
  REQUIRE_MESSAGE(LoadAnswers((kSource / "docs/assess-answers.example.yaml").string(), a, error), error);
  CHECK(a.governance == Governance::kInformal);
  CHECK(a.hygiene == Hygiene::kManualQuarterly);
  CHECK(a.system.api_availability.score == 100);
  CHECK(a.system.api_availability.answer == "full");
  CHECK(a.system.documentation.score == 80);
  CHECK(a.system.sandbox.score == 80);
  CHECK(a.organisation.executive_sponsorship.score == 50);
  CHECK(a.organisation.executive_sponsorship.answer == "nominal");
  CHECK(a.organisation.stakeholder_availability.score == 60);
  CHECK(SystemReadiness(a.system.api_availability.score, a.system.documentation.score, a.system.sandbox.score) == 88);
  CHECK(OrganisationalReadiness(a.organisation.executive_sponsorship.score, SorDecisionsPercent(6, 10),
                                a.organisation.stakeholder_availability.score) == 56);
  // The ROI answers with the seed's 500 records a month (from the data): its $47,400.
  REQUIRE(a.roi.automation_rate.has_value());
  CHECK(*a.roi.automation_rate == 0.9);
  CHECK(a.roi.error_rate == 0.05);
  CHECK_FALSE(a.roi.records_per_month.has_value());
  Roi roi = ScoreRoi(MakeRoiInput(a.roi, 500, 0.5));
  CHECK(roi.hours_saved_per_month == 60);
  CHECK(roi.annual_savings == 32400);
  CHECK(roi.error_cost_avoided == 15000);
  CHECK(roi.annual_benefit == 47400);
}

TEST_CASE("the answers examples of docs/assess.md parse") {
  std::ifstream in(kSource / "docs/assess.md");
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<std::string> blocks;
  bool inside = false;
  for (const auto& line : Lines(text.str())) {
    if (!inside && line == "```yaml answers") {
      inside = true;
      blocks.emplace_back();
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      blocks.back() += line + "\n";
    }
  }
  REQUIRE_FALSE(blocks.empty());
  for (const auto& block : blocks) {
    Answers a;
    std::string error;
    CHECK_MESSAGE(ParseAnswers(block, "docs/assess.md", a, error), error);
  }
}

const char* kMinimal = R"(governance: none
hygiene: automated
system: {api_availability: partial, documentation: none, sandbox: 12.5}
organisation: {executive_sponsorship: active, stakeholder_availability: part_time}
roi:
  minutes_per_entry: 2.5
  blended_hourly_rate: 60
  error_rate: 0.02
  cost_per_error: 0
  annual_integration_cost: 1e4
  records_per_month: 1200
)";

TEST_CASE("levels, numbers, optional keys and what the data supplies") {
  Answers a;
  std::string error;
  REQUIRE_MESSAGE(ParseAnswers(kMinimal, "answers.yaml", a, error), error);
  CHECK(a.file == "answers.yaml");
  CHECK(a.governance == Governance::kNone);
  CHECK(a.hygiene == Hygiene::kAutomated);
  CHECK(a.system.api_availability.score == 50);
  CHECK(a.system.documentation.score == 0);
  CHECK(a.system.sandbox.score == 12.5);
  CHECK(a.system.sandbox.answer == "12.5");
  CHECK(a.organisation.executive_sponsorship.score == 100);
  CHECK(a.organisation.stakeholder_availability.score == 50);
  CHECK(a.roi.minutes_per_entry == 2.5);
  CHECK(a.roi.annual_integration_cost == 10000);
  CHECK_FALSE(a.roi.automation_rate.has_value());
  REQUIRE(a.roi.records_per_month.has_value());
  // The answers' records a month win over the measured ones; the dry run's automation rate is used
  // because the answers give none.
  RoiInput in = MakeRoiInput(a.roi, 999, 0.75);
  CHECK(in.records_per_month == 1200);
  CHECK(in.automation_rate == 0.75);
  CHECK(in.blended_hourly_rate == 60);
}

TEST_CASE("a percentage rate is divided by 100") {
  std::string text = kMinimal;
  text.replace(text.find("error_rate: 0.02"), 16, "error_rate: 2.5%");
  Answers a;
  std::string error;
  REQUIRE_MESSAGE(ParseAnswers(text, "answers.yaml", a, error), error);
  CHECK(a.roi.error_rate == 0.025);
}

TEST_CASE("a file that cannot be read") {
  Answers a;
  std::string error;
  CHECK_FALSE(LoadAnswers("/nonexistent/answers.yaml", a, error));
  CHECK(error == "/nonexistent/answers.yaml: cannot read the answers file (No such file or directory)");
}

TEST_CASE("each bad answers file gives exactly its expected messages") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSource / "tests/unit/assess_score/answers")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  // missing key and section, bad level, bad choice, unknown keys, bad numbers, repeated key,
  // wrong shapes, not YAML, empty, not a map.
  CHECK(files.size() >= 11);
  for (const auto& file : files) {
    CAPTURE(file.string());
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    std::vector<std::string> expected;
    for (const auto& line : Lines(text.str())) {
      if (line.starts_with("# expect: ")) expected.push_back(line.substr(10));
    }
    REQUIRE_FALSE(expected.empty());

    Answers a;
    a.file = "left over";
    std::string error;
    CHECK_FALSE(LoadAnswers(file.string(), a, error));
    // A failed read leaves nothing half-filled.
    CHECK(a.file.empty());
    std::vector<std::string> got;
    std::string prefix = file.string() + ":";
    for (const auto& line : Lines(error)) {
      REQUIRE(line.starts_with(prefix));
      std::string rest = line.substr(prefix.size());
      // "FILE:L:C: message" or, for the whole file, "FILE: message".
      if (rest.starts_with(" ")) rest = rest.substr(1);
      got.push_back(rest);
    }
    CHECK(got == expected);
  }
}

}  // namespace
