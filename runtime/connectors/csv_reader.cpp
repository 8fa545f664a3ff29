// Defines the CSV reader of the directory connector: a header line naming the fields, then one
// record a line (RFC 4180 quoting, no line breaks inside cells); an empty cell is null. Cells
// are converted by the field's type (a decimal field's "12.50" is an exact decimal).
#include <algorithm>
#include <cstdio>

#include "runtime/connectors/csv_line.h"
#include "runtime/connectors/internal.h"
#include "runtime/connectors/line_source.h"

namespace crmx::connectors {

namespace {

using value::Value;

class CsvReader : public LineRecordReader {
 public:
  CsvReader(std::FILE* f, std::string name, const ReadRequest& req) : LineRecordReader(f, 0, std::move(name), req) {}

  // Reads the header and finds the projected fields' columns.
  bool Start(std::string& error) {
    std::string_view line;
    int64_t number = 0;
    size_t room = 0;
    while (!src_.NextLine(line, number, room)) {
      if (!src_.Refill(error)) {
        if (error.empty()) error = "no header line";
        return false;
      }
    }
    header_ = SplitCsvLine(std::string(line));
    for (const std::string& f : req_.fields) {
      auto it = std::find(header_.begin(), header_.end(), f);
      columns_.push_back(it == header_.end() ? -1 : static_cast<long>(it - header_.begin()));
    }
    return true;
  }

 private:
  void Record(std::string_view line, int64_t number, size_t, RecordBatch& out) override {
    if (line.empty()) return;
    std::vector<std::string> cells = SplitCsvLine(std::string(line));
    if (cells.size() != header_.size()) {
      out.bad.push_back(BadLine{name_, number, "CSV line has " + std::to_string(cells.size()) + " cells, the header " +
                                                   std::to_string(header_.size()), ""});
      return;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      long c = columns_[i];
      if (c < 0 || cells[static_cast<size_t>(c)].empty()) {
        out.values.push_back(Value::Null());
        continue;
      }
      const std::string& text = out.arena.emplace_back(std::move(cells[static_cast<size_t>(c)]));
      out.values.push_back(FromText(text, req_.types[i], req_.fields[i]));
    }
    out.lines.push_back(number);
  }

  std::vector<std::string> header_;
  std::vector<long> columns_;  // per requested field: its column, -1 when the file has none
};

}  // namespace

std::unique_ptr<RecordReader> OpenCsvReader(const std::string& path, const std::string& name, const ReadRequest& req,
                                            std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = "cannot read " + path;
    return nullptr;
  }
  auto r = std::make_unique<CsvReader>(f, name, req);
  if (!r->Start(error)) {
    error = "cannot read the header of " + path + (error.empty() ? "" : ": " + error);
    return nullptr;
  }
  return r;
}

}  // namespace crmx::connectors
