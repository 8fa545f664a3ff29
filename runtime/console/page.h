// Defines the pieces every console page is built from: the frame (head, navigation, who is
// logged in, the logout form), tables whose cells are escaped, the login form, and hidden CSRF
// fields. Every text that reaches a page goes through H (runtime/http/html.h's escaper); the
// only raw HTML is what these functions build.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/console/session.h"
#include "runtime/http/html.h"

namespace crmx::console {

// Text made safe in an element or a quoted attribute.
inline std::string H(std::string_view text) { return http::HtmlEscape(text); }

// A cell of a table: text (escaped) or HTML built by these functions.
struct Cell {
  std::string html;
  bool num = false;  // right-aligned, tabular figures
  static Cell Text(std::string_view t) { return {H(t), false}; }
  static Cell Num(std::string_view t) { return {"<span data-copy>" + H(t) + "</span>", true}; }
  static Cell Html(std::string h) { return {std::move(h), false}; }
};

// A table with a caption (for screen readers and people) and header cells (`num_columns`:
// which columns hold figures).
std::string Table(std::string_view caption, const std::vector<std::string>& head,
                  const std::vector<std::vector<Cell>>& rows, const std::vector<size_t>& num_columns = {});
// <a href="HREF">TEXT</a>, both escaped.
std::string Link(std::string_view href, std::string_view text);
// A query string's value, percent-encoded.
std::string UrlEncode(std::string_view text);
// The hidden field of a form carrying the session's CSRF token.
std::string CsrfField(const Session& s);

// A whole page: `title` (escaped), the navigation with `active` marked ("overview", "queues",
// "runs", "reports", "graph"), the session's name and role, and `body` (HTML).
std::string Layout(std::string_view integration, std::string_view title, std::string_view active, const Session& s,
                   std::string_view body);
// The login page (`message`, escaped, above the form when not empty).
std::string LoginPage(std::string_view integration, std::string_view message);
// A page that only says something (an error, a refusal), with a link back.
std::string MessagePage(std::string_view integration, std::string_view title, std::string_view message,
                        const Session* s);

}  // namespace crmx::console
