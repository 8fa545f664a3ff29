// Defines RenderHuman and RenderSummary: the rustc-style report.
//
// Layout of one diagnostic (gutter width w = digits of the largest line number shown):
//   error[E0004]: message
//   {w spaces}--> path:line:col
//   {w+1 spaces}|
//   NN | source line
//   {w+1 spaces}| ^^^ label          (primary '^', secondary '-')
//   {w+1 spaces}|
//   {w+1 spaces}= note: ...
//   help: ...                         (suggestion block when a fix exists)
// Secondary labels in other files get their own `:::` section. Multi-line spans are drawn
// in a margin between the gutter and the text, as rustc does.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "compiler/diagnostics/render.h"
#include "compiler/diagnostics/render_util.h"

namespace crmx::diag {

namespace {

using detail::Resolved;

enum class Style { kNone, kError, kWarning, kNote, kHelp, kGutter, kSecondary, kBold };

const char* Ansi(Style s) {
  switch (s) {
    case Style::kNone: return "";
    case Style::kError: return "\x1b[1;31m";
    case Style::kWarning: return "\x1b[1;33m";
    case Style::kNote: return "\x1b[1;32m";
    case Style::kHelp: return "\x1b[1;36m";
    case Style::kGutter: return "\x1b[1;34m";
    case Style::kSecondary: return "\x1b[1;34m";
    case Style::kBold: return "\x1b[1m";
  }
  return "";
}

std::string Paint(std::string_view text, Style s, bool color) {
  if (!color || s == Style::kNone || text.empty()) return std::string(text);
  return std::string(Ansi(s)) + std::string(text) + "\x1b[0m";
}

Style SeverityStyle(Severity s) {
  switch (s) {
    case Severity::Error: return Style::kError;
    case Severity::Warning: return Style::kWarning;
    case Severity::Note: return Style::kNote;
  }
  return Style::kError;
}

constexpr uint32_t kTabWidth = 4;

// Display width of one byte of a line: tabs expand, UTF-8 continuation bytes take none.
uint32_t ByteWidth(char c) {
  if (c == '\t') return kTabWidth;
  if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) return 0;
  return 1;
}

// Display column (0-based) of byte index `idx` in `line`; past the end counts one per byte.
uint32_t DisplayCol(std::string_view line, uint32_t idx) {
  uint32_t col = 0;
  for (uint32_t i = 0; i < idx; ++i) col += i < line.size() ? ByteWidth(line[i]) : 1;
  return col;
}

// The line as shown: tabs become spaces, other control characters become spaces.
std::string Expand(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      out.append(kTabWidth, ' ');
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string RTrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

struct Cell {
  char ch = ' ';
  Style style = Style::kNone;
};

struct Row {
  enum Kind { kSource, kAnnotation, kEllipsis } kind = kAnnotation;
  uint32_t line = 0;
  std::vector<Cell> cells;
  std::string tail;
  Style tail_style = Style::kNone;
};

void Put(std::vector<Cell>& cells, size_t at, char ch, Style s) {
  if (cells.size() <= at) cells.resize(at + 1);
  cells[at] = Cell{ch, s};
}

// A label on one line; display columns, end exclusive and > start.
struct SingleAnn {
  uint32_t line;
  uint32_t start;
  uint32_t end;
  bool primary;
  std::string label;
};

// A label spanning lines; `end_last` is the display column of its last character.
struct MultiAnn {
  uint32_t start_line;
  uint32_t end_line;
  uint32_t start;
  uint32_t end_last;
  bool primary;
  bool slash;  // starts at the first non-blank of its line: drawn as `/` in the margin
  std::string label;
};

struct Section {
  const SourceFile* file = nullptr;
  std::string location;  // path:line:col
  bool primary = false;
  std::vector<Row> rows;
};

class HumanRenderer {
 public:
  HumanRenderer(std::ostream& out, const SourceManager& sm, const RenderOptions& o)
      : out_(out), sm_(sm), color_(o.color) {}

  void Render(const Diagnostic& d) {
    sev_style_ = SeverityStyle(d.severity);
    BuildSections(d);
    BuildSuggestion(d);
    uint32_t max_line = 0;
    for (const Section& s : sections_)
      for (const Row& r : s.rows) max_line = std::max(max_line, r.line);
    for (const Row& r : suggestion_rows_) max_line = std::max(max_line, r.line);
    width_ = static_cast<uint32_t>(std::to_string(std::max<uint32_t>(max_line, 1)).size());

    // Header.
    std::string head = std::string(SeverityName(d.severity)) + "[" + std::string(d.code()) + "]";
    out_ << Paint(head, sev_style_, color_) << Paint(": " + d.message, Style::kBold, color_)
         << "\n";

    for (size_t i = 0; i < sections_.size(); ++i) {
      const Section& s = sections_[i];
      if (i > 0) out_ << Gutter() << "\n";
      std::string arrow = s.primary ? "--> " : "::: ";
      out_ << std::string(width_, ' ') << Paint(arrow, Style::kGutter, color_) << s.location
           << "\n";
      out_ << Gutter() << "\n";
      for (const Row& r : s.rows) PrintRow(r);
    }

    // Footer: notes, then help when it has no fix (a fix gets its own block below).
    std::vector<std::pair<std::string, std::string>> footer;
    for (const std::string& n : d.notes) footer.emplace_back("note", n);
    if (d.help && !has_suggestion_) footer.emplace_back("help", *d.help);
    if (!footer.empty()) {
      if (!sections_.empty()) out_ << Gutter() << "\n";
      for (const auto& [kind, text] : footer) {
        std::string lead = std::string(width_ + 1, ' ') + Paint("=", Style::kGutter, color_) + " " +
                           Paint(kind + ":", Style::kBold, color_) + " ";
        PrintIndented(lead, std::string(width_ + 5 + kind.size(), ' '), text);
      }
    }

    if (has_suggestion_) {
      PrintIndented(Paint("help", Style::kHelp, color_) + ": ", "      ", suggestion_title_);
      out_ << Gutter() << "\n";
      for (const Row& r : suggestion_rows_) PrintRow(r);
    }
    out_ << "\n";
  }

 private:
  std::string Gutter() const { return std::string(width_ + 1, ' ') + Paint("|", Style::kGutter, color_); }

  // Prints `text` whose first line follows `lead`; later lines are indented by `indent`.
  void PrintIndented(const std::string& lead, const std::string& indent, const std::string& text) {
    std::istringstream in(text);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      out_ << RTrim((first ? lead : indent) + line) << "\n";
      first = false;
    }
    if (first) out_ << RTrim(lead) << "\n";
  }

  void PrintRow(const Row& r) {
    if (r.kind == Row::kEllipsis) {
      out_ << Paint("...", Style::kGutter, color_) << "\n";
      return;
    }
    std::string num = r.kind == Row::kSource ? std::to_string(r.line) : std::string();
    std::string line = Paint(std::string(width_ - num.size(), ' ') + num + " |", Style::kGutter, color_);
    // Cells, with trailing blanks dropped when nothing follows them.
    std::vector<Cell> cells = r.cells;
    if (r.tail.empty())
      while (!cells.empty() && cells.back().ch == ' ') cells.pop_back();
    std::string body;
    for (size_t i = 0; i < cells.size();) {
      size_t j = i;
      std::string run;
      while (j < cells.size() && cells[j].style == cells[i].style) run += cells[j++].ch;
      body += cells[i].ch == ' ' && cells[i].style == Style::kNone ? run : Paint(run, cells[i].style, color_);
      i = j;
    }
    std::string tail = r.tail_style == Style::kNone ? RTrim(r.tail) : r.tail;
    body += Paint(tail, r.tail_style, color_);
    if (!body.empty()) line += " " + body;
    out_ << line << "\n";
  }

  void AddLabel(const Span& span, bool primary, const std::string& label,
                std::vector<SingleAnn>& singles, std::vector<MultiAnn>& multis) {
    auto r = detail::Resolve(sm_, span);
    if (!r) return;
    const SourceFile& f = *r->file;
    LineCol b = f.Position(r->begin);
    LineCol e = f.Position(r->end);
    // A span ending just after a newline ends, for the eye, on the line before.
    if (e.line > b.line && e.col == 1) {
      e.line -= 1;
      e.col = static_cast<uint32_t>(f.LineText(e.line).size()) + 1;
    }
    std::string_view first = f.LineText(b.line);
    if (b.line == e.line) {
      uint32_t s = DisplayCol(first, b.col - 1);
      uint32_t en = DisplayCol(first, e.col - 1);
      if (en <= s) en = s + 1;
      singles.push_back(SingleAnn{b.line, s, en, primary, label});
      return;
    }
    std::string_view last = f.LineText(e.line);
    uint32_t end_disp = DisplayCol(last, e.col - 1);
    bool slash = true;
    for (uint32_t i = 0; i + 1 < b.col && i < first.size(); ++i)
      if (first[i] != ' ' && first[i] != '\t') slash = false;
    multis.push_back(MultiAnn{b.line, e.line, DisplayCol(first, b.col - 1),
                              end_disp > 0 ? end_disp - 1 : 0, primary, slash, label});
  }

  void BuildSections(const Diagnostic& d) {
    sections_.clear();
    // Group labels by file: the primary's file first, then others in order of appearance.
    std::vector<FileId> order;
    std::map<FileId, std::vector<const Label*>> by_file;
    std::vector<std::pair<const Label*, bool>> all;
    all.emplace_back(&d.primary, true);
    for (const Label& l : d.secondary) all.emplace_back(&l, false);
    std::map<const Label*, bool> is_primary;
    for (const auto& [label, primary] : all) {
      if (!detail::Resolve(sm_, label->span)) continue;
      FileId f = label->span.file;
      if (!by_file.count(f)) order.push_back(f);
      by_file[f].push_back(label);
      is_primary[label] = primary;
    }
    for (FileId fid : order) {
      Section sec;
      sec.file = &sm_.Get(fid);
      const Label* lead = by_file[fid].front();
      sec.primary = is_primary[lead];
      auto r = detail::Resolve(sm_, lead->span);
      sec.location = sec.file->path() + ":" + std::to_string(r->line) + ":" + std::to_string(r->col);
      std::vector<SingleAnn> singles;
      std::vector<MultiAnn> multis;
      for (const Label* l : by_file[fid]) AddLabel(l->span, is_primary[l], l->message, singles, multis);
      BuildRows(*sec.file, singles, multis, sec.rows);
      sections_.push_back(std::move(sec));
    }
  }

  Style AnnStyle(bool primary) const { return primary ? sev_style_ : Style::kSecondary; }

  void BuildRows(const SourceFile& f, std::vector<SingleAnn>& singles, std::vector<MultiAnn>& multis,
                 std::vector<Row>& rows) {
    std::stable_sort(multis.begin(), multis.end(), [](const MultiAnn& a, const MultiAnn& b) {
      return std::tie(a.start_line, a.start) < std::tie(b.start_line, b.start);
    });
    const size_t margin = multis.empty() ? 0 : multis.size() + 1;
    std::set<uint32_t> lines;
    for (const SingleAnn& s : singles) lines.insert(s.line);
    for (const MultiAnn& m : multis) {
      lines.insert(m.start_line);
      lines.insert(m.end_line);
      if (m.start_line + 1 < m.end_line) lines.insert(m.start_line + 1);
      if (m.end_line - 1 > m.start_line) lines.insert(m.end_line - 1);
    }
    // A gap of exactly one line is cheaper to show than to elide.
    std::set<uint32_t> filled = lines;
    uint32_t prev = 0;
    for (uint32_t l : lines) {
      if (prev != 0 && l == prev + 2) filled.insert(prev + 1);
      prev = l;
    }

    prev = 0;
    for (uint32_t l : filled) {
      if (prev != 0 && l > prev + 1) rows.push_back(Row{Row::kEllipsis, 0, {}, {}, Style::kNone});
      prev = l;
      // The source line, with the margin of multi-line spans.
      Row src{Row::kSource, l, {}, Expand(f.LineText(l)), Style::kNone};
      src.cells.resize(margin);
      for (size_t k = 0; k < multis.size(); ++k) {
        const MultiAnn& m = multis[k];
        if (m.slash && l == m.start_line) src.cells[k] = Cell{'/', AnnStyle(m.primary)};
        else if (m.start_line < l && l <= m.end_line) src.cells[k] = Cell{'|', AnnStyle(m.primary)};
      }
      rows.push_back(std::move(src));

      std::vector<bool> active(multis.size());
      for (size_t k = 0; k < multis.size(); ++k) {
        const MultiAnn& m = multis[k];
        active[k] = (m.start_line < l || (m.slash && m.start_line == l)) && l <= m.end_line;
      }
      auto margin_cells = [&]() {
        std::vector<Cell> cells(margin);
        for (size_t k = 0; k < multis.size(); ++k)
          if (active[k]) cells[k] = Cell{'|', AnnStyle(multis[k].primary)};
        return cells;
      };

      // Single-line labels: one underline row, the rightmost label inline, the others
      // hung below on `|` connectors (rustc's layout).
      std::vector<SingleAnn> here;
      for (const SingleAnn& s : singles)
        if (s.line == l) here.push_back(s);
      if (!here.empty()) {
        std::stable_sort(here.begin(), here.end(),
                         [](const SingleAnn& a, const SingleAnn& b) { return a.start < b.start; });
        Row under{Row::kAnnotation, 0, margin_cells(), {}, Style::kNone};
        for (int pass = 0; pass < 2; ++pass) {
          for (const SingleAnn& s : here) {
            if (s.primary != (pass == 1)) continue;
            for (uint32_t c = s.start; c < s.end; ++c)
              Put(under.cells, margin + c, s.primary ? '^' : '-', AnnStyle(s.primary));
          }
        }
        const SingleAnn& inline_ann = here.back();
        if (!inline_ann.label.empty()) {
          under.cells.push_back(Cell{});
          under.tail = inline_ann.label;
          under.tail_style = AnnStyle(inline_ann.primary);
        }
        rows.push_back(std::move(under));
        std::vector<const SingleAnn*> hung;
        for (size_t i = 0; i + 1 < here.size(); ++i)
          if (!here[i].label.empty()) hung.push_back(&here[i]);
        if (!hung.empty()) {
          Row conn{Row::kAnnotation, 0, margin_cells(), {}, Style::kNone};
          for (const SingleAnn* s : hung) Put(conn.cells, margin + s->start, '|', AnnStyle(s->primary));
          rows.push_back(std::move(conn));
          for (size_t i = hung.size(); i-- > 0;) {
            Row lab{Row::kAnnotation, 0, margin_cells(), hung[i]->label, AnnStyle(hung[i]->primary)};
            for (size_t j = 0; j < i; ++j) Put(lab.cells, margin + hung[j]->start, '|', AnnStyle(hung[j]->primary));
            lab.cells.resize(std::max(lab.cells.size(), margin + hung[i]->start));
            rows.push_back(std::move(lab));
          }
        }
      }

      // Multi-line labels starting here (not at the line's first non-blank): `_____^`.
      for (size_t k = 0; k < multis.size(); ++k) {
        const MultiAnn& m = multis[k];
        if (m.start_line != l || m.slash) continue;
        Row row{Row::kAnnotation, 0, margin_cells(), {}, Style::kNone};
        Style st = AnnStyle(m.primary);
        for (size_t c = k + 1; c < margin + m.start; ++c) Put(row.cells, c, '_', st);
        Put(row.cells, margin + m.start, m.primary ? '^' : '-', st);
        rows.push_back(std::move(row));
        active[k] = true;
      }
      // Multi-line labels ending here: `|___^ label`.
      for (size_t k = 0; k < multis.size(); ++k) {
        const MultiAnn& m = multis[k];
        if (m.end_line != l) continue;
        Row row{Row::kAnnotation, 0, margin_cells(), {}, Style::kNone};
        Style st = AnnStyle(m.primary);
        Put(row.cells, k, '|', st);
        for (size_t c = k + 1; c < margin + m.end_last; ++c) Put(row.cells, c, '_', st);
        Put(row.cells, margin + m.end_last, m.primary ? '^' : '-', st);
        if (!m.label.empty()) {
          row.cells.push_back(Cell{});
          row.tail = m.label;
          row.tail_style = st;
        }
        rows.push_back(std::move(row));
        active[k] = false;
      }
    }
  }

  // The suggestion block: the affected lines with the fix applied, and under a one-line
  // result `~` (replaced), `+` (inserted) or `-` (removed, shown on the original line).
  void BuildSuggestion(const Diagnostic& d) {
    has_suggestion_ = false;
    suggestion_rows_.clear();
    if (!d.fix) return;
    auto r = detail::Resolve(sm_, d.fix->span);
    if (!r) return;
    const SourceFile& f = *r->file;
    const std::string& text = f.text();
    LineCol b = f.Position(r->begin);
    LineCol e = f.Position(r->end);
    uint32_t line_begin = r->begin - (b.col - 1);
    uint32_t end_line_len = static_cast<uint32_t>(f.LineText(e.line).size());
    uint32_t line_end = std::max(r->end, r->end - (e.col - 1) + end_line_len);
    std::string prefix = text.substr(line_begin, r->begin - line_begin);
    std::string suffix = text.substr(r->end, line_end - r->end);
    const std::string& repl = d.fix->replacement;

    std::string title;
    if (d.help) {
      title = *d.help;
    } else if (repl.empty()) {
      title = "remove this";
    } else if (r->begin == r->end) {
      title = "insert `" + repl + "`";
    } else {
      title = "replace with `" + repl + "`";
    }
    suggestion_title_ = title;
    has_suggestion_ = true;

    bool one_line = b.line == e.line && repl.find('\n') == std::string::npos;
    if (one_line && repl.empty()) {
      // A removal: show the original line and mark what goes.
      std::string original = prefix + text.substr(r->begin, r->end - r->begin) + suffix;
      suggestion_rows_.push_back(Row{Row::kSource, b.line, {}, Expand(original), Style::kNone});
      Row marks{Row::kAnnotation, 0, {}, {}, Style::kNone};
      uint32_t s = DisplayCol(original, static_cast<uint32_t>(prefix.size()));
      uint32_t en = DisplayCol(original, static_cast<uint32_t>(prefix.size() + (r->end - r->begin)));
      for (uint32_t c = s; c < std::max(en, s + 1); ++c) Put(marks.cells, c, '-', Style::kError);
      suggestion_rows_.push_back(std::move(marks));
      return;
    }
    std::string fixed = prefix + repl + suffix;
    if (one_line) {
      suggestion_rows_.push_back(Row{Row::kSource, b.line, {}, Expand(fixed), Style::kNone});
      Row marks{Row::kAnnotation, 0, {}, {}, Style::kNone};
      uint32_t s = DisplayCol(fixed, static_cast<uint32_t>(prefix.size()));
      uint32_t en = DisplayCol(fixed, static_cast<uint32_t>(prefix.size() + repl.size()));
      char mark = r->begin == r->end ? '+' : '~';
      for (uint32_t c = s; c < en; ++c) Put(marks.cells, c, mark, Style::kNote);
      suggestion_rows_.push_back(std::move(marks));
      return;
    }
    std::istringstream in(fixed);
    std::string piece;
    uint32_t n = b.line;
    while (std::getline(in, piece)) {
      if (!piece.empty() && piece.back() == '\r') piece.pop_back();
      suggestion_rows_.push_back(Row{Row::kSource, n++, {}, Expand(piece), Style::kNone});
    }
  }

  std::ostream& out_;
  const SourceManager& sm_;
  bool color_;
  Style sev_style_ = Style::kError;
  uint32_t width_ = 1;
  std::vector<Section> sections_;
  bool has_suggestion_ = false;
  std::string suggestion_title_;
  std::vector<Row> suggestion_rows_;
};

std::string Plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

void RenderHuman(std::ostream& out, const SourceManager& sm, const std::vector<Diagnostic>& diags,
                 const RenderOptions& options) {
  HumanRenderer r(out, sm, options);
  for (const Diagnostic& d : diags) r.Render(d);
}

void RenderSummary(std::ostream& out, size_t errors, size_t warnings, const RenderOptions& options) {
  if (errors == 0 && warnings == 0) return;
  std::string what = options.subject.empty() ? std::string("aborting")
                                             : "could not check `" + options.subject + "`";
  if (errors > 0) {
    std::string text = what + " due to " + (errors == 1 ? std::string("1 previous error")
                                                         : Plural(errors, "previous error"));
    if (warnings > 0) text += "; " + Plural(warnings, "warning") + " emitted";
    out << Paint("error", Style::kError, options.color) << Paint(": " + text, Style::kBold, options.color)
        << "\n";
  } else {
    std::string text = options.subject.empty() ? std::string()
                                               : "`" + options.subject + "` generated ";
    text += Plural(warnings, "warning") + (options.subject.empty() ? " emitted" : "");
    out << Paint("warning", Style::kWarning, options.color)
        << Paint(": " + text, Style::kBold, options.color) << "\n";
  }
}

bool ShouldUseColor(FILE* stream) {
  if (stream == nullptr || !isatty(fileno(stream))) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return true;
}

}  // namespace crmx::diag
