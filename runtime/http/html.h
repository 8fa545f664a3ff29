// Defines HtmlEscape: text made safe in an HTML element or a quoted attribute value, for the
// pages crmx-run writes (the watch report, `crmx-run assess --format html`).
#pragma once

#include <string>
#include <string_view>

namespace crmx::http {

// &, <, >, " and ' as entities; control characters other than tab, newline and carriage return
// (which no page should carry) as U+FFFD. Other bytes, UTF-8 included, pass through.
inline std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n':
      case '\r': out += c; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

}  // namespace crmx::http
