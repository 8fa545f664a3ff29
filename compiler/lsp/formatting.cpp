// Defines FormatDocument (document_features.h): textDocument/formatting through the formatter
// of `crmxc fmt` (fmt/format.h). The canonical layout has no options, so the request's
// `tabSize` and `insertSpaces` are not read.
#include "compiler/fmt/format.h"
#include "compiler/lsp/document_features.h"

namespace crmx::lsp {

FormatOutcome FormatDocument(const Document& doc) {
  SourceManager sources;
  FileId id = sources.Add(doc.path().empty() ? doc.uri() : doc.path(), doc.text());
  diag::DiagnosticSink sink;
  fmt::FormatResult result = fmt::Format(sources.Get(id), sink);
  FormatOutcome out;
  switch (result.status) {
    case fmt::FormatStatus::SyntaxErrors: {
      size_t errors = sink.error_count();
      out.error = "the document has " + std::to_string(errors) + (errors == 1 ? " syntax error" : " syntax errors") +
                  ": not formatted";
      return out;
    }
    case fmt::FormatStatus::InternalError:
      out.error = "not formatted: " + result.message;
      return out;
    case fmt::FormatStatus::Formatted:
      break;
  }
  out.ok = true;
  // One edit replacing the whole text: the editor diffs it to keep the cursor in place.
  if (result.text != doc.text())
    out.edits.push_back({{"range", doc.Range(0, doc.text().size())}, {"newText", result.text}});
  return out;
}

}  // namespace crmx::lsp
