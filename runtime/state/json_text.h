// Defines the JSON text the state store writes itself, without building a JSON tree per row (a
// run writes one for every queued or flagged record): a string, escaped as nlohmann's dump()
// writes it (the reasons and fields columns, the keys of a flag set).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace crmx::state {

// Appends `s` to `out` as a JSON string, quotes included. Runs without a byte to escape (most
// keys and reasons: all of them) are appended whole.
inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the bytes not appended yet
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

}  // namespace crmx::state
