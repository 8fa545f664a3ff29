// Tests DigitAutomaton (runtime/stdlib/phone_automaton.h) against RE2, the matcher it stands in
// for in std.phone's fast path: the syntax it reads (every digit string up to five digits on
// hand-written patterns), the syntax it refuses, and every pattern of libphonenumber's metadata
// on its example numbers, their one-digit variants and random digits.
#include <doctest/doctest.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

#include "runtime/stdlib/phone_automaton.h"

// Exported by libphonenumber.so, declared in no installed header (as in phone_metadata.cpp).
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

using crmx::stdlib::phone::DigitAutomaton;

namespace {

// Counts the inputs on which the automaton of `pattern` (bit 0) and RE2 disagree, whole or prefix.
size_t Disagreements(const DigitAutomaton& automaton, const std::string& pattern, const std::vector<std::string>& inputs) {
  RE2 whole(pattern);
  RE2 prefix("(?:" + pattern + ")");
  REQUIRE(whole.ok());
  size_t bad = 0;
  for (const std::string& input : inputs) {
    DigitAutomaton::Matches m = automaton.Run(input);
    bool re2_whole = RE2::FullMatch(input, whole);
    bool re2_prefix = prefix.Match(input, 0, input.size(), RE2::ANCHOR_START, nullptr, 0);
    if (((m.whole & 1) != 0) != re2_whole || ((m.prefix & 1) != 0) != re2_prefix) {
      if (++bad <= 5) FAIL_CHECK("pattern `" << pattern << "` on `" << input << "`: automaton whole " << (m.whole & 1) << " prefix " << (m.prefix & 1) << ", RE2 whole " << re2_whole << " prefix " << re2_prefix);
    }
  }
  return bad;
}

std::vector<std::string> AllDigitStrings(size_t max_length) {
  std::vector<std::string> out = {""};
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].size() == max_length) continue;
    for (char d = '0'; d <= '9'; ++d) out.push_back(out[i] + d);
  }
  return out;
}

std::optional<DigitAutomaton> BuildOne(std::string_view pattern) { return DigitAutomaton::Build({&pattern, 1}); }

}  // namespace

TEST_CASE("phone automaton: the syntax it reads matches as RE2 on every string of up to five digits") {
  const std::vector<std::string> inputs = AllDigitStrings(5);
  for (const char* pattern :
       {"", "1", "12|3", "\\d", "[2-9]\\d", "[^0]1", "[13-57]", "[\\d]", "1?2", "1*2", "1+", "(?:12)+3", "(1|23)?4",
        "\\d{2}", "\\d{2,}", "\\d{1,3}", "[2-9]\\d{2,3}?", "1(?:2|3(?:4|5{0,2}))|6", "(?:|1)2", "1{0}2", "[0-9]{0,1}"}) {
    CAPTURE(pattern);
    std::optional<DigitAutomaton> automaton = BuildOne(pattern);
    REQUIRE(automaton.has_value());
    CHECK(Disagreements(*automaton, pattern, inputs) == 0);
  }
}

TEST_CASE("phone automaton: several patterns at once set one bit each") {
  std::vector<std::string_view> patterns = {"1\\d", "\\d{2}", "2"};
  std::optional<DigitAutomaton> automaton = DigitAutomaton::Build(patterns);
  REQUIRE(automaton.has_value());
  CHECK(automaton->Run("12").whole == 0b011);
  CHECK(automaton->Run("12").prefix == 0b011);
  CHECK(automaton->Run("2").whole == 0b100);
  CHECK(automaton->Run("23").whole == 0b010);
  CHECK(automaton->Run("23").prefix == 0b110);
  CHECK(automaton->Run("123").whole == 0);
  CHECK(automaton->Run("").prefix == 0);
}

TEST_CASE("phone automaton: other syntax is refused, so RE2 keeps answering for it") {
  for (const char* pattern : {"1$", "^1", "a", "\\s", "\\D", "[a-z]", "[", "[1", "(1", "1)", "{2}", "1{2", "1{3,2}", "1{,2}",
                              "1{1001}", ".", "\\1", "(?i)1", "(?P<x>1)", "1|[^\\d]\\"}) {
    CAPTURE(pattern);
    CHECK_FALSE(BuildOne(pattern).has_value());
  }
  std::vector<std::string_view> too_many(DigitAutomaton::kMaxPatterns + 1, "1");
  CHECK_FALSE(DigitAutomaton::Build(too_many).has_value());
  // A pattern whose automaton would be huge: which of the last 20 digits was a 1.
  CHECK_FALSE(BuildOne("\\d*1\\d{19}").has_value());
}

TEST_CASE("phone automaton: every pattern of libphonenumber's metadata agrees with RE2") {
  using i18n::phonenumbers::PhoneMetadata;
  using i18n::phonenumbers::PhoneNumberDesc;
  i18n::phonenumbers::PhoneMetadataCollection collection;
  REQUIRE(collection.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size()));
  std::mt19937 random(14);
  size_t patterns = 0, refused = 0, bad = 0;
  for (const PhoneMetadata& metadata : collection.metadata()) {
    const PhoneNumberDesc* descs[] = {&metadata.general_desc(), &metadata.fixed_line(), &metadata.mobile(),
                                      &metadata.premium_rate(), &metadata.toll_free(), &metadata.shared_cost(),
                                      &metadata.voip(), &metadata.personal_number(), &metadata.pager(),
                                      &metadata.uan(), &metadata.voicemail()};
    // Inputs: the region's example numbers, each with every digit changed, cut short and
    // lengthened, and random digit strings.
    std::vector<std::string> inputs;
    for (const PhoneNumberDesc* desc : descs) {
      const std::string& example = desc->example_number();
      if (example.empty()) continue;
      for (size_t i = 0; i <= example.size(); ++i) {
        inputs.push_back(example.substr(0, i));
        for (char d = '0'; d <= '9'; ++d) {
          if (i < example.size()) inputs.push_back(example.substr(0, i) + d + example.substr(i + 1));
          inputs.push_back(example.substr(0, i) + d + example.substr(i));
        }
      }
    }
    for (int i = 0; i < 100; ++i) {
      std::string digits(static_cast<size_t>(random() % 18), '0');
      for (char& c : digits) c = static_cast<char>('0' + random() % 10);
      inputs.push_back(digits);
    }
    std::vector<std::string> sources = {metadata.international_prefix(), metadata.national_prefix_for_parsing(),
                                        metadata.leading_digits()};
    for (const PhoneNumberDesc* desc : descs) sources.push_back(desc->national_number_pattern());
    for (const std::string& source : sources) {
      if (source.empty()) continue;
      ++patterns;
      std::optional<DigitAutomaton> automaton = BuildOne(source);
      if (!automaton) {
        ++refused;
        continue;
      }
      CAPTURE(metadata.id());
      bad += Disagreements(*automaton, source, inputs);
    }
  }
  MESSAGE("metadata patterns " << patterns << ", refused " << refused);
  CHECK(bad == 0);
  // Only the few national prefix patterns with an anchor (`$`) are outside the syntax.
  CHECK(refused * 50 <= patterns);
}
