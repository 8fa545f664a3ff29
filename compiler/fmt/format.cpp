// Defines Format(): the canonical layout of a .crmx file, computed from the layout view of
// its tokens (compiler/syntax/layout.h) in five steps:
//   1. lines: where a line breaks (every statement and block brace decides, unless the author
//      wrote the whole block on one line; elsewhere the author's line breaks are kept, at most
//      one blank line in a row, none at the start or end of a block);
//   2. alignment: the `=` of a map's run of assignments, the `{` of an owner's objects;
//   3. indentation and columns, line by line: a statement at two spaces per block; a
//      continuation line inside brackets at the column of the first element after its opening
//      bracket when that bracket is followed by something on its line, else two spaces in from
//      the line that opened it; outside brackets, two spaces in from the statement (from the
//      value of an assignment);
//   4. trailing comments: those on consecutive lines of one depth share a column, never left
//      of where the author put them (as gofmt aligns them);
//   5. the text, checked to hold exactly the tokens and comments of the input.
#include "compiler/fmt/format.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "compiler/syntax/layout.h"
#include "compiler/syntax/parser.h"

namespace crmx::fmt {
namespace {

using syntax::LayoutKind;
using syntax::LayoutRole;
using syntax::LayoutToken;
using syntax::StatementKind;

// Display width: code points (every character counts one column).
uint32_t Width(std::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct Tok {
  LayoutToken lt;
  std::string_view text;
  uint32_t newlines_before = 0;  // in the input
  uint32_t input_col = 0;        // 0-based column in the input
  // Set while laying out:
  uint32_t space_before = 0;  // spaces between this token and the one before it on its line
  uint32_t pad_before = 0;    // extra spaces that align it
  uint32_t col = 0;           // 0-based output column where it starts
  uint32_t end_col = 0;       // output column after it (on its last line, for a multi-line token)
};

struct Line {
  std::vector<size_t> toks;
  bool blank_before = false;
  uint32_t indent = 0;
};

bool IsCode(const Tok& t) { return t.lt.kind == LayoutKind::Code; }
bool IsComment(const Tok& t) { return t.lt.kind != LayoutKind::Code; }
bool IsOpener(const Tok& t) {
  return IsCode(t) && t.lt.role != LayoutRole::BlockOpen && (t.text == "(" || t.text == "[" || t.text == "{");
}
bool IsCloser(const Tok& t) {
  return IsCode(t) && t.lt.role != LayoutRole::BlockClose && (t.text == ")" || t.text == "]" || t.text == "}");
}

// Spaces between two code tokens on one line.
uint32_t Space(const Tok& a, const Tok& b) {
  if (IsComment(a) || IsComment(b)) return 1;
  const std::string_view x = a.text, y = b.text;
  if (y == "," || y == ")" || y == "]" || y == ".") return 0;
  if (x == "(" || x == "[" || x == ".") return 0;
  if (a.lt.role == LayoutRole::Unary) return 0;
  if (b.lt.role == LayoutRole::CallParen || b.lt.role == LayoutRole::IndexBracket) return 0;
  if (b.lt.role == LayoutRole::PercentSign || b.lt.role == LayoutRole::LabelColon) return 0;
  if (a.lt.role == LayoutRole::TimeColon || b.lt.role == LayoutRole::TimeColon) return 0;
  if (b.lt.role == LayoutRole::TypeAngle) return 0;
  if (a.lt.role == LayoutRole::TypeAngle && x == "<") return 0;
  if (x == "{" && y == "}") return 0;
  return 1;
}

class Formatter {
 public:
  Formatter(const SourceFile& file, const syntax::Layout& layout) : file_(file), layout_(layout) {}

  std::string Run() {
    ReadTokens();
    if (toks_.empty()) return std::string();
    BreakLines();
    AlignRuns();
    Indent();
    AlignTrailingComments();
    return Emit();
  }

 private:
  // ---------------------------------------------------------------- input
  void ReadTokens() {
    const std::string& text = file_.text();
    uint32_t prev_end = 0;
    for (const LayoutToken& lt : layout_.tokens) {
      Tok t;
      t.lt = lt;
      t.text = std::string_view(text).substr(lt.begin, lt.end - lt.begin);
      std::string_view gap = std::string_view(text).substr(prev_end, lt.begin - prev_end);
      t.newlines_before = static_cast<uint32_t>(std::count(gap.begin(), gap.end(), '\n'));
      size_t line_start = text.rfind('\n', lt.begin == 0 ? 0 : lt.begin - 1);
      line_start = (line_start == std::string::npos || lt.begin == 0) ? 0 : line_start + 1;
      t.input_col = Width(std::string_view(text).substr(line_start, lt.begin - line_start));
      toks_.push_back(t);
      prev_end = lt.end;
    }
  }

  uint32_t Depth(const Tok& t) const { return layout_.statements[t.lt.statement].depth; }
  StatementKind KindOf(const Tok& t) const { return layout_.statements[t.lt.statement].kind; }

  // ---------------------------------------------------------------- 1. lines
  // Marks the tokens inside blocks the author wrote on one line (`system crm: salesforce {
  // schema "crm.json" }`): such a block stays on its line.
  void FindInlineBlocks() {
    inline_.assign(toks_.size(), false);
    std::vector<size_t> opens;
    for (size_t i = 0; i < toks_.size(); ++i) {
      const Tok& t = toks_[i];
      if (IsCode(t) && t.lt.role == LayoutRole::BlockOpen) opens.push_back(i);
      if (!IsCode(t) || t.lt.role != LayoutRole::BlockClose || opens.empty()) continue;
      size_t open = opens.back();
      opens.pop_back();
      bool one_line = true;
      for (size_t k = open + 1; k <= i && one_line; ++k) {
        one_line = toks_[k].newlines_before == 0 && toks_[k].lt.kind != LayoutKind::LineComment;
      }
      if (one_line) std::fill(inline_.begin() + static_cast<std::ptrdiff_t>(open) + 1,
                              inline_.begin() + static_cast<std::ptrdiff_t>(i) + 1, true);
    }
  }

  void BreakLines() {
    FindInlineBlocks();
    lines_.push_back({{0}, false, 0});
    for (size_t i = 1; i < toks_.size(); ++i) {
      const Tok& t = toks_[i];
      const Tok& prev = toks_[i - 1];
      bool brk;
      if (prev.lt.kind == LayoutKind::LineComment) brk = true;
      else if (inline_[i]) brk = false;
      else if (IsCode(t) && (t.lt.statement_start || t.lt.role == LayoutRole::BlockClose)) brk = true;
      else if (IsCode(prev) && prev.lt.role == LayoutRole::BlockOpen) brk = !(IsComment(t) && t.newlines_before == 0);
      else if (IsCode(t) && t.lt.role == LayoutRole::BlockOpen && IsCode(prev)) brk = false;
      else brk = t.newlines_before > 0;
      if (!brk) {
        lines_.back().toks.push_back(i);
        continue;
      }
      const Line& last = lines_.back();
      const Tok& last_code = LastCodeOf(last);
      bool after_open = IsCode(last_code) && last_code.lt.role == LayoutRole::BlockOpen;
      bool before_close = IsCode(t) && t.lt.role == LayoutRole::BlockClose;
      bool blank = t.newlines_before >= 2 && !after_open && !before_close;
      lines_.push_back({{i}, blank, 0});
    }
  }

  const Tok& LastCodeOf(const Line& line) const {
    for (size_t k = line.toks.size(); k-- > 0;) {
      if (IsCode(toks_[line.toks[k]])) return toks_[line.toks[k]];
    }
    return toks_[line.toks.back()];
  }

  // ---------------------------------------------------------------- 2. alignment
  // Aligns the token of role `role` in runs of consecutive statements of kind `kind` that
  // have it on their first line. A blank line, another statement or the end of the block ends
  // a run; comment lines and continuation lines do not.
  void AlignRuns() {
    AlignRun(StatementKind::Assign, LayoutRole::AlignedAssign);
    AlignRun(StatementKind::OwnerObject, LayoutRole::OwnerBrace);
  }

  void AlignRun(StatementKind kind, LayoutRole role) {
    struct Member {
      size_t tok;
      uint32_t width;
    };
    std::vector<Member> run;
    auto flush = [&] {
      uint32_t widest = 0;
      for (const Member& m : run) widest = std::max(widest, m.width);
      for (const Member& m : run) toks_[m.tok].pad_before = widest - m.width;
      run.clear();
    };
    for (const Line& line : lines_) {
      if (line.blank_before) flush();
      const Tok& first = toks_[line.toks.front()];
      if (IsComment(first)) continue;
      if (!first.lt.statement_start) {
        if (first.lt.role == LayoutRole::BlockClose) flush();
        continue;
      }
      bool member = false;
      if (KindOf(first) == kind) {
        uint32_t width = 0;
        for (size_t k = 0; k < line.toks.size(); ++k) {
          const Tok& t = toks_[line.toks[k]];
          if (k > 0) width += Space(toks_[line.toks[k - 1]], t);
          if (IsCode(t) && t.lt.role == role && t.lt.statement == first.lt.statement) {
            run.push_back({line.toks[k], width});
            member = true;
            break;
          }
          width += Width(t.text);
        }
      }
      if (!member) flush();
    }
    flush();
  }

  // ---------------------------------------------------------------- 3. indentation
  struct Open {
    uint32_t inner;  // column of the lines inside
    uint32_t close;  // column of a line that starts with the closing bracket
  };

  // Column of a continuation line of statement `stmt` outside brackets, minus 2.
  uint32_t AnchorOf(uint32_t stmt) const {
    return stmt < anchors_.size() && anchors_[stmt] != kNoAnchor ? anchors_[stmt] : layout_.statements[stmt].depth * 2;
  }

  const Tok* NextCode(size_t from) const {
    for (size_t i = from; i < toks_.size(); ++i) {
      if (IsCode(toks_[i])) return &toks_[i];
    }
    return nullptr;
  }

  void Indent() {
    std::vector<Open> open;
    uint32_t stmt = 0;  // the statement being laid out
    for (Line& line : lines_) {
      const Tok& first = toks_[line.toks.front()];
      bool first_of_statement = false;
      if (IsCode(first) && first.lt.statement_start) {
        stmt = first.lt.statement;
        line.indent = Depth(first) * 2;
        open.clear();
        first_of_statement = true;
      } else if (IsCode(first) && first.lt.role == LayoutRole::BlockClose) {
        line.indent = Depth(first) * 2;
        open.clear();
      } else if (IsCode(first)) {
        if (!open.empty()) line.indent = IsCloser(first) ? open.back().close : open.back().inner;
        else line.indent = AnchorOf(stmt) + 2;
      } else {
        // A line that starts with a comment: indented like the code that follows it.
        const Tok* next = NextCode(line.toks.front());
        if (next == nullptr) line.indent = 0;
        else if (next->lt.statement_start) line.indent = Depth(*next) * 2;
        else if (next->lt.role == LayoutRole::BlockClose) line.indent = (Depth(*next) + 1) * 2;
        else if (!open.empty()) line.indent = open.back().inner;
        else line.indent = AnchorOf(stmt) + 2;
      }
      // Columns.
      uint32_t col = line.indent;
      for (size_t k = 0; k < line.toks.size(); ++k) {
        Tok& t = toks_[line.toks[k]];
        if (k > 0) {
          t.space_before = Space(toks_[line.toks[k - 1]], t);
          col += t.space_before + t.pad_before;
        }
        t.col = col;
        size_t nl = t.text.rfind('\n');
        col = nl == std::string_view::npos ? col + Width(t.text) : Width(t.text.substr(nl + 1));
        t.end_col = col;
      }
      // The anchor of an assignment: its value, unless the value starts with a bracket.
      if (first_of_statement) {
        StatementKind kind = KindOf(first);
        uint32_t anchor = line.indent;
        if (kind == StatementKind::Assign || kind == StatementKind::Key) {
          for (size_t k = 0; k + 1 < line.toks.size(); ++k) {
            const Tok& t = toks_[line.toks[k]];
            if (IsCode(t) && t.lt.statement == stmt &&
                (t.lt.role == LayoutRole::AlignedAssign || t.lt.role == LayoutRole::KeyAssign)) {
              const Tok& value = toks_[line.toks[k + 1]];
              if (IsCode(value) && !IsOpener(value)) anchor = value.col;
              break;
            }
          }
        }
        if (anchors_.size() <= stmt) anchors_.resize(stmt + 1, kNoAnchor);
        anchors_[stmt] = anchor;
      }
      // Brackets opened and closed on this line.
      uint32_t line_anchor = first_of_statement ? AnchorOf(stmt) : line.indent;
      for (size_t k = 0; k < line.toks.size(); ++k) {
        const Tok& t = toks_[line.toks[k]];
        if (IsOpener(t)) {
          bool visual = k + 1 < line.toks.size() && IsCode(toks_[line.toks[k + 1]]) &&
                        !IsCloser(toks_[line.toks[k + 1]]);
          open.push_back({visual ? toks_[line.toks[k + 1]].col : line_anchor + 2, line_anchor});
        } else if (IsCloser(t) && !open.empty()) {
          open.pop_back();
        }
      }
    }
  }

  // ---------------------------------------------------------------- 4. trailing comments
  void AlignTrailingComments() {
    std::vector<size_t> group;
    auto flush = [&] {
      uint32_t column = 0;
      for (size_t i : group) {
        const Tok& c = toks_[i];
        const Tok& before = toks_[i - 1];
        column = std::max({column, c.input_col, before.end_col + 1});
      }
      for (size_t i : group) toks_[i].space_before = column - toks_[i - 1].end_col;
      group.clear();
    };
    uint32_t depth = 0;
    for (const Line& line : lines_) {
      const Tok& first = toks_[line.toks.front()];
      size_t last = line.toks.back();
      bool trailing = IsCode(first) && toks_[last].lt.kind == LayoutKind::LineComment;
      if (!trailing || line.blank_before || (!group.empty() && Depth(first) != depth)) flush();
      if (!trailing) continue;
      depth = Depth(first);
      group.push_back(last);
    }
    flush();
  }

  // ---------------------------------------------------------------- 5. text
  std::string Emit() const {
    std::string out;
    out.reserve(file_.text().size() + 256);
    for (size_t l = 0; l < lines_.size(); ++l) {
      const Line& line = lines_[l];
      if (l > 0) out += '\n';
      if (line.blank_before) out += '\n';
      out.append(line.indent, ' ');
      for (size_t k = 0; k < line.toks.size(); ++k) {
        const Tok& t = toks_[line.toks[k]];
        if (k > 0) out.append(t.space_before + t.pad_before, ' ');
        out += t.text;
      }
    }
    out += '\n';
    return out;
  }

  const SourceFile& file_;
  const syntax::Layout& layout_;
  std::vector<Tok> toks_;
  std::vector<Line> lines_;
  std::vector<bool> inline_;  // by token: inside a block written on one line
  static constexpr uint32_t kNoAnchor = UINT32_MAX;
  std::vector<uint32_t> anchors_;  // by statement: the anchor column of its continuation lines
};

// The tokens and comments of a layout, as text: what formatting must not change.
std::vector<std::string_view> Words(const SourceFile& file, const syntax::Layout& layout) {
  std::vector<std::string_view> words;
  for (const LayoutToken& t : layout.tokens) {
    words.push_back(std::string_view(file.text()).substr(t.begin, t.end - t.begin));
  }
  return words;
}

}  // namespace

FormatResult Format(const SourceFile& file, diag::DiagnosticSink& sink) {
  FormatResult result;
  diag::DiagnosticSink parse_sink;
  syntax::Parse(file, parse_sink);
  for (const diag::Diagnostic& d : parse_sink.diagnostics()) sink.Report(d);
  if (parse_sink.has_errors()) {
    result.status = FormatStatus::SyntaxErrors;
    return result;
  }
  syntax::Layout layout = syntax::ParseLayout(file);
  if (!layout.ok) {
    result.message = "the file parses, but its layout view could not be built";
    return result;
  }
  std::string text = Formatter(file, layout).Run();

  // Whitespace only: the output must parse to the same tokens and comments.
  SourceFile out(file.id(), file.path(), text);
  diag::DiagnosticSink check_sink;
  syntax::Parse(out, check_sink);
  syntax::Layout after = syntax::ParseLayout(out);
  if (check_sink.has_errors() || !after.ok || Words(file, layout) != Words(out, after) ||
      layout.statements.size() != after.statements.size()) {
    result.message = "formatting would change more than whitespace (a formatter bug): the file is left as it is";
    return result;
  }
  result.status = FormatStatus::Formatted;
  result.text = std::move(text);
  return result;
}

}  // namespace crmx::fmt
