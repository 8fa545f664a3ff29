// Defines one document open in the language server (`crmxc lsp`): its URI, the file path the
// URI names, its text and version, and the conversion between byte offsets into the text
// (what the compiler's spans hold) and LSP positions (0-based line, 0-based character counted
// in UTF-16 code units, the protocol's default position encoding).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/base/source.h"

namespace crmx::lsp {

struct Position {
  int line = 0;       // 0-based
  int character = 0;  // 0-based, UTF-16 code units
};

class Document {
 public:
  Document(std::string uri, std::string path, std::string text, int version);

  const std::string& uri() const { return uri_; }
  const std::string& path() const { return path_; }  // "" when the URI is not a file: URI
  const std::string& text() const { return text_; }
  int version() const { return version_; }

  // The byte offset of `pos`, clamped to the text (a line past the end gives text().size(); a
  // character past the line's end gives the line's end, before its newline).
  size_t Offset(Position pos) const;
  // The position of the byte at `offset` (clamped to the text).
  Position At(size_t offset) const;
  // {"start": {...}, "end": {...}} for the byte range [begin, end).
  nlohmann::json Range(size_t begin, size_t end) const;
  // The range of a compiler span (which must point into this document's text).
  nlohmann::json Range(const Span& span) const { return Range(span.begin, span.end); }

 private:
  std::string uri_, path_, text_;
  int version_ = 0;
  std::vector<size_t> line_starts_;  // byte offset of each line's first byte
};

// file:///a/b%20c.crmx -> /a/b c.crmx; "" for a URI that is not a file: URI.
std::string PathFromUri(const std::string& uri);
// /a/b c.crmx -> file:///a/b%20c.crmx
std::string UriFromPath(const std::string& path);
nlohmann::json ToJson(Position pos);
// {"line": L, "character": C} -> Position (missing members are 0).
Position PositionFromJson(const nlohmann::json& j);

}  // namespace crmx::lsp
