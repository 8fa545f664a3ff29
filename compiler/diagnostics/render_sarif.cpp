// Defines RenderSarif: a SARIF 2.1.0 log for code scanning (GitHub, Azure DevOps, IDEs).
//
// Choices worth knowing:
// - One rule per code used, in code order; ruleId is the permanent code, ruleIndex points
//   into tool.driver.rules, and each rule carries its error-index page as help.markdown.
// - URIs are relative to %SRCROOT% (originalUriBaseIds gives its absolute file URI) when the
//   file lies under RenderOptions::base_dir.
// - Columns are Unicode code points (run.columnKind), end columns exclusive.
// - partialFingerprints.primaryLocationLineHash hashes the code, the relative path and the
//   trimmed text of the primary line, never line numbers, so moving code does not open a
//   new alert; ":N" numbers repeats of the same hash within the run.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compiler/diagnostics/error_pages.h"
#include "compiler/diagnostics/render.h"
#include "compiler/diagnostics/render_util.h"

namespace crmx::diag {

namespace {

using nlohmann::ordered_json;

constexpr const char* kSchemaUri =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

uint64_t Fnv1a(std::string_view s, uint64_t h = 14695981039346656037ull) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex16(uint64_t v) {
  static const char* hex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = hex[v & 15];
    v >>= 4;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* Level(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

ordered_json ArtifactLocation(const SourceFile& f, const RenderOptions& o) {
  if (auto rel = detail::RelativeTo(f.path(), o.base_dir.empty() ? "." : o.base_dir)) {
    return ordered_json{{"uri", detail::UriEscapePath(*rel)}, {"uriBaseId", "%SRCROOT%"}};
  }
  return ordered_json{{"uri", detail::FileUri(f.path(), false)}};
}

ordered_json Region(const detail::Resolved& r) {
  uint32_t char_offset = detail::CodePoints(std::string_view(r.file->text()).substr(0, r.begin));
  uint32_t char_length =
      detail::CodePoints(std::string_view(r.file->text()).substr(r.begin, r.end - r.begin));
  return ordered_json{{"startLine", r.line},      {"startColumn", r.col},
                      {"endLine", r.end_line},    {"endColumn", r.end_col},
                      {"charOffset", char_offset}, {"charLength", char_length}};
}

std::optional<ordered_json> PhysicalLocation(const SourceManager& sm, const Span& span,
                                             const RenderOptions& o) {
  auto r = detail::Resolve(sm, span);
  if (!r) return std::nullopt;
  return ordered_json{{"artifactLocation", ArtifactLocation(*r->file, o)}, {"region", Region(*r)}};
}

std::string MessageText(const Diagnostic& d) {
  std::string text = d.message;
  for (const std::string& n : d.notes) text += "\nnote: " + n;
  if (d.help) text += "\nhelp: " + *d.help;
  return text;
}

}  // namespace

void RenderSarif(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                 const RenderOptions& options) {
  // Rules: one per code used, in code order.
  std::set<Kind> used;
  for (const Diagnostic& d : diags) used.insert(d.kind);
  std::map<Kind, size_t> rule_index;
  ordered_json rules = ordered_json::array();
  for (Kind k : used) {
    const KindInfo& info = Info(k);
    rule_index[k] = rules.size();
    ordered_json rule;
    rule["id"] = info.code;
    rule["name"] = info.name;
    rule["shortDescription"] = {{"text", info.summary}};
    if (!options.docs_uri.empty())
      rule["helpUri"] = options.docs_uri + "docs/errors/" + std::string(info.code) + ".md";
    std::string help_text = "Run `crmxc explain " + std::string(info.code) + "` for details.";
    if (auto page = ErrorPage(info.code)) {
      rule["help"] = {{"text", help_text}, {"markdown", std::string(*page)}};
    } else {
      rule["help"] = {{"text", help_text}};
    }
    rule["defaultConfiguration"] = {{"level", Level(info.severity)}};
    rules.push_back(std::move(rule));
  }

  ordered_json driver;
  driver["name"] = "crmxc";
  driver["version"] = options.tool_version;
  if (!options.docs_uri.empty()) driver["informationUri"] = options.docs_uri;
  driver["rules"] = std::move(rules);

  std::map<std::string, size_t> seen_hashes;
  ordered_json results = ordered_json::array();
  for (const Diagnostic& d : diags) {
    ordered_json res;
    res["ruleId"] = d.code();
    res["ruleIndex"] = rule_index[d.kind];
    res["level"] = Level(d.severity);
    res["message"] = {{"text", MessageText(d)}};
    ordered_json locations = ordered_json::array();
    if (auto pl = PhysicalLocation(sm, d.primary.span, options)) {
      ordered_json loc{{"physicalLocation", *pl}};
      if (!d.primary.message.empty()) loc["message"] = {{"text", d.primary.message}};
      locations.push_back(std::move(loc));
    }
    res["locations"] = std::move(locations);
    ordered_json related = ordered_json::array();
    int id = 1;
    for (const Label& l : d.secondary) {
      auto pl = PhysicalLocation(sm, l.span, options);
      if (!pl) continue;
      ordered_json loc{{"id", id++}, {"physicalLocation", *pl}};
      if (!l.message.empty()) loc["message"] = {{"text", l.message}};
      related.push_back(std::move(loc));
    }
    if (!related.empty()) res["relatedLocations"] = std::move(related);
    if (d.fix) {
      if (auto r = detail::Resolve(sm, d.fix->span)) {
        ordered_json change{
            {"artifactLocation", ArtifactLocation(*r->file, options)},
            {"replacements",
             ordered_json::array({ordered_json{{"deletedRegion", Region(*r)},
                                               {"insertedContent", {{"text", d.fix->replacement}}}}})}};
        ordered_json fix{{"description", {{"text", d.help ? *d.help : std::string("apply the fix")}}},
                         {"artifactChanges", ordered_json::array({change})}};
        res["fixes"] = ordered_json::array({fix});
      }
    }
    // Fingerprint: code, relative path, trimmed line text; no line numbers.
    uint64_t h = Fnv1a(d.code());
    if (auto r = detail::Resolve(sm, d.primary.span)) {
      h = Fnv1a(std::string_view("\0", 1), h);
      h = Fnv1a(detail::DisplayPath(r->file->path(), options.base_dir), h);
      h = Fnv1a(std::string_view("\0", 1), h);
      h = Fnv1a(Trim(r->file->LineText(r->line)), h);
    } else {
      h = Fnv1a(d.message, h);
    }
    std::string hash = Hex16(h);
    size_t n = ++seen_hashes[hash];
    res["partialFingerprints"] = {{"primaryLocationLineHash", hash + ":" + std::to_string(n)}};
    results.push_back(std::move(res));
  }

  ordered_json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["originalUriBaseIds"] = {
      {"%SRCROOT%", {{"uri", detail::FileUri(options.base_dir.empty() ? "." : options.base_dir, true)}}}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);

  ordered_json log;
  log["$schema"] = kSchemaUri;
  log["version"] = "2.1.0";
  log["runs"] = ordered_json::array({std::move(run)});
  out << log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace crmx::diag
