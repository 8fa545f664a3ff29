// Defines the diagnostic registry lookups and DiagnosticSink.
#include "compiler/diagnostics/diagnostic.h"

#include <algorithm>
#include <cctype>

namespace crmx::diag {

const std::vector<KindInfo>& AllKinds() {
  static const std::vector<KindInfo> kinds = {
#define CRMX_DIAG(code, name, sev, summary) {Kind::name, #code, #name, Severity::sev, summary},
#include "compiler/diagnostics/kinds.def"
#undef CRMX_DIAG
  };
  return kinds;
}

const KindInfo& Info(Kind kind) { return AllKinds().at(static_cast<size_t>(kind)); }

std::optional<Kind> FindCode(std::string_view code) {
  for (const KindInfo& k : AllKinds()) {
    if (k.code.size() != code.size()) continue;
    bool same = true;
    for (size_t i = 0; i < code.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(code[i])) != k.code[i]) same = false;
    }
    if (same) return k.kind;
  }
  return std::nullopt;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

Counts Count(const std::vector<Diagnostic>& diags) {
  Counts c;
  for (const Diagnostic& d : diags) {
    if (d.severity == Severity::Error) ++c.errors;
    if (d.severity == Severity::Warning) ++c.warnings;
  }
  return c;
}

Diagnostic Make(Kind kind, Span span, std::string message, std::string label) {
  Diagnostic d;
  d.kind = kind;
  d.severity = Info(kind).severity;
  d.message = std::move(message);
  d.primary = Label{span, std::move(label)};
  return d;
}

void DiagnosticSink::Report(Diagnostic d) {
  if (d.severity == Severity::Error) {
    if (capped_) return;
    if (errors_ >= error_cap_) {
      capped_ = true;
      Diagnostic cap = Make(Kind::TooManyErrors, d.primary.span,
                            "too many errors: stopped after " + std::to_string(error_cap_));
      cap.notes.push_back("fix the errors above and run again to see the rest");
      ++errors_;
      diags_.push_back(std::move(cap));
      return;
    }
    ++errors_;
  } else if (d.severity == Severity::Warning) {
    ++warnings_;
  }
  diags_.push_back(std::move(d));
}

void DiagnosticSink::SortByPosition() {
  // The "too many errors" marker stays last; everything else is ordered by position.
  auto end = std::stable_partition(diags_.begin(), diags_.end(),
                                   [](const Diagnostic& d) { return d.kind != Kind::TooManyErrors; });
  std::stable_sort(diags_.begin(), end, [](const Diagnostic& a, const Diagnostic& b) {
    if (a.primary.span.file != b.primary.span.file) return a.primary.span.file < b.primary.span.file;
    return a.primary.span.begin < b.primary.span.begin;
  });
}

}  // namespace crmx::diag
