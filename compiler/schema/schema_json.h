// Defines the reader and writer of the crmx schema JSON form ({"crmx_schema": 1, ...}), the
// file `crmxc schema import` writes and the compiler loads directly. The format is documented
// field by field in docs/schema-format.md.
#pragma once

#include <string>
#include <string_view>

#include "compiler/schema/import.h"
#include "compiler/schema/model.h"

namespace crmx::schema {

// Serializes `schema` (2-space indented, keys in a fixed order, unknown facts omitted).
std::string WriteSchemaJson(const Schema& schema);
// Writes to `path`; false with `error` set when the file cannot be written.
bool WriteSchemaFile(const Schema& schema, const std::string& path, std::string& error);

// Parses the JSON form. `path` is only used in messages. Errors (malformed JSON, missing or
// unsupported "crmx_schema" version, a field without a valid type) come back in
// ImportResult::error; unknown keys produce warnings so newer files degrade gracefully.
ImportResult ReadSchemaJson(std::string_view text, const std::string& path);
// Reads the file and parses it.
ImportResult ReadSchemaFile(const std::string& path);

}  // namespace crmx::schema
