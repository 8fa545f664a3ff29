// Defines the splitting of one CSV line into cells (RFC 4180 quoting: `""` inside quotes is a
// quote; a trailing `\r` is dropped). Header-only, so the compiler (CSV lookup tables read at
// build time) and the file connector share it without the compiler linking the runtime.
#pragma once

#include <string>
#include <vector>

namespace crmx::connectors {

inline std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace crmx::connectors
