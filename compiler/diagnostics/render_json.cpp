// Defines RenderJson: the machine-readable report described field by field in
// docs/diagnostics-json.md and docs/diagnostics-json.schema.json (version 1).
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/diagnostics/render.h"
#include "compiler/diagnostics/render_util.h"

namespace crmx::diag {

namespace {

using nlohmann::ordered_json;

ordered_json SpanJson(const detail::Resolved& r) {
  return ordered_json{{"begin", r.begin},       {"end", r.end},
                      {"line", r.line},         {"column", r.col},
                      {"end_line", r.end_line}, {"end_column", r.end_col}};
}

// {"file": ..., "span": ...} for a span; both null when it has no file.
void PutLocation(ordered_json& obj, const SourceManager& sm, const Span& span,
                 const RenderOptions& o) {
  auto r = detail::Resolve(sm, span);
  if (r) {
    obj["file"] = detail::DisplayPath(r->file->path(), o.base_dir);
    obj["span"] = SpanJson(*r);
  } else {
    obj["file"] = nullptr;
    obj["span"] = nullptr;
  }
}

}  // namespace

void RenderJson(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                const RenderOptions& options) {
  ordered_json doc;
  doc["version"] = 1;
  doc["tool"] = {{"name", "crmxc"}, {"version", options.tool_version}};
  ordered_json list = ordered_json::array();
  size_t errors = 0, warnings = 0, notes = 0;
  RenderOptions plain = options;
  plain.color = false;
  for (const Diagnostic& d : diags) {
    if (d.severity == Severity::Error) ++errors;
    if (d.severity == Severity::Warning) ++warnings;
    if (d.severity == Severity::Note) ++notes;
    ordered_json j;
    j["code"] = d.code();
    j["name"] = Info(d.kind).name;
    j["severity"] = SeverityName(d.severity);
    j["message"] = d.message;
    PutLocation(j, sm, d.primary.span, options);
    j["label"] = d.primary.message;
    ordered_json secondary = ordered_json::array();
    for (const Label& l : d.secondary) {
      ordered_json s;
      PutLocation(s, sm, l.span, options);
      s["label"] = l.message;
      secondary.push_back(std::move(s));
    }
    j["secondary"] = std::move(secondary);
    j["notes"] = d.notes;
    j["help"] = d.help ? ordered_json(*d.help) : ordered_json(nullptr);
    if (d.fix) {
      ordered_json f;
      PutLocation(f, sm, d.fix->span, options);
      f["replacement"] = d.fix->replacement;
      f["applicable"] = d.fix->applicable;
      j["fix"] = std::move(f);
    } else {
      j["fix"] = nullptr;
    }
    std::ostringstream rendered;
    RenderHuman(rendered, sm, {d}, plain);
    j["rendered"] = rendered.str();
    list.push_back(std::move(j));
  }
  doc["diagnostics"] = std::move(list);
  doc["summary"] = {{"errors", errors}, {"warnings", warnings}, {"notes", notes}};
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace crmx::diag
