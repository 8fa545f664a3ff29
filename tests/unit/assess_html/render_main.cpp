// Defines crmx_assess_html_render, a test-only driver: `crmx_assess_html_render REPORT.json
// OUT.html` writes AssessmentHtml (runtime/assess/html_report.h) of a JSON report, as
// `crmx-run assess --format html` would, so tests/e2e/assess_html can load fixture reports in
// Chromium without a plan or data.
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/assess/html_report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: crmx_assess_html_render REPORT.json OUT.html\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << argv[1] << "\n";
    return 2;
  }
  nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    std::cerr << "error: " << argv[1] << " is not JSON\n";
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << crmx::assess::AssessmentHtml(report);
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << argv[2] << "\n";
    return 2;
  }
  return 0;
}
