// Defines the CSV record scanner (RFC 4180) the file connector's reader uses, and SplitCsvLine,
// the splitting of one line into cells for the compiler (CSV lookup tables read at build time).
// Header-only, so the compiler and the connector share it without the compiler linking the
// runtime.
//
// The dialect, that of Python's `csv` module with its defaults, which reads what Excel and
// Salesforce Data Loader write:
// - cells are separated by `,`, records by "\n" or "\r\n"; the last record may have no line end;
// - a cell that starts with `"` is quoted: it runs to the next lone `"` and may hold `,`, line
//   ends (kept as written, "\r\n" included) and `""`, which stands for one `"`; text between
//   the closing quote and the next `,` is kept (`"a"b` is `ab`);
// - a `"` inside an unquoted cell is an ordinary character;
// - a quoted cell still open at the end of the input is an unterminated record.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace crmx::connectors {

// One cell of a scanned record: `raw` is the cell as written (quotes included), a view into
// the scanned text.
struct CsvCell {
  std::string_view raw;
  bool quoted = false;  // starts with `"`
  bool simple = false;  // quoted, and its text is raw without the first and last byte (no `""`)

  // The cell's text when it can be borrowed from `raw` (unquoted or simple).
  std::string_view Borrowed() const { return quoted ? raw.substr(1, raw.size() - 2) : raw; }
  // The cell's text: quotes removed, `""` made one `"`.
  std::string Text() const {
    if (!quoted || simple) return std::string(Borrowed());
    std::string out;
    out.reserve(raw.size());
    bool open = true;
    for (size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (open && c == '"') {
        if (i + 1 < raw.size() && raw[i + 1] == '"') {
          out += '"';
          ++i;
        } else {
          open = false;
        }
        continue;
      }
      out += c;
    }
    return out;
  }
};

enum class CsvScan {
  kRecord,        // a record: `cells`, `used` bytes, `lines` lines
  kIncomplete,    // the text ends inside the record: more input is needed
  kUnterminated,  // a quoted cell is still open at the end of the input
};

// Scans the record at the start of `text`; `at_end` says no input follows `text`. On kRecord,
// `used` is the record's length with its line end and `lines` the lines it spans (1 plus the
// line ends inside quoted cells). A blank line is a record of one empty unquoted cell.
inline CsvScan ScanCsvRecord(std::string_view text, bool at_end, std::vector<CsvCell>& cells, size_t& used,
                             int64_t& lines) {
  cells.clear();
  lines = 1;
  const char* p = text.data();
  size_t n = text.size(), i = 0;
  for (;;) {
    size_t start = i;
    CsvCell cell;
    if (i < n && p[i] == '"') {
      cell.quoted = true;
      cell.simple = true;
      ++i;
      for (;;) {
        const char* q = static_cast<const char*>(std::memchr(p + i, '"', n - i));
        size_t end = q == nullptr ? n : static_cast<size_t>(q - p);
        for (size_t k = i; k < end; ++k) lines += p[k] == '\n';
        if (q == nullptr) return at_end ? CsvScan::kUnterminated : CsvScan::kIncomplete;
        // A quote at the end of the text may be the first of `""`.
        if (end + 1 == n && !at_end) return CsvScan::kIncomplete;
        if (end + 1 < n && p[end + 1] == '"') {
          cell.simple = false;
          i = end + 2;
          continue;
        }
        i = end + 1;
        break;
      }
    }
    // The unquoted cell, or what follows a closing quote, runs to the next `,` or line end.
    size_t after = i;
    while (i < n && p[i] != ',' && p[i] != '\n') ++i;
    if (i == n && !at_end) return CsvScan::kIncomplete;
    size_t stop = i;
    if (stop > after && p[stop - 1] == '\r' && (stop == n || p[stop] == '\n')) --stop;  // "\r\n", or a last "\r"
    if (cell.quoted && stop > after) cell.simple = false;
    cell.raw = text.substr(start, stop - start);
    cells.push_back(cell);
    if (i < n && p[i] == ',') {
      ++i;
      continue;
    }
    used = i < n ? i + 1 : i;
    return CsvScan::kRecord;
  }
}

// The cells of one line, unquoted (an unterminated quoted cell runs to the end of the line).
// A UTF-8 byte-order mark at its start is dropped: the first line of a file Excel or Salesforce
// wrote begins with one.
inline std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::string_view text(line);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvCell> cells;
  size_t used = 0;
  int64_t lines = 0;
  std::vector<std::string> out;
  if (ScanCsvRecord(text, true, cells, used, lines) == CsvScan::kUnterminated) {
    std::string closed(text);
    closed += '"';
    ScanCsvRecord(closed, true, cells, used, lines);
    for (const CsvCell& c : cells) out.push_back(c.Text());
    return out;
  }
  for (const CsvCell& c : cells) out.push_back(c.Text());
  return out;
}

}  // namespace crmx::connectors
