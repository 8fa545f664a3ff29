// Defines the reports of `crmx-run reconcile` (docs/operations.md, "Reconciliation"): one or
// more reconciliation results (reconcile.h) as text for a terminal, JSON for programs,
// Markdown for a ticket or a pull request, and a self-contained HTML page (inline CSS, no
// external assets) for a mail or a browser. Every value from a system is escaped for the
// format it goes into. The text, Markdown and HTML forms are one document (sections of tables)
// rendered three ways, so they say the same things.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/html.h"
#include "runtime/watch/reconcile.h"

namespace crmx::watch {

std::string TextReport(const std::vector<Result>& results);
std::string JsonReport(const std::vector<Result>& results);
std::string MarkdownReport(const std::vector<Result>& results);
std::string HtmlReport(const std::vector<Result>& results);

// `text` safe in HTML text and attribute values (runtime/http/html.h).
using http::HtmlEscape;
// `text` safe in a Markdown table cell: its markup and `|` escaped, `<` `>` as entities,
// line breaks as spaces.
std::string MarkdownEscape(std::string_view text);

}  // namespace crmx::watch
