// Defines the reports of `crmx-run reconcile` (report.h).
#include "runtime/watch/report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace crmx::watch {

namespace {

// One table of a reconciliation's report; `empty` is said instead when it has no rows (and it
// is left out when `empty` is "" too).
struct Section {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string empty;
};

// One reconciliation, as text, Markdown and HTML show it.
struct Block {
  std::string title;
  std::vector<std::string> facts;
  std::vector<Section> sections;
  std::string verdict;
  bool clean = true;
};

std::string Object(const plan::ReconcileSide& s) { return s.object.system + "." + s.object.object; }

std::string Plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : (word.back() == 'y' ? "" : "s"));
}

std::string Discrepancies(size_t n) { return std::to_string(n) + (n == 1 ? " discrepancy" : " discrepancies"); }

std::string SeenText(const Seen& s) {
  if (!s.persistent) return "new";
  return "persistent since " + s.since + " (reconciliation " + std::to_string(s.since_reconciliation) + ")";
}

std::string KindText(const plan::Reconcile& r, const std::string& kind, const std::string& field) {
  if (kind == "missing_left") return "missing in " + Object(r.left);
  if (kind == "missing_right") return "missing in " + Object(r.right);
  if (kind == "duplicate_left") return "more than once in " + Object(r.left);
  if (kind == "duplicate_right") return "more than once in " + Object(r.right);
  if (kind == "field") return field + " out of tolerance";
  return kind;
}

std::string KeyText(const plan::Reconcile& r) {
  std::string out;
  for (const plan::ReconcileKey& k : r.keys) out += (out.empty() ? "" : " && ") + k.left.text + " == " + k.right.text;
  return out;
}

std::string RuleText(const plan::ReconcileRule& x) {
  std::string t = x.left.text + " ~ " + x.right.text;
  if (x.tolerance == plan::ToleranceKind::kPercent) t += " within " + x.within.ToString() + "%";
  if (x.tolerance == plan::ToleranceKind::kAbsolute) t += " within " + x.within.ToString();
  return t;
}

std::string Verdict(const Result& r) {
  size_t n = r.Discrepancies(), persistent = r.Persistent();
  std::string v = n == 0 ? "no discrepancies" : Discrepancies(n) + " (" + std::to_string(n - persistent) + " new, " +
                                                   std::to_string(persistent) + " persistent)";
  v += "; " + std::to_string(r.known.size()) + " known to crmx (in its queues); " + std::to_string(r.resolved.size()) +
       " resolved";
  return v;
}

Block MakeBlock(const Result& res) {
  const plan::Reconcile& r = *res.spec;
  std::string left = Object(r.left), right = Object(r.right);
  Block b;
  b.title = "reconcile " + r.name;
  std::string schedule = r.schedule + (r.at.empty() ? "" : " at " + r.at);
  b.facts.push_back(left + " ~ " + right + " by " + KeyText(r) + " (" + schedule + ")");
  for (const plan::ReconcileRule& x : r.rules) b.facts.push_back("rule: " + RuleText(x));
  if (res.id != 0) {
    b.facts.push_back("reconciliation " + std::to_string(res.id) + " at " + res.started +
                      (res.previous_id ? "; the previous one: " + std::to_string(res.previous_id) + " at " + res.previous_started
                                       : "; the first of this name"));
  } else {
    b.facts.push_back("at " + res.started + " (not recorded: no state file)");
  }
  auto calls = [](uint64_t n) { return n ? " (" + Plural(n, "API call") + ")" : std::string(); };
  b.facts.push_back("read " + std::to_string(res.left_read) + " of " + left + calls(res.left_calls) + " and " +
                    std::to_string(res.right_read) + " of " + right + calls(res.right_calls) + ": " +
                    std::to_string(res.matched) + " matched");
  auto not_expected = [&](size_t n, const plan::ReconcileSide& side, const std::string& other) {
    if (n == 0) return;
    b.facts.push_back(std::to_string(n) + " of " + Object(side) + " not in " + other + " and not expected there (" +
                      side.carried_by + "'s when leaves them out)");
  };
  not_expected(res.left_not_expected, r.left, right);
  not_expected(res.right_not_expected, r.right, left);
  if (res.left_without_key) b.facts.push_back(std::to_string(res.left_without_key) + " of " + left + " without a key value: not matched");
  if (res.right_without_key) b.facts.push_back(std::to_string(res.right_without_key) + " of " + right + " without a key value: not matched");

  Section fields{"out of tolerance", {"key", "rule", left, right, "difference", "tolerance", "status"}, {}, "none"};
  for (const FieldDiscrepancy& f : res.fields)
    fields.rows.push_back({f.key, r.rules[f.rule].left.text + " ~ " + r.rules[f.rule].right.text, f.left, f.right,
                           f.difference, f.tolerance, SeenText(f.seen)});
  Section missing_right{"missing in " + right + " (only in " + left + ")", {"key", "status"}, {}, "none"};
  for (const Missing& m : res.missing_right) missing_right.rows.push_back({m.key, SeenText(m.seen)});
  Section missing_left{"missing in " + left + " (only in " + right + ")", {"key", "status"}, {}, "none"};
  for (const Missing& m : res.missing_left) missing_left.rows.push_back({m.key, SeenText(m.seen)});
  Section duplicates{"keys found more than once", {"key", "in", "records", "status"}, {}, ""};
  for (const Duplicate& d : res.duplicates)
    duplicates.rows.push_back({d.key, d.left ? left : right, std::to_string(d.count), SeenText(d.seen)});
  Section known{"known to crmx (in a queue: not counted)", {"key", "discrepancy", "map", "queue", "reason"}, {}, ""};
  for (const Known& k : res.known) known.rows.push_back({k.key, KindText(r, k.kind, k.field), k.map, k.queue, k.reason});
  Section resolved{"resolved since reconciliation " + std::to_string(res.previous_id), {"key", "discrepancy", "first seen"}, {}, ""};
  for (const Resolved& x : res.resolved)
    resolved.rows.push_back({x.key, KindText(r, x.kind, x.field), x.since + " (reconciliation " + std::to_string(x.since_reconciliation) + ")"});
  Section notes{"notes", {"note"}, {}, ""};
  for (const std::string& n : res.notes) notes.rows.push_back({n});
  b.sections = {std::move(fields), std::move(missing_right), std::move(missing_left), std::move(duplicates),
                std::move(known), std::move(resolved), std::move(notes)};
  b.verdict = Verdict(res);
  b.clean = res.Discrepancies() == 0;
  return b;
}

std::string Total(const std::vector<Result>& results) {
  size_t n = 0;
  for (const Result& r : results) n += r.Discrepancies();
  return Plural(results.size(), "reconciliation") + ": " + (n == 0 ? "no discrepancies" : Discrepancies(n));
}

// Columns padded to their widest cell (bytes), the last one not.
std::string Padded(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

// Control characters in a value would break a line of text: shown as spaces.
std::string OneLine(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

nlohmann::json SeenJson(const Seen& s) {
  return {{"status", s.persistent ? "persistent" : "new"},
          {"since", s.since.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.since)},
          {"since_reconciliation", s.since_reconciliation ? nlohmann::json(s.since_reconciliation) : nlohmann::json(nullptr)}};
}

nlohmann::json SideJson(const plan::ReconcileSide& s, size_t read, size_t without_key, size_t not_expected, uint64_t calls) {
  return {{"system", s.object.system}, {"object", s.object.object}, {"read", read}, {"without_key", without_key},
          {"not_expected", not_expected}, {"calls", calls},
          {"carried_by", s.carried_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.carried_by)}};
}

}  // namespace

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n': case '\r': case '\t': out += ' '; break;
      case '\\': case '|': case '*': case '_': case '`': case '[': case ']': case '~': case '#':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string TextReport(const std::vector<Result>& results) {
  std::string out;
  for (const Result& res : results) {
    Block b = MakeBlock(res);
    out += b.title + "\n";
    for (const std::string& f : b.facts) out += "  " + OneLine(f) + "\n";
    for (const Section& s : b.sections) {
      if (s.rows.empty()) {
        if (!s.empty.empty()) out += "  " + s.title + ": " + s.empty + "\n";
        continue;
      }
      out += "  " + s.title + ": " + std::to_string(s.rows.size()) + "\n";
      std::vector<std::vector<std::string>> rows{s.header};
      for (const auto& row : s.rows) {
        rows.emplace_back();
        for (const std::string& cell : row) rows.back().push_back(OneLine(cell));
      }
      out += Padded(rows, "    ");
    }
    out += "  " + b.verdict + "\n\n";
  }
  return out + Total(results) + "\n";
}

std::string MarkdownReport(const std::vector<Result>& results) {
  std::string out = "# crmx reconciliation\n\n";
  for (const Result& res : results) {
    Block b = MakeBlock(res);
    out += "## " + MarkdownEscape(b.title) + "\n\n";
    for (const std::string& f : b.facts) out += "- " + MarkdownEscape(f) + "\n";
    out += "\n";
    for (const Section& s : b.sections) {
      if (s.rows.empty()) {
        if (!s.empty.empty()) out += "**" + MarkdownEscape(s.title) + "**: " + s.empty + "\n\n";
        continue;
      }
      out += "### " + MarkdownEscape(s.title) + " (" + std::to_string(s.rows.size()) + ")\n\n|";
      for (const std::string& h : s.header) out += " " + MarkdownEscape(h) + " |";
      out += "\n|";
      for (size_t i = 0; i < s.header.size(); ++i) out += " --- |";
      out += "\n";
      for (const auto& row : s.rows) {
        out += "|";
        for (const std::string& cell : row) out += " " + MarkdownEscape(cell) + " |";
        out += "\n";
      }
      out += "\n";
    }
    out += "**" + MarkdownEscape(b.verdict) + "**\n\n";
  }
  return out + MarkdownEscape(Total(results)) + "\n";
}

std::string HtmlReport(const std::vector<Result>& results) {
  bool clean = std::all_of(results.begin(), results.end(), [](const Result& r) { return r.Discrepancies() == 0; });
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>crmx reconciliation</title>\n<style>\n"
      "body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:2em;color:#1d2430;max-width:80em}\n"
      "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d0d7de;padding-bottom:.3em}\n"
      "h3{font-size:1em;margin:1.2em 0 .4em}ul{padding-left:1.2em}li{margin:.15em 0}\n"
      "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;"
      "vertical-align:top}\n"
      "th{background:#f6f8fa}td{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}\n"
      ".none{color:#57606a}.verdict{font-weight:600;padding:.5em .8em;border-radius:4px;display:inline-block}\n"
      ".ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}\n"
      "</style>\n</head>\n<body>\n<h1>crmx reconciliation</h1>\n";
  for (const Result& res : results) {
    Block b = MakeBlock(res);
    out += "<section>\n<h2>" + HtmlEscape(b.title) + "</h2>\n<ul>\n";
    for (const std::string& f : b.facts) out += "<li>" + HtmlEscape(f) + "</li>\n";
    out += "</ul>\n";
    for (const Section& s : b.sections) {
      if (s.rows.empty()) {
        if (!s.empty.empty()) out += "<h3>" + HtmlEscape(s.title) + ": <span class=\"none\">" + HtmlEscape(s.empty) + "</span></h3>\n";
        continue;
      }
      out += "<h3>" + HtmlEscape(s.title) + " (" + std::to_string(s.rows.size()) + ")</h3>\n<table>\n<thead><tr>";
      for (const std::string& h : s.header) out += "<th>" + HtmlEscape(h) + "</th>";
      out += "</tr></thead>\n<tbody>\n";
      for (const auto& row : s.rows) {
        out += "<tr>";
        for (const std::string& cell : row) out += "<td>" + HtmlEscape(cell) + "</td>";
        out += "</tr>\n";
      }
      out += "</tbody>\n</table>\n";
    }
    out += std::string("<p class=\"verdict ") + (b.clean ? "ok" : "bad") + "\">" + HtmlEscape(b.verdict) + "</p>\n</section>\n";
  }
  out += std::string("<p class=\"verdict ") + (clean ? "ok" : "bad") + "\">" + HtmlEscape(Total(results)) + "</p>\n";
  return out + "</body>\n</html>\n";
}

std::string JsonReport(const std::vector<Result>& results) {
  using json = nlohmann::json;
  json all = json::array();
  size_t total = 0;
  for (const Result& res : results) {
    const plan::Reconcile& r = *res.spec;
    total += res.Discrepancies();
    json keys = json::array();
    for (const plan::ReconcileKey& k : r.keys) keys.push_back({{"left", k.left.text}, {"right", k.right.text}});
    json rules = json::array();
    for (const plan::ReconcileRule& x : r.rules) {
      json o{{"left", x.left.text}, {"right", x.right.text}, {"tolerance", plan::ToleranceKindName(x.tolerance)}};
      o["within"] = x.tolerance == plan::ToleranceKind::kExact ? json(nullptr) : json(x.within.ToString());
      rules.push_back(o);
    }
    json fields = json::array();
    for (const FieldDiscrepancy& f : res.fields) {
      json o{{"key", f.key}, {"left_field", r.rules[f.rule].left.text}, {"right_field", r.rules[f.rule].right.text},
             {"left", f.left_null ? json(nullptr) : json(f.left)}, {"right", f.right_null ? json(nullptr) : json(f.right)},
             {"difference", f.difference.empty() ? json(nullptr) : json(f.difference)}, {"tolerance", f.tolerance}};
      o.update(SeenJson(f.seen));
      fields.push_back(o);
    }
    auto missing = [](const std::vector<Missing>& list) {
      json a = json::array();
      for (const Missing& m : list) {
        json o{{"key", m.key}};
        o.update(SeenJson(m.seen));
        a.push_back(o);
      }
      return a;
    };
    json duplicates = json::array();
    for (const Duplicate& d : res.duplicates) {
      json o{{"key", d.key}, {"side", d.left ? "left" : "right"}, {"count", d.count}};
      o.update(SeenJson(d.seen));
      duplicates.push_back(o);
    }
    json known = json::array();
    for (const Known& k : res.known)
      known.push_back({{"kind", k.kind}, {"key", k.key}, {"field", k.field.empty() ? json(nullptr) : json(k.field)},
                       {"map", k.map}, {"queue", k.queue}, {"reason", k.reason}});
    json resolved = json::array();
    for (const Resolved& x : res.resolved)
      resolved.push_back({{"kind", x.kind}, {"key", x.key}, {"field", x.field.empty() ? json(nullptr) : json(x.field)},
                          {"since", x.since}, {"since_reconciliation", x.since_reconciliation}});
    all.push_back({{"name", r.name},
                   {"schedule", r.schedule},
                   {"reconciliation", res.id ? json(res.id) : json(nullptr)},
                   {"started", res.started},
                   {"previous", res.previous_id ? json{{"reconciliation", res.previous_id}, {"started", res.previous_started}}
                                                : json(nullptr)},
                   {"left", SideJson(r.left, res.left_read, res.left_without_key, res.left_not_expected, res.left_calls)},
                   {"right", SideJson(r.right, res.right_read, res.right_without_key, res.right_not_expected, res.right_calls)},
                   {"keys", keys},
                   {"rules", rules},
                   {"matched", res.matched},
                   {"discrepancies", res.Discrepancies()},
                   {"new", res.Discrepancies() - res.Persistent()},
                   {"persistent", res.Persistent()},
                   {"fields", fields},
                   {"missing_right", missing(res.missing_right)},
                   {"missing_left", missing(res.missing_left)},
                   {"duplicates", duplicates},
                   {"known", known},
                   {"resolved", resolved},
                   {"notes", res.notes}});
  }
  json doc{{"reconciliations", all}, {"discrepancies", total}};
  return doc.dump(2) + "\n";
}

}  // namespace crmx::watch
