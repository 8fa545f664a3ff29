// Tests that std.phone's fast path (runtime/stdlib/phone_fast.cpp) gives exactly libphonenumber's
// answers: the same E.164 value, or the same failure reason, on every case of the differential
// corpus (phone_corpus.h). Timing is the benchmark's business (bench/phone), not this test's.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/stdlib/phone.h"
#include "runtime/stdlib/phone_paths.h"
#include "tests/unit/stdlib/phone_corpus.h"

using crmx::stdlib::Result;
using crmx::test::PhoneCase;

namespace {

bool SameAnswer(const Result<std::string>& a, const Result<std::string>& b) {
  if (a.ok() != b.ok()) return false;
  return a.ok() ? a.value() == b.value() : a.reason() == b.reason();
}

std::string Show(const Result<std::string>& result) {
  return result.ok() ? "value " + result.value() : "failure " + std::string(result.reason());
}

}  // namespace

// First in the file, so that doctest runs it before anything loads the tables.
TEST_CASE("phone: the tables load once when threads race to the first call") {
  std::vector<std::thread> threads;
  std::vector<std::string> out(4);
  for (size_t i = 0; i < out.size(); ++i) {
    threads.emplace_back([&out, i] { out[i] = crmx::stdlib::E164("030 123456", "DE").value(); });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e164 : out) CHECK(e164 == "+4930123456");
}

TEST_CASE("phone: the fast path answers exactly as libphonenumber on the differential corpus") {
  const std::vector<PhoneCase> corpus = crmx::test::MakePhoneCorpus();
  REQUIRE(corpus.size() >= 200000);
  size_t answered = 0;
  size_t valid = 0;
  size_t mismatches = 0;
  for (const PhoneCase& c : corpus) {
    std::optional<Result<std::string>> fast = crmx::stdlib::phone::FastE164(c.text, c.region);
    if (!fast) continue;
    ++answered;
    Result<std::string> slow = crmx::stdlib::phone::SlowE164(c.text, c.region);
    valid += slow.ok() ? 1 : 0;
    if (!SameAnswer(*fast, slow) && ++mismatches <= 20) {
      FAIL_CHECK("e164(`" << c.text << "`, `" << c.region << "`): fast " << Show(*fast) << ", libphonenumber "
                          << Show(slow));
    }
  }
  MESSAGE("corpus " << corpus.size() << ", answered by the fast path " << answered << " (" << valid
                    << " valid), mismatches " << mismatches);
  CHECK(mismatches == 0);
  // The comparison means something only if the fast path answers most cases.
  CHECK(answered * 10 >= corpus.size() * 8);
  CHECK(valid * 10 >= answered);
}

TEST_CASE("phone: e164 declines nothing it should answer and falls back on the rest") {
  using crmx::stdlib::phone::FastE164;
  CHECK(FastE164("(415) 555-2671", "US").has_value());
  CHECK(FastE164("+44 20 7946 0958", "").has_value());
  CHECK(FastE164("N/A", "US").has_value());
  // Letters, extensions, other scripts, RFC 3966 and transform-rule regions go to libphonenumber.
  CHECK_FALSE(FastE164("1-800-FLOWERS", "US").has_value());
  CHECK_FALSE(FastE164("+1 415 555 2671 ext. 12", "US").has_value());
  CHECK_FALSE(FastE164("tel:+1-415-555-2671", "US").has_value());
  CHECK_FALSE(FastE164("011 15 2345 6789", "AR").has_value());
  CHECK(*crmx::stdlib::E164("011 15 2345 6789", "AR") == *crmx::stdlib::phone::SlowE164("011 15 2345 6789", "AR"));
}
