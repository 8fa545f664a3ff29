// Defines the layout view of a file: every token in order, comments included, each tagged with
// the statement it belongs to and the role it plays in the layout (a block's brace, a call's
// parenthesis, a unary operator ...). It is what a formatter needs from the concrete syntax, and
// nothing more; it includes no ANTLR header.
//
// The view is made for files that parse without errors: ParseLayout() is called after Parse()
// reported none, and returns `ok == false` (with no tokens) when the text does not parse.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/base/source.h"

namespace crmx::syntax {

enum class LayoutKind : uint8_t {
  Code,          // a token the grammar reads
  LineComment,   // `// ...` or `/// ...` (runs to the end of its line)
  BlockComment,  // `/* ... */` (may span lines)
};

// What a code token does for the layout. Brackets not listed as a role are plain tokens whose
// text says what they are: `(`, `[` and `{` open, `)`, `]` and `}` close.
enum class LayoutRole : uint8_t {
  Plain,
  BlockOpen,      // the `{` of a block of statements (file, system, owner, map, sync, test)
  BlockClose,     // its `}`
  AlignedAssign,  // the `=` of a map's assignment (aligned within a run of assignments)
  KeyAssign,      // the `=` of a map's `key` statement
  OwnerBrace,     // the `{` of an owner's object (aligned within the owner block)
  CallParen,      // the `(` of a call: `f(`, `x.f(`, `csv(`, `ref(`, `exponential(`, `string(`
  IndexBracket,   // the `[` of an index: `table[key]`
  Unary,          // a prefix `!` or `-`
  TypeAngle,      // `<` or `>` of a type: `map<string, string>`
  PercentSign,    // the `%` of a percentage: `80%`
  LabelColon,     // `name: value`, `crm: salesforce`, `table t: type`, `map m: a -> b`
  TimeColon,      // `02:30`
  TernaryColon,   // `c ? a : b`
};

enum class StatementKind : uint8_t {
  Header,  // the file's `integration NAME ... {` or `module NAME {`
  Assign,  // a map's `field = value`
  Key,     // a map's `key field = value`
  OwnerObject,
  Other,
};

struct LayoutToken {
  uint32_t begin = 0;  // byte offsets into the file's text: [begin, end)
  uint32_t end = 0;
  LayoutKind kind = LayoutKind::Code;
  LayoutRole role = LayoutRole::Plain;
  // Code tokens only: the statement (index into Layout::statements) and whether this token
  // is its first.
  uint32_t statement = 0;
  bool statement_start = false;
};

struct LayoutStatement {
  StatementKind kind = StatementKind::Other;
  uint32_t depth = 0;  // blocks around it: 0 for the file header, 1 for an item, 2 in a map ...
};

struct Layout {
  bool ok = false;
  std::vector<LayoutToken> tokens;
  std::vector<LayoutStatement> statements;
};

// The layout view of `file`. The file must outlive nothing: offsets are plain numbers.
Layout ParseLayout(const SourceFile& file);

}  // namespace crmx::syntax
