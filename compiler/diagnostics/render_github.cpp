// Defines RenderGithub: GitHub Actions workflow commands
// (`::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=E0004::message`), which the
// runner turns into annotations on the pull request.
#include "compiler/diagnostics/render.h"
#include "compiler/diagnostics/render_util.h"

namespace crmx::diag {

std::string GithubEscapeData(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string GithubEscapeProperty(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

void RenderGithub(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                  const RenderOptions& options) {
  for (const Diagnostic& d : diags) {
    const char* command = d.severity == Severity::Error     ? "error"
                          : d.severity == Severity::Warning ? "warning"
                                                            : "notice";
    std::string props;
    if (auto r = detail::Resolve(sm, d.primary.span)) {
      props += "file=" + GithubEscapeProperty(detail::DisplayPath(r->file->path(), options.base_dir));
      props += ",line=" + std::to_string(r->line);
      props += ",col=" + std::to_string(r->col);
      props += ",endLine=" + std::to_string(r->end_line);
      // GitHub reads endColumn only for single-line annotations.
      if (r->end_line == r->line) props += ",endColumn=" + std::to_string(r->end_col);
      props += ",";
    }
    props += "title=" + GithubEscapeProperty(std::string(d.code()));
    std::string message = d.message;
    if (!d.primary.message.empty()) message += ": " + d.primary.message;
    for (const std::string& n : d.notes) message += "\nnote: " + n;
    if (d.help) message += "\nhelp: " + *d.help;
    out << "::" << command << " " << props << "::" << GithubEscapeData(message) << "\n";
  }
}

}  // namespace crmx::diag
