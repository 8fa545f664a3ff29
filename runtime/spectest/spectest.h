// Defines the spec test runner: runs the tests a plan carries (plan::SpecTest, built from the
// spec's `test` blocks) and checks their expectations. The runtime entry point behind
// `crmxc test` (compiler/driver/cmd_test.cpp); it never links the compiler.
//
// Each test runs the whole plan exactly as crmx-run does, with engine::Run (every map, in plan
// order, `when`, `require`, `hold`, `ref`, flags), on in-memory systems (memory_connector.h)
// that hold that test's `given` records and nothing else. Queued records and flags come back
// through an engine::QueueSink; written records from the connectors. Then each expectation:
// - `expect SYSTEM.OBJECT { f: v, ... }`: some record written to SYSTEM.OBJECT has these
//   values for the listed fields (other fields are not compared; numbers by value across
//   kinds, so 92000.00 == 92000.0, lists and maps element by element);
// - `expect exception "R"`: some record went to the data-quality queue (a `require` failed)
//   or the error queue with the reason R;
// - `expect hold "R"`: some record was held with the reason R;
// - `expect flag "L"`: some written record carries the flag L;
// - `expect skipped`: some record was skipped by a sync's `when`.
// Without a reason or label, any matches. `expect no ...` / `expect not ...` (negated) hold when
// nothing matches; a failure shows the record that did match. `expect won ...` (the given record
// named `won`) counts only what happened to that record: the engine tells the sink where each
// written, queued or skipped record was read (the memory reader's object and position), which
// is how a given record is recognised. A test's `now "..."` is the run's clock (now(), today()).
// A test with no expectation fails: it asserts nothing.
#pragma once

#include <string>
#include <vector>

#include "runtime/plan/plan.h"

namespace crmx::spectest {

// One field where the closest written record differs from an `expect SYSTEM.OBJECT { ... }`.
struct FieldDiff {
  std::string field;
  std::string expected;  // the value as a spec writes it: "EUR" (quoted), 92000.00, null
  std::string got;       // likewise; "(not written)" when the map does not write the field
};

struct ExpectationResult {
  std::string expectation;  // the expectation as written: `expect exception "missing Name"`
  bool passed = false;
  std::string message;            // failed: what did not hold
  std::vector<FieldDiff> diff;    // failed record expectation: the closest record's differences
};

struct TestResult {
  std::string name;
  bool passed = false;
  std::string error;  // the test could not run or asserts nothing ("" otherwise)
  std::vector<ExpectationResult> expectations;
  // What happened to the records, in run order: "account_to_customer: written erp.Customer
  // 0015e00000XyZ12AAB", "... data-quality: missing Name", "... skipped 1: StageName is not
  // Closed Won". Shown for failed tests.
  std::vector<std::string> happened;
};

struct Options {
  std::string filter;  // run only the tests whose name contains this ("" : all)
};

// Runs the tests of `plan` that pass the filter, in plan order.
std::vector<TestResult> RunSpecTests(const plan::Plan& plan, const Options& options);

// A value as a spec writes it: strings quoted and escaped, decimals with their digits
// (92000.00), lists and maps of those.
std::string ShowValue(const value::Value& v);

}  // namespace crmx::spectest
