// Declares the error index embedded in the binary: docs/errors/CODE.md, one page per
// diagnostic code, turned into a generated .cpp at build time (embed_error_pages.cmake) so
// `crmxc explain` works from any directory. Library: crmx_error_pages.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace crmx::diag {

// The Markdown page for `code` spelled exactly as in kinds.def ("E0004"); nullopt when
// there is none. The view points into static storage.
std::optional<std::string_view> ErrorPage(std::string_view code);
// The codes of all embedded pages, in ascending order.
const std::vector<std::string_view>& ErrorPageCodes();

}  // namespace crmx::diag
