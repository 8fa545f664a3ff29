// Defines how the emulators hold JSON without losing a number's digits: ParseExact reads
// JSON text into nlohmann::ordered_json but keeps every number as its original text (a
// string tagged with a leading \x01, see IsNumber), and DumpExact writes those numbers back
// as bare JSON numbers. So a seeded 9999999999999999.99 is answered as 9999999999999999.99,
// never rounded through a double. Only the emulators use this; it is not a general JSON API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace crmx::emulate {

using Json = nlohmann::ordered_json;

// Parses `text`; a discarded value (is_discarded()) when it is not JSON. Never throws.
Json ParseExact(std::string_view text);
// Writes `j` compactly, numbers with the digits they were parsed with.
std::string DumpExact(const Json& j);

// A number as kept by ParseExact (or made by Number).
bool IsNumber(const Json& j);
// The digits of a kept number ("12.50"); for a real JSON number, its dump.
std::string NumberText(const Json& j);
Json Number(std::string_view digits);
// A kept or real number as a long double (for comparisons only, never for output).
std::optional<long double> NumberValue(const Json& j);

// The text of a string, a kept number's digits, "true"/"false"; nullopt for null, objects, arrays.
std::optional<std::string> ScalarText(const Json& j);

}  // namespace crmx::emulate
