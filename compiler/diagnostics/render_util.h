// Defines the helpers the renderers share (internal to compiler/diagnostics): resolving a
// span against its file with clamping, code-point columns, and paths relative to a base.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/source.h"

namespace crmx::diag::detail {

// A span resolved against its file. Byte offsets are clamped into the file; lines are
// 1-based; columns are 1-based and counted in Unicode code points (what an editor shows).
struct Resolved {
  const SourceFile* file = nullptr;
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t line = 1;
  uint32_t col = 1;
  uint32_t end_line = 1;
  uint32_t end_col = 1;
};

// nullopt when the span has no file or names a file the SourceManager does not hold.
std::optional<Resolved> Resolve(const SourceManager& sm, const Span& span);

// Number of code points in UTF-8 text (bytes that are not continuation bytes).
uint32_t CodePoints(std::string_view s);

// `path` relative to `base_dir` with '/' separators when it lies under base_dir; nullopt
// when base_dir is empty or the file lies outside it.
std::optional<std::string> RelativeTo(const std::string& path, const std::string& base_dir);
// RelativeTo, falling back to the path as given.
std::string DisplayPath(const std::string& path, const std::string& base_dir);
// An absolute file:// URI for a path (directories end in '/' when `directory`).
std::string FileUri(const std::string& path, bool directory);
// Percent-encodes everything but unreserved characters and '/'.
std::string UriEscapePath(std::string_view path);

}  // namespace crmx::diag::detail
