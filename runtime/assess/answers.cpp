// Defines the answers-file reader of answers.h: the file's shape (which sections and keys exist,
// which are required), the named levels of each readiness answer and their numbers, and the
// messages: every problem with its position and key path, an unknown key with the closest known
// one (or the section it belongs under), a bad value with what was expected.
#include "runtime/assess/answers.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "runtime/profile/yaml_errors.h"

namespace crmx::assess {
namespace {

struct Named {
  std::string name;
  double score;
};

// A readiness answer's named levels (docs/assess.md lists the same).
const std::vector<Named> kAvailability = {{"full", 100}, {"partial", 50}, {"none", 0}};
const std::vector<Named> kDocumentation = {{"complete", 100}, {"partial", 50}, {"none", 0}};
const std::vector<Named> kSandbox = {{"full", 100}, {"partial", 50}, {"none", 0}};
const std::vector<Named> kSponsorship = {{"active", 100}, {"nominal", 50}, {"none", 0}};
const std::vector<Named> kStakeholders = {{"dedicated", 100}, {"part_time", 50}, {"none", 0}};

const std::vector<std::string> kTopKeys = {"governance", "hygiene", "system", "organisation", "roi"};
const std::vector<std::string> kSystemKeys = {"api_availability", "documentation", "sandbox"};
const std::vector<std::string> kOrganisationKeys = {"executive_sponsorship", "stakeholder_availability"};
const std::vector<std::string> kRoiKeys = {"minutes_per_entry", "automation_rate",        "blended_hourly_rate",
                                           "error_rate",        "cost_per_error",         "annual_integration_cost",
                                           "records_per_month"};
const std::vector<std::string> kGovernanceNames = {"documented", "informal", "none"};
const std::vector<std::string> kHygieneNames = {"automated", "manual_quarterly", "none"};

using profile::Contains;
using profile::Join;

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The known key closest to `key`, "" when none is close: at most a third of the longer name
// (and at least 2) edits apart ignoring case, or one a prefix of the other.
std::string Closest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = 0;
  std::string lower = Lower(key);
  for (const auto& k : known) {
    size_t d = EditDistance(lower, k);
    bool prefix = lower.size() >= 3 && (k.starts_with(lower) || lower.starts_with(k));
    size_t allowed = std::max<size_t>(2, std::max(lower.size(), k.size()) / 3);
    if (d > allowed && !prefix) continue;
    if (prefix) d = std::min(d, allowed);
    if (best.empty() || d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

std::string Expected(const std::vector<Named>& levels) {
  std::string out;
  for (const auto& l : levels) {
    char score[32];
    std::snprintf(score, sizeof score, "%g", l.score);
    out += l.name + " (" + score + "), ";
  }
  return out + "or a number from 0 to 100";
}

// A finite decimal number, the whole text.
bool ParseNumber(const std::string& text, double& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out, std::chars_format::general);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

// A key of a map and its value.
struct Entry {
  YAML::Node key;
  YAML::Node value;
};

// Collects every problem of a file (capped), each with its position.
class Reader : public profile::YamlErrors {
 public:
  using YamlErrors::YamlErrors;

  // The entries of map `node` at `path` ("" the top, `at` its key: where a missing key is
  // reported), keyed by name; unknown and repeated keys reported, the required ones that are
  // missing too.
  std::map<std::string, Entry> Entries(const YAML::Node& at, const YAML::Node& node, const std::string& path,
                                       const std::vector<std::string>& known,
                                       const std::vector<std::string>& required) {
    std::map<std::string, Entry> out;
    std::string section = path.empty() ? "the answers file" : "`" + path + "`";
    if (!node.IsMap()) {
      Error(node.IsNull() ? at : node, section + " must be a map with the keys " + Join(known));
      return out;
    }
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        Error(entry.first, "a key of " + section + " must be a name (keys: " + Join(known) + ")");
        continue;
      }
      std::string key = entry.first.Scalar();
      std::string key_path = path.empty() ? key : path + "." + key;
      if (!Contains(known, key)) {
        Error(entry.first, Unknown(key, key_path, path, known));
        continue;
      }
      if (out.count(key) != 0) {
        Error(entry.first, "`" + key_path + "` is given twice");
        continue;
      }
      out[key] = Entry{entry.first, entry.second};
    }
    for (const auto& key : required) {
      if (out.count(key) == 0) Error(at, section + " has no `" + key + "`" + Hint(path, key));
    }
    return out;
  }

  // The scalar of `entry` as text, or an error naming `path` and what was expected. An empty
  // value is reported at its key (yaml-cpp marks it where the next line starts).
  bool Scalar(const Entry& entry, const std::string& path, const std::string& expected, std::string& out) {
    const YAML::Node& node = entry.value;
    if (node.IsNull() || (node.IsScalar() && node.Scalar().empty())) {
      Error(entry.key, "`" + path + "` is empty (expected " + expected + ")");
      return false;
    }
    if (!node.IsScalar()) {
      Error(node, "`" + path + "` must be a single value (expected " + expected + ")");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  void Choice(const Entry& entry, const std::string& path, const std::vector<std::string>& names, int& out) {
    std::string expected = "one of " + Join(names);
    std::string text;
    if (!Scalar(entry, path, expected, text)) return;
    const YAML::Node& node = entry.value;
    auto it = std::find(names.begin(), names.end(), text);
    if (it == names.end()) {
      std::string closest = Closest(text, names);
      Error(node, "`" + path + "`: `" + text + "` is not an answer (expected " + expected + ")" +
                      (closest.empty() ? "" : "; did you mean `" + closest + "`?"));
      return;
    }
    out = static_cast<int>(it - names.begin());
  }

  void ReadLevel(const Entry& entry, const std::string& path, const std::vector<Named>& levels, Level& out) {
    std::string expected = Expected(levels);
    std::string text;
    if (!Scalar(entry, path, expected, text)) return;
    const YAML::Node& node = entry.value;
    for (const auto& l : levels) {
      if (l.name == text) {
        out = Level{l.score, text};
        return;
      }
    }
    double v = 0;
    if (!ParseNumber(text, v)) {
      Error(node, "`" + path + "`: `" + text + "` is not an answer (expected " + expected + ")");
      return;
    }
    if (v < 0 || v > 100) {
      Error(node, "`" + path + "` must be from 0 to 100, not `" + text + "`");
      return;
    }
    out = Level{v, text};
  }

  // An amount (minutes, money, records): a number >= 0, or > 0 when `positive`. False with an
  // error when it is not.
  bool Amount(const Entry& entry, const std::string& path, bool positive, double& out) {
    std::string expected = positive ? "a number greater than 0" : "a number, 0 or more";
    std::string text;
    if (!Scalar(entry, path, expected, text)) return false;
    const YAML::Node& node = entry.value;
    double v = 0;
    if (!ParseNumber(text, v)) {
      Error(node, "`" + path + "` must be " + expected + " (digits, no currency sign or thousands separator), not `" +
                      text + "`");
      return false;
    }
    if (v < 0 || (positive && v == 0)) {
      Error(node, "`" + path + "` must be " + expected + ", not `" + text + "`");
      return false;
    }
    out = v;
    return true;
  }

  // A rate: 0-1, or a percentage "90%".
  bool Rate(const Entry& entry, const std::string& path, double& out) {
    const std::string expected = "a rate from 0 to 1, or a percentage such as 90%";
    std::string text;
    if (!Scalar(entry, path, expected, text)) return false;
    const YAML::Node& node = entry.value;
    bool percent = text.ends_with("%");
    std::string number = percent ? text.substr(0, text.size() - 1) : text;
    while (!number.empty() && number.back() == ' ') number.pop_back();
    double v = 0;
    if (!ParseNumber(number, v) || v < 0 || v > (percent ? 100 : 1)) {
      Error(node, "`" + path + "` must be " + expected + ", not `" + text + "`");
      return false;
    }
    out = percent ? v / 100.0 : v;
    return true;
  }

 private:
  // Which section a key belongs under, if any but `path`.
  static std::string Home(const std::string& key, const std::string& path) {
    if (Contains(kTopKeys, key) && !path.empty()) return "the top of the file";
    if (Contains(kSystemKeys, key) && path != "system") return "`system`";
    if (Contains(kOrganisationKeys, key) && path != "organisation") return "`organisation`";
    if (Contains(kRoiKeys, key) && path != "roi") return "`roi`";
    return "";
  }

  static std::string Unknown(const std::string& key, const std::string& key_path, const std::string& path,
                             const std::vector<std::string>& known) {
    std::string section = path.empty() ? "an answers key" : "a key of `" + path + "`";
    std::string message = "`" + key_path + "` is not " + section;
    std::string home = Home(key, path);
    if (!home.empty()) return message + ": it belongs under " + home;
    std::string closest = Closest(key, known);
    if (!closest.empty()) message += "; did you mean `" + closest + "`?";
    return message + " (keys: " + Join(known) + ")";
  }

  // What a missing key expects.
  static std::string Hint(const std::string& path, const std::string& key) {
    if (path.empty()) {
      if (key == "governance") return " (expected one of " + Join(kGovernanceNames) + ")";
      if (key == "hygiene") return " (expected one of " + Join(kHygieneNames) + ")";
      if (key == "system") return " (a map with " + Join(kSystemKeys) + ")";
      if (key == "organisation") return " (a map with " + Join(kOrganisationKeys) + ")";
      return " (a map with minutes_per_entry, blended_hourly_rate, error_rate, cost_per_error, "
             "annual_integration_cost)";
    }
    if (key == "api_availability") return " (expected " + Expected(kAvailability) + ")";
    if (key == "documentation") return " (expected " + Expected(kDocumentation) + ")";
    if (key == "sandbox") return " (expected " + Expected(kSandbox) + ")";
    if (key == "executive_sponsorship") return " (expected " + Expected(kSponsorship) + ")";
    if (key == "stakeholder_availability") return " (expected " + Expected(kStakeholders) + ")";
    if (key == "error_rate") return " (expected a rate from 0 to 1, or a percentage such as 90%)";
    if (key == "annual_integration_cost") return " (expected a number greater than 0)";
    return " (expected a number, 0 or more)";
  }

};

bool ParseRoot(const std::string& yaml, const std::string& file, Answers& out, std::string& error) {
  Reader reader(file);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    error = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
            ": not YAML: " + e.msg;
    return false;
  }
  if (root.IsNull()) {
    error = file + ": the answers file is empty (expected the keys " + Join(kTopKeys) +
            "; docs/assess-answers.example.yaml shows them)";
    return false;
  }
  out.file = file;
  using Section = std::map<std::string, Entry>;
  // The entry `key` of `section`, null when absent (Entries reported it if it is required).
  auto find = [](const Section& section, const std::string& key) -> const Entry* {
    auto it = section.find(key);
    return it == section.end() ? nullptr : &it->second;
  };

  Section top = reader.Entries(YAML::Node(), root, "", kTopKeys, kTopKeys);
  if (const Entry* e = find(top, "governance")) {
    int i = -1;
    reader.Choice(*e, "governance", kGovernanceNames, i);
    if (i >= 0) out.governance = std::array{Governance::kDocumented, Governance::kInformal, Governance::kNone}[i];
  }
  if (const Entry* e = find(top, "hygiene")) {
    int i = -1;
    reader.Choice(*e, "hygiene", kHygieneNames, i);
    if (i >= 0) out.hygiene = std::array{Hygiene::kAutomated, Hygiene::kManualQuarterly, Hygiene::kNone}[i];
  }

  if (const Entry* e = find(top, "system")) {
    Section system = reader.Entries(e->key, e->value, "system", kSystemKeys, kSystemKeys);
    SystemAnswers& s = out.system;
    if (const Entry* a = find(system, "api_availability"))
      reader.ReadLevel(*a, "system.api_availability", kAvailability, s.api_availability);
    if (const Entry* a = find(system, "documentation"))
      reader.ReadLevel(*a, "system.documentation", kDocumentation, s.documentation);
    if (const Entry* a = find(system, "sandbox")) reader.ReadLevel(*a, "system.sandbox", kSandbox, s.sandbox);
  }

  if (const Entry* e = find(top, "organisation")) {
    Section org = reader.Entries(e->key, e->value, "organisation", kOrganisationKeys, kOrganisationKeys);
    OrganisationAnswers& o = out.organisation;
    if (const Entry* a = find(org, "executive_sponsorship"))
      reader.ReadLevel(*a, "organisation.executive_sponsorship", kSponsorship, o.executive_sponsorship);
    if (const Entry* a = find(org, "stakeholder_availability"))
      reader.ReadLevel(*a, "organisation.stakeholder_availability", kStakeholders, o.stakeholder_availability);
  }

  if (const Entry* e = find(top, "roi")) {
    const std::vector<std::string> required = {"minutes_per_entry", "blended_hourly_rate", "error_rate",
                                               "cost_per_error", "annual_integration_cost"};
    Section roi = reader.Entries(e->key, e->value, "roi", kRoiKeys, required);
    RoiAnswers& r = out.roi;
    if (const Entry* a = find(roi, "minutes_per_entry"))
      reader.Amount(*a, "roi.minutes_per_entry", false, r.minutes_per_entry);
    if (const Entry* a = find(roi, "automation_rate")) {
      double v = 0;
      if (reader.Rate(*a, "roi.automation_rate", v)) r.automation_rate = v;
    }
    if (const Entry* a = find(roi, "blended_hourly_rate"))
      reader.Amount(*a, "roi.blended_hourly_rate", false, r.blended_hourly_rate);
    if (const Entry* a = find(roi, "error_rate")) reader.Rate(*a, "roi.error_rate", r.error_rate);
    if (const Entry* a = find(roi, "cost_per_error")) reader.Amount(*a, "roi.cost_per_error", false, r.cost_per_error);
    if (const Entry* a = find(roi, "annual_integration_cost"))
      reader.Amount(*a, "roi.annual_integration_cost", true, r.annual_integration_cost);
    if (const Entry* a = find(roi, "records_per_month")) {
      double v = 0;
      if (reader.Amount(*a, "roi.records_per_month", false, v)) r.records_per_month = v;
    }
  }
  if (reader.Failed()) {
    error = reader.Message();
    return false;
  }
  return true;
}

}  // namespace

bool ParseAnswers(const std::string& yaml, const std::string& file, Answers& out, std::string& error) {
  out = Answers{};
  bool ok = false;
  try {
    ok = ParseRoot(yaml, file, out, error);
  } catch (const YAML::Exception& e) {
    // A construct the reader did not expect (an alias to nothing, a tag it cannot convert).
    error = file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
            ": unexpected YAML: " + e.msg;
    ok = false;
  }
  if (!ok) out = Answers{};
  return ok;
}

bool LoadAnswers(const std::string& path, Answers& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out = Answers{};
    error = path + ": cannot read the answers file (" + std::strerror(errno) + ")";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseAnswers(text.str(), path, out, error);
}

RoiInput MakeRoiInput(const RoiAnswers& answers, double measured_records_per_month, double measured_automation_rate) {
  RoiInput input;
  input.records_per_month = answers.records_per_month.value_or(measured_records_per_month);
  input.minutes_per_entry = answers.minutes_per_entry;
  input.automation_rate = answers.automation_rate.value_or(measured_automation_rate);
  input.blended_hourly_rate = answers.blended_hourly_rate;
  input.error_rate = answers.error_rate;
  input.cost_per_error = answers.cost_per_error;
  input.annual_integration_cost = answers.annual_integration_cost;
  return input;
}

}  // namespace crmx::assess
