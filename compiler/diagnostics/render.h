// Defines the diagnostic renderers: the human (rustc-style) report, the JSON document
// (docs/diagnostics-json.md), SARIF 2.1.0 for code scanning, and GitHub Actions workflow
// commands. Every renderer is deterministic: the same diagnostics and options give the same
// bytes. None of them sorts; callers sort first (DiagnosticSink::SortByPosition).
//
// Spans are resolved against the SourceManager; a span with no file, or one past the end of
// its file, is clamped or shown without a snippet rather than trusted.
#pragma once

#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::diag {

struct RenderOptions {
  // ANSI colour in human output (see ShouldUseColor).
  bool color = false;
  // Paths in JSON, SARIF and GitHub output are made relative to this directory when the
  // file lies under it (SARIF: under the %SRCROOT% base id). Empty: paths stay as given
  // and SARIF's %SRCROOT% is the current directory.
  std::string base_dir;
  std::string tool_version = "0.1.0";
  // Absolute base URI of the published repository or docs site, ending in '/', e.g.
  // "https://example.org/crmx/". When set, SARIF gets tool.driver.informationUri = docs_uri
  // and each rule's helpUri = docs_uri + "docs/errors/CODE.md". SARIF requires absolute URIs
  // there, so both are omitted when empty (each rule still carries its page as help.markdown).
  std::string docs_uri;
  // What was being checked, for the human summary line ("could not check `x` due to ...").
  // Empty: "aborting due to ...".
  std::string subject;
};

// rustc-style report: header, `-->` location, source lines with carets, notes, help and a
// suggestion block when a fix exists; one blank line after each diagnostic.
void RenderHuman(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                 const RenderOptions& options);
// One JSON document, schema docs/diagnostics-json.schema.json (version 1).
void RenderJson(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                const RenderOptions& options);
// One SARIF 2.1.0 log with one run.
void RenderSarif(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                 const RenderOptions& options);
// One `::error ...::message` workflow command per diagnostic, one per line.
void RenderGithub(std::ostream& out, const SourceManager& sm,
                  const std::vector<Diagnostic>& diags, const RenderOptions& options);
// The closing line of a human report, e.g.
// "error: could not check `x` due to 3 previous errors; 1 warning emitted". Prints nothing
// when both counts are zero.
void RenderSummary(std::ostream& out, size_t errors, size_t warnings, const RenderOptions& options);

// True when `stream` is a terminal, NO_COLOR is unset or empty (no-color.org), and TERM is
// not "dumb".
bool ShouldUseColor(FILE* stream);

// GitHub workflow-command escaping: data escapes %, \r, \n; properties also escape : and ,.
std::string GithubEscapeData(std::string_view s);
std::string GithubEscapeProperty(std::string_view s);

}  // namespace crmx::diag
