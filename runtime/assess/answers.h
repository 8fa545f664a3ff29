// Defines the answers file of `crmx-run assess` (docs/assess.md, "The answers file";
// docs/assess-answers.example.yaml): what crmx cannot measure and the user answers, in YAML. The
// rubric's governance and hygiene criteria, the system and organisational readiness answers, and
// the ROI inputs. "SoR decisions made" is not an answer: the spec gives it (score.h,
// SorDecisionsPercent).
//
// A readiness answer is a number from 0 to 100 or a named level (full / partial / none, ...:
// kLevels in answers.cpp and the docs list them with their numbers). A rate is a number from 0 to
// 1 or a percentage ("90%"). Every problem of a file is reported at once, each as
// `FILE:LINE:COL: message` naming the key path (`system.sandbox`) and what was expected; an
// unknown key names the closest known one.
#pragma once

#include <optional>
#include <string>

#include "runtime/assess/score.h"

namespace crmx::assess {

// One readiness answer: its 0-100 score and how it was written ("full", "80").
struct Level {
  double score = 0;
  std::string answer;
};

struct SystemAnswers {
  Level api_availability;  // full 100, partial 50, none 0
  Level documentation;     // complete 100, partial 50, none 0
  Level sandbox;           // full 100, partial 50, none 0
};

struct OrganisationAnswers {
  Level executive_sponsorship;     // active 100, nominal 50, none 0
  Level stakeholder_availability;  // dedicated 100, part_time 50, none 0
};

struct RoiAnswers {
  double minutes_per_entry = 0;        // >= 0
  std::optional<double> automation_rate;  // 0-1; absent: from the dry run
  double blended_hourly_rate = 0;      // >= 0, money an hour
  double error_rate = 0;               // 0-1
  double cost_per_error = 0;           // >= 0, money
  double annual_integration_cost = 0;  // > 0, money a year
  std::optional<double> records_per_month;  // >= 0; absent: from the data (closed-won a month)
};

struct Answers {
  std::string file;  // where they came from
  Governance governance = Governance::kNone;
  Hygiene hygiene = Hygiene::kNone;
  SystemAnswers system;
  OrganisationAnswers organisation;
  RoiAnswers roi;
};

// Reads the answers file at `path`. False with `error` (every problem, one a line) when the file
// cannot be read, is not YAML, or a key is missing, unknown, repeated or has a value out of range.
bool LoadAnswers(const std::string& path, Answers& out, std::string& error);
// The same from YAML text; `file` names it in messages.
bool ParseAnswers(const std::string& yaml, const std::string& file, Answers& out, std::string& error);

// The RoiInput of score.h from the answers and what was measured: `records_per_month` and
// `automation_rate` are used unless the answers give their own.
RoiInput MakeRoiInput(const RoiAnswers& answers, double measured_records_per_month, double measured_automation_rate);

}  // namespace crmx::assess
