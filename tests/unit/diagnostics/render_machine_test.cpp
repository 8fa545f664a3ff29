// Tests the machine renderers: JSON fields, SARIF structure and fingerprints, GitHub
// workflow-command escaping. Schema validation of both formats runs in the
// diagnostics_schemas test (tests/sarif/).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/diagnostics/render.h"

using namespace crmx;
using namespace crmx::diag;
using nlohmann::json;

namespace {

struct Fixture {
  SourceManager sm;
  std::vector<Diagnostic> diags;
  RenderOptions o;
  explicit Fixture(std::string text, std::string path = "/home/dev/proj/specs/a.crmx") {
    o.base_dir = "/home/dev/proj";
    const SourceFile& f = sm.Get(sm.Add(path, std::move(text)));
    uint32_t eq = static_cast<uint32_t>(f.text().find(" = \"")) + 1;
    Diagnostic d = Make(Kind::AssignInCondition, f.MakeSpan(eq, eq + 1), "`=` used where `==` was meant",
                        "this assigns");
    d.help = "write `==` to compare";
    d.fix = Fix{f.MakeSpan(eq, eq + 1), "==", true};
    d.secondary.push_back(Label{f.MakeSpan(0, 4), "in this sync"});
    diags.push_back(d);
  }
  json Json() {
    std::ostringstream out;
    RenderJson(out, sm, diags, o);
    return json::parse(out.str());
  }
  json Sarif() {
    std::ostringstream out;
    RenderSarif(out, sm, diags, o);
    return json::parse(out.str());
  }
};

}  // namespace

TEST_CASE("JSON carries code, relative file, spans in code points, fix and summary") {
  Fixture fx("sync m when Name = \"Zoë\" {}\n");
  json j = fx.Json();
  CHECK(j["version"] == 1);
  REQUIRE(j["diagnostics"].size() == 1);
  json d = j["diagnostics"][0];
  CHECK(d["code"] == "E0004");
  CHECK(d["name"] == "AssignInCondition");
  CHECK(d["severity"] == "error");
  CHECK(d["file"] == "specs/a.crmx");
  CHECK(d["span"] == json{{"begin", 17}, {"end", 18}, {"line", 1}, {"column", 18}, {"end_line", 1}, {"end_column", 19}});
  CHECK(d["label"] == "this assigns");
  CHECK(d["secondary"][0]["label"] == "in this sync");
  CHECK(d["help"] == "write `==` to compare");
  CHECK(d["fix"]["replacement"] == "==");
  CHECK(d["fix"]["applicable"] == true);
  CHECK(d["rendered"].get<std::string>().rfind("error[E0004]", 0) == 0);
  CHECK(j["summary"] == json{{"errors", 1}, {"warnings", 0}, {"notes", 0}});

  // A diagnostic without a file has null file and span.
  fx.diags[0].primary.span = Span{};
  fx.diags[0].fix.reset();
  json k = fx.Json();
  CHECK(k["diagnostics"][0]["file"].is_null());
  CHECK(k["diagnostics"][0]["span"].is_null());
  CHECK(k["diagnostics"][0]["fix"].is_null());
}

TEST_CASE("SARIF: rules per code, relative URIs, regions, fixes, related locations") {
  Fixture fx("sync m when Name = \"Zoë\" {}\n");
  json s = fx.Sarif();
  CHECK(s["version"] == "2.1.0");
  CHECK(s["$schema"].get<std::string>().find("sarif-schema-2.1.0.json") != std::string::npos);
  json run = s["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "crmxc");
  CHECK(run["tool"]["driver"]["rules"].size() == 1);
  CHECK(run["tool"]["driver"]["rules"][0]["id"] == "E0004");
  CHECK(run["tool"]["driver"]["rules"][0]["help"]["markdown"].get<std::string>().rfind("# E0004", 0) == 0);
  CHECK_FALSE(run["tool"]["driver"].contains("informationUri"));
  CHECK(run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///home/dev/proj/");
  json r = run["results"][0];
  CHECK(r["ruleId"] == "E0004");
  CHECK(r["ruleIndex"] == 0);
  CHECK(r["level"] == "error");
  json loc = r["locations"][0]["physicalLocation"];
  CHECK(loc["artifactLocation"] == json{{"uri", "specs/a.crmx"}, {"uriBaseId", "%SRCROOT%"}});
  CHECK(loc["region"] == json{{"startLine", 1}, {"startColumn", 18}, {"endLine", 1}, {"endColumn", 19},
                              {"charOffset", 17}, {"charLength", 1}});
  CHECK(r["relatedLocations"][0]["message"]["text"] == "in this sync");
  CHECK(r["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "==");

  fx.o.docs_uri = "https://example.org/crmx/";
  json t = fx.Sarif();
  CHECK(t["runs"][0]["tool"]["driver"]["informationUri"] == "https://example.org/crmx/");
  CHECK(t["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] == "https://example.org/crmx/docs/errors/E0004.md");
}

TEST_CASE("SARIF fingerprints ignore line numbers and number repeats") {
  Fixture a("sync m when Name = \"x\" {}\n");
  Fixture moved("// a comment moves everything down\n\nsync m when Name = \"x\" {}\n");
  std::string fa = a.Sarif()["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"];
  std::string fm = moved.Sarif()["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"];
  CHECK(fa == fm);
  CHECK(fa.size() == 18);
  CHECK(fa.substr(16) == ":1");
  Fixture changed("sync m when Name = \"y\" {}\n");
  CHECK(changed.Sarif()["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"] != fa);
  a.diags.push_back(a.diags[0]);
  json both = a.Sarif()["runs"][0]["results"];
  CHECK(both[1]["partialFingerprints"]["primaryLocationLineHash"] == fa.substr(0, 16) + ":2");
}

TEST_CASE("a file outside the base directory gets an absolute file URI") {
  Fixture fx("sync m when Name = \"x\" {}\n", "/elsewhere/my spec.crmx");
  json loc = fx.Sarif()["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
  CHECK(loc["artifactLocation"] == json{{"uri", "file:///elsewhere/my%20spec.crmx"}});
}

TEST_CASE("GitHub workflow commands escape data and properties") {
  CHECK(GithubEscapeData("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b");
  CHECK(GithubEscapeProperty("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A");

  Fixture fx("sync m when Name = \"x\" {}\n", "/home/dev/proj/dir,1/a:b.crmx");
  fx.diags[0].notes.push_back("100% sure");
  std::ostringstream out;
  RenderGithub(out, fx.sm, fx.diags, fx.o);
  CHECK(out.str() ==
        "::error file=dir%2C1/a%3Ab.crmx,line=1,col=18,endLine=1,endColumn=19,title=E0004::"
        "`=` used where `==` was meant: this assigns%0Anote: 100%25 sure%0Ahelp: write `==` to compare\n");

  fx.diags[0].severity = Severity::Warning;
  fx.diags[0].primary.span = Span{};
  std::ostringstream out2;
  RenderGithub(out2, fx.sm, fx.diags, fx.o);
  CHECK(out2.str().rfind("::warning title=E0004::", 0) == 0);
}

TEST_CASE("ShouldUseColor is false for a non-terminal and when NO_COLOR is set") {
  FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  CHECK_FALSE(ShouldUseColor(f));
  std::fclose(f);
  CHECK_FALSE(ShouldUseColor(nullptr));
}
