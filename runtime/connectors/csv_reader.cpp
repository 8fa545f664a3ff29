// Defines the CSV reader of the directory connector: a header naming the fields, then one
// record per line or, when quoted cells hold line ends, per several lines (RFC 4180, in the
// dialect csv_line.h describes; a UTF-8 byte-order mark before the header is skipped). Cells
// are converted by the field's type (FromText: a decimal field's "12.50" is an exact decimal).
//
// Empty cells: an unquoted empty cell (`a,,b`) is null; a quoted empty cell (`a,"",b`) is the
// empty string in a string (or untyped) field, which is what the writer wrote, and null in a
// typed field (FromText: an empty amount is no amount, not a malformed one).
//
// A record that is not one is a BadLine at the line the record starts on, and the read goes
// on: a record with more or fewer cells than the header; a quoted cell still open at the end
// of the file or after kMaxRecord bytes (then the read resumes on the next line).
#include <algorithm>
#include <cstdio>

#include "runtime/connectors/csv_line.h"
#include "runtime/connectors/internal.h"
#include "runtime/connectors/line_source.h"

namespace crmx::connectors {

namespace {

using value::Value;

// A record longer than this is taken for an unterminated quoted cell (a stray `"` would
// otherwise make the reader hold the rest of the file).
constexpr size_t kMaxRecord = 16u << 20;

class CsvReader : public LineRecordReader {
 public:
  CsvReader(std::FILE* f, std::string name, const ReadRequest& req) : LineRecordReader(f, 0, std::move(name), req) {}

  // Reads the header and finds the projected fields' columns.
  bool Start(std::string& error) {
    for (;;) {
      std::string_view text = src_.Unread();
      size_t used = 0;
      int64_t lines = 0;
      CsvScan s = text.empty() ? CsvScan::kIncomplete : ScanCsvRecord(text, src_.AtEnd(), cells_, used, lines);
      if (s == CsvScan::kRecord && cells_.size() == 1 && cells_[0].raw.empty()) {
        src_.Consume(used, lines);  // blank lines before the header
        continue;
      }
      if (s == CsvScan::kRecord) {
        for (const CsvCell& c : cells_) header_.push_back(c.Text());
        src_.Consume(used, lines);
        break;
      }
      if (s == CsvScan::kUnterminated || text.size() >= kMaxRecord) {
        error = "the header has an unterminated quoted cell";
        return false;
      }
      if (!src_.Refill(error)) {
        if (error.empty()) error = "no header line";
        return false;
      }
    }
    for (const std::string& f : req_.fields) {
      auto it = std::find(header_.begin(), header_.end(), f);
      columns_.push_back(it == header_.end() ? -1 : static_cast<long>(it - header_.begin()));
    }
    return true;
  }

  // Records may span lines: scans the unread input rather than taking it line by line.
  bool Next(RecordBatch& out) override {
    out.Clear();
    out.width = req_.fields.size();
    out.file = name_;
    out.values.reserve(req_.batch * out.width);
    for (;;) {
      while (out.size() < req_.batch) {
        std::string_view text = src_.Unread();
        if (text.empty()) break;
        size_t used = 0;
        int64_t lines = 0;
        CsvScan s = ScanCsvRecord(text, src_.AtEnd(), cells_, used, lines);
        if (s == CsvScan::kIncomplete && text.size() < kMaxRecord) break;  // more input first
        if (s != CsvScan::kRecord) {
          // The record's first line is bad; the next line may well be a record.
          size_t nl = text.find('\n');
          int64_t first = src_.Consume(nl == std::string_view::npos ? text.size() : nl + 1, 1);
          out.bad.push_back(BadLine{name_, first, "unterminated quoted cell",
                                    "a quoted cell opened on this line is not closed" +
                                        std::string(s == CsvScan::kUnterminated ? " before the end of the file" : "")});
          continue;
        }
        int64_t first = src_.Consume(used, lines);
        AddRecord(first, out);
      }
      if (out.size() >= req_.batch || !out.lines.empty() || !out.bad.empty()) return true;
      if (!src_.Refill(error_)) return false;
    }
  }

 private:
  // Next() scans records itself; the line-by-line path is not used.
  void Record(std::string_view, int64_t, size_t, RecordBatch&) override {}

  // The record in cells_, which starts on line `number`.
  void AddRecord(int64_t number, RecordBatch& out) {
    if (cells_.size() == 1 && cells_[0].raw.empty()) return;  // a blank line (as Python's csv.DictReader)
    if (cells_.size() != header_.size()) {
      out.bad.push_back(BadLine{name_, number, "CSV line has " + std::to_string(cells_.size()) + " cells, the header " +
                                                   std::to_string(header_.size()), ""});
      return;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      long c = columns_[i];
      if (c < 0) {
        out.values.push_back(Value::Null());
        continue;
      }
      const CsvCell& cell = cells_[static_cast<size_t>(c)];
      if (!cell.quoted && cell.raw.empty()) {
        out.values.push_back(Value::Null());
        continue;
      }
      // The text borrows from the buffer (valid until the next Refill, between batches) unless
      // it had `""` to undo.
      std::string_view text = cell.quoted && !cell.simple ? std::string_view(out.arena.emplace_back(cell.Text()))
                                                          : cell.Borrowed();
      out.values.push_back(FromText(text, req_.types[i], req_.fields[i]));
    }
    out.lines.push_back(number);
  }

  std::vector<std::string> header_;
  std::vector<long> columns_;  // per requested field: its column, -1 when the file has none
  std::vector<CsvCell> cells_;
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
