// Defines BuildLineage, QueryLineage and the lineage renderers (graph.h): one field's lineage as
// text or JSON, and the whole spec's mapping matrix as Markdown, CSV or JSON.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "compiler/graph/graph.h"
#include "runtime/vm/bytecode.h"

namespace crmx::graph {

namespace {

// What a value is computed from, gathered while the map's statements are walked in order.
struct Partial {
  std::set<std::string> sources, tables, functions, refs, through;

  void Merge(const Partial& o) {
    sources.insert(o.sources.begin(), o.sources.end());
    tables.insert(o.tables.begin(), o.tables.end());
    functions.insert(o.functions.begin(), o.functions.end());
    refs.insert(o.refs.begin(), o.refs.end());
    through.insert(o.through.begin(), o.through.end());
  }
};

// The builtins a program calls, and the constant names it selects (`li.Quantity`).
void ScanProgram(const vm::Program& p, std::set<std::string>& functions, std::set<std::string>& selects) {
  for (const vm::Instr& in : p.code) {
    if (in.op == vm::Op::kCall) {
      functions.insert(vm::BuiltinName(static_cast<vm::Builtin>(in.arg)));
    } else if ((in.op == vm::Op::kSelect || in.op == vm::Op::kHas) && in.arg >= 0 &&
               static_cast<size_t>(in.arg) < p.constants.size() &&
               p.constants[in.arg].kind() == value::Kind::kString) {
      selects.insert(std::string(p.constants[in.arg].AsText()));
    }
  }
}

class MapWalker {
 public:
  explicit MapWalker(const plan::Map& m) : map_(m) {}

  // The lineage of a program with its bindings (a step's, a shared value's).
  Partial Of(const vm::Program& program, const std::vector<plan::Binding>& bindings, int depth = 0) {
    Partial out;
    std::set<std::string> selects;
    ScanProgram(program, out.functions, selects);
    const std::string src = map_.source.system + ".";
    for (const plan::Binding& b : bindings) {
      switch (b.kind) {
        case plan::BindingKind::kField:
          out.sources.insert(src + map_.source.object + "." + b.field);
          break;
        case plan::BindingKind::kParent: {
          const plan::Relation* r = FindRelation(b.relation);
          out.sources.insert(src + (r ? r->object : b.relation) + "." + b.field);
          break;
        }
        case plan::BindingKind::kChildren: {
          const plan::Relation* r = FindRelation(b.relation);
          if (r == nullptr) break;
          bool any = false;
          for (const std::string& f : r->fields) {
            if (selects.count(f)) {
              out.sources.insert(src + r->object + "." + f);
              any = true;
            }
          }
          // The list itself (`size(OpportunityLineItems)`, passed whole): every field read of it.
          if (!any) {
            for (const std::string& f : r->fields) out.sources.insert(src + r->object + "." + f);
          }
          break;
        }
        case plan::BindingKind::kAssigned: {
          auto it = assigned_.find(b.field);
          if (it != assigned_.end()) {
            out.Merge(it->second);
            if (!locals_.count(b.field)) out.through.insert(b.field);
          }
          break;
        }
        case plan::BindingKind::kTable:
          out.tables.insert(b.field);
          break;
        case plan::BindingKind::kShared:
          for (const plan::SharedValue& s : map_.shared) {
            if (s.name == b.field && depth < 8) out.Merge(Of(s.program, s.bindings, depth + 1));
          }
          break;
      }
    }
    return out;
  }

  void Record(const std::string& target, const Partial& p, bool local) {
    assigned_[target] = p;
    if (local) locals_.insert(target);
  }

 private:
  const plan::Relation* FindRelation(const std::string& name) const {
    for (const plan::Relation& r : map_.projection.relations) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }

  const plan::Map& map_;
  std::map<std::string, Partial> assigned_;  // by target field (and a local ref's name)
  std::set<std::string> locals_;
};

// The statement texts of a map: target path -> the value's expression as written.
std::map<std::string, std::string> StatementTexts(const SpecModules& spec, const std::string& map) {
  std::map<std::string, std::string> out;
  for (const ast::Module* m : spec.modules) {
    for (const ast::MapDecl* d : m->All<ast::MapDecl>()) {
      if (d->name.text != map) continue;
      for (const ast::MapStmt& s : d->stmts) {
        if (s.kind == ast::MapStmtKind::Require || !s.value) continue;
        std::string path;
        for (const ast::Name& n : s.target) path += (path.empty() ? "" : ".") + n.text;
        out[path] = SpanText(spec, s.value->span);
      }
    }
  }
  return out;
}

std::string OwnerOf(const SpecModules& spec, const plan::ObjectName& o, const std::string& field) {
  std::string first = field.substr(0, field.find('.'));
  for (const ast::Module* m : spec.modules) {
    for (const ast::OwnerDecl* d : m->All<ast::OwnerDecl>()) {
      if (d->system.text != o.system) continue;
      for (const ast::OwnedObject& obj : d->objects) {
        if (obj.object.text != o.object) continue;
        bool listed = std::any_of(obj.fields.begin(), obj.fields.end(),
                                  [&](const ast::Name& n) { return n.text == first || n.text == field; });
        if (obj.all_fields != listed) return d->system.text;
      }
    }
  }
  return "";
}

std::vector<std::string> Sorted(const std::set<std::string>& s) { return {s.begin(), s.end()}; }

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

nlohmann::ordered_json ToJson(const FieldLineage& l) {
  nlohmann::ordered_json j{{"map", l.map},
                           {"target", l.target.system + "." + l.target.object + "." + l.field},
                           {"kind", l.kind},
                           {"transformation", l.transformation},
                           {"sources", l.sources},
                           {"tables", l.tables},
                           {"functions", l.functions},
                           {"refs", l.refs},
                           {"through", l.through}};
  if (!l.owner.empty()) j["owner"] = l.owner;
  return j;
}

std::string Markdown(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string SpanText(const SpecModules& spec, const Span& span) {
  if (spec.sources == nullptr || span.file == kNoFile || span.file >= spec.sources->size()) return "";
  const std::string& text = spec.sources->Get(span.file).text();
  if (span.end > text.size() || span.begin >= span.end) return "";
  std::string out;
  char quote = 0;
  bool space = false;
  for (size_t i = span.begin; i < span.end; ++i) {
    char c = text[i];
    if (quote == 0 && c == '/' && i + 1 < span.end && text[i + 1] == '/') {
      while (i < span.end && text[i] != '\n') ++i;
      space = true;
      continue;
    }
    if (quote == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
    if (quote != 0 && c == '\\' && i + 1 < span.end) {
      out += text[++i];
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  return out;
}

std::vector<FieldLineage> BuildLineage(const plan::Plan& plan, const SpecModules& spec) {
  std::vector<FieldLineage> out;
  for (const plan::Map& m : plan.maps) {
    MapWalker walker(m);
    std::map<std::string, std::string> texts = StatementTexts(spec, m.name);
    for (const plan::Step& s : m.steps) {
      if (s.kind == plan::StepKind::kRequire) continue;
      Partial p = walker.Of(s.program, s.bindings);
      if (s.flag_probe) {
        std::set<std::string> ignored;
        ScanProgram(*s.flag_probe, p.functions, ignored);
      }
      if (s.kind == plan::StepKind::kRef) p.refs.insert(s.ref_map);
      walker.Record(s.target, p, s.local);
      if (s.local) continue;
      FieldLineage l;
      l.map = m.name;
      l.target = m.target;
      l.field = s.target;
      l.kind = plan::StepKindName(s.kind);
      auto t = texts.find(s.target);
      if (t != texts.end()) l.transformation = t->second;
      l.sources = Sorted(p.sources);
      l.tables = Sorted(p.tables);
      l.functions = Sorted(p.functions);
      l.refs = Sorted(p.refs);
      l.through = Sorted(p.through);
      l.owner = OwnerOf(spec, m.target, s.target);
      out.push_back(std::move(l));
    }
  }
  return out;
}

bool ParseFieldName(const std::string& text, FieldName& out) {
  size_t a = text.find('.');
  if (a == std::string::npos || a == 0) return false;
  size_t b = text.find('.', a + 1);
  if (b == std::string::npos || b == a + 1 || b + 1 >= text.size()) return false;
  out = FieldName{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  return true;
}

LineageQuery QueryLineage(const std::vector<FieldLineage>& all, const FieldName& name) {
  LineageQuery q;
  const std::string full = name.system + "." + name.object + "." + name.field;
  for (const FieldLineage& l : all) {
    if (l.target.system == name.system && l.target.object == name.object && l.field == name.field) {
      q.writes.push_back(&l);
    }
    if (std::find(l.sources.begin(), l.sources.end(), full) != l.sources.end()) q.reaches.push_back(&l);
  }
  return q;
}

std::string RenderQueryText(const FieldName& name, const LineageQuery& q) {
  const std::string full = name.system + "." + name.object + "." + name.field;
  std::string out;
  for (const FieldLineage* l : q.writes) {
    out += full + " is written by map `" + l->map + "` (" + l->kind + ")\n";
    if (!l->transformation.empty()) out += "  = " + l->transformation + "\n";
    if (!l->owner.empty()) out += "  owner:     " + l->owner + "\n";
    out += "  from:      " + (l->sources.empty() ? std::string("(no source field)") : Join(l->sources, ", ")) + "\n";
    if (!l->through.empty()) out += "  through:   " + Join(l->through, ", ") + "\n";
    if (!l->tables.empty()) out += "  tables:    " + Join(l->tables, ", ") + "\n";
    if (!l->functions.empty()) out += "  functions: " + Join(l->functions, ", ") + "\n";
    if (!l->refs.empty()) out += "  refs:      " + Join(l->refs, ", ") + "\n";
  }
  if (!q.reaches.empty()) {
    out += full + " reaches " + std::to_string(q.reaches.size()) + " target field" +
           (q.reaches.size() == 1 ? "" : "s") + ":\n";
    for (const FieldLineage* l : q.reaches) {
      out += "  " + l->target.system + "." + l->target.object + "." + l->field + "  (map `" + l->map + "`";
      if (!l->transformation.empty()) out += ": " + l->transformation;
      out += ")\n";
    }
  }
  return out;
}

std::string RenderQueryJson(const FieldName& name, const LineageQuery& q) {
  nlohmann::ordered_json j;
  j["field"] = name.system + "." + name.object + "." + name.field;
  j["written_by"] = nlohmann::ordered_json::array();
  for (const FieldLineage* l : q.writes) j["written_by"].push_back(ToJson(*l));
  j["reaches"] = nlohmann::ordered_json::array();
  for (const FieldLineage* l : q.reaches) j["reaches"].push_back(ToJson(*l));
  return j.dump(2) + "\n";
}

std::string RenderMatrixMarkdown(const std::vector<FieldLineage>& all) {
  std::string out =
      "| map | target field | owner | transformation | source fields | tables | functions | refs |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const FieldLineage& l : all) {
    out += "| " + l.map + " | " + l.target.system + "." + l.target.object + "." + l.field + " | " + l.owner +
           " | " + (l.transformation.empty() ? "" : "`" + Markdown(l.transformation) + "`") + " | " +
           Join(l.sources, ", ") + " | " + Join(l.tables, ", ") + " | " + Join(l.functions, ", ") + " | " +
           Join(l.refs, ", ") + " |\n";
  }
  return out;
}

std::string RenderMatrixCsv(const std::vector<FieldLineage>& all) {
  std::string out = "map,target_field,owner,transformation,source_fields,tables,functions,refs\n";
  for (const FieldLineage& l : all) {
    out += Csv(l.map) + "," + Csv(l.target.system + "." + l.target.object + "." + l.field) + "," + Csv(l.owner) +
           "," + Csv(l.transformation) + "," + Csv(Join(l.sources, " ")) + "," + Csv(Join(l.tables, " ")) + "," +
           Csv(Join(l.functions, " ")) + "," + Csv(Join(l.refs, " ")) + "\n";
  }
  return out;
}

std::string RenderMatrixJson(const std::vector<FieldLineage>& all) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const FieldLineage& l : all) j.push_back(ToJson(l));
  return j.dump(2) + "\n";
}

}  // namespace crmx::graph
