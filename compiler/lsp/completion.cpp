// Defines textDocument/completion of `crmxc lsp` (features.h). The text around the cursor is
// usually broken (the user is typing `amount = Amo`, or a trailing `.`), so the context is read
// from the tokens (syntax/tokens.h: lexing never fails), not from the parse tree: the blocks
// open at the cursor (`map NAME: crm.A -> erp.B {`, `owner crm {`, `test "..." {`, a macro's
// parentheses), the statement's start, and the dotted names before a trailing `.`. The schemas,
// maps and tables come from the analysis (analysis.h), which parses with error recovery.
//
// What is offered: in a map body, at a statement's start the target object's fields (required
// ones and the ones not assigned yet first) and `key`/`require`; in an expression the source
// object's fields, relationships, tables, functions, macro variables and expression keywords;
// after `X.` the fields of the related object (or of a macro variable's record, or the objects
// of a system) and the functions; at a key of an object literal written into a target field
// (`lines = Items.map(li, {item: ...})`) the fields of that field's row; in `ref(` and after `sync` the maps; at the top of the file
// the item keywords; in `owner`, `system`, `test` blocks and records their objects, fields and
// keywords.
#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "compiler/check/functions.h"
#include "compiler/lsp/analysis.h"
#include "compiler/lsp/features.h"
#include "compiler/syntax/keywords.h"
#include "compiler/syntax/tokens.h"

namespace crmx::lsp {

namespace {

using syntax::TokenClass;

// LSP CompletionItemKind values.
constexpr int kKindFunction = 3;
constexpr int kKindField = 5;
constexpr int kKindVariable = 6;
constexpr int kKindClass = 7;
constexpr int kKindModule = 9;
constexpr int kKindKeyword = 14;
constexpr int kKindReference = 18;
constexpr int kKindStruct = 22;

constexpr size_t kPicklistShown = 20;

enum class Frame { File, Map, System, Owner, OwnerObject, Test, Record, Sync, Reconcile, Brace, Paren, Bracket, Other };

struct Block {
  Frame kind = Frame::Other;
  size_t open = 0;  // index of the opening token
  // Map: the header's names; Record, OwnerObject: the object; System, Owner: the system.
  std::string name, source_system, source_object, target_system, target_object;
  // Paren of a macro (`X.map(li, ...)`): the variable and the receiver's dotted names.
  std::string var;
  std::vector<std::string> receiver;
  bool ref = false;  // Paren of `ref(`
  size_t item = 0;   // File: index of the current item's keyword token (0: none)
  bool item_done = false;  // File: the current item's block closed
};

Block MakeBlock(Frame kind, size_t open) {
  Block b;
  b.kind = kind;
  b.open = open;
  return b;
}

class Completer {
 public:
  Completer(const Analysis& a, const Document& doc, size_t offset) : a_(a), doc_(doc), offset_(offset) {
    SourceFile file(0, doc.path(), doc.text());
    for (const syntax::Token& t : syntax::Tokenize(file)) {
      if (t.cls == TokenClass::Comment || t.cls == TokenClass::DocComment) {
        if (t.begin < offset && offset <= t.end) in_comment_ = true;
        continue;
      }
      if (t.cls == TokenClass::String && t.begin < offset && offset <= t.end) {
        // At a string's end only when it is not closed yet: `"abc|`.
        const std::string& s = doc.text();
        bool closed = t.end - t.begin >= 2 && (s[t.end - 1] == '"' || s[t.end - 1] == '\'');
        if (offset < t.end || !closed) in_comment_ = true;
      }
      toks_.push_back(t);
    }
    env_.systems = a.systems.get();
  }

  nlohmann::json Run() {
    nlohmann::json items = nlohmann::json::array();
    if (in_comment_) return Result();
    // The word being typed (replaced by the completion) and the last token before it.
    size_t n = 0;
    while (n < toks_.size() && toks_[n].end <= offset_) ++n;
    size_t prefix_begin = offset_, word_end = offset_;
    if (n < toks_.size() && toks_[n].begin < offset_ && IsWord(toks_[n])) {
      // Inside a word (`Cur|rencyIsoCode`): what precedes the cursor filters, and the chosen
      // item replaces the whole word, as editors do.
      prefix_begin = toks_[n].begin;
      word_end = toks_[n].end;
    } else if (n > 0 && toks_[n - 1].end == offset_ && IsWord(toks_[n - 1])) {
      prefix_begin = toks_[n - 1].begin;
      --n;
    }
    prefix_ = doc_.text().substr(prefix_begin, offset_ - prefix_begin);
    range_ = doc_.Range(prefix_begin, word_end);
    prev_ = n;  // tokens [0, prev_) come before the word
    Blocks();
    Decide();
    return Result();
  }

 private:
  std::string Text(size_t i) const { return doc_.text().substr(toks_[i].begin, toks_[i].end - toks_[i].begin); }
  std::string Name(size_t i) const {
    std::string t = Text(i);
    if (t.size() >= 2 && t.front() == '`') return t.substr(1, t.size() - 2);
    return t;
  }
  static bool IsWord(const syntax::Token& t) {
    return t.cls == TokenClass::Name || t.cls == TokenClass::ReservedKeyword || t.cls == TokenClass::ContextualKeyword ||
           t.cls == TokenClass::Literal || t.cls == TokenClass::QuotedName;
  }
  bool IsWordAt(size_t i) const { return i < toks_.size() && IsWord(toks_[i]); }
  bool Is(size_t i, std::string_view s) const { return i < toks_.size() && Text(i) == s; }
  // The last token before the word, or npos.
  size_t Prev() const { return prev_ == 0 ? std::string::npos : prev_ - 1; }
  uint32_t LineOf(size_t offset) const { return static_cast<uint32_t>(doc_.At(offset).line); }

  // ---- the blocks open at the cursor

  void Blocks() {
    stack_.push_back(MakeBlock(Frame::Other, 0));
    for (size_t i = 0; i < prev_; ++i) {
      std::string t = Text(i);
      Block& top = stack_.back();
      if (top.kind == Frame::File && toks_[i].cls == TokenClass::ReservedKeyword && IsItemKeyword(t)) {
        top.item = i;
        top.item_done = false;
      }
      if (t == "{") {
        stack_.push_back(Open(i));
      } else if (t == "(" || t == "[") {
        Block b = MakeBlock(t == "(" ? Frame::Paren : Frame::Bracket, i);
        if (t == "(") Paren(i, b);
        stack_.push_back(b);
      } else if (t == "}" && stack_.size() > 1) {
        // A `}` also closes the parentheses and brackets left open inside its block (`budget (`).
        while (stack_.size() > 1 && (stack_.back().kind == Frame::Paren || stack_.back().kind == Frame::Bracket)) {
          stack_.pop_back();
        }
        if (stack_.size() > 1) stack_.pop_back();
        if (stack_.back().kind == Frame::File) stack_.back().item_done = true;
      } else if ((t == ")" && top.kind == Frame::Paren) || (t == "]" && top.kind == Frame::Bracket)) {
        stack_.pop_back();
      } else if (t == "," && top.kind == Frame::Paren && top.var.empty() && !top.receiver.empty() &&
                 top.open + 2 == i && IsWordAt(i - 1)) {
        // `X.map(li,`: `li` is the macro's variable from here to the `)`.
        top.var = Name(i - 1);
      }
    }
  }

  static bool IsItemKeyword(const std::string& w) {
    static const std::vector<std::string> kItems = syntax::ItemKeywords();
    return std::find(kItems.begin(), kItems.end(), w) != kItems.end();
  }

  // The dotted names ending at token `last` (a name): `a.b.c` -> {a, b, c}; empty when `last`
  // is not a name. `after_call` is set when the chain starts at a `)` or `]` (a call's result).
  std::vector<std::string> Chain(size_t last, bool* after_call = nullptr) const {
    std::vector<std::string> out;
    if (after_call) *after_call = false;
    if (last == std::string::npos || !IsWordAt(last)) {
      if (after_call && last != std::string::npos && (Is(last, ")") || Is(last, "]"))) *after_call = true;
      return out;
    }
    size_t i = last;
    while (true) {
      out.insert(out.begin(), Name(i));
      if (i >= 2 && Is(i - 1, ".") && IsWordAt(i - 2)) {
        i -= 2;
        continue;
      }
      if (after_call && i >= 2 && Is(i - 1, ".") && (Is(i - 2, ")") || Is(i - 2, "]"))) *after_call = true;
      break;
    }
    return out;
  }

  void Paren(size_t i, Block& b) {
    if (i >= 1 && Is(i - 1, "ref")) b.ref = true;
    // `X.map(` : a macro whose variable is the first argument.
    if (i >= 3 && IsWordAt(i - 1) && Is(i - 2, ".")) {
      std::string m = Text(i - 1);
      if (m == "map" || m == "filter" || m == "all" || m == "exists" || m == "exists_one") b.receiver = Chain(i - 3);
    }
  }

  Block Open(size_t i) {
    const Block& top = stack_.back();
    Block b = MakeBlock(Frame::Brace, i);
    switch (top.kind) {
      case Frame::Other:
        b.kind = Frame::File;
        return b;
      case Frame::File: {
        if (top.item == 0 && !(Is(0, "integration") || Is(0, "module"))) return b;
        std::string kw = top.item == 0 ? std::string() : Text(top.item);
        size_t k = top.item;
        if (kw == "map") {
          // map NAME : S . O -> S . O {
          b.kind = Frame::Map;
          if (IsWordAt(k + 1)) b.name = Name(k + 1);
          if (k + 9 < i && Is(k + 2, ":") && Is(k + 4, ".") && Is(k + 6, "->") && Is(k + 8, ".")) {
            b.source_system = Name(k + 3);
            b.source_object = Name(k + 5);
            b.target_system = Name(k + 7);
            b.target_object = Name(k + 9);
          }
        } else if (kw == "system") {
          b.kind = Frame::System;
          if (IsWordAt(k + 1)) b.name = Name(k + 1);
        } else if (kw == "owner") {
          b.kind = Frame::Owner;
          if (IsWordAt(k + 1)) b.name = Name(k + 1);
        } else if (kw == "test") {
          b.kind = Frame::Test;
        } else if (kw == "sync") {
          b.kind = Frame::Sync;
          if (IsWordAt(k + 1)) b.name = Name(k + 1);
        } else if (kw == "reconcile") {
          b.kind = Frame::Reconcile;
          // reconcile SCHEDULE... S . O ~ S . O by ...
          for (size_t j = k + 1; j + 3 < i; ++j) {
            if (Is(j, "~") && j >= 3 && Is(j - 2, ".")) {
              b.source_system = Name(j - 3);
              b.source_object = Name(j - 1);
              if (Is(j + 2, ".")) {
                b.target_system = Name(j + 1);
                b.target_object = Name(j + 3);
              }
              break;
            }
          }
        }
        return b;
      }
      case Frame::Owner:
        b.kind = Frame::OwnerObject;
        b.name = stack_.back().name;
        if (i >= 1 && IsWordAt(i - 1)) b.source_object = Name(i - 1);
        return b;
      case Frame::Test:
        b.kind = Frame::Record;
        if (i >= 3 && Is(i - 2, ".")) {
          b.source_system = Name(i - 3);
          b.source_object = Name(i - 1);
        }
        return b;
      default:
        return b;
    }
  }

  // ---- what to offer

  // The innermost block that is not an expression bracket.
  const Block& Decl() const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (it->kind != Frame::Paren && it->kind != Frame::Bracket && it->kind != Frame::Brace) return *it;
    }
    return stack_.front();
  }

  // The record that bare names read in an expression of block `b` at the cursor.
  check::Type SourceRecord(const Block& b) const {
    if (b.kind == Frame::Map) return a_.RecordOf(b.source_system, b.source_object);
    if (b.kind == Frame::Reconcile) {
      // Right of `~` in the current rule: the right object.
      for (size_t j = Prev(); j != std::string::npos && j > b.open; --j) {
        if (Is(j, ",")) break;
        if (Is(j, "~")) return a_.RecordOf(b.target_system, b.target_object);
      }
      return a_.RecordOf(b.source_system, b.source_object);
    }
    if (b.kind == Frame::File && b.item != 0) {
      std::string kw = Text(b.item);
      if (kw == "sync" && IsWordAt(b.item + 1)) {
        if (const ast::MapDecl* m = a_.FindMap(Name(b.item + 1))) return a_.RecordOf(m->source);
      }
      if (kw == "alert") {
        for (size_t j = b.item; j + 3 < prev_; ++j) {
          if (Is(j, "on") && Is(j + 2, ".")) return a_.RecordOf(Name(j + 1), Name(j + 3));
        }
      }
      if (kw == "reconcile") return ReconcileSide(b.item, -1);
    }
    return check::Type(check::TypeKind::kDyn);
  }

  // The left (`side` < 0) or right object of the `reconcile` whose keyword is token `item`.
  check::Type ReconcileSide(size_t item, int side) const {
    for (size_t j = item + 1; j + 3 < prev_ && j >= 3; ++j) {
      if (!Is(j, "~")) continue;
      if (side < 0 && Is(j - 2, ".")) return a_.RecordOf(Name(j - 3), Name(j - 1));
      if (side > 0 && Is(j + 2, ".")) return a_.RecordOf(Name(j + 1), Name(j + 3));
      break;
    }
    return check::Type(check::TypeKind::kDyn);
  }

  // The type of a dotted name chain read in an expression of `b`.
  check::Type ChainType(const std::vector<std::string>& chain, const Block& b) {
    check::Type dyn(check::TypeKind::kDyn);
    if (chain.empty()) return dyn;
    check::Type cur = dyn;
    bool found = false;
    // A macro variable of an enclosing macro, innermost first.
    for (auto it = stack_.rbegin(); it != stack_.rend() && !found; ++it) {
      if (it->var != chain[0]) continue;
      check::Type list = ChainType(it->receiver, b);
      cur = list.kind == check::TypeKind::kList ? *list.element : dyn;
      found = true;
    }
    if (!found) {
      check::Type rec = SourceRecord(b);
      if (rec.kind == check::TypeKind::kRecord) {
        if (std::optional<check::Member> m = env_.FindMember(rec, chain[0])) {
          cur = m->type;
          found = true;
        }
      }
    }
    if (!found) return dyn;
    for (size_t i = 1; i < chain.size(); ++i) {
      if (cur.kind != check::TypeKind::kRecord) return dyn;
      std::optional<check::Member> m = env_.FindMember(cur, chain[i]);
      if (!m) return dyn;
      cur = m->type;
    }
    return cur;
  }

  void Decide() {
    const Block& b = Decl();
    size_t p = Prev();
    bool dot = p != std::string::npos && Is(p, ".");
    if (dot) return Member(b, p);
    const Block& top = stack_.back();
    if (top.kind == Frame::Paren && top.ref && p == top.open) return Maps();
    switch (b.kind) {
      case Frame::Other:
        return;
      case Frame::File:
        return FileLevel(b, p);
      case Frame::Map:
        if (&top == &b && StatementStart(b, p)) return Targets(b);
        if (top.kind == Frame::Brace && (p == top.open || Is(p, ","))) {
          // A key of an object literal written into a target field: `lines = X.map(li, {item: ...})`.
          check::Type row = LiteralTarget(b, top);
          if (row.kind == check::TypeKind::kRecord) return Fields(row, "", nullptr);
        }
        return Expression(b);
      case Frame::Sync:
        return;
      case Frame::Reconcile:
        return Expression(b);
      case Frame::System:
        if (p != std::string::npos && Is(p, "field")) return Objects(b.name);
        if (p == b.open || (p != std::string::npos && LineOf(toks_[p].begin) < LineOf(offset_))) {
          return Keywords(syntax::SystemSettingKeywords());
        }
        return;
      case Frame::Owner:
        return Objects(b.name);
      case Frame::OwnerObject:
        return Fields(a_.RecordOf(b.name, b.source_object), "", nullptr);
      case Frame::Test:
        if (p != std::string::npos && (Is(p, "given") || Is(p, "expect"))) return Systems();
        return Keywords(syntax::TestStatementKeywords());
      case Frame::Record:
        if (&top == &b && (p == b.open || Is(p, ","))) return Fields(a_.RecordOf(b.source_system, b.source_object), "", nullptr);
        return Keywords(syntax::ExpressionKeywords());
      default:
        return;
    }
  }

  // The record an object literal opened at `brace` is written into: the target field of the
  // map statement around it (`lines`), through a list's elements; dyn when unknown.
  check::Type LiteralTarget(const Block& map, const Block& brace) {
    // Back from the `{` to the statement's `=` at the map's own depth.
    int depth = 0;
    size_t eq = std::string::npos;
    for (size_t j = brace.open; j > map.open; --j) {
      std::string t = Text(j - 1);
      if (t == ")" || t == "]" || t == "}") ++depth;
      if (t == "(" || t == "[" || t == "{") --depth;
      if (depth < 0) depth = 0;
      if (depth == 0 && t == "=") {
        eq = j - 1;
        break;
      }
    }
    if (eq == std::string::npos || eq == 0) return check::Type(check::TypeKind::kDyn);
    std::vector<std::string> path = Chain(eq - 1);
    check::Type cur = a_.RecordOf(map.target_system, map.target_object);
    for (const std::string& seg : path) {
      if (cur.kind != check::TypeKind::kRecord) return check::Type(check::TypeKind::kDyn);
      std::optional<check::Member> m = env_.FindMember(cur, seg);
      if (!m) return check::Type(check::TypeKind::kDyn);
      cur = m->type;
    }
    if (cur.kind == check::TypeKind::kList) cur = *cur.element;
    return cur;
  }

  // At a map statement's start: right after the map's `{`, after `key`, or on a new line after
  // a token that ends an expression.
  bool StatementStart(const Block& b, size_t p) const {
    if (p == std::string::npos || p == b.open || Is(p, "key")) return true;
    if (LineOf(toks_[p].begin) == LineOf(offset_)) return false;
    const syntax::Token& t = toks_[p];
    if (t.cls == TokenClass::Operator || Is(p, ",") || Is(p, "(") || Is(p, "[") || Is(p, ":") || Is(p, "{")) return false;
    return !(Is(p, "flag") || Is(p, "else") || Is(p, "require") || Is(p, "hold"));
  }

  void FileLevel(const Block& b, size_t p) {
    std::string kw = b.item == 0 || b.item_done ? std::string() : Text(b.item);
    if (p != std::string::npos) {
      if (Is(p, "sync") || Is(p, "ref")) return Maps();
      if ((kw == "map" && (Is(p, ":") || Is(p, "->")) && p > b.item + 1) || (kw == "alert" && Is(p, "on")) ||
          Is(p, "owner") || (kw == "reconcile" && Is(p, "~"))) {
        return Systems();
      }
    }
    // A new line after a token that does not continue an expression: a new item.
    bool continues = p != std::string::npos && (toks_[p].cls == TokenClass::Operator || Is(p, ",") || Is(p, "(") ||
                                                Is(p, "[") || Is(p, "when") || Is(p, "by") || Is(p, "notify"));
    if (p == std::string::npos || p == b.open || (LineOf(toks_[p].begin) < LineOf(offset_) && !continues)) {
      return Keywords(syntax::ItemKeywords());
    }
    // The condition of a sync or an alert, and the `by` of a reconcile.
    if (kw == "sync" || kw == "alert" || kw == "reconcile") {
      for (size_t j = b.item; j <= p; ++j) {
        if (Is(j, "when") || Is(j, "by")) return Expression(b);
      }
    }
  }

  // ---- the items

  void Add(nlohmann::json item) { items_.push_back(std::move(item)); }

  void Keywords(const std::vector<std::string>& words) {
    for (const std::string& w : words) Add({{"label", w}, {"kind", kKindKeyword}, {"sortText", "9" + w}});
  }

  void Maps() {
    for (const ast::Module* m : a_.Modules()) {
      for (const ast::MapDecl* d : m->All<ast::MapDecl>()) {
        Add({{"label", d->name.text},
             {"kind", kKindModule},
             {"detail", "map " + d->source.system.text + "." + d->source.object.text + " -> " + d->target.system.text +
                            "." + d->target.object.text}});
      }
    }
  }

  void Systems() {
    for (const auto& [name, sys] : a_.systems->all()) {
      Add({{"label", name}, {"kind", kKindModule}, {"detail", "system " + sys.decl->system_kind.text}});
    }
  }

  void Objects(const std::string& system) {
    const check::LoadedSystem* sys = a_.systems->Find(system);
    if (sys == nullptr) return;
    for (const schema::Object& o : sys->schema.objects) {
      nlohmann::json item = {{"label", o.name}, {"kind", kKindClass}, {"detail", system + "." + o.name}};
      if (!o.label.empty() && o.label != o.name) item["documentation"] = o.label;
      Add(std::move(item));
    }
  }

  static std::string Documentation(const schema::Field& f) {
    std::string doc;
    if (!f.label.empty() && f.label != f.name) doc += f.label;
    if (!f.picklist.empty()) {
      doc += std::string(doc.empty() ? "" : "\n\n") + "picklist values: ";
      size_t shown = std::min(f.picklist.values.size(), kPicklistShown);
      for (size_t i = 0; i < shown; ++i) doc += (i ? ", " : "") + f.picklist.values[i].value;
      if (f.picklist.values.size() > shown) doc += " ... and " + std::to_string(f.picklist.values.size() - shown) + " more";
    }
    if (!f.description.empty()) doc += std::string(doc.empty() ? "" : "\n\n") + f.description;
    return doc;
  }

  // The fields of `record` (and its relationships when `relations`), sorted under `sort`.
  // `assigned`, when given, marks target fields: required ones first, then the ones not
  // assigned yet, then the rest.
  void Fields(const check::Type& record, const std::string& sort, const std::set<std::string>* assigned,
              bool relations = false) {
    if (record.kind != check::TypeKind::kRecord) return;
    for (const schema::Field& f : record.object->fields) {
      std::string detail = check::FromField(f, *record.schema).ToString();
      if (f.IsNullable()) detail += ", nullable";
      std::string rank = "1";
      if (assigned != nullptr) {
        bool done = assigned->count(f.name) != 0;
        bool writable = f.IsCreateable() || f.IsUpdateable();
        if (f.IsRequiredOnCreate()) detail += ", required";
        if (!writable) detail += ", read-only";
        rank = done ? "3" : !writable ? "4" : f.IsRequiredOnCreate() ? "0" : "1";
        if (done) detail += ", assigned";
      }
      nlohmann::json item = {{"label", f.name}, {"kind", kKindField}, {"detail", detail}, {"sortText", sort + rank + f.name}};
      std::string doc = Documentation(f);
      if (!doc.empty()) item["documentation"] = {{"kind", "markdown"}, {"value", doc}};
      Add(std::move(item));
    }
    if (!relations) return;
    for (const schema::Field& f : record.object->fields) {
      if (f.references.relationship_name.empty()) continue;
      std::string target = f.references.targets.size() == 1 ? f.references.targets[0] : std::string("a record");
      Add({{"label", f.references.relationship_name},
           {"kind", kKindReference},
           {"detail", target + " (through " + f.name + ")"},
           {"sortText", sort + "2" + f.references.relationship_name}});
    }
    for (const schema::ChildRelationship& c : record.object->child_relationships) {
      if (c.name.empty()) continue;
      Add({{"label", c.name}, {"kind", kKindReference}, {"detail", "list<" + c.child_object + ">"}, {"sortText", sort + "2" + c.name}});
    }
  }

  void Functions(const std::string& sort) {
    std::set<std::string> seen;
    for (const check::Function& f : check::Functions()) {
      std::string name(f.name);
      if (name.find('.') != std::string::npos || !seen.insert(name).second) continue;
      std::string detail;
      for (const check::Function* o : check::FindFunctions(name)) detail += (detail.empty() ? "" : " | ") + check::Signature(*o);
      nlohmann::json item = {{"label", name}, {"kind", kKindFunction}, {"detail", detail}, {"sortText", sort + name}};
      if (!f.module.empty()) item["documentation"] = "needs `use " + std::string(f.module) + "`";
      Add(std::move(item));
    }
  }

  void Targets(const Block& b) {
    check::Type target = a_.RecordOf(b.target_system, b.target_object);
    std::set<std::string> assigned;
    // The fields assigned so far in this map: a name (or a path's first name) before `=` at
    // the map's own depth.
    size_t depth = 0;
    for (size_t i = b.open + 1; i < toks_.size(); ++i) {
      std::string t = Text(i);
      if (t == "{" || t == "(" || t == "[") ++depth;
      if (t == "}" || t == ")" || t == "]") {
        if (depth == 0) break;
        --depth;
      }
      if (depth == 0 && t == "=" && i >= 1 && IsWordAt(i - 1) && i - 1 != prev_) {
        size_t j = i - 1;
        while (j >= 2 && Is(j - 1, ".") && IsWordAt(j - 2)) j -= 2;
        assigned.insert(Name(j));
      }
    }
    Fields(target, "0", &assigned);
    if (!Is(Prev(), "key")) Keywords(syntax::MapStatementKeywords());
  }

  void Expression(const Block& b) {
    check::Type record = SourceRecord(b);
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (it->var.empty()) continue;
      check::Type list = ChainType(it->receiver, b);
      std::string detail = list.kind == check::TypeKind::kList ? list.element->ToString() : std::string("macro variable");
      Add({{"label", it->var}, {"kind", kKindVariable}, {"detail", detail}, {"sortText", "0" + it->var}});
    }
    Fields(record, "1", nullptr, true);
    // A reconcile's `by` compares the fields of both sides.
    if (b.kind == Frame::File && b.item != 0 && Text(b.item) == "reconcile") Fields(ReconcileSide(b.item, 1), "1", nullptr);
    for (const ast::Module* m : a_.Modules()) {
      for (const ast::TableDecl* t : m->All<ast::TableDecl>()) {
        Add({{"label", t->name.text}, {"kind", kKindStruct}, {"detail", t->csv_path ? "table (CSV " + *t->csv_path + ")" : "table"},
             {"sortText", "2" + t->name.text}});
      }
    }
    Functions("3");
    Keywords(syntax::ExpressionKeywords());
  }

  void Member(const Block& b, size_t dot) {
    bool after_call = false;
    std::vector<std::string> chain = dot >= 1 ? Chain(dot - 1, &after_call) : std::vector<std::string>{};
    if (!after_call && chain.size() == 1) {
      // `crm.`: the objects of a system; in a `field` overlay, `Object.`: its fields.
      if (a_.systems->Find(chain[0]) != nullptr && ChainType(chain, b).kind != check::TypeKind::kRecord) {
        return Objects(chain[0]);
      }
      if (b.kind == Frame::System) return Fields(a_.RecordOf(b.name, chain[0]), "", nullptr);
    }
    // `CustomerRef.` on the left of `=`: the fields of a target field.
    if (!after_call && b.kind == Frame::Map && &stack_.back() == &b && !chain.empty()) {
      size_t first = dot - 2 * chain.size() + 1;  // the chain's first name
      if (StatementStart(b, first == 0 ? std::string::npos : first - 1)) {
        check::Type cur = a_.RecordOf(b.target_system, b.target_object);
        for (size_t i = 0; i < chain.size() && cur.kind == check::TypeKind::kRecord; ++i) {
          std::optional<check::Member> m = env_.FindMember(cur, chain[i]);
          cur = m ? m->type : check::Type(check::TypeKind::kDyn);
        }
        return Fields(cur, "", nullptr);
      }
    }
    if (!after_call && b.kind == Frame::System && chain.size() > 1) {
      check::Type cur = a_.RecordOf(b.name, chain[0]);
      for (size_t i = 1; i < chain.size() && cur.kind == check::TypeKind::kRecord; ++i) {
        std::optional<check::Member> m = env_.FindMember(cur, chain[i]);
        cur = m ? (m->type.kind == check::TypeKind::kList ? *m->type.element : m->type) : check::Type(check::TypeKind::kDyn);
      }
      return Fields(cur, "", nullptr);
    }
    check::Type t = after_call ? check::Type(check::TypeKind::kDyn) : ChainType(chain, b);
    if (t.kind == check::TypeKind::kRecord) {
      Fields(t, "1", nullptr, true);
      return;
    }
    // A value: the functions that take it as their receiver (`Name.trim()`), and the macros
    // of a list.
    Functions("3");
  }

  nlohmann::json Result() {
    // Keep only what starts with the word typed so far (case-insensitively): clients filter
    // too, but a short answer is cheaper to send.
    nlohmann::json out = nlohmann::json::array();
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    std::string want = lower(prefix_);
    std::set<std::string> labels;
    for (nlohmann::json& item : items_) {
      std::string label = item["label"].get<std::string>();
      if (lower(label).compare(0, want.size(), want) != 0 || !labels.insert(label).second) continue;
      if (!range_.is_null()) item["textEdit"] = {{"range", range_}, {"newText", label}};
      out.push_back(std::move(item));
    }
    return {{"isIncomplete", false}, {"items", out}};
  }

  const Analysis& a_;
  const Document& doc_;
  size_t offset_;
  bool in_comment_ = false;
  std::vector<syntax::Token> toks_;
  size_t prev_ = 0;
  std::string prefix_;
  nlohmann::json range_;
  std::vector<Block> stack_;
  check::TypeEnv env_;
  std::vector<nlohmann::json> items_;
};

}  // namespace

nlohmann::json Completion(const Document& doc, Position pos) {
  std::shared_ptr<const Analysis> a = Analyze(doc);
  if (!a->syntax_ok) {
    // The text being typed may have cost the parse a `system` block: the last version that
    // parsed knows the schemas (completion reads names only, never spans, from it).
    std::shared_ptr<const Analysis> good = LastGood(doc.uri());
    if (good != nullptr && good->systems->all().size() > a->systems->all().size()) a = good;
  }
  return Completer(*a, doc, doc.Offset(pos)).Run();
}

}  // namespace crmx::lsp
