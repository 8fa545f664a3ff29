// Defines SourceFile line tables and SourceManager file loading.
#include "compiler/base/source.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace crmx {

Span Span::Cover(const Span& a, const Span& b) {
  if (!a.valid()) return b;
  if (!b.valid()) return a;
  Span s = a;
  if (b.begin < s.begin) {
    s.begin = b.begin;
    s.line = b.line;
    s.col = b.col;
  }
  if (b.end > s.end) {
    s.end = b.end;
    s.end_line = b.end_line;
    s.end_col = b.end_col;
  }
  return s;
}

SourceFile::SourceFile(FileId id, std::string path, std::string text)
    : id_(id), path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

LineCol SourceFile::Position(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin());
  return LineCol{line, offset - line_starts_[line - 1] + 1};
}

std::string_view SourceFile::LineText(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t begin = line_starts_[line - 1];
  uint32_t end = line < line_starts_.size() ? line_starts_[line] : static_cast<uint32_t>(text_.size());
  std::string_view v(text_.data() + begin, end - begin);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

Span SourceFile::MakeSpan(uint32_t begin, uint32_t end) const {
  Span s;
  s.file = id_;
  s.begin = begin;
  s.end = std::max(begin, end);
  LineCol b = Position(s.begin);
  LineCol e = Position(s.end);
  s.line = b.line;
  s.col = b.col;
  s.end_line = e.line;
  s.end_col = e.col;
  return s;
}

FileId SourceManager::Add(std::string path, std::string text) {
  FileId id = static_cast<FileId>(files_.size());
  files_.push_back(std::make_unique<SourceFile>(id, std::move(path), std::move(text)));
  return id;
}

FileId SourceManager::Load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read `" + path + "`";
    return kNoFile;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "error while reading `" + path + "`";
    return kNoFile;
  }
  return Add(path, ss.str());
}

}  // namespace crmx
