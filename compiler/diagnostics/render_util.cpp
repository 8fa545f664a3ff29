// Defines the helpers shared by the renderers.
#include "compiler/diagnostics/render_util.h"

#include <algorithm>
#include <filesystem>

namespace crmx::diag::detail {

namespace fs = std::filesystem;

uint32_t CodePoints(std::string_view s) {
  uint32_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

namespace {

// 1-based line and code-point column of a clamped byte offset.
void Locate(const SourceFile& f, uint32_t offset, uint32_t& line, uint32_t& col) {
  LineCol lc = f.Position(offset);
  line = lc.line;
  uint32_t line_start = offset - (lc.col - 1);
  col = CodePoints(std::string_view(f.text()).substr(line_start, offset - line_start)) + 1;
}

}  // namespace

std::optional<Resolved> Resolve(const SourceManager& sm, const Span& span) {
  if (!span.valid() || span.file >= sm.size()) return std::nullopt;
  Resolved r;
  r.file = &sm.Get(span.file);
  uint32_t size = static_cast<uint32_t>(r.file->text().size());
  r.begin = std::min(span.begin, size);
  r.end = std::min(std::max(span.end, span.begin), size);
  Locate(*r.file, r.begin, r.line, r.col);
  Locate(*r.file, r.end, r.end_line, r.end_col);
  return r;
}

std::optional<std::string> RelativeTo(const std::string& path, const std::string& base_dir) {
  if (base_dir.empty() || path.empty()) return std::nullopt;
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(path), ec).lexically_normal();
  if (ec) return std::nullopt;
  fs::path base = fs::absolute(fs::path(base_dir), ec).lexically_normal();
  if (ec) return std::nullopt;
  fs::path rel = abs.lexically_relative(base);
  if (rel.empty() || rel == "." || *rel.begin() == "..") return std::nullopt;
  return rel.generic_string();
}

std::string DisplayPath(const std::string& path, const std::string& base_dir) {
  if (auto rel = RelativeTo(path, base_dir)) return *rel;
  return fs::path(path).generic_string();
}

std::string UriEscapePath(std::string_view path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string FileUri(const std::string& path, bool directory) {
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(path.empty() ? "." : path), ec).lexically_normal();
  std::string p = abs.generic_string();
  if (directory && (p.empty() || p.back() != '/')) p += '/';
  if (p.empty() || p.front() != '/') p = "/" + p;
  return "file://" + UriEscapePath(p);
}

}  // namespace crmx::diag::detail
