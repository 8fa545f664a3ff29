// Defines Document (document.h): byte offsets <-> LSP positions in UTF-16 code units, and
// file: URIs <-> paths.
#include "compiler/lsp/document.h"

#include <algorithm>

#include "compiler/diagnostics/render_util.h"
#include "compiler/syntax/literals.h"

namespace crmx::lsp {

namespace {

// The length of the UTF-8 sequence that starts with byte `c` (1 for a stray continuation
// byte, so malformed text still advances).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

Document::Document(std::string uri, std::string path, std::string text, int version)
    : uri_(std::move(uri)), path_(std::move(path)), text_(std::move(text)), version_(version) {
  // Lines end at "\n", "\r\n" or a lone "\r", as the protocol counts them.
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')))
      line_starts_.push_back(i + 1);
  }
}

size_t Document::Offset(Position pos) const {
  if (pos.line < 0) return 0;
  if (static_cast<size_t>(pos.line) >= line_starts_.size()) return text_.size();
  size_t i = line_starts_[static_cast<size_t>(pos.line)];
  int units = 0;
  while (i < text_.size() && text_[i] != '\n' && text_[i] != '\r') {
    if (units >= pos.character) break;
    size_t n = Utf8Length(static_cast<unsigned char>(text_[i]));
    units += n == 4 ? 2 : 1;  // a code point beyond the BMP is a surrogate pair
    i = std::min(text_.size(), i + n);
  }
  return i;
}

Position Document::At(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = static_cast<size_t>(it - line_starts_.begin()) - 1;
  Position pos;
  pos.line = static_cast<int>(line);
  for (size_t i = line_starts_[line]; i < offset;) {
    size_t n = Utf8Length(static_cast<unsigned char>(text_[i]));
    pos.character += n == 4 ? 2 : 1;
    i += n;
  }
  return pos;
}

nlohmann::json Document::Range(size_t begin, size_t end) const {
  return {{"start", ToJson(At(begin))}, {"end", ToJson(At(std::max(begin, end)))}};
}

std::string PathFromUri(const std::string& uri) {
  const std::string scheme = "file://";
  if (uri.compare(0, scheme.size(), scheme) != 0) return "";
  std::string rest = uri.substr(scheme.size());
  // file://host/path: only an empty host or localhost names this machine.
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return "";
  std::string host = rest.substr(0, slash);
  if (!host.empty() && host != "localhost") return "";
  std::string path;
  for (size_t i = slash; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && syntax::HexValue(rest[i + 1]) >= 0 && syntax::HexValue(rest[i + 2]) >= 0) {
      path.push_back(static_cast<char>(syntax::HexValue(rest[i + 1]) * 16 + syntax::HexValue(rest[i + 2])));
      i += 2;
    } else {
      path.push_back(rest[i]);
    }
  }
  return path;
}

std::string UriFromPath(const std::string& path) { return diag::detail::FileUri(path, false); }

nlohmann::json ToJson(Position pos) { return {{"line", pos.line}, {"character", pos.character}}; }

Position PositionFromJson(const nlohmann::json& j) {
  Position p;
  if (j.is_object()) {
    p.line = j.value("line", 0);
    p.character = j.value("character", 0);
  }
  return p;
}

}  // namespace crmx::lsp
