// Defines `crmxc eval [--format text|json] [--var NAME:TYPE=VALUE]... [--decl NAME:TYPE]...
// [--no-check] [--no-macros] [--] EXPR` and `crmxc eval --batch FILE.jsonl`: parses one
// expression, type-checks it in a scope made of the declared names, lowers it to bytecode and
// runs it on the VM (or, with `--engine jit`, compiles it with the JIT first: runtime/jit/
// engine.h). The contract (output, exit codes, value encoding) is
// tests/conformance/README.md; VALUE is the encoded form (`{"int": "1"}`) or, for people, plain
// JSON read as the declared type (`--var n:int=5`, `--var s:string='"x"'`).
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "compiler/check/expr_check.h"
#include "compiler/diagnostics/render.h"
#include "compiler/driver/commands.h"
#include "compiler/lower/lower.h"
#include "compiler/syntax/parser.h"
#include "runtime/jit/engine.h"
#include "runtime/vm/vm.h"

namespace crmx::driver {
namespace {

using json = nlohmann::json;
using value::Kind;
using value::Value;

struct Var {
  std::string name;
  std::string type;
  std::optional<json> value;  // absent: declared only
};

struct Request {
  std::string expr;
  std::vector<Var> vars;
  bool check = true;
  bool macros = true;
  // What now() and today() read: the moment of the evaluation unless pinned (`--now`).
  std::optional<value::Time> now;
  // --engine jit: compiles the program first (null: the VM runs it).
  jit::Jit* jit = nullptr;
};

struct Outcome {
  bool ok = false;
  Value value;
  std::string type;         // the CEL type of the value
  std::string static_type;  // the checker's type, when known and precise
  std::string error;
  std::string phase;        // parse, check, eval
  std::string rendered;     // human diagnostics of a parse or check error
};

// A usage error: a malformed --var, an unknown type.
struct UsageError {
  std::string message;
};

// ------------------------------------------------------------------------------ types

class TypeParser {
 public:
  explicit TypeParser(std::string_view s) : s_(s) {}
  check::Type Parse() {
    check::Type t = One();
    Skip();
    if (i_ != s_.size()) throw UsageError{"unexpected `" + std::string(s_.substr(i_)) + "` in type `" + std::string(s_) + "`"};
    return t;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  std::string Word() {
    Skip();
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.')) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  bool Eat(char c) {
    Skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  check::Type One() {
    using check::Type;
    using check::TypeKind;
    std::string w = Word();
    if (w == "list" || w == "map") {
      char close = 0;
      if (Eat('(')) close = ')';
      else if (Eat('<')) close = '>';
      if (close == 0) return w == "list" ? Type::List(Type(TypeKind::kDyn)) : Type::Map(Type(TypeKind::kDyn), Type(TypeKind::kDyn));
      Type a = One();
      if (w == "list") {
        if (!Eat(close)) throw UsageError{"unclosed type `" + std::string(s_) + "`"};
        return Type::List(a);
      }
      if (!Eat(',')) throw UsageError{"`map` needs a key and a value type in `" + std::string(s_) + "`"};
      Type b = One();
      if (!Eat(close)) throw UsageError{"unclosed type `" + std::string(s_) + "`"};
      return Type::Map(a, b);
    }
    if (w == "int") return Type(TypeKind::kInt);
    if (w == "uint") return Type(TypeKind::kUint);
    if (w == "double") return Type(TypeKind::kDouble);
    if (w == "decimal") return Type::Decimal(std::nullopt, std::nullopt);
    if (w == "string") return Type::String();
    if (w == "bool") return Type(TypeKind::kBool);
    if (w == "bytes") return Type(TypeKind::kBytes);
    if (w == "null_type" || w == "null") return Type(TypeKind::kNull);
    if (w == "timestamp" || w == "datetime" || w == "google.protobuf.Timestamp") return Type(TypeKind::kDateTime);
    if (w == "duration" || w == "google.protobuf.Duration") return Type(TypeKind::kDuration);
    if (w == "dyn" || w == "any" || w == "type") return Type(TypeKind::kDyn);
    throw UsageError{"unknown type `" + w + "` (types: int, uint, double, decimal, string, bool, bytes, null_type, "
                     "timestamp, duration, dyn, list(T), map(K, V))"};
  }
  std::string_view s_;
  size_t i_ = 0;
};

// ------------------------------------------------------------------------------ values

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kB64[(n >> k) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Unbase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || c == 0 || p == nullptr) continue;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

json EncodeValue(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return {{"null", true}};
    case Kind::kBool: return {{"bool", v.AsBool()}};
    case Kind::kInt: return {{"int", std::to_string(v.AsInt())}};
    case Kind::kUint: return {{"uint", std::to_string(v.AsUint())}};
    case Kind::kDouble: {
      double d = v.AsDouble();
      if (std::isnan(d)) return {{"double", "NaN"}};
      if (std::isinf(d)) return {{"double", d > 0 ? "Infinity" : "-Infinity"}};
      return {{"double", d}};
    }
    case Kind::kDecimal: return {{"decimal", v.AsDecimal().ToString()}};
    case Kind::kString: return {{"string", std::string(v.AsText())}};
    case Kind::kBytes: return {{"bytes", Base64(v.AsText())}};
    case Kind::kList: {
      json a = json::array();
      for (const Value& x : v.AsList()) a.push_back(EncodeValue(x));
      return {{"list", a}};
    }
    case Kind::kMap: {
      json a = json::array();
      for (const auto& [k, x] : v.AsMap().entries) a.push_back(json::array({EncodeValue(k), EncodeValue(x)}));
      return {{"map", a}};
    }
    case Kind::kTimestamp: return {{"timestamp", value::FormatTimestamp(v.AsTime())}};
    case Kind::kDuration: return {{"duration", value::FormatDuration(v.AsTime())}};
    case Kind::kType: return {{"type", v.AsTypeName()}};
    case Kind::kError: return {{"error", v.ErrorReason()}};
  }
  return nullptr;
}

Value DecodePlain(const json& j, const check::Type& t);

// The encoded form (README "Value encoding"): an object with exactly one known kind key.
bool IsEncoded(const json& j) {
  static const char* const kinds[] = {"null", "bool", "int", "uint", "double", "decimal", "string", "bytes",
                                      "list", "map", "type", "duration", "timestamp"};
  if (!j.is_object() || j.size() != 1) return false;
  for (const char* k : kinds) {
    if (j.contains(k)) return true;
  }
  return false;
}

Value DecodeEncoded(const json& j) {
  auto [k, x] = *j.items().begin();
  const std::string& kind = k;
  auto text = [&]() -> std::string {
    if (x.is_string()) return x.template get<std::string>();
    if (x.is_number()) return x.dump();
    throw UsageError{"bad `" + kind + "` value " + x.dump()};
  };
  if (kind == "null") return Value::Null();
  if (kind == "bool") return Value::Bool(x.template get<bool>());
  if (kind == "int") {
    if (x.is_number_integer()) return Value::Int(x.template get<int64_t>());
    return Value::Int(std::stoll(text()));
  }
  if (kind == "uint") {
    if (x.is_number_unsigned()) return Value::Uint(x.template get<uint64_t>());
    return Value::Uint(std::stoull(text()));
  }
  if (kind == "double") {
    if (x.is_number()) return Value::Double(x.template get<double>());
    std::string s = text();
    if (s == "NaN") return Value::Double(std::nan(""));
    if (s == "Infinity") return Value::Double(HUGE_VAL);
    if (s == "-Infinity") return Value::Double(-HUGE_VAL);
    return Value::Double(std::stod(s));
  }
  if (kind == "decimal") {
    auto d = decimal::Decimal::Parse(text());
    if (!d.ok()) throw UsageError{"bad decimal " + x.dump()};
    return Value::Dec(*d);
  }
  if (kind == "string") return Value::String(x.template get<std::string>());
  if (kind == "bytes") return Value::Bytes(Unbase64(x.template get<std::string>()));
  if (kind == "list") {
    std::vector<Value> items;
    for (const json& e : x) items.push_back(DecodeEncoded(e));
    return Value::List(std::move(items));
  }
  if (kind == "map") {
    std::vector<std::pair<Value, Value>> entries;
    for (const json& e : x) entries.emplace_back(DecodeEncoded(e.at(0)), DecodeEncoded(e.at(1)));
    return Value::Map(std::move(entries));
  }
  if (kind == "type") {
    static const char* const names[] = {"int", "uint", "double", "decimal", "string", "bool", "bytes", "list", "map",
                                        "null_type", "type", "google.protobuf.Timestamp", "google.protobuf.Duration"};
    for (const char* n : names) {
      if (text() == n) return Value::Type(n);
    }
    throw UsageError{"unknown type value " + x.dump()};
  }
  value::Time t;
  if (kind == "duration") {
    if (!value::ParseDuration(text(), t)) throw UsageError{"bad duration " + x.dump()};
    return Value::Duration(t);
  }
  if (!value::ParseTimestamp(text(), t)) throw UsageError{"bad timestamp " + x.dump()};
  return Value::Timestamp(t);
}

Value DecodePlain(const json& j, const check::Type& t) {
  using check::TypeKind;
  if (IsEncoded(j)) return DecodeEncoded(j);
  if (j.is_null()) return Value::Null();
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_number()) {
    switch (t.kind) {
      case TypeKind::kUint: return Value::Uint(j.get<uint64_t>());
      case TypeKind::kDouble: return Value::Double(j.get<double>());
      case TypeKind::kDecimal: {
        auto d = decimal::Decimal::Parse(j.dump());
        if (!d.ok()) throw UsageError{"bad decimal " + j.dump()};
        return Value::Dec(*d);
      }
      default:
        if (j.is_number_integer()) return Value::Int(j.get<int64_t>());
        return Value::Double(j.get<double>());
    }
  }
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    value::Time tm;
    switch (t.kind) {
      case TypeKind::kDateTime:
        if (!value::ParseTimestamp(s, tm)) throw UsageError{"bad timestamp `" + s + "`"};
        return Value::Timestamp(tm);
      case TypeKind::kDuration:
        if (!value::ParseDuration(s, tm)) throw UsageError{"bad duration `" + s + "`"};
        return Value::Duration(tm);
      case TypeKind::kDecimal: {
        auto d = decimal::Decimal::Parse(s);
        if (!d.ok()) throw UsageError{"bad decimal `" + s + "`"};
        return Value::Dec(*d);
      }
      case TypeKind::kBytes: return Value::Bytes(s);
      default: return Value::String(s);
    }
  }
  check::Type dyn(TypeKind::kDyn);
  if (j.is_array()) {
    const check::Type& et = t.kind == TypeKind::kList ? *t.element : dyn;
    std::vector<Value> items;
    for (const json& e : j) items.push_back(DecodePlain(e, et));
    return Value::List(std::move(items));
  }
  const check::Type& vt = t.kind == TypeKind::kMap ? *t.element : dyn;
  std::vector<std::pair<Value, Value>> entries;
  for (auto& [k, x] : j.items()) entries.emplace_back(Value::String(k), DecodePlain(x, vt));
  return Value::Map(std::move(entries));
}

// ------------------------------------------------------------------------------ evaluation

std::string FirstError(const diag::DiagnosticSink& sink) {
  for (const diag::Diagnostic& d : sink.diagnostics()) {
    if (d.severity == diag::Severity::Error) return d.message;
  }
  return "error";
}

Outcome Evaluate(const Request& req) {
  Outcome out;
  SourceManager sources;
  FileId file = sources.Add("<expr>", req.expr);
  diag::DiagnosticSink sink;
  auto render = [&] {
    std::ostringstream os;
    sink.SortByPosition();
    diag::RenderHuman(os, sources, sink.diagnostics(), diag::RenderOptions{});
    return os.str();
  };
  syntax::ParsedExpression parsed = syntax::ParseExpression(sources.Get(file), sink);
  if (!parsed.expr || sink.has_errors()) {
    out.phase = "parse";
    out.error = FirstError(sink);
    out.rendered = render();
    return out;
  }

  std::vector<check::Type> types;
  std::unordered_map<std::string, check::Typed> scope_vars;
  lower::LowerOptions lopts;
  lopts.macros = req.macros;
  std::vector<Value> inputs;
  for (const Var& v : req.vars) {
    check::Type t = TypeParser(v.type).Parse();
    scope_vars[v.name] = check::Typed{t, t.kind == check::TypeKind::kNull};
    lopts.inputs.push_back(v.name);
    inputs.push_back(v.value ? DecodePlain(*v.value, t) : Value::Error("no value bound for `" + v.name + "`"));
  }

  std::vector<check::Typed> typed(parsed.expr_count, check::Typed::Error());
  if (req.check) {
    // eval is for trying functions: every standard module is in scope without `use`.
    check::Typed t = check::CheckStandaloneExpr(*parsed.expr, scope_vars, typed, sink);
    if (sink.has_errors()) {
      out.phase = "check";
      out.error = FirstError(sink);
      out.rendered = render();
      return out;
    }
    if (!t.type.IsPermissive()) out.static_type = t.type.ToString();
  }

  vm::Program program = lower::Lower(*parsed.expr, req.check ? &typed : nullptr, lopts);
  if (req.jit) {
    std::string error;
    if (!req.jit->Compile({&program}, error)) {
      out.phase = "eval";
      out.error = error;
      return out;
    }
  }
  vm::VM machine;
  if (req.now) {
    machine.SetClock(*req.now);
  } else {
    auto since = std::chrono::system_clock::now().time_since_epoch();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(since).count();
    machine.SetClock(value::Time{us / 1000000, static_cast<int32_t>(us % 1000000 * 1000)});
  }
  out.value = machine.Run(program, inputs);
  if (out.value.IsError()) {
    out.phase = "eval";
    out.error = out.value.IsHold() ? "hold: " + out.value.ErrorReason() : out.value.ErrorReason();
    return out;
  }
  out.ok = true;
  out.type = value::TypeName(out.value);
  return out;
}

json ToJson(const Outcome& o) {
  if (o.ok) return {{"value", EncodeValue(o.value)}, {"type", o.type}};
  return {{"error", o.error}, {"phase", o.phase}};
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// "NAME:TYPE=VALUE" (value optional for --decl).
Var ParseVar(const std::string& spec, bool with_value) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) throw UsageError{"expected NAME:TYPE" + std::string(with_value ? "=VALUE" : "") + ", got `" + spec + "`"};
  Var v;
  v.name = spec.substr(0, colon);
  if (!with_value) {
    v.type = spec.substr(colon + 1);
    return v;
  }
  size_t eq = spec.find('=', colon + 1);
  if (eq == std::string::npos) throw UsageError{"expected NAME:TYPE=VALUE, got `" + spec + "`"};
  v.type = spec.substr(colon + 1, eq - colon - 1);
  std::string text = spec.substr(eq + 1);
  try {
    v.value = json::parse(text);
  } catch (const json::exception&) {
    // For people: a bare word is a string (`--var s:string=abc`).
    v.value = json(text);
  }
  return v;
}

struct Options {
  std::string expr;
  std::string format = "text";
  std::vector<std::string> vars;
  std::vector<std::string> decls;
  bool no_check = false;
  bool no_macros = false;
  std::string container;
  std::string batch;
  std::string now;
  std::string engine = "vm";
};

int RunBatch(const Options& opt, jit::Jit* jit) {
  std::ifstream in(opt.batch);
  if (!in) {
    std::cerr << "error: cannot read `" << opt.batch << "`\n";
    return 2;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json out;
    json id;
    try {
      json r = json::parse(line);
      id = r.value("id", json());
      Request req;
      req.jit = jit;
      req.expr = r.at("expr").get<std::string>();
      req.check = !r.value("disable_check", false);
      req.macros = !r.value("disable_macros", false);
      for (const json& v : r.value("vars", json::array())) {
        Var var;
        var.name = v.at("name").get<std::string>();
        var.type = v.at("type").get<std::string>();
        if (v.contains("value")) var.value = v.at("value");
        req.vars.push_back(std::move(var));
      }
      out = ToJson(Evaluate(req));
    } catch (const UsageError& e) {
      out = {{"error", e.message}, {"phase", "check"}};
    } catch (const std::exception& e) {
      out = {{"error", std::string("bad request: ") + e.what()}, {"phase", "parse"}};
    }
    json line_out = {{"id", id}};
    line_out.update(out);
    std::cout << Dump(line_out) << "\n";
  }
  std::cout.flush();
  if (jit) std::cerr << jit->stats().Summary() << "\n";
  return 0;
}

int RunEval(const Options& opt) {
  std::unique_ptr<jit::Jit> jit;  // --engine jit
  if (int rc = jit::OpenEngine(opt.engine, jit)) return rc;
  if (!opt.batch.empty()) return RunBatch(opt, jit.get());
  if (!opt.container.empty()) {
    std::cerr << "error: --container is not supported: crmx has no protobuf name containers\n";
    return 2;
  }
  if (opt.expr.empty()) {
    std::cerr << "error: no expression given (crmxc eval [options] -- EXPR)\n";
    return 2;
  }
  Request req;
  req.jit = jit.get();
  req.expr = opt.expr;
  req.check = !opt.no_check;
  req.macros = !opt.no_macros;
  if (!opt.now.empty()) {
    value::Time t;
    if (!value::ParseTimestamp(opt.now, t)) {
      std::cerr << "error: --now needs an RFC 3339 instant such as 2026-03-01T09:30:00Z, not `" << opt.now << "`\n";
      return 2;
    }
    req.now = t;
  }
  Outcome o;
  try {
    for (const std::string& s : opt.vars) req.vars.push_back(ParseVar(s, true));
    for (const std::string& s : opt.decls) req.vars.push_back(ParseVar(s, false));
    o = Evaluate(req);
    // No silent fallback: say when the expression ran on the VM after all.
    if (jit && jit->stats().compiled < jit->stats().programs) std::cerr << jit->stats().Summary() << "\n";
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.message << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: bad --var value: " << e.what() << "\n";
    return 2;
  }
  if (opt.format == "json") {
    std::cout << Dump(ToJson(o)) << "\n";
  } else if (o.ok) {
    std::cout << value::Display(o.value) << " : " << (o.static_type.empty() ? o.type : o.static_type) << "\n";
  } else if (!o.rendered.empty()) {
    std::cerr << o.rendered;
  } else {
    std::cout << "error: " << o.error << "\n";
  }
  return o.ok ? 0 : 1;
}

}  // namespace

void RegisterEval(CLI::App& root, int& exit_code) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand(
      "eval", "Type-checks and evaluates one expression on the VM; prints `VALUE : TYPE` or the error.\n"
              "Batch mode (--batch FILE.jsonl) answers one JSON line per request (tests/conformance/README.md).");
  cmd->add_option("expr", opt->expr, "The expression (put `--` before it when it starts with `-`)");
  cmd->add_option("--format", opt->format, "Output: text (VALUE : TYPE) or json ({\"value\", \"type\"} or {\"error\", \"phase\"})")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--var", opt->vars, "NAME:TYPE=VALUE: declare and bind a name (VALUE: JSON, encoded or plain)");
  cmd->add_option("--decl", opt->decls, "NAME:TYPE: declare a name without a value (reading it is an error)");
  cmd->add_flag("--no-check", opt->no_check, "Skip the type checker (evaluate dynamically)");
  cmd->add_flag("--no-macros", opt->no_macros, "Treat all/exists/exists_one/map/filter/has as plain functions");
  cmd->add_option("--container", opt->container, "Name-resolution container (not supported: exit 2)");
  cmd->add_option("--batch", opt->batch, "Evaluate the requests of a JSONL file, one JSON result line each");
  cmd->add_option("--engine", opt->engine, jit::kEngineHelp)->check(CLI::IsMember({"vm", "jit"}));
  cmd->add_option("--now", opt->now, "INSTANT (RFC 3339): what now() and today() read (default: the current time)");
  cmd->callback([opt, &exit_code] { exit_code = RunEval(*opt); });
}

}  // namespace crmx::driver
