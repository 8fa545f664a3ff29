// Defines the console's page pieces (page.h).
#include "runtime/console/page.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace crmx::console {

namespace {

std::string Head(std::string_view integration, std::string_view title) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         H(title) + " · " + H(integration) +
         " · crmx console</title>"
         "<link rel=\"stylesheet\" href=\"/static/console.css\">"
         "<script src=\"/static/console.js\" defer></script></head>\n";
}

}  // namespace

std::string Table(std::string_view caption, const std::vector<std::string>& head,
                  const std::vector<std::vector<Cell>>& rows, const std::vector<size_t>& num_columns) {
  auto is_num = [&](size_t i) { return std::find(num_columns.begin(), num_columns.end(), i) != num_columns.end(); };
  std::string o = "<table>";
  if (!caption.empty()) o += "<caption class=\"muted\">" + H(caption) + "</caption>";
  o += "<thead><tr>";
  for (size_t i = 0; i < head.size(); ++i)
    o += std::string("<th scope=\"col\"") + (is_num(i) ? " class=\"num\"" : "") + ">" + H(head[i]) + "</th>";
  o += "</tr></thead><tbody>";
  for (const std::vector<Cell>& r : rows) {
    o += "<tr>";
    for (size_t i = 0; i < r.size(); ++i)
      o += std::string("<td") + (r[i].num || is_num(i) ? " class=\"num\"" : "") + ">" + r[i].html + "</td>";
    o += "</tr>";
  }
  return o + "</tbody></table>\n";
}

std::string Link(std::string_view href, std::string_view text) {
  return "<a href=\"" + H(href) + "\">" + H(text) + "</a>";
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string CsrfField(const Session& s) { return "<input type=\"hidden\" name=\"csrf\" value=\"" + H(s.csrf) + "\">"; }

std::string Layout(std::string_view integration, std::string_view title, std::string_view active, const Session& s,
                   std::string_view body) {
  static const std::vector<std::pair<const char*, const char*>> kNav = {
      {"overview", "/"}, {"queues", "/queues"}, {"runs", "/runs"}, {"reports", "/reports"}, {"graph", "/graph"}};
  std::string nav;
  for (const auto& [name, href] : kNav) {
    std::string label = name;
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
    nav += std::string("<a href=\"") + href + "\"" + (active == name ? " aria-current=\"page\"" : "") + ">" + label +
           "</a> ";
  }
  return Head(integration, title) +
         "<body><a class=\"skip\" href=\"#main\">Skip to the content</a><header><strong>crmx</strong> " +
         H(integration) + " <nav aria-label=\"Console\">" + nav + "</nav><span class=\"who\">" + H(s.name) + " (" +
         H(RoleName(s.role)) + ")</span><form method=\"post\" action=\"/logout\">" + CsrfField(s) +
         "<button type=\"submit\">Log out</button></form></header>\n<main id=\"main\"><h1>" + H(title) + "</h1>\n" +
         std::string(body) + "</main></body></html>\n";
}

std::string LoginPage(std::string_view integration, std::string_view message) {
  std::string o = Head(integration, "Log in") +
                  "<body><main id=\"main\" class=\"login\"><h1>crmx console: " + H(integration) + "</h1>\n";
  if (!message.empty()) o += "<p class=\"panel error\" role=\"alert\">" + H(message) + "</p>";
  o += "<form method=\"post\" action=\"/login\"><label for=\"token\">Login token</label>"
       "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>"
       "<button type=\"submit\">Log in</button></form>"
       "<p class=\"muted\">The tokens are in the profile's <code>console.logins</code> (docs/console.md).</p>"
       "</main></body></html>\n";
  return o;
}

std::string MessagePage(std::string_view integration, std::string_view title, std::string_view message,
                        const Session* s) {
  std::string body =
      "<p class=\"panel error\" role=\"alert\">" + H(message) + "</p><p>" + Link("/", "Back to the overview") + "</p>";
  if (s) return Layout(integration, title, "", *s, body);
  return Head(integration, title) + "<body><main id=\"main\"><h1>" + H(title) + "</h1>" + body +
         "</main></body></html>\n";
}

}  // namespace crmx::console
