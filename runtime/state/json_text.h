// Defines the JSON text the state store writes itself, without building a JSON tree per row (a
// run writes one for every queued or flagged record): a string, escaped as nlohmann's dump()
// writes it (the reasons and fields columns, the keys of a flag set).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace crmx::state {

// Appends `s` to `out` as a JSON string, quotes included.
inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace crmx::state
