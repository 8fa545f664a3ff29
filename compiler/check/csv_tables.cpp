// Defines the CSV table phase of the check (see csv_tables.h). The file is split with the CSV
// dialect the build uses (runtime/connectors/csv_line.h), and the columns are found the same
// way: `key:` and `value:` name header cells; without them, the first and second columns.
#include "compiler/check/csv_tables.h"

#include <charconv>
#include <filesystem>
#include <fstream>

#include "compiler/check/structure.h"
#include "runtime/connectors/csv_line.h"

namespace crmx::check {
namespace {

namespace fs = std::filesystem;
using namespace crmx::ast;

std::string Quote(const std::string& s) { return "`" + s + "`"; }

const NamedArg* Arg(const TableDecl& t, const std::string& name) {
  for (const NamedArg& a : t.csv_args) {
    if (a.name.text == name && a.value) return &a;
  }
  return nullptr;
}

std::string StringOf(const NamedArg* a) {
  if (a == nullptr) return {};
  const auto* l = a->value->As<LiteralExpr>();
  return l != nullptr && l->literal == LiteralKind::String ? l->string_value : std::string();
}

bool IsInt(const std::string& s) {
  int64_t i = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), i);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool IsNumber(const std::string& s) {
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool IsBool(const std::string& s) {
  std::string l;
  for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return l == "true" || l == "false" || l == "1" || l == "0";
}

// What a cell must be for a declared type name; empty when any text fits (string, or a type
// this phase does not convert: the build reads those cells as text too).
std::string Expected(const std::string& type) {
  if (type == "int") return "an integer";
  if (type == "decimal" || type == "double") return "a number";
  if (type == "bool") return "true or false";
  return {};
}

bool Fits(const std::string& type, const std::string& cell) {
  if (cell.empty()) return true;  // no value, as a connector reads an empty cell
  if (type == "int") return IsInt(cell);
  if (type == "decimal" || type == "double") return IsNumber(cell);
  if (type == "bool") return IsBool(cell);
  return true;
}

class Reader {
 public:
  explicit Reader(diag::DiagnosticSink& sink) : sink_(sink) {}

  void Table(const TableDecl& t, const std::string& dir, CsvTables& out) {
    fs::path path = fs::path(dir) / *t.csv_path;
    std::string shown = path.lexically_normal().string();
    std::ifstream in(path);
    std::error_code ec;
    if (!in || fs::is_directory(path, ec)) {
      diag::Diagnostic d = diag::Make(diag::Kind::CsvTableNotFound, t.csv_span,
                                      "cannot read " + Quote(*t.csv_path) + ", the file of table " + Quote(t.name.text),
                                      fs::exists(path, ec) ? "cannot be read" : "no such file");
      d.notes.push_back("a CSV table's path is relative to the file that declares it: looked for " + Quote(shown));
      d.help = "create the file (a header line naming the `key:` and `value:` columns, then one row a line), or "
               "fix the path";
      sink_.Report(std::move(d));
      return;
    }
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> header = connectors::SplitCsvLine(line);
    const NamedArg* key_arg = Arg(t, "key");
    const NamedArg* value_arg = Arg(t, "value");
    long kc = Column(t, key_arg, header, 0, shown);
    long vc = Column(t, value_arg, header, 1, shown);
    if (kc < 0 || vc < 0) return;
    std::string key_type, value_type;
    if (t.type && t.type->name.text == "map" && t.type->args.size() == 2) {
      key_type = t.type->args[0].name.text;
      value_type = t.type->args[1].name.text;
    } else if (t.type && t.type->name.text == "map" && t.type->args.size() == 1) {
      value_type = t.type->args[0].name.text;
    }
    CsvTable table;
    table.path = shown;
    int64_t number = 1;
    size_t bad_keys = 0, bad_values = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> cells = connectors::SplitCsvLine(line);
      if (static_cast<size_t>(std::max(kc, vc)) >= cells.size()) continue;
      const std::string& k = cells[static_cast<size_t>(kc)];
      const std::string& v = cells[static_cast<size_t>(vc)];
      if (!Fits(key_type, k) && bad_keys++ == 0) Cell(t, shown, number, k, key_type, "key");
      if (!Fits(value_type, v) && bad_values++ == 0) Cell(t, shown, number, v, value_type, "value");
      table.rows.push_back({k, v, number});
    }
    out.emplace(&t, std::move(table));
  }

 private:
  // The index of the column `arg` names, or `fallback` when the table does not name one; -1
  // (reported) when the header has no such column.
  long Column(const TableDecl& t, const NamedArg* arg, const std::vector<std::string>& header, long fallback,
              const std::string& shown) {
    if (arg == nullptr) return static_cast<size_t>(fallback) < header.size() ? fallback : -1;
    std::string name = StringOf(arg);
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<long>(i);
    }
    diag::Diagnostic d = diag::Make(diag::Kind::CsvColumnNotFound, arg->value->span,
                                    Quote(shown) + " has no column " + Quote(name),
                                    "not a column of the file");
    std::string columns;
    for (size_t i = 0; i < header.size(); ++i)
      columns += (i == 0 ? "" : i + 1 == header.size() ? " and " : ", ") + Quote(header[i]);
    d.notes.push_back("its header line names " + (columns.empty() ? std::string("no column") : columns));
    std::string near = ClosestName(name, header);
    if (!near.empty()) {
      d.help = "did you mean " + Quote("\"" + near + "\"") + "?";
      d.fix = diag::Fix{arg->value->span, "\"" + near + "\"", false};
    } else {
      d.help = "name one of the file's columns in `" + arg->name.text + ":`";
    }
    sink_.Report(std::move(d));
    return -1;
  }

  void Cell(const TableDecl& t, const std::string& shown, int64_t line, const std::string& cell,
            const std::string& type, const std::string& what) {
    diag::Diagnostic d = diag::Make(diag::Kind::TypeMismatch, t.csv_span,
                                    "line " + std::to_string(line) + " of " + Quote(shown) + " has the " + what + " " +
                                        Quote(cell) + ", but table " + Quote(t.name.text) + " declares " + what +
                                        "s of type " + Quote(type),
                                    "not " + Expected(type));
    d.notes.push_back("`crmxc build` converts each " + what + " cell to " + Quote(type) +
                      ", and refuses the plan when one does not convert");
    d.help = "fix the cell, or declare the table's " + what + "s as `string`";
    sink_.Report(std::move(d));
  }

  diag::DiagnosticSink& sink_;
};

}  // namespace

CsvTables ReadCsvTables(const std::vector<std::pair<const Module*, std::string>>& modules,
                        diag::DiagnosticSink& sink) {
  CsvTables out;
  Reader reader(sink);
  for (const auto& [m, dir] : modules) {
    for (const TableDecl* t : m->All<TableDecl>()) {
      if (t->csv_path) reader.Table(*t, dir, out);
    }
  }
  return out;
}

}  // namespace crmx::check
