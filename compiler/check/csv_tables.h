// Defines the CSV table phase of the check: reads the file of every `table NAME = csv("FILE",
// key: "K", value: "V")` of a spec and its imports, as `crmxc build` will, so that a missing
// file (E0417), a `key:`/`value:` column the file does not have (E0418) and a cell that does
// not fit the table's declared type (`map<int, decimal>`: E0307) are reported by `crmxc check`
// with a location, and the integration rules see the table's keys and values (picklists:
// E0411, E0412) as they do for a literal table.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diagnostics/diagnostic.h"

namespace crmx::check {

// The rows of one CSV table that could be read: its key and value cells, as text, with the
// line of the file each comes from.
struct CsvRow {
  std::string key;
  std::string value;
  int64_t line = 0;
};
struct CsvTable {
  std::string path;  // as resolved: relative to the declaring module's folder
  std::vector<CsvRow> rows;
};
// By declaration; a table whose file could not be read (reported) is absent.
using CsvTables = std::map<const ast::TableDecl*, CsvTable>;

// Reads the CSV tables of `modules`, each with the folder its relative paths resolve from.
CsvTables ReadCsvTables(const std::vector<std::pair<const ast::Module*, std::string>>& modules,
                        diag::DiagnosticSink& sink);

}  // namespace crmx::check
