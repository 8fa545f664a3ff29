// Defines how crmx writes a text as a JSON string: quoted, with `"`, `\\` and the control
// characters escaped as nlohmann's dump() escapes them (\b \f \n \r \t, the others as \u00xx,
// lower-case hex), and nothing else (UTF-8 passes as it is). One writer for every JSON text crmx
// writes without building a JSON tree: the JSONL target files and queue files (connectors), the
// requests of the API connectors, the state's reasons, fields and flag-set keys.
//
// Built for text with nothing to escape (most keys, names and codes): eight bytes tested at once
// (a SWAR test, no branch per byte) and copied whole.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crmx::value {

// The most bytes WriteJsonString writes for a string of `size` bytes (every byte as \u00XX).
constexpr size_t JsonStringBound(size_t size) { return 6 * size + 2; }

// Writes `s` as a JSON string at `p`, which has room for JsonStringBound(s.size()) bytes;
// returns the end of what it wrote.
char* WriteJsonString(char* p, std::string_view s);

// Appends `s` to `out` as a JSON string (WriteJsonString's bytes), quotes included.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace crmx::value
