// Defines YamlErrors: the problems found in one YAML file a person wrote (a profile, an assess
// answers file), each prefixed with FILE:LINE:COL of the node it is about, collected so that
// one read reports them all (capped at 50); and the lists those messages name.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace crmx::profile {

// "a, b, c": the keys or values a message lists.
inline std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// Whether `item` is one of the known keys or values `items`.
inline bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

class YamlErrors {
 public:
  explicit YamlErrors(std::string file) : file_(std::move(file)) {}

  void Error(const YAML::Node& at, const std::string& message) {
    if (errors_.size() >= kMaxErrors) return;
    std::string where = file_;
    if (at.IsDefined() && at.Mark().line >= 0) {
      where += ":" + std::to_string(at.Mark().line + 1) + ":" + std::to_string(at.Mark().column + 1);
    }
    errors_.push_back(where + ": " + message);
  }
  bool Failed() const { return !errors_.empty(); }
  // Every problem, one per line.
  std::string Message() const {
    std::string out;
    for (const auto& e : errors_) {
      if (!out.empty()) out += "\n";
      out += e;
    }
    return out;
  }
  const std::string& file() const { return file_; }

 private:
  static constexpr size_t kMaxErrors = 50;
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace crmx::profile
