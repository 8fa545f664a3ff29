// Writes sample diagnostics as JSON and SARIF (argv[1]/sample.json, argv[1]/sample.sarif),
// and with --human prints the human report to stdout. The samples cover every shape the
// renderers handle: fixes, secondary labels in and across files, multi-line spans, a span
// at end of file, a diagnostic without a file, and a warning.
#include <fstream>
#include <iostream>
#include <string>

#include "compiler/diagnostics/render.h"

using namespace crmx;
using namespace crmx::diag;

namespace {

std::vector<Diagnostic> Samples(SourceManager& sm) {
  FileId a = sm.Add("examples/acme.crmx",
                    "integration acme version \"1.0\"\n"
                    "\n"
                    "map won_to_order: crm.Opportunity -> erp.SalesOrder {\n"
                    "  key externalId = Id\n"
                    "  total = Amount\n"
                    "}\n"
                    "sync won_to_order on change when StageName = \"Closed Won\" {\n"
                    "  retry 5 backoff exponential(2s, 10x)\n"
                    "}\n");
  FileId b = sm.Add("examples/lib/common.crmx", "map won_to_order: crm.A -> erp.B {\n}\n");
  const SourceFile& fa = sm.Get(a);
  std::vector<Diagnostic> out;

  auto line7 = fa.LineText(7);
  uint32_t l7 = static_cast<uint32_t>(fa.text().find("sync "));
  uint32_t eq = l7 + static_cast<uint32_t>(line7.find(" = ")) + 1;
  Diagnostic d = Make(Kind::AssignInCondition, fa.MakeSpan(eq, eq + 1),
                      "`=` used where `==` was meant", "this assigns; comparison is `==`");
  d.notes.push_back("a `when` condition compares; it never assigns");
  d.help = "write `==` to compare";
  d.fix = Fix{fa.MakeSpan(eq, eq + 1), "==", true};
  out.push_back(d);

  uint32_t dur = static_cast<uint32_t>(fa.text().find("10x"));
  Diagnostic e = Make(Kind::InvalidDuration, fa.MakeSpan(dur, dur + 3), "`10x` is not a duration",
                      "unknown unit `x`");
  e.help = "durations end in `ms`, `s`, `m`, `h` or `d`";
  out.push_back(e);

  uint32_t map_begin = static_cast<uint32_t>(fa.text().find("map "));
  uint32_t map_end = static_cast<uint32_t>(fa.text().find("}\n")) + 1;
  uint32_t name = map_begin + 4;
  Diagnostic f = Make(Kind::DuplicateName, fa.MakeSpan(name, name + 12),
                      "`won_to_order` is declared twice", "declared again here");
  f.secondary.push_back(Label{sm.Get(b).MakeSpan(4, 16), "first declared here"});
  f.secondary.push_back(Label{fa.MakeSpan(map_begin, map_end), "in this map"});
  f.help = "rename one of them";
  out.push_back(f);

  uint32_t size = static_cast<uint32_t>(fa.text().size());
  Diagnostic g = Make(Kind::UnclosedDelimiter, fa.MakeSpan(size, size), "this file ends inside `{`",
                      "expected `}`");
  g.severity = Severity::Warning;
  out.push_back(g);

  Diagnostic h = Make(Kind::ImportNotFound, Span{}, "cannot read `lib/missing.crmx`");
  h.notes.push_back("imports are resolved relative to the importing file");
  out.push_back(h);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: diag_render_samples OUT_DIR | --human | --github\n";
    return 2;
  }
  SourceManager sm;
  auto diags = Samples(sm);
  RenderOptions o;
  o.base_dir = ".";
  std::string arg = argv[1];
  if (arg == "--human") {
    o.color = argc > 2;
    RenderHuman(std::cout, sm, diags, o);
    RenderSummary(std::cout, 4, 1, o);
    return 0;
  }
  if (arg == "--github") {
    RenderGithub(std::cout, sm, diags, o);
    return 0;
  }
  std::ofstream json(arg + "/sample.json");
  RenderJson(json, sm, diags, o);
  std::ofstream sarif(arg + "/sample.sarif");
  RenderSarif(sarif, sm, diags, o);
  o.docs_uri = "https://example.org/crmx/";
  std::ofstream sarif2(arg + "/sample-docs-uri.sarif");
  RenderSarif(sarif2, sm, diags, o);
  std::ofstream empty_json(arg + "/empty.json");
  RenderJson(empty_json, sm, {}, o);
  std::ofstream empty_sarif(arg + "/empty.sarif");
  RenderSarif(empty_sarif, sm, {}, o);
  return json && sarif && sarif2 && empty_json && empty_sarif ? 0 : 1;
}
