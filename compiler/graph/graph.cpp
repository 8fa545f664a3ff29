// Defines BuildGraph and its renderers (graph.h): Mermaid, Graphviz DOT and JSON.
#include "compiler/graph/graph.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace crmx::graph {

namespace {

std::string Key(const plan::ObjectName& o) { return o.system + "." + o.object; }

// "15m", "1h", "90s", "1500ms": the largest unit that divides the period.
std::string Period(int64_t ms) {
  if (ms > 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms > 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms > 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string Trigger(const plan::Sync& s) {
  if (s.trigger == "on_change") return "on change";
  if (s.trigger == "every") return "every " + Period(s.every_ms);
  if (s.trigger == "daily_at") return "daily at " + s.daily_at;
  return s.trigger;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// "owned by crm: Name, Phone", "owned by crm: all but X, Y", "owned by erp: all fields".
std::vector<std::string> OwnershipLines(const Graph& g, const plan::ObjectName& o) {
  std::vector<std::string> out;
  for (const Ownership& w : g.ownership) {
    if (w.system != o.system || w.object != o.object) continue;
    std::string what = w.all_fields ? (w.fields.empty() ? "all fields" : "all but " + Join(w.fields, ", "))
                                    : Join(w.fields, ", ");
    out.push_back("owned by " + w.system + ": " + what);
  }
  return out;
}

std::string MermaidId(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return out;
}

std::string MermaidText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"') {
      out += "#quot;";
    } else if (c == '<') {
      out += "#lt;";
    } else if (c == '>') {
      out += "#gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string DotText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string EdgeLabel(const GraphMap& m) {
  std::string out = m.name;
  if (!m.trigger.empty()) out += "\n" + m.trigger;
  if (!m.when.empty()) out += "\nwhen: " + Join(m.when, "; ");
  return out;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

Graph BuildGraph(const plan::Plan& plan, const SpecModules& spec) {
  Graph g;
  g.integration = plan.integration;
  for (const plan::System& s : plan.systems) g.systems.emplace_back(s.name, s.kind);
  std::map<std::string, plan::ObjectName> objects;
  std::map<std::string, std::string> csv_by_table;
  for (const ast::Module* m : spec.modules) {
    for (const ast::OwnerDecl* o : m->All<ast::OwnerDecl>()) {
      for (const ast::OwnedObject& obj : o->objects) {
        Ownership w{o->system.text, obj.object.text, obj.all_fields, {}};
        for (const ast::Name& f : obj.fields) w.fields.push_back(f.text);
        g.ownership.push_back(w);
        objects[w.system + "." + w.object] = plan::ObjectName{w.system, w.object};
      }
    }
    for (const ast::TableDecl* t : m->All<ast::TableDecl>()) {
      if (t->csv_path) csv_by_table[t->name.text] = *t->csv_path;
    }
  }
  for (const plan::Table& t : plan.tables) {
    auto it = csv_by_table.find(t.name);
    g.tables.push_back(GraphTable{t.name, it == csv_by_table.end() ? "" : it->second, t.entries.size()});
  }
  for (const plan::Map& m : plan.maps) {
    GraphMap gm{m.name, m.source, m.target, m.depends_on, {}, "", {}};
    std::set<std::string> tables;
    auto add_tables = [&](const std::vector<plan::Binding>& bs) {
      for (const plan::Binding& b : bs) {
        if (b.kind == plan::BindingKind::kTable) tables.insert(b.field);
      }
    };
    for (const plan::Step& s : m.steps) add_tables(s.bindings);
    for (const plan::SharedValue& s : m.shared) add_tables(s.bindings);
    gm.tables.assign(tables.begin(), tables.end());
    if (const plan::Sync* s = plan.FindSync(m.name)) {
      gm.trigger = Trigger(*s);
      for (const plan::WhenPart& w : s->when) gm.when.push_back(w.reason);
    }
    objects[Key(m.source)] = m.source;
    objects[Key(m.target)] = m.target;
    g.maps.push_back(gm);
  }
  for (auto& [key, o] : objects) g.objects.push_back(o);
  return g;
}

std::string RenderMermaid(const Graph& g) {
  std::string out = "flowchart LR\n";
  for (const auto& [name, kind] : g.systems) {
    out += "  subgraph " + MermaidId("sys_" + name) + "[\"" + MermaidText(name + " (" + kind + ")") + "\"]\n";
    for (const plan::ObjectName& o : g.objects) {
      if (o.system != name) continue;
      std::string label = MermaidText(o.object);
      for (const std::string& l : OwnershipLines(g, o)) label += "<br/>" + MermaidText(l);
      out += "    " + MermaidId(Key(o)) + "[\"" + label + "\"]\n";
    }
    out += "  end\n";
  }
  for (const GraphTable& t : g.tables) {
    out += "  " + MermaidId("table_" + t.name) + "[(\"" + MermaidText("table " + t.name) +
           (t.csv.empty() ? "" : "<br/>" + MermaidText(t.csv)) + "\")]\n";
  }
  for (const GraphMap& m : g.maps) {
    out += "  " + MermaidId(Key(m.source)) + " -- \"" + Replace(MermaidText(EdgeLabel(m)), "\n", "<br/>") +
           "\" --> " + MermaidId(Key(m.target)) + "\n";
  }
  for (const GraphMap& m : g.maps) {
    for (const std::string& r : m.refs) {
      auto it = std::find_if(g.maps.begin(), g.maps.end(), [&](const GraphMap& x) { return x.name == r; });
      if (it == g.maps.end()) continue;
      out += "  " + MermaidId(Key(m.target)) + " -. \"" + MermaidText(m.name + " refs " + r) + "\" .-> " +
             MermaidId(Key(it->target)) + "\n";
    }
    for (const std::string& t : m.tables) {
      out += "  " + MermaidId("table_" + t) + " -. \"" + MermaidText(m.name) + "\" .-> " + MermaidId(Key(m.target)) +
             "\n";
    }
  }
  return out;
}

std::string RenderDot(const Graph& g) {
  std::string out = "digraph \"" + DotText(g.integration) + "\" {\n  rankdir=LR;\n  node [shape=box];\n";
  for (const auto& [name, kind] : g.systems) {
    out += "  subgraph \"cluster_" + DotText(name) + "\" {\n    label=\"" + DotText(name + " (" + kind + ")") + "\";\n";
    for (const plan::ObjectName& o : g.objects) {
      if (o.system != name) continue;
      std::string label = o.object;
      for (const std::string& l : OwnershipLines(g, o)) label += "\n" + l;
      out += "    \"" + DotText(Key(o)) + "\" [label=\"" + DotText(label) + "\"];\n";
    }
    out += "  }\n";
  }
  for (const GraphTable& t : g.tables) {
    out += "  \"table " + DotText(t.name) + "\" [shape=cylinder, label=\"" +
           DotText("table " + t.name + (t.csv.empty() ? "" : "\n" + t.csv)) + "\"];\n";
  }
  for (const GraphMap& m : g.maps) {
    out += "  \"" + DotText(Key(m.source)) + "\" -> \"" + DotText(Key(m.target)) + "\" [label=\"" +
           DotText(EdgeLabel(m)) + "\"];\n";
  }
  for (const GraphMap& m : g.maps) {
    for (const std::string& r : m.refs) {
      auto it = std::find_if(g.maps.begin(), g.maps.end(), [&](const GraphMap& x) { return x.name == r; });
      if (it == g.maps.end()) continue;
      out += "  \"" + DotText(Key(m.target)) + "\" -> \"" + DotText(Key(it->target)) + "\" [style=dashed, label=\"" +
             DotText(m.name + " refs " + r) + "\"];\n";
    }
    for (const std::string& t : m.tables) {
      out += "  \"table " + DotText(t) + "\" -> \"" + DotText(Key(m.target)) + "\" [style=dotted, label=\"" +
             DotText(m.name) + "\"];\n";
    }
  }
  return out + "}\n";
}

std::string RenderGraphJson(const Graph& g) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["integration"] = g.integration;
  j["systems"] = ordered_json::array();
  for (const auto& [name, kind] : g.systems) j["systems"].push_back({{"name", name}, {"kind", kind}});
  j["objects"] = ordered_json::array();
  for (const plan::ObjectName& o : g.objects) j["objects"].push_back({{"system", o.system}, {"object", o.object}});
  j["ownership"] = ordered_json::array();
  for (const Ownership& w : g.ownership) {
    ordered_json e{{"owner", w.system}, {"object", w.object}};
    if (w.all_fields) {
      e["all_fields"] = true;
      e["except"] = w.fields;
    } else {
      e["fields"] = w.fields;
    }
    j["ownership"].push_back(e);
  }
  j["tables"] = ordered_json::array();
  for (const GraphTable& t : g.tables) {
    ordered_json e{{"name", t.name}, {"entries", t.entries}};
    if (!t.csv.empty()) e["csv"] = t.csv;
    j["tables"].push_back(e);
  }
  j["maps"] = ordered_json::array();
  for (const GraphMap& m : g.maps) {
    ordered_json e{{"name", m.name},
                   {"source", {{"system", m.source.system}, {"object", m.source.object}}},
                   {"target", {{"system", m.target.system}, {"object", m.target.object}}},
                   {"refs", m.refs},
                   {"tables", m.tables}};
    if (!m.trigger.empty()) e["sync"] = {{"trigger", m.trigger}, {"when", m.when}};
    j["maps"].push_back(e);
  }
  return j.dump(2) + "\n";
}

}  // namespace crmx::graph
