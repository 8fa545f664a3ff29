// Defines the measuring half of `crmx-run assess` (issue 13, section 1; docs/assess.md,
// "Measuring"): per source object the plan's maps read, and overall, the completeness of the
// key fields, the duplicate rate (likely-same-customer records found through blocking keys)
// and the format consistency of state, country, phone and currency values, all read through
// the same connectors a run uses.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/engine/engine.h"
#include "runtime/plan/plan.h"

namespace crmx::assess {

// ---------------------------------------------------------------- normalisation
// A company name as duplicates compare it: lower case, periods and apostrophes dropped ("L.L.C."
// is "llc"), "&" read as "and", every other run of non-alphanumeric characters one space, the
// legal suffixes at the end removed ("inc", "llc", "ltd", "gmbh", "corp", ...; the first word
// always stays), white space collapsed. "" when the name has no letter or digit.
std::string NormalizeName(std::string_view name);
// The host of a website without "www.", lower case: "https://www.Acme.com/x" -> "acme.com".
// "" when there is no host.
std::string WebsiteDomain(std::string_view website);
// A street as duplicates compare it: lower case, punctuation dropped, common words abbreviated
// ("street" -> "st", "avenue" -> "ave", "suite" -> "ste"), white space collapsed.
std::string NormalizeStreet(std::string_view street);
// A postal code: letters and digits only, upper case; a 9-digit US ZIP+4 cut to its 5 digits.
std::string NormalizePostal(std::string_view postal);
// Whether `text` is present: not empty after trimming white space.
bool Present(std::string_view text);

// ---------------------------------------------------------------- duplicates
// The second key that made two records with the same normalised name the same customer.
enum class DupRule { kWebsite = 0, kPhone = 1, kAddress = 2 };
inline constexpr int kDupRules = 3;
const char* DupRuleName(DupRule r);  // "website_domain", "phone_e164", "billing_address"

struct DuplicatePair {
  std::string first, second;  // record ids (the earlier record first)
  DupRule rule = DupRule::kWebsite;
};

// Finds likely duplicates among records added one at a time, without comparing all pairs:
// each record's blocking keys (normalised name + one second key per rule) are hashed into one
// table mapping a key to the first record that had it; a record whose key is already there is
// joined to that record (union-find over record numbers). Memory: one table entry per distinct
// key, one number per record, and the records' ids (for the example pairs).
class DuplicateFinder {
 public:
  explicit DuplicateFinder(size_t max_examples = 5) : max_examples_(max_examples) {}
  // Adds one record: its id and its normalised keys ("" when absent). A record without a
  // name joins no group.
  void Add(std::string_view id, std::string_view name, std::string_view domain, std::string_view phone,
           std::string_view address);
  uint64_t records() const { return parent_.size(); }
  // Records in a duplicate group beyond the group's first: records minus groups.
  uint64_t duplicates() const;
  // Records joined to an earlier one by each rule (a record may count under several).
  uint64_t matched(DupRule r) const { return matched_[static_cast<int>(r)]; }
  const std::vector<DuplicatePair>& examples() const { return examples_; }
  // Called on every match (the earlier record's id, this record's id, the rule), when set.
  std::function<void(std::string_view, std::string_view, DupRule)> on_match;
  // Groups with more than one record.
  uint64_t groups() const;

 private:
  uint32_t Find(uint32_t i) const;
  std::string_view Id(uint32_t i) const;

  size_t max_examples_;
  std::unordered_map<uint64_t, uint32_t> first_;  // key hash -> first record with that key
  mutable std::vector<uint32_t> parent_;
  std::string ids_;
  std::vector<uint64_t> id_end_;
  uint64_t matched_[kDupRules] = {0, 0, 0};
  std::vector<DuplicatePair> examples_;
};

// ---------------------------------------------------------------- the measurement
// What a field is to the measurement, found from its name (docs/assess.md).
struct FieldRoles {
  std::string name, website, phone, street, postal, email;  // "" when the object has none
  std::vector<std::string> states, countries, phones, currencies;  // the fields checked for format
  std::vector<std::string> address;                               // street, city, postal, state, country
};
FieldRoles RolesOf(const std::vector<std::string>& fields);

struct FieldCompleteness {
  std::string field;
  std::string why;  // "key", "require", "read without fallback", "name", "address", "email"
  uint64_t present = 0;
};

struct FormatField {
  std::string field;
  std::string kind;  // "state", "country", "phone", "currency"
  uint64_t non_empty = 0;
  uint64_t valid = 0;
  std::vector<std::pair<std::string, uint64_t>> invalid;  // most common first, at most Options::top_invalid
};

struct ObjectMeasure {
  std::string system, object;
  std::vector<std::string> maps;  // the maps that read it
  uint64_t records = 0;
  uint64_t bad_lines = 0;
  std::vector<FieldCompleteness> completeness;
  uint64_t complete = 0;  // records with every key field present
  bool duplicates_measured = false;  // false when the object has no name field
  std::string name_field;
  uint64_t duplicates = 0, duplicate_groups = 0;
  uint64_t matched[kDupRules] = {0, 0, 0};
  std::vector<DuplicatePair> examples;
  std::vector<FormatField> formats;
};

struct Measurement {
  std::string integration;
  std::vector<ObjectMeasure> objects;
  // Overall, over the objects with records: percentages 0-100, -1 when nothing was measured.
  double completeness = -1;   // records with every key field present / records
  double duplicate_rate = -1;  // duplicates / records of the objects with a name field
  double format_consistency = -1;  // valid / non-empty values over every format field
  uint64_t records = 0;
};

struct Options {
  size_t examples = 5;      // example pairs per object
  size_t top_invalid = 5;   // most common invalid values per field
  std::string default_region = "US";  // a phone's region when its record has no country
  // Every duplicate match as a CSV line "object,first_id,second_id,rule" (`--duplicates FILE`),
  // when set.
  std::function<void(const std::string& line)> pair_out;
};

// Reads every source object the plan's maps read, through `systems`' connectors, and measures
// it. False with `error` when a system cannot be read.
bool Measure(const plan::Plan& plan, const engine::Systems& systems, const Options& options, Measurement& out,
             std::string& error);

// The report for people, and as JSON (docs/assess.md gives its shape).
std::string MeasurementText(const Measurement& m);
// The per-object part of MeasurementText (each object's completeness by field, duplicates and
// format failures), which `crmx-run assess` prints after its summary.
std::string MeasurementObjectsText(const Measurement& m);
std::string MeasurementJson(const Measurement& m);
nlohmann::json MeasurementJsonValue(const Measurement& m);

}  // namespace crmx::assess
