// Defines the formatter: the one entry point from a .crmx text to its canonical layout.
//
// Text in, formatted text or diagnostics out, so `crmxc fmt` and an editor's formatting
// request share it. The layout (docs/cli.md, "crmxc fmt"): two spaces per block, one statement
// per line, one space between tokens except where the language reads tighter (`f(x)`, `a.b`,
// `name: value`, `80%`, `-x`), the `=` of a map's run of assignments and the `{` of an owner's
// objects aligned, at most one blank line in a row. The author's line breaks inside a
// statement are kept (continuation lines are re-indented), and so is every comment: on its
// own line, indented like the code after it, or after code, where trailing comments of one
// group of lines share a column.
//
// The formatter changes whitespace only: it checks that the text it returns has the same
// tokens and comments as the input, and refuses a file that has syntax errors.
#pragma once

#include <string>

#include "compiler/base/source.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::fmt {

enum class FormatStatus {
  Formatted,     // `text` holds the canonical layout (equal to the input when it already was)
  SyntaxErrors,  // the file does not parse; the errors went to the sink, `text` is empty
  InternalError  // the formatter would have changed more than whitespace; see `message`
};

struct FormatResult {
  FormatStatus status = FormatStatus::InternalError;
  std::string text;
  std::string message;
};

// Formats `file`. Syntax errors (and the parser's warnings) are reported to `sink`.
FormatResult Format(const SourceFile& file, diag::DiagnosticSink& sink);

}  // namespace crmx::fmt
