// Defines crmx_dump_records, a test-only tool: reads one CSV or JSONL file through the file
// connector's reader and prints what it read, for tests/e2e/real_data_readers.py to compare
// with Python's csv and json modules.
//
//   crmx_dump_records FILE.csv|FILE.jsonl
//
// stdout: one line per record, `{"line":N,"record":{...}}`, with every column of the header
// (CSV: read as strings) or every top-level key of the file (JSONL: read untyped, so objects
// are maps and numbers exact), in that order; a null value is JSON null.
// stderr: one line per bad line, `{"bad":N,"reason":"...","detail":"..."}`.
// Exit status: 0, or 2 when the file cannot be read.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/csv_line.h"
#include "runtime/connectors/internal.h"

namespace {

using namespace crmx;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The header's columns, each once (the reader reads a repeated name from its first column).
std::vector<std::string> CsvColumns(const std::string& text) {
  std::string_view t(text);
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);
  while (t.substr(0, 1) == "\n" || t.substr(0, 2) == "\r\n") t.remove_prefix(t[0] == '\n' ? 1 : 2);
  std::vector<connectors::CsvCell> cells;
  size_t used = 0;
  int64_t lines = 0;
  std::vector<std::string> out;
  if (t.empty() || connectors::ScanCsvRecord(t, true, cells, used, lines) != connectors::CsvScan::kRecord) return out;
  std::set<std::string> seen;
  for (const connectors::CsvCell& c : cells)
    if (seen.insert(c.Text()).second) out.push_back(c.Text());
  return out;
}

// Every top-level key of the file's objects, in the order first seen.
std::vector<std::string> JsonlKeys(const std::string& text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t at = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) at = 3;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    for (auto it = j.begin(); it != j.end(); ++it)
      if (seen.insert(it.key()).second) out.push_back(it.key());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: crmx_dump_records FILE.csv|FILE.jsonl\n";
    return 2;
  }
  std::string path = argv[1];
  bool csv = EndsWith(path, ".csv");
  if (!csv && !EndsWith(path, ".jsonl")) {
    std::cerr << path << ": not a .csv or .jsonl file\n";
    return 2;
  }
  std::string text = ReadFile(path);
  connectors::ReadRequest req;
  req.object = path;
  req.fields = csv ? CsvColumns(text) : JsonlKeys(text);
  req.types.assign(req.fields.size(), csv ? plan::FieldType::kString : plan::FieldType::kAny);
  std::string error;
  auto reader = csv ? connectors::OpenCsvReader(path, path, req, error) : connectors::OpenJsonlReader(path, path, req, error);
  if (!reader) {
    std::cerr << error << "\n";
    return 2;
  }
  connectors::RecordBatch batch;
  std::string out;
  while (reader->Next(batch)) {
    for (size_t i = 0; i < batch.size(); ++i) {
      out.clear();
      out += "{\"line\":" + std::to_string(batch.lines[i]) + ",\"record\":{";
      for (size_t f = 0; f < req.fields.size(); ++f) {
        if (f > 0) out += ',';
        connectors::AppendJsonString(out, req.fields[f]);
        out += ':';
        connectors::AppendJson(out, batch.Row(i)[f]);
      }
      out += "}}\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
    for (const connectors::BadLine& b : batch.bad) {
      out = "{\"bad\":" + std::to_string(b.line) + ",\"reason\":";
      connectors::AppendJsonString(out, b.reason);
      out += ",\"detail\":";
      connectors::AppendJsonString(out, b.detail);
      out += "}\n";
      std::fwrite(out.data(), 1, out.size(), stderr);
    }
  }
  if (!reader->error().empty()) {
    std::cerr << path << ": " << reader->error() << "\n";
    return 2;
  }
  return 0;
}
