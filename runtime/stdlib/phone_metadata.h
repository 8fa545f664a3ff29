// Defines the phone tables of std.phone's fast path: libphonenumber's own metadata (the
// PhoneMetadataCollection compiled into libphonenumber.so), read once, each region's patterns
// compiled to RE2 on first use, so the fast path (phone_fast.cpp) validates with exactly the
// patterns libphonenumber uses.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/stdlib/phone_automaton.h"

namespace i18n::phonenumbers {
class PhoneMetadata;
class PhoneMetadataCollection;
}  // namespace i18n::phonenumbers

namespace re2 {
class RE2;
}

namespace crmx::stdlib::phone {

// One regular expression of the metadata. A pattern of plain digits (most international and
// national prefixes, many leading digits) is compared as a string; any other is compiled to a
// DigitAutomaton when its syntax allows (all national number patterns do), which answers
// FullMatch alone and rules out MatchPrefix without RE2; RE2 answers the rest. The text given
// to the matchers holds only ASCII digits (the fast path's digits).
class Pattern {
 public:
  Pattern();
  Pattern(Pattern&&) noexcept;
  Pattern& operator=(Pattern&&) noexcept;
  ~Pattern();

  // False when RE2 cannot compile `source`. `automaton`: also build the pattern's own
  // DigitAutomaton (not worth it for a pattern that RegionRules' combined automaton answers).
  bool Compile(const std::string& source, bool automaton);
  // The whole of `digits` matches (libphonenumber's FullMatch).
  bool FullMatch(std::string_view digits) const;
  // The length of the match anchored at the start of `digits`, or -1 (libphonenumber's
  // Consume, ICU's lookingAt: RE2's leftmost-first choice is the same as ICU's backtracking one).
  int MatchPrefix(std::string_view digits) const;
  // MatchPrefix(digits) >= 0, without asking which prefix.
  bool MatchesPrefix(std::string_view digits) const;

 private:
  std::string literal_;                       // the pattern, when it is plain digits (possibly empty)
  std::unique_ptr<re2::RE2> re2_;             // otherwise; null for a literal
  std::optional<DigitAutomaton> automaton_;   // the same pattern, when its syntax allows
};

// A PhoneNumberDesc: the numbers of one type (or all numbers: the general desc).
struct NumberDesc {
  Pattern pattern;
  bool has_pattern = false;  // an empty national_number_pattern matches nothing
  // The possible lengths; empty means "those of the general desc", which were checked before.
  std::vector<int> possible_lengths;
  // possible_lengths as bits (bit n: length n), for the lengths under 64; all ones when empty.
  uint64_t length_bits = ~uint64_t{0};

  // libphonenumber's IsMatch: the pattern alone, lengths not checked.
  bool Matches(std::string_view number) const { return has_pattern && pattern.FullMatch(number); }
  // libphonenumber's IsNumberMatchingDesc: the possible lengths, then the pattern.
  bool MatchesWithLength(std::string_view number) const;
  // The possible lengths allow `length`.
  bool AllowsLength(size_t length) const;
};

// The patterns and lengths of a region, compiled on first use.
struct RegionRules {
  Pattern international_prefix;  // absent: the empty pattern, as in libphonenumber
  Pattern national_prefix_for_parsing;
  bool has_national_prefix_for_parsing = false;
  Pattern leading_digits;
  bool has_leading_digits = false;
  NumberDesc general;
  std::vector<int> local_only_lengths;  // of the general desc
  // The number types of GetNumberTypeHelper. Only "is the type known" matters for validity, so
  // fixed line and mobile (the usual answers) are tried first; the order of `other_types` is
  // libphonenumber's.
  NumberDesc fixed_line;
  NumberDesc mobile;
  std::vector<NumberDesc> other_types;
  bool same_mobile_and_fixed_line_pattern = false;

  // Which of the patterns of the general desc (bit 0), fixed line (bit 1), mobile (bit 2) and
  // other_types (bits 3 on) match all of `digits`, from one pass of an automaton over them;
  // nullopt when one of the patterns is outside DigitAutomaton's syntax (then each desc's
  // Pattern, compiled to RE2 only then, answers).
  std::optional<uint32_t> MatchingDescs(std::string_view digits) const;
  // general.Matches(digits), through MatchingDescs when it answers.
  bool GeneralMatches(std::string_view digits) const;

  std::optional<DigitAutomaton> descs_automaton;  // built with the rules
};

// The metadata of one region, or of one non-geographic calling code (id "001").
class Region {
 public:
  std::string id;
  int country_code = 0;
  // The region rewrites national numbers (national_prefix_transform_rule), which the fast path
  // does not reproduce: numbers parsed with this region's prefixes go to libphonenumber.
  bool has_transform_rule = false;

  // The rules, compiled with RE2 on the first call (thread-safe), so that a process pays only
  // for the regions its numbers use. Null when a pattern does not compile: then libphonenumber
  // answers for numbers that need this region.
  const RegionRules* Rules() const;

 private:
  friend class TablesBuilder;
  const i18n::phonenumbers::PhoneMetadata* source_ = nullptr;  // owned by PhoneTables
  mutable std::once_flag compile_once_;
  mutable std::unique_ptr<const RegionRules> rules_;
  // rules_ once compiled (null before, and for rules that did not compile): read before
  // std::call_once, whose every call is costly.
  mutable std::atomic<const RegionRules*> compiled_{nullptr};
};

// A country calling code and its regions, the main one first (GetRegionCodesForCountryCallingCode).
struct CallingCode {
  int code = 0;
  std::string digits;                  // "44"
  std::vector<const Region*> regions;  // never empty

  const Region& Main() const { return *regions.front(); }
};

// The tables, built once from libphonenumber's metadata. Thread-safe: immutable after Get(),
// except for each region's rules, compiled once under std::call_once.
class PhoneTables {
 public:
  // The tables, or null when libphonenumber's metadata could not be read (then every number
  // goes to libphonenumber). The first call reads the metadata (~2 ms); regions compile later.
  static const PhoneTables* Get();

  PhoneTables();
  ~PhoneTables();

  // The region of an upper-case id ("US"), or null: exactly libphonenumber's supported regions
  // (the non-geographic "001" is not one).
  const Region* FindRegion(std::string_view id) const;
  // FindRegion of `id` in upper case ("us" finds "US"), without allocating.
  const Region* FindRegionAnyCase(std::string_view id) const;
  // The calling code, or null when libphonenumber does not know it.
  const CallingCode* FindCallingCode(int code) const;

 private:
  friend class TablesBuilder;
  std::unique_ptr<i18n::phonenumbers::PhoneMetadataCollection> metadata_;
  std::vector<std::unique_ptr<Region>> regions_;
  std::unordered_map<std::string, const Region*> by_id_;
  // The regions whose id is two letters A-Z (nearly all), by [first - 'A'][second - 'A'].
  std::array<const Region*, 26 * 26> by_letters_{};
  // Calling codes have 1 to 3 digits.
  std::array<std::unique_ptr<CallingCode>, 1000> by_code_;
};

}  // namespace crmx::stdlib::phone
