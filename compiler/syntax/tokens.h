// Defines the token view of a file: what the lexer reads, every token in order with its byte
// range and a coarse class (keyword, name, string, number, operator, comment ...), comments
// included and whitespace left out. It is what an editor's highlighter needs (the language
// server's semantic tokens) and nothing more; it includes no ANTLR header.
//
// Unlike layout.h, the view is made for any text, broken or not: lexing never fails (a byte
// the language has no token for is a Bad token), so it follows the editor as the user types.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/base/source.h"

namespace crmx::syntax {

enum class TokenClass : uint8_t {
  ReservedKeyword,    // `integration`, `map`, `key`, `ref`, `in` ... (grammar: reservedKeyword)
  ContextualKeyword,  // `schema`, `every`, `within` ... (a keyword only where the grammar says)
  Literal,            // `true`, `false`, `null`
  Name,               // an identifier
  QuotedName,         // `` `any word` ``
  String,             // every quote form, bytes too; an unterminated string runs to its line's end
  Number,             // integers, floats, decimals (`19.99m`), durations (`48h`)
  Operator,           // `->` `??` `==` `&&` `=` `+` `%` `?` `~` `!` ...
  Punctuation,        // `(` `)` `[` `]` `{` `}` `,` `.` `:`
  Comment,            // `// ...`, `/* ... */` (an unterminated one runs to the end)
  DocComment,         // `/// ...`
  Bad,                // a character or a number run into letters that the lexer cannot read
};

struct Token {
  uint32_t begin = 0;  // byte offsets into the file's text: [begin, end)
  uint32_t end = 0;
  TokenClass cls = TokenClass::Bad;
};

// The tokens of `file`, in order. Bytes that are not valid UTF-8 are Bad tokens of one byte.
std::vector<Token> Tokenize(const SourceFile& file);

}  // namespace crmx::syntax
