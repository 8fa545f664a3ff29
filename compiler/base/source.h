// Defines source files and spans: where every AST node and diagnostic points.
//
// A SourceManager owns the text of every file read in one compiler run. Spans refer to a
// file by its FileId and stay valid as long as the SourceManager lives.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crmx {

using FileId = uint32_t;
inline constexpr FileId kNoFile = UINT32_MAX;

// A half-open byte range [begin, end) in one file, with the 1-based line and column
// (counted in bytes) of both ends, so consumers need no lookup to print a position.
struct Span {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t end_line = 0;
  uint32_t end_col = 0;

  bool valid() const { return file != kNoFile; }
  // The smallest span covering both; both must be in the same file.
  static Span Cover(const Span& a, const Span& b);
};

struct LineCol {
  uint32_t line = 1;  // 1-based
  uint32_t col = 1;   // 1-based, in bytes
};

class SourceFile {
 public:
  SourceFile(FileId id, std::string path, std::string text);

  FileId id() const { return id_; }
  // The path as given by the user (relative paths stay relative: SARIF wants them so).
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  LineCol Position(uint32_t offset) const;
  uint32_t LineCount() const { return static_cast<uint32_t>(line_starts_.size()); }
  // The text of a 1-based line without its line terminator.
  std::string_view LineText(uint32_t line) const;
  // A span over [begin, end) with line/column filled in.
  Span MakeSpan(uint32_t begin, uint32_t end) const;

 private:
  FileId id_;
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

class SourceManager {
 public:
  FileId Add(std::string path, std::string text);
  // Reads a file from disk; returns kNoFile and sets `error` when it cannot be read.
  FileId Load(const std::string& path, std::string& error);
  const SourceFile& Get(FileId id) const { return *files_.at(id); }
  size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace crmx
