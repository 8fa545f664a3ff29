// Tests of the weekly data-quality report as a pure computation (runtime/report/data_quality.h):
// stays entering and leaving at exact week boundaries, records still open, a record that comes
// back (two stays), the 20% target's boundary (exactly 20% less meets it), an empty queue week
// (0 -> 0 meets it, no change in %), the weeks not judged (baseline, no runs), how those that
// left are told apart, the tallies by reason and field, --since's forms, and the weekly
// identity open at end = open at start + entered - left against a brute force over many stays.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "runtime/report/data_quality.h"

namespace {

using namespace crmx::report;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kWeek = 7 * kDay;
// 2026-12-06T12:00:00Z
constexpr int64_t kNow = 1796558400;

Stay S(int64_t entered, std::optional<int64_t> left = std::nullopt, Left how = Left::kFixed,
       std::vector<std::string> reasons = {"missing Name"}, std::vector<std::string> fields = {"Name"},
       std::string map = "account_to_customer") {
  Stay s;
  s.map = std::move(map);
  s.record_id = "001";
  s.reasons = std::move(reasons);
  s.fields = std::move(fields);
  s.entered = entered;
  if (left) {
    s.left = *left;
    s.how = how;
  }
  return s;
}

Options Weeks(int n, int64_t now = kNow) {
  Options o;
  o.now = now;
  o.weeks = n;
  return o;
}

// The first run long before the period: every week judged.
constexpr int64_t kEarly = kNow - 100 * kWeek;

}  // namespace

TEST_CASE("weeks end at now and go back 7 days each; TimeText is RFC 3339 UTC") {
  DataQualityReport r = Compute({}, {}, kEarly, 1, Weeks(4));
  REQUIRE(r.weeks.size() == 4);
  CHECK(r.from == kNow - 4 * kWeek);
  CHECK(r.weeks.back().end == kNow);
  CHECK(r.weeks.front().start == r.from);
  for (size_t i = 1; i < r.weeks.size(); ++i) CHECK(r.weeks[i].start == r.weeks[i - 1].end);
  CHECK(TimeText(kNow) == "2026-12-06T12:00:00Z");
}

TEST_CASE("a stay entering at exactly a week's end is that week's, open at its end; leaving at exactly a week's end "
          "is that week's, not open at its end") {
  int64_t b1 = kNow - 2 * kWeek;  // the end of week 1 of 3 (the start of week 2)
  int64_t b2 = kNow - kWeek;      // the end of week 2
  std::vector<Stay> stays = {S(b1, b2)};
  DataQualityReport r = Compute(stays, {}, kEarly, 1, Weeks(3));
  REQUIRE(r.weeks.size() == 3);
  // Week 1 (b1 - 7d, b1]: entered at its end, open at its end.
  CHECK(r.weeks[0].entered == 1);
  CHECK(r.weeks[0].open_start == 0);
  CHECK(r.weeks[0].open_end == 1);
  // Week 2 (b1, b2]: open at its start, left at its end, not open at its end.
  CHECK(r.weeks[1].entered == 0);
  CHECK(r.weeks[1].open_start == 1);
  CHECK(r.weeks[1].left == 1);
  CHECK(r.weeks[1].fixed == 1);
  CHECK(r.weeks[1].open_end == 0);
  // Week 3: nothing.
  CHECK(r.weeks[2].open_start == 0);
  CHECK(r.weeks[2].left == 0);
  // One second later or earlier moves it to the neighbouring week.
  DataQualityReport later = Compute({S(b1 + 1, b2 + 1)}, {}, kEarly, 1, Weeks(3));
  CHECK(later.weeks[0].entered == 0);
  CHECK(later.weeks[1].entered == 1);
  CHECK(later.weeks[1].left == 0);
  CHECK(later.weeks[1].open_end == 1);
  CHECK(later.weeks[2].left == 1);
}

TEST_CASE("records still open are counted at every week's end after they entered") {
  std::vector<Stay> stays = {S(kNow - 3 * kWeek - kDay), S(kNow - 2 * kWeek + kDay), S(kNow - 10 * kWeek)};
  DataQualityReport r = Compute(stays, {}, kEarly, 1, Weeks(3));
  CHECK(r.weeks[0].open_start == 2);
  CHECK(r.weeks[0].open_end == 2);
  CHECK(r.weeks[1].entered == 1);
  CHECK(r.weeks[1].open_end == 3);
  CHECK(r.weeks[2].open_end == 3);
  CHECK(r.weeks[2].left == 0);
}

TEST_CASE("a re-opened record (two stays) leaves, then enters again, and is open once at the end") {
  // Week 1: in; week 2: resolved by a person; week 3: back (read again, still failing).
  Stay first = S(kNow - 3 * kWeek + kDay, kNow - 2 * kWeek + kDay, Left::kResolved);
  Stay again = S(kNow - kWeek + kDay);
  DataQualityReport r = Compute({first, again}, {}, kEarly, 1, Weeks(3));
  CHECK(r.weeks[0].entered == 1);
  CHECK(r.weeks[0].open_end == 1);
  CHECK(r.weeks[1].left == 1);
  CHECK(r.weeks[1].resolved == 1);
  CHECK(r.weeks[1].fixed == 0);
  CHECK(r.weeks[1].open_end == 0);
  CHECK(r.weeks[2].entered == 1);
  CHECK(r.weeks[2].open_end == 1);
  // 1 -> 0 met; 0 -> 1 missed.
  CHECK(r.weeks[1].verdict == Verdict::kMet);
  CHECK(r.weeks[2].verdict == Verdict::kMissed);
  // The reason's weekly counts follow.
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0].open == std::vector<int64_t>{1, 0, 1});
  CHECK(r.reasons[0].entered == 2);
  CHECK(r.reasons[0].left == 1);
}

// A queue of `start` records at the start of the last week of two, `end` at its end.
DataQualityReport Shrink(int start, int end) {
  std::vector<Stay> stays;
  for (int i = 0; i < start; ++i)
    stays.push_back(i < start - end ? S(kNow - 2 * kWeek, kNow - kDay) : S(kNow - 2 * kWeek));
  for (int i = start; i < end; ++i) stays.push_back(S(kNow - kDay));
  return Compute(stays, {}, kEarly, 1, Weeks(1));
}

TEST_CASE("the 20% target: exactly 20% less meets it, anything less misses it") {
  DataQualityReport r = Shrink(10, 8);
  CHECK(r.weeks[0].open_start == 10);
  CHECK(r.weeks[0].open_end == 8);
  CHECK(r.weeks[0].change_pct.value() == doctest::Approx(-20.0));
  CHECK(r.weeks[0].verdict == Verdict::kMet);
  CHECK(Shrink(10, 9).weeks[0].verdict == Verdict::kMissed);
  CHECK(Shrink(10, 7).weeks[0].verdict == Verdict::kMet);
  CHECK(Shrink(5, 4).weeks[0].verdict == Verdict::kMet);   // 20.0% exactly
  CHECK(Shrink(4, 3).weeks[0].verdict == Verdict::kMet);   // 25%
  CHECK(Shrink(3, 3).weeks[0].verdict == Verdict::kMissed);
  CHECK(Shrink(1, 1).weeks[0].verdict == Verdict::kMissed);
  CHECK(Shrink(1, 0).weeks[0].verdict == Verdict::kMet);
  CHECK(Shrink(2, 3).weeks[0].verdict == Verdict::kMissed);
  CHECK(Shrink(2, 3).weeks[0].change_pct.value() == doctest::Approx(50.0));
  CHECK(r.judged == 1);
  CHECK(r.met == 1);
}

TEST_CASE("an empty queue week: 0 -> 0 meets the target with no change in %; 0 -> 1 misses it") {
  DataQualityReport empty = Shrink(0, 0);
  CHECK(empty.weeks[0].open_start == 0);
  CHECK(empty.weeks[0].open_end == 0);
  CHECK_FALSE(empty.weeks[0].change_pct.has_value());
  CHECK(empty.weeks[0].verdict == Verdict::kMet);
  DataQualityReport fills = Shrink(0, 1);
  CHECK_FALSE(fills.weeks[0].change_pct.has_value());
  CHECK(fills.weeks[0].verdict == Verdict::kMissed);
}

TEST_CASE("weeks before the first run are not judged, nor the week it happened in (the baseline)") {
  int64_t first = kNow - kWeek - kDay;  // during week 2 of 3
  std::vector<Stay> stays = {S(first), S(first), S(first, kNow - kDay)};
  DataQualityReport r = Compute(stays, {first, kNow - kDay}, first, 2, Weeks(3));
  CHECK(r.weeks[0].verdict == Verdict::kNoRuns);
  CHECK(r.weeks[1].verdict == Verdict::kBaseline);
  CHECK(r.weeks[1].open_end == 3);
  CHECK(r.weeks[2].verdict == Verdict::kMet);  // 3 -> 2: a third less
  CHECK(r.judged == 1);
  CHECK(r.weeks[1].runs == 1);
  CHECK(r.weeks[2].runs == 1);
  CHECK(r.runs_in_period == 2);
  // A first run at exactly a week's start: that week is judged (the queue was measured then).
  DataQualityReport at = Compute(stays, {}, kNow - kWeek, 2, Weeks(3));
  CHECK(at.weeks[1].verdict == Verdict::kBaseline);
  CHECK(at.weeks[2].verdict != Verdict::kBaseline);
  // No run at all: nothing judged.
  DataQualityReport none = Compute({}, {}, 0, 0, Weeks(2));
  CHECK(none.judged == 0);
  CHECK(none.weeks[0].verdict == Verdict::kNoRuns);
  CHECK(Text(none, {"s.db", "2w", {}}).find("no runs recorded in s.db: nothing to report") != std::string::npos);
}

TEST_CASE("how records left: fixed at the source, by a person, moved; a stay queued and cleared at once is not counted") {
  int64_t t = kNow - kDay;
  std::vector<Stay> stays = {S(kNow - 2 * kWeek, t, Left::kFixed),     S(kNow - 2 * kWeek, t, Left::kFixed),
                             S(kNow - 2 * kWeek, t, Left::kReplayed),  S(kNow - 2 * kWeek, t, Left::kResolved),
                             S(kNow - 2 * kWeek, t, Left::kDiscarded), S(kNow - 2 * kWeek, t, Left::kMoved),
                             S(t, t, Left::kFixed)};
  DataQualityReport r = Compute(stays, {}, kEarly, 1, Weeks(1));
  const Week& w = r.weeks[0];
  CHECK(w.open_start == 6);
  CHECK(w.entered == 0);
  CHECK(w.left == 6);
  CHECK(w.fixed == 2);
  CHECK(w.replayed == 1);
  CHECK(w.resolved == 1);
  CHECK(w.discarded == 1);
  CHECK(w.moved == 1);
  CHECK(w.open_end == 0);
}

TEST_CASE("tallies by reason and field: a record under each of its reasons, ranked, top N, weekly counts") {
  std::vector<Stay> stays = {
      S(kNow - 3 * kWeek, std::nullopt, Left::kFixed, {"missing Name", "no country"}, {"Name", "BillingCountry"}),
      S(kNow - 3 * kWeek, kNow - kDay, Left::kFixed, {"no country"}, {"BillingCountry", "ShippingCountry"}),
      S(kNow - kDay, std::nullopt, Left::kFixed, {"no account"}, {"AccountId"}, "won_to_order"),
      S(kNow - kDay, std::nullopt, Left::kFixed, {"no account"}, {"AccountId"}, "won_to_order"),
  };
  Options o = Weeks(2);
  o.top = 2;
  DataQualityReport r = Compute(stays, {}, kEarly, 1, o);
  CHECK(r.reasons_total == 3);
  REQUIRE(r.reasons.size() == 2);
  CHECK(r.reasons[0].name == "no account");
  CHECK(r.reasons[0].open == std::vector<int64_t>{0, 2});
  CHECK(r.reasons[1].name == "missing Name");  // 1 open at the end, like no country; entered 0 each: by name
  CHECK(r.reasons[1].open == std::vector<int64_t>{1, 1});
  CHECK(r.fields_total == 4);
  REQUIRE(r.fields.size() == 2);
  CHECK(r.fields[0].name == "AccountId");
  CHECK(r.fields[1].name == "BillingCountry");
  CHECK(r.fields[1].open == std::vector<int64_t>{2, 1});
  CHECK(r.fields[1].left == 1);
  REQUIRE(r.maps.size() == 2);
  CHECK(r.maps[0].name == "won_to_order");
  CHECK(r.maps[1].open == std::vector<int64_t>{2, 1});
  // The JSON says the same.
  nlohmann::json j = nlohmann::json::parse(Json(r, {"s.db", "2w", {}}));
  CHECK(j["reasons"][0]["name"] == "no account");
  CHECK(j["reasons"][0]["weekly"] == nlohmann::json::array({0, 2}));
  CHECK(j["weeks"][1]["open_end"] == 3);
  CHECK(j["weeks"][1]["left_fixed"] == 1);
  CHECK(j["verdict"]["judged"] == 2);
}

TEST_CASE("the weekly identity and the counts against a brute force over many random stays") {
  std::mt19937_64 rng(20261206);
  std::uniform_int_distribution<int64_t> when(kNow - 8 * kWeek, kNow + kDay);
  std::uniform_int_distribution<int> coin(0, 5);
  std::vector<Stay> stays;
  for (int i = 0; i < 2000; ++i) {
    int64_t a = when(rng);
    // Some at exact boundaries.
    if (coin(rng) == 0) a = kNow - (a % 6) * kWeek;
    int c = coin(rng);
    if (c < 2) {
      stays.push_back(S(a));
    } else {
      int64_t b = a + (when(rng) - (kNow - 8 * kWeek)) / 3;
      if (coin(rng) == 0) b = kNow - (b % 5) * kWeek;
      stays.push_back(S(a, b, c == 2 ? Left::kFixed : c == 3 ? Left::kResolved : Left::kMoved));
    }
  }
  DataQualityReport r = Compute(stays, {}, kEarly, 1, Weeks(6));
  for (const Week& w : r.weeks) {
    CHECK(w.open_end == w.open_start + w.entered - w.left);
    CHECK(w.left == w.fixed + w.replayed + w.resolved + w.discarded + w.moved);
    int64_t open = 0, entered = 0, left = 0;
    for (const Stay& s : stays) {
      bool never = s.how != Left::kNot && s.left <= s.entered;
      if (never) continue;
      if (s.entered <= w.end && (s.how == Left::kNot || s.left > w.end)) ++open;
      if (s.entered > w.start && s.entered <= w.end) ++entered;
      if (s.how != Left::kNot && s.left > w.start && s.left <= w.end) ++left;
    }
    CHECK(w.open_end == open);
    CHECK(w.entered == entered);
    CHECK(w.left == left);
    CHECK((w.verdict == Verdict::kMet) == (5 * w.open_end <= 4 * w.open_start));
  }
}

TEST_CASE("--since: weeks or days (rounded up to whole weeks), nothing else") {
  CHECK(ParseWeeks("4w") == 4);
  CHECK(ParseWeeks("1w") == 1);
  CHECK(ParseWeeks("7d") == 1);
  CHECK(ParseWeeks("8d") == 2);
  CHECK(ParseWeeks("28d") == 4);
  CHECK(ParseWeeks("520w") == 520);
  CHECK(ParseWeeks("521w") == 0);
  CHECK(ParseWeeks("0w") == 0);
  CHECK(ParseWeeks("0d") == 0);
  CHECK(ParseWeeks("4") == 0);
  CHECK(ParseWeeks("w") == 0);
  CHECK(ParseWeeks("4m") == 0);
  CHECK(ParseWeeks("-1w") == 0);
  CHECK(ParseWeeks("4 w") == 0);
  CHECK(ParseWeeks("") == 0);
}
