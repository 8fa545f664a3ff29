// Defines diagnostics: the registry of kinds with permanent codes, the Diagnostic value
// (message, primary and secondary spans, notes, help with an optional fix), and the
// DiagnosticSink that phases report into.
//
// Message style (docs/diagnostics.md): lowercase start, no final period, code in backticks,
// say what was observed; help comes after the explanation, never instead of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/source.h"

namespace crmx::diag {

enum class Severity { Error, Warning, Note };

enum class Kind : uint16_t {
#define CRMX_DIAG(code, name, sev, summary) name,
#include "compiler/diagnostics/kinds.def"
#undef CRMX_DIAG
  kCount
};

struct KindInfo {
  Kind kind;
  std::string_view code;     // "E0001"
  std::string_view name;     // "UnexpectedToken"
  Severity severity;         // default severity
  std::string_view summary;  // one line, for the error index and SARIF rule descriptions
};

const KindInfo& Info(Kind kind);
// All kinds in code order.
const std::vector<KindInfo>& AllKinds();
// Looks a kind up by its code ("E0001", case-insensitive); nullopt when unknown.
std::optional<Kind> FindCode(std::string_view code);
std::string_view SeverityName(Severity s);

struct Label {
  Span span;
  std::string message;  // may be empty: carets only
};

// A concrete edit that resolves the diagnostic. `applicable` says whether a tool may apply
// it without a person looking (rustc's MachineApplicable).
struct Fix {
  Span span;
  std::string replacement;
  bool applicable = false;
};

struct Diagnostic {
  Kind kind = Kind::UnexpectedToken;
  Severity severity = Severity::Error;
  std::string message;
  Label primary;
  std::vector<Label> secondary;
  std::vector<std::string> notes;
  std::optional<std::string> help;
  std::optional<Fix> fix;

  std::string_view code() const { return Info(kind).code; }
};

struct Counts {
  size_t errors = 0;
  size_t warnings = 0;
};
// How many errors and warnings `diags` holds.
Counts Count(const std::vector<Diagnostic>& diags);

// Builds a diagnostic of `kind` with its registry severity.
Diagnostic Make(Kind kind, Span span, std::string message, std::string label = {});

// Collects diagnostics in report order. Once `error_cap` errors are in, further errors are
// dropped and a single E0009 note-like error is recorded (the run still fails).
class DiagnosticSink {
 public:
  explicit DiagnosticSink(size_t error_cap = 100) : error_cap_(error_cap) {}

  void Report(Diagnostic d);
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return warnings_; }
  bool has_errors() const { return errors_ > 0; }
  bool capped() const { return capped_; }
  // Sorts by file, then position, keeping report order for ties (stable output).
  void SortByPosition();

 private:
  size_t error_cap_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
  bool capped_ = false;
  std::vector<Diagnostic> diags_;
};

}  // namespace crmx::diag
