// Defines the record store's seeding and reset, and the timestamps writes are stamped with.
#include "emulators/store.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace crmx::emulate {

bool ForEachSchemaObject(const std::string& dir, const std::function<void(const std::string&, const Json&)>& fn,
                         std::string& error) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Json schema = Json::parse(text, nullptr, false);
    if (!schema.is_object() || !schema.contains("objects") || !schema["objects"].is_object()) {
      error = entry.path().string() + ": not a crmx schema (no `objects`)";
      return false;
    }
    for (auto it = schema["objects"].begin(); it != schema["objects"].end(); ++it) fn(it.key(), it.value());
  }
  if (ec) {
    error = "cannot read schemas directory " + dir + ": " + ec.message();
    return false;
  }
  return true;
}

bool ListJsonl(const std::string& dir, std::vector<std::pair<std::string, std::string>>& out, std::string& error) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    error = "cannot read directory " + dir + ": " + ec.message();
    return false;
  }
  for (const auto& entry : it) {
    if (entry.path().extension() == ".jsonl") out.emplace_back(entry.path().string(), entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return true;
}

bool Store::SeedFile(const std::string& path, const std::string& object, std::vector<std::string>& notes) {
  std::ifstream in(path);
  std::string line;
  int64_t number = 0;
  auto& records = tables_[object];
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json record = ParseExact(line);
    if (record.is_discarded() || !record.is_object()) {
      notes.push_back(std::filesystem::path(path).filename().string() + ":" + std::to_string(number) + ": " +
                      (record.is_discarded() ? "malformed JSON" : "not a JSON object") + ", line skipped");
      continue;
    }
    records.push_back(std::move(record));
  }
  return true;
}

void Store::Reset() {
  tables_ = seed_;
  journal_.clear();
}

namespace {
std::string Format(const char* pattern, bool millis) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, pattern, &tm);
  std::string out = buf;
  if (millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
    out += frac;
  }
  return out;
}
}  // namespace

std::string NowSalesforce() { return Format("%Y-%m-%dT%H:%M:%S", true) + "+0000"; }
std::string NowRfc3339() { return Format("%Y-%m-%dT%H:%M:%SZ", false); }

}  // namespace crmx::emulate
