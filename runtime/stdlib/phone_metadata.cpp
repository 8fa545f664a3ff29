// Implements the phone tables (phone_metadata.h): libphonenumber's serialized metadata, parsed
// with its generated protobuf classes and compiled to RE2, organised as PhoneNumberUtil's
// constructor organises it (same region map, same calling-code lists in the same order).
#include "runtime/stdlib/phone_metadata.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <re2/re2.h>

#include <algorithm>
#include <list>
#include <map>

// Exported by libphonenumber.so, declared in no installed header: the serialized
// PhoneMetadataCollection that PhoneNumberUtil itself loads.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace crmx::stdlib::phone {

namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;

bool IsPlainDigits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

Pattern::Pattern() = default;
Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;
Pattern::~Pattern() = default;

bool Pattern::Compile(const std::string& source, bool automaton) {
  if (IsPlainDigits(source)) {
    literal_ = source;
    return true;
  }
  RE2::Options options;
  options.set_log_errors(false);
  re2_ = std::make_unique<RE2>(source, options);
  if (!re2_->ok()) return false;
  std::string_view view = source;
  if (automaton) automaton_ = DigitAutomaton::Build({&view, 1});
  return true;
}

bool Pattern::FullMatch(std::string_view digits) const {
  if (!re2_) return digits == literal_;
  if (automaton_) return automaton_->Run(digits).whole != 0;
  return RE2::FullMatch(digits, *re2_);
}

bool Pattern::MatchesPrefix(std::string_view digits) const {
  if (!re2_) return digits.substr(0, literal_.size()) == literal_;
  if (automaton_) return automaton_->Run(digits).prefix != 0;
  return MatchPrefix(digits) >= 0;
}

int Pattern::MatchPrefix(std::string_view digits) const {
  if (!re2_) return digits.substr(0, literal_.size()) == literal_ ? static_cast<int>(literal_.size()) : -1;
  // Most numbers start with no prefix of the pattern: the automaton says so without RE2.
  if (automaton_ && automaton_->Run(digits).prefix == 0) return -1;
  re2::StringPiece match;
  if (!re2_->Match(digits, 0, digits.size(), RE2::ANCHOR_START, &match, 1)) return -1;
  return static_cast<int>(match.size());
}

bool NumberDesc::AllowsLength(size_t length) const {
  if (length < 64) return ((length_bits >> length) & 1) != 0;
  return possible_lengths.empty() || Contains(possible_lengths, static_cast<int>(length));
}

bool NumberDesc::MatchesWithLength(std::string_view number) const {
  return AllowsLength(number.size()) && Matches(number);
}

namespace {

// The lengths of a desc, and its pattern: compiled to RE2 only when `re2` (the descs'
// automaton refused the region's patterns; see CompileRules).
bool CompileDesc(const PhoneNumberDesc& source, NumberDesc& desc, bool re2) {
  desc.possible_lengths.assign(source.possible_length().begin(), source.possible_length().end());
  if (!desc.possible_lengths.empty()) {
    desc.length_bits = 0;
    for (int length : desc.possible_lengths) {
      if (length >= 0 && length < 64) desc.length_bits |= uint64_t{1} << length;
    }
  }
  desc.has_pattern = !source.national_number_pattern().empty();
  return !re2 || !desc.has_pattern || desc.pattern.Compile(source.national_number_pattern(), false);
}

// GetNumberTypeHelper's order for the types after fixed line and mobile.
std::array<const PhoneNumberDesc*, 8> OtherTypes(const PhoneMetadata& metadata) {
  return {&metadata.premium_rate(), &metadata.toll_free(), &metadata.shared_cost(), &metadata.voip(),
          &metadata.personal_number(), &metadata.pager(), &metadata.uan(), &metadata.voicemail()};
}

// The descs of a region: one automaton for all their patterns (built with the rules: it costs
// less than compiling them to RE2), or RE2 per pattern when the automaton refuses them.
bool CompileDescs(const PhoneMetadata& metadata, RegionRules& rules) {
  std::vector<std::string_view> patterns = {metadata.general_desc().national_number_pattern(),
                                            metadata.fixed_line().national_number_pattern(),
                                            metadata.mobile().national_number_pattern()};
  for (const PhoneNumberDesc* desc : OtherTypes(metadata)) patterns.push_back(desc->national_number_pattern());
  // An empty pattern gets a bit like the others; the callers read a desc's bit only when it has
  // a pattern (NumberDesc::has_pattern), as libphonenumber's empty pattern matches nothing.
  rules.descs_automaton = DigitAutomaton::Build(patterns);
  const bool re2 = !rules.descs_automaton;
  bool ok = CompileDesc(metadata.general_desc(), rules.general, re2);
  rules.local_only_lengths.assign(metadata.general_desc().possible_length_local_only().begin(),
                                  metadata.general_desc().possible_length_local_only().end());
  ok = CompileDesc(metadata.fixed_line(), rules.fixed_line, re2) && ok;
  ok = CompileDesc(metadata.mobile(), rules.mobile, re2) && ok;
  for (const PhoneNumberDesc* desc : OtherTypes(metadata)) ok = CompileDesc(*desc, rules.other_types.emplace_back(), re2) && ok;
  return ok;
}

// The rules of one region, or null when a pattern does not compile.
std::unique_ptr<const RegionRules> CompileRules(const PhoneMetadata& metadata) {
  auto rules = std::make_unique<RegionRules>();
  rules->has_national_prefix_for_parsing = !metadata.national_prefix_for_parsing().empty();
  rules->has_leading_digits = metadata.has_leading_digits();
  rules->same_mobile_and_fixed_line_pattern = metadata.same_mobile_and_fixed_line_pattern();
  bool ok = rules->international_prefix.Compile(metadata.international_prefix(), true);
  ok = rules->national_prefix_for_parsing.Compile(metadata.national_prefix_for_parsing(), true) && ok;
  ok = rules->leading_digits.Compile(metadata.leading_digits(), true) && ok;
  ok = CompileDescs(metadata, *rules) && ok;
  // TestNumberLength reads the general desc's first and last possible length, and calling
  // codes are looked up by their 1 to 3 digits.
  ok = ok && !rules->general.possible_lengths.empty() && metadata.country_code() > 0 &&
       metadata.country_code() < 1000;
  if (!ok) return nullptr;
  return rules;
}

}  // namespace

std::optional<uint32_t> RegionRules::MatchingDescs(std::string_view digits) const {
  if (!descs_automaton) return std::nullopt;
  return descs_automaton->Run(digits).whole;
}

bool RegionRules::GeneralMatches(std::string_view digits) const {
  std::optional<uint32_t> descs = MatchingDescs(digits);
  if (!descs) return general.Matches(digits);
  return general.has_pattern && (*descs & 1) != 0;
}

const RegionRules* Region::Rules() const {
  if (const RegionRules* rules = compiled_.load(std::memory_order_acquire)) return rules;
  std::call_once(compile_once_, [this] {
    rules_ = CompileRules(*source_);
    compiled_.store(rules_.get(), std::memory_order_release);
  });
  return rules_.get();
}

// Builds the tables; a class so that it may fill PhoneTables' private members.
class TablesBuilder {
 public:
  explicit TablesBuilder(PhoneTables& tables) : tables_(tables) {}

  void Build() {
    // PhoneNumberUtil's constructor: "ZZ" is skipped, "001" entries are non-geographic
    // entities keyed by calling code, the first entry of an id wins, and a calling code lists
    // its main country first and the others in metadata order.
    std::map<int, std::list<const Region*>> lists;
    std::map<int, const Region*> non_geographic;
    for (const PhoneMetadata& metadata : tables_.metadata_->metadata()) {
      if (metadata.id() == "ZZ") continue;
      const Region* region = Add(metadata);
      const Region* keyed = region;
      if (region->id == "001") {
        keyed = non_geographic.emplace(region->country_code, region).first->second;
      } else {
        keyed = tables_.by_id_.emplace(region->id, region).first->second;
        AddLetters(*keyed);
      }
      std::list<const Region*>& list = lists[region->country_code];
      if (metadata.main_country_for_code()) {
        list.push_front(keyed);
      } else {
        list.push_back(keyed);
      }
    }
    for (const auto& [code, list] : lists) AddCallingCode(code, list);
  }

 private:
  const Region* Add(const PhoneMetadata& metadata) {
    auto region = std::make_unique<Region>();
    region->id = metadata.id();
    region->country_code = metadata.country_code();
    region->has_transform_rule = !metadata.national_prefix_transform_rule().empty();
    region->source_ = &metadata;
    tables_.regions_.push_back(std::move(region));
    return tables_.regions_.back().get();
  }

  // by_letters_ mirrors by_id_ for the ids of two letters A-Z.
  void AddLetters(const Region& region) {
    const std::string& id = region.id;
    if (id.size() != 2 || id[0] < 'A' || id[0] > 'Z' || id[1] < 'A' || id[1] > 'Z') return;
    tables_.by_letters_[static_cast<size_t>((id[0] - 'A') * 26 + (id[1] - 'A'))] = &region;
  }

  void AddCallingCode(int code, const std::list<const Region*>& list) {
    if (code <= 0 || code >= static_cast<int>(tables_.by_code_.size())) return;
    auto calling = std::make_unique<CallingCode>();
    calling->code = code;
    calling->digits = std::to_string(code);
    calling->regions.assign(list.begin(), list.end());
    tables_.by_code_[static_cast<size_t>(code)] = std::move(calling);
  }

  PhoneTables& tables_;
};

PhoneTables::PhoneTables() = default;
PhoneTables::~PhoneTables() = default;

const PhoneTables* PhoneTables::Get() {
  // A function-local static: built once, thread-safe, on the first e164 call. Never destroyed:
  // the process's exit would spend ~6 M instructions freeing what it gives back anyway (it
  // stays reachable, so leak checkers do not count it).
  static const PhoneTables* const tables = []() -> const PhoneTables* {
    auto built = std::make_unique<PhoneTables>();
    built->metadata_ = std::make_unique<PhoneMetadataCollection>();
    if (!built->metadata_->ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size())) {
      return nullptr;
    }
    TablesBuilder(*built).Build();
    return built.release();
  }();
  return tables;
}

const Region* PhoneTables::FindRegion(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second;
}

const Region* PhoneTables::FindRegionAnyCase(std::string_view id) const {
  auto letter = [](char c) { return c >= 'a' && c <= 'z' ? c - 'a' : c >= 'A' && c <= 'Z' ? c - 'A' : -1; };
  if (id.size() == 2 && letter(id[0]) >= 0 && letter(id[1]) >= 0) {
    return by_letters_[static_cast<size_t>(letter(id[0]) * 26 + letter(id[1]))];
  }
  std::string upper(id);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return FindRegion(upper);
}

const CallingCode* PhoneTables::FindCallingCode(int code) const {
  if (code <= 0 || code >= static_cast<int>(by_code_.size())) return nullptr;
  return by_code_[static_cast<size_t>(code)].get();
}

}  // namespace crmx::stdlib::phone
