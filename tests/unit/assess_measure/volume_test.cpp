// Tests the sync-volume estimate of `crmx-run assess` (runtime/assess/assessment.h,
// EstimateCalls; docs/assess.md, "Sync volume against the budget") and the vendors' default
// daily budgets.
#include <doctest/doctest.h>

#include "runtime/assess/assessment.h"
#include "runtime/assess/score.h"

namespace crmx::assess {
namespace {

SyncVolume Sync(double runs, double new_per_day, double updated_per_day, double share, int64_t read_batch,
                int64_t write_batch, size_t relations = 0) {
  SyncVolume s;
  s.runs_per_day = runs;
  s.new_per_day = new_per_day;
  s.updated_per_day = updated_per_day;
  s.written_share = share;
  s.read_batch = read_batch;
  s.write_batch = write_batch;
  s.relations = relations;
  EstimateCalls(s);
  return s;
}

TEST_CASE("a record-at-a-time sync is the seed's multiplier of 2: (20 + 150) x 2 = 340") {
  // Each change comes in a run of its own (170 runs a day), read in one call, written in one.
  SyncVolume s = Sync(170, 20, 150, 1.0, 2000, 1);
  CHECK(s.read_calls_per_day == 170);
  CHECK(s.write_calls_per_day == 170);
  CHECK(s.read_calls_per_day + s.write_calls_per_day == SyncCallsPerDay(20, 150, 2));
}

TEST_CASE("a polled sync reads at least once a run, however few the changes") {
  SyncVolume s = Sync(1440, 0, 1.2, 0.5, 2000, 1);
  CHECK(s.read_calls_per_day == 1440);
  // Fewer writes than runs: each in a call of its own.
  CHECK(s.write_calls_per_day == doctest::Approx(0.6));
  SyncVolume quiet = Sync(1440, 0, 0, 1.0, 2000, 200);
  CHECK(quiet.read_calls_per_day == 1440);
  CHECK(quiet.write_calls_per_day == 0);
}

TEST_CASE("batches: pages of read_batch, calls of write_batch, per run") {
  // 24 runs a day, 48,000 changes a day: 2,000 a run, read in 1 page of 2,000, 2 of 1,000.
  CHECK(Sync(24, 40000, 8000, 1.0, 2000, 200).read_calls_per_day == 24);
  CHECK(Sync(24, 40000, 8000, 1.0, 1000, 200).read_calls_per_day == 48);
  CHECK(Sync(24, 40000, 8001, 1.0, 1000, 200).read_calls_per_day == 72);  // 2,000.04 a run: 3 pages
  // Writes: 2,000 a run in calls of 200 is 10 a run; half written, 5.
  CHECK(Sync(24, 40000, 8000, 1.0, 2000, 200).write_calls_per_day == 240);
  CHECK(Sync(24, 40000, 8000, 0.5, 2000, 200).write_calls_per_day == 120);
  // A written share outside 0-1 is taken within it.
  CHECK(Sync(24, 40000, 8000, 7.0, 2000, 200).write_calls_per_day == 240);
}

TEST_CASE("related objects: read once per page, or once per change when changes are sparse") {
  CHECK(Sync(24, 48000, 0, 1.0, 2000, 200, 2).read_calls_per_day == 24 + 2 * 24);
  CHECK(Sync(1440, 0, 1.2, 1.0, 2000, 1, 2).read_calls_per_day == doctest::Approx(1440 + 2 * 1.2));
}

TEST_CASE("no runs, no calls; an unset batch takes the connectors' defaults") {
  SyncVolume none = Sync(0, 10, 10, 1.0, 2000, 200);
  CHECK(none.read_calls_per_day == 0);
  CHECK(none.write_calls_per_day == 0);
  // read 1,000 and write 100 by default: 2,400 a run.
  CHECK(Sync(1, 2400, 0, 1.0, 0, 0).read_calls_per_day == 3);
  CHECK(Sync(1, 2400, 0, 1.0, 0, 0).write_calls_per_day == 24);
}

TEST_CASE("the vendors' documented daily budgets") {
  CHECK(VendorDailyBudget("salesforce")->first == 100000);
  CHECK(VendorDailyBudget("hubspot")->first == 250000);
  CHECK(VendorDailyBudget("xero")->first == 5000);
  CHECK(VendorDailyBudget("quickbooks")->first == 500.0 * 1440);
  CHECK_FALSE(VendorDailyBudget("netsuite").has_value());
  CHECK_FALSE(VendorDailyBudget("sap").has_value());
  CHECK_FALSE(VendorDailyBudget("oracle").has_value());
  CHECK(VendorDailyBudget("xero")->second.find("5,000") != std::string::npos);
}

}  // namespace
}  // namespace crmx::assess
