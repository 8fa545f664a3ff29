#!/usr/bin/env node
// Converts the CEL conformance suite shipped by @bufbuild/cel-spec into crmx's normalized
// JSON cases (one file per section) for the tier of the suite that fits crmx's language.
// The value encoding is documented in tests/conformance/README.md ("Value encoding").
//
// Usage:
//   node convert.mjs --modules DIR --out DIR   DIR/node_modules/@bufbuild/cel-spec is read
//   node convert.mjs --suite FILE --out DIR    FILE is the package's dist/esm/testdata/conformance.js
//   node convert.mjs --self-test               checks the encoders on hand-checked cases
//
// Output: OUT/<file>/<section>.json = {file, section, cases: [...]}, OUT/index.json =
// {package, version, files: {file: {total, tier, excluded: {reason: n}}}, sections: [...],
// excluded: [{id, reason}]}. Needs nothing but node and the package's data file (which is
// plain JS objects in protobuf JSON form; @bufbuild/protobuf is not imported).
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

// ---- the tier ---------------------------------------------------------------------------
// Files of the suite that are run. Everything else (proto2, proto3, proto2_ext, dynamic,
// enums, wrappers, namespace, block_ext, timestamps, optionals, type_deductions,
// encoders_ext, unknowns) is out of the tier.
export const TIER_FILES = [
  "basic", "logic", "comparisons", "conversions", "fp_math", "integer_math", "lists",
  "fields", "macros", "macros2", "string", "string_ext", "math_ext", "bindings_ext",
  "plumbing", "parse",
];
// Sections of tier files that are left out whole, with the reason.
export const EXCLUDED_SECTIONS = {
  "comparisons/eq_wrapper": "wrappers",
  "conversions/bytes": "bytes",
  "conversions/uint": "uint",
  "integer_math/uint64_math": "uint",
  "math_ext/greatest_uint_result": "uint",
  "math_ext/least_uint_result": "uint",
  "parse/bytes_literals": "bytes",
  "string/bytes_concat": "bytes",
};

// ---- types ------------------------------------------------------------------------------
const PRIMITIVES = { BOOL: "bool", INT64: "int", UINT64: "uint", DOUBLE: "double", STRING: "string", BYTES: "bytes" };
const WELL_KNOWN = { ANY: "any", TIMESTAMP: "google.protobuf.Timestamp", DURATION: "google.protobuf.Duration" };

// cel.expr.Type (protobuf JSON) -> CEL type syntax: int, list(int), map(string, dyn), ...
export function typeToString(t) {
  if (!t || typeof t !== "object") throw new Error(`bad type ${JSON.stringify(t)}`);
  if ("primitive" in t) return PRIMITIVES[t.primitive] ?? fail(`primitive ${t.primitive}`);
  if ("dyn" in t) return "dyn";
  if ("null" in t) return "null_type";
  if ("listType" in t) return `list(${typeToString(t.listType.elemType ?? { dyn: {} })})`;
  if ("mapType" in t) return `map(${typeToString(t.mapType.keyType)}, ${typeToString(t.mapType.valueType)})`;
  if ("messageType" in t) return t.messageType;
  if ("wellKnown" in t) return WELL_KNOWN[t.wellKnown] ?? fail(`well-known ${t.wellKnown}`);
  if ("wrapper" in t) return `wrapper(${PRIMITIVES[t.wrapper] ?? fail(`wrapper ${t.wrapper}`)})`;
  if ("type" in t) return t.type && Object.keys(t.type).length ? `type(${typeToString(t.type)})` : "type";
  if ("typeParam" in t) return t.typeParam;
  if ("abstractType" in t) {
    const ps = (t.abstractType.parameterTypes ?? []).map(typeToString);
    return ps.length ? `${t.abstractType.name}(${ps.join(", ")})` : t.abstractType.name;
  }
  if ("error" in t) return "error";
  return fail(`type ${JSON.stringify(t)}`);
}

function fail(msg) { throw new Error(msg); }

// ---- values -----------------------------------------------------------------------------
const DURATION_URL = "type.googleapis.com/google.protobuf.Duration";
const TIMESTAMP_URL = "type.googleapis.com/google.protobuf.Timestamp";

// cel.expr.Value (protobuf JSON) -> crmx value encoding (README "Value encoding").
export function encodeValue(v) {
  if (!v || typeof v !== "object") throw new Error(`bad value ${JSON.stringify(v)}`);
  const keys = Object.keys(v);
  if (keys.length !== 1) throw new Error(`value with ${keys.length} kinds: ${JSON.stringify(v)}`);
  const k = keys[0], x = v[k];
  switch (k) {
    case "nullValue": return { null: true };
    case "boolValue": return { bool: x === true };
    case "int64Value": return { int: BigInt(x).toString() };
    case "uint64Value": return { uint: BigInt(x).toString() };
    case "doubleValue": return { double: encodeDouble(x) };
    case "stringValue": return { string: x };
    case "bytesValue": return { bytes: Buffer.from(x, "base64").toString("base64") };
    case "listValue": return { list: (x.values ?? []).map(encodeValue) };
    case "mapValue":
      return { map: (x.entries ?? []).map((e) => [encodeValue(e.key), encodeValue(e.value)]) };
    case "typeValue": return { type: x };
    case "enumValue": return { enum: { type: x.type, value: x.value ?? 0 } };
    case "objectValue": {
      const url = x["@type"];
      if (url === DURATION_URL) return { duration: x.value };
      if (url === TIMESTAMP_URL) return { timestamp: x.value };
      const { "@type": _, ...fields } = x;
      return { message: { type: String(url).replace(/^.*\//, ""), fields } };
    }
    default: throw new Error(`unknown value kind ${k}`);
  }
}

// Doubles are JSON numbers, or one of the strings "NaN", "Infinity", "-Infinity".
// (Negative zero cannot survive the package's JSON form: it arrives as 0.)
export function encodeDouble(x) {
  if (typeof x === "string") {
    if (x === "NaN" || x === "Infinity" || x === "-Infinity") return x;
    const n = Number(x);
    if (Number.isNaN(n)) throw new Error(`bad double ${x}`);
    return encodeDouble(n);
  }
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return x;
}

// ---- what the tier leaves out -----------------------------------------------------------
// Scans an expression's tokens (strings and quoted identifiers are skipped whole, so
// their contents never match) for bytes literals, uint literals and names of excluded
// features. Returns the reason, or null.
export function exprExclusion(expr) {
  let i = 0;
  const n = expr.length;
  const idents = [];
  while (i < n) {
    const c = expr[i];
    const m = /^([rRbB]{0,2})('''|"""|'|")/.exec(expr.slice(i, i + 5));
    if (m && (m[1] === "" || !/[A-Za-z0-9_]/.test(expr[i - 1] ?? ""))) {
      const prefix = m[1].toLowerCase(), q = m[2];
      if (prefix.includes("b")) return "bytes";
      const raw = prefix.includes("r");
      i += m[0].length;
      while (i < n && !expr.startsWith(q, i)) i += !raw && expr[i] === "\\" ? 2 : 1;
      i += q.length;
      continue;
    }
    if (c === "`") { const j = expr.indexOf("`", i + 1); i = j < 0 ? n : j + 1; continue; }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(expr[i + 1] ?? "") && !/[A-Za-z0-9_)\]]/.test(expr[i - 1] ?? ""))) {
      const num = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?)([uU])?/.exec(expr.slice(i));
      if (num && num[3]) return "uint";
      i += num ? num[0].length : 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i))[0];
      idents.push(id);
      i += id.length;
      continue;
    }
    i++;
  }
  for (const id of idents) {
    if (id === "uint") return "uint";
    if (id === "bytes") return "bytes";
    if (/^(TestAllTypes|NestedTestAllTypes|TestRequired|GlobalEnum|NestedEnum)$/.test(id)) return "protobuf";
  }
  const text = idents.join(".");
  if (/google\.protobuf/.test(text) || /cel\.expr\.conformance/.test(text)) return "protobuf";
  return null;
}

function valueExclusion(v) {
  if (v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) { for (const x of v) { const r = valueExclusion(x); if (r) return r; } return null; }
  for (const [k, x] of Object.entries(v)) {
    if (k === "uint64Value") return "uint";
    if (k === "bytesValue") return "bytes";
    if (k === "enumValue") return "enums";
    if (k === "objectValue" && x["@type"] !== DURATION_URL && x["@type"] !== TIMESTAMP_URL) return "protobuf";
    const r = valueExclusion(x);
    if (r) return r;
  }
  return null;
}

function typeExclusion(t) {
  const s = typeToString(t);
  if (/\buint\b/.test(s)) return "uint";
  if (/\bbytes\b/.test(s)) return "bytes";
  if (/wrapper\(/.test(s)) return "wrappers";
  if (/\./.test(s) && !/^google\.protobuf\.(Duration|Timestamp)$/.test(s)) return "protobuf";
  return null;
}

// Returns the reason a case is out of the tier, or null.
export function caseExclusion(file, section, o) {
  const sec = EXCLUDED_SECTIONS[`${file}/${section}`];
  if (sec) return sec;
  if (o.container) return "protobuf";
  if (o.checkOnly || o.typedResult) return "check-only";
  if (o.unknown || o.anyUnknowns) return "unknowns";
  for (const d of o.typeEnv ?? []) {
    if (!d.ident) return "function-decl";
    const r = typeExclusion(d.ident.type);
    if (r) return r;
  }
  for (const b of Object.values(o.bindings ?? {})) if (!("value" in b)) return "unknowns";
  return exprExclusion(o.expr) ?? valueExclusion(o.value) ?? valueExclusion(o.bindings);
}

// ---- cases ------------------------------------------------------------------------------
export function convertCase(file, section, name, o, t) {
  const c = { id: `${file}/${section}/${name}`, file, section, name, expr: o.expr };
  if (o.description) c.description = o.description;
  if (o.disableCheck) c.disable_check = true;
  if (o.disableMacros) c.disable_macros = true;
  if (o.container) c.container = o.container;
  c.type_env = (o.typeEnv ?? []).map((d) => ({ name: d.name, type: typeToString(d.ident.type) }));
  c.bindings = {};
  for (const [k, b] of Object.entries(o.bindings ?? {})) c.bindings[k] = encodeValue(b.value);
  if (o.value) c.expected = { value: encodeValue(o.value) };
  else if (o.evalError) c.expected = { error: true, messages: (o.evalError.errors ?? []).map((e) => e.message ?? "") };
  else if (o.anyEvalErrors) c.expected = { error: true, messages: [] };
  else c.expected = { value: { bool: true } }; // unspecified result matcher means `true`
  if (t && typeof t.type === "string") c.reference_type = t.type; // cel-go's checked type
  return c;
}

export function convertSuite(root) {
  const out = { files: {}, sections: [], excluded: [] };
  for (const f of root.suites ?? []) {
    const stats = { total: 0, tier: 0, excluded: {} };
    out.files[f.name] = stats;
    const inTierFile = TIER_FILES.includes(f.name);
    for (const s of f.suites ?? []) {
      const cases = [];
      const seen = new Map();
      for (const t of s.tests ?? []) {
        const o = t.original;
        stats.total++;
        let name = o.name ?? o.expr.replace(/\s+/g, " ").trim();
        const k = (seen.get(name) ?? 0) + 1;
        seen.set(name, k);
        if (k > 1) name = `${name}~${k}`; // the suite repeats a few names within a section
        if (!inTierFile) continue;
        const reason = caseExclusion(f.name, s.name, o);
        if (reason) {
          stats.excluded[reason] = (stats.excluded[reason] ?? 0) + 1;
          out.excluded.push({ id: `${f.name}/${s.name}/${name}`, reason });
          continue;
        }
        cases.push(convertCase(f.name, s.name, name, o, t));
      }
      stats.tier += cases.length;
      if (inTierFile && cases.length) out.sections.push({ file: f.name, section: s.name, cases });
    }
  }
  return out;
}

// ---- self-test --------------------------------------------------------------------------
function selfTest() {
  const checks = [
    [encodeValue({ int64Value: "-9223372036854775808" }), { int: "-9223372036854775808" }],
    [encodeValue({ int64Value: "123" }), { int: "123" }],
    [encodeValue({ uint64Value: "18446744073709551615" }), { uint: "18446744073709551615" }],
    [encodeValue({ doubleValue: 1.5 }), { double: 1.5 }],
    [encodeValue({ doubleValue: "NaN" }), { double: "NaN" }],
    [encodeValue({ doubleValue: "-Infinity" }), { double: "-Infinity" }],
    [encodeValue({ doubleValue: -0 }), { double: -0 }],
    [encodeValue({ stringValue: "é\u0000" }), { string: "é\u0000" }],
    [encodeValue({ bytesValue: "AP8=" }), { bytes: "AP8=" }],
    [encodeValue({ boolValue: false }), { bool: false }],
    [encodeValue({ nullValue: null }), { null: true }],
    [encodeValue({ typeValue: "list" }), { type: "list" }],
    [encodeValue({ listValue: {} }), { list: [] }],
    [encodeValue({ listValue: { values: [{ int64Value: "1" }, { stringValue: "a" }] } }),
      { list: [{ int: "1" }, { string: "a" }] }],
    [encodeValue({ mapValue: { entries: [{ key: { stringValue: "k" }, value: { mapValue: {} } }] } }),
      { map: [[{ string: "k" }, { map: [] }]] }],
    [encodeValue({ objectValue: { "@type": DURATION_URL, value: "1.5s" } }), { duration: "1.5s" }],
    [encodeValue({ objectValue: { "@type": TIMESTAMP_URL, value: "2009-02-13T23:31:30Z" } }),
      { timestamp: "2009-02-13T23:31:30Z" }],
    [typeToString({ mapType: { keyType: { primitive: "STRING" }, valueType: { listType: { elemType: { primitive: "INT64" } } } } }),
      "map(string, list(int))"],
    [typeToString({ null: null }), "null_type"],
    [exprExclusion("1u + 2"), "uint"],
    [exprExclusion("0x1Fu"), "uint"],
    [exprExclusion("b'abc' == b'abc'"), "bytes"],
    [exprExclusion("BR'\\x00'"), "bytes"],
    [exprExclusion("'1u b\"x\" uint bytes' + \"\\\"2u\""), null],
    [exprExclusion("r'\\' == 'b'"), null],
    [exprExclusion("uint(1)"), "uint"],
    [exprExclusion("size(x) == 1 && 1.5e3 > 2.0 && a.b1 == 0x1F"), null],
    [exprExclusion("TestAllTypes{single_int64: 1}"), "protobuf"],
    [exprExclusion("google.protobuf.Int64Value{value: 1}"), "protobuf"],
    [exprExclusion("{'a': 1}.`bytes`"), null],
  ];
  let bad = 0;
  for (const [i, [got, want]] of checks.entries()) {
    const g = JSON.stringify(got), w = JSON.stringify(want);
    const negZeroOk = !(want && typeof want === "object" && Object.is(want.double, -0)) || Object.is(got.double, -0);
    if (g !== w || !negZeroOk) { bad++; console.error(`self-test ${i}: got ${g}, want ${w}`); }
  }
  // Whole-case conversion: default matcher, error matcher, undeclared binding.
  const c = convertCase("f", "s", "n", { expr: "x", bindings: { x: { value: { int64Value: "1" } } } }, {});
  const e = convertCase("f", "s", "n", { expr: "1/0", evalError: { errors: [{ message: "divide by zero" }] } }, {});
  if (JSON.stringify(c.expected) !== '{"value":{"bool":true}}' || JSON.stringify(c.bindings) !== '{"x":{"int":"1"}}' ||
      JSON.stringify(e.expected) !== '{"error":true,"messages":["divide by zero"]}') {
    bad++; console.error(`self-test convertCase: ${JSON.stringify(c)} ${JSON.stringify(e)}`);
  }
  console.log(`convert self-test: ${checks.length + 1 - bad} passed, ${bad} failed`);
  return bad === 0;
}

// ---- main -------------------------------------------------------------------------------
async function main(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--self-test") args.selfTest = true;
    else if (["--modules", "--suite", "--out"].includes(a)) args[a.slice(2)] = argv[++i];
    else { console.error(`convert.mjs: unknown argument ${a}`); return 2; }
  }
  if (args.selfTest) return selfTest() ? 0 : 1;
  if (!args.out || (!args.modules && !args.suite)) {
    console.error("usage: node convert.mjs (--modules DIR | --suite FILE) --out DIR | --self-test");
    return 2;
  }
  const pkgDir = args.modules ? join(resolve(args.modules), "node_modules", "@bufbuild", "cel-spec") : null;
  const suitePath = args.suite ? resolve(args.suite) : join(pkgDir, "dist", "esm", "testdata", "conformance.js");
  if (!existsSync(suitePath)) { console.error(`convert.mjs: no suite at ${suitePath}`); return 2; }
  const { tests } = await import(pathToFileURL(suitePath).href);
  const version = pkgDir ? JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) : {};
  const result = convertSuite(tests);

  const out = resolve(args.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const index = {
    package: "@bufbuild/cel-spec", version: version.version ?? null,
    upstream_cel_spec: version.upstreamCelSpecRef ?? null,
    tier: TIER_FILES, files: result.files, sections: [], excluded: result.excluded,
  };
  for (const s of result.sections) {
    mkdirSync(join(out, s.file), { recursive: true });
    const rel = `${s.file}/${s.section.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`;
    writeFileSync(join(out, rel), JSON.stringify(s, null, 1) + "\n");
    index.sections.push({ file: s.file, section: s.section, path: rel, cases: s.cases.length });
  }
  writeFileSync(join(out, "index.json"), JSON.stringify(index, null, 1) + "\n");

  let tier = 0, excl = 0;
  console.log(`cel-spec ${index.version ?? "?"} (cel-spec ${index.upstream_cel_spec ?? "?"}): cases per file`);
  for (const f of TIER_FILES) {
    const st = result.files[f];
    if (!st) { console.error(`convert.mjs: tier file ${f} is missing from the suite`); return 1; }
    const ex = Object.entries(st.excluded).map(([r, n]) => `${r} ${n}`).join(", ");
    console.log(`  ${f.padEnd(14)} ${String(st.tier).padStart(4)} of ${String(st.total).padStart(4)}${ex ? `  (left out: ${ex})` : ""}`);
    tier += st.tier;
    excl += st.total - st.tier;
  }
  const others = Object.keys(result.files).filter((f) => !TIER_FILES.includes(f));
  console.log(`  not in the tier: ${others.join(", ")}`);
  console.log(`tier: ${tier} cases in ${index.sections.length} sections (${excl} cases of tier files left out) -> ${out}`);
  return tier > 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
