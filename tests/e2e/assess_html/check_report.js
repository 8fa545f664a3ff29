#!/usr/bin/env node
// Checks the HTML report of `crmx-run assess` (docs/assess.md, "The HTML report") as a person
// sees it: loads the page in headless Chromium (Debian's chromium through puppeteer-core) and
// compares what is rendered with the JSON report it was made from.
//
//   node check_report.js --modules NPM_DIR --json REPORT.json --html REPORT.html --work DIR [--self-test]
//
// - every number the page should show for the JSON (rubric points and criteria, readiness and
//   its parts and inputs, completeness per field, duplicate rates, format validity, dry-run
//   shares, ROI, closed-won, SoR, API budget use...) is on the page once, under its data-metric
//   name, with the text worked out here from the JSON (this file's own formatting), and visible
//   (a non-empty box, not hidden); no other data-metric is on the page;
// - every SVG bar (rect[data-bar]) is as wide as its value of its track, within 1 px, and a
//   stacked segment starts where the one before it ends; the readiness arc is as long as the
//   score of its track; the budget bars' 50/80/90% lines are where they say;
// - no request leaves file: or data: URLs (request interception aborts it and fails), nothing is
//   refused by the page's Content-Security-Policy (a console error), no script runs;
// - every string of the JSON with markup in it renders as text, and no element the data could
//   have brought (script, img, iframe, object, embed, link, style outside head) is in the page;
// - a full-page screenshot is written to the work dir (WORK/NAME.png) for people.
//
// --self-test also makes broken copies of the page (a number changed, a metric hidden, a bar
// widened, the readiness arc lengthened, a budget line moved, an external image without the
// policy, an external stylesheet under the policy, a hostile string unescaped; each that the page
// has the parts for) and fails unless the checks catch every one of them.
//
// Exit 0 all checks hold, 1 a check failed (each printed), 2 bad arguments, 77 no Chromium.
"use strict";

const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

function parseArgs(argv) {
  const args = { selfTest: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--self-test") args.selfTest = true;
    else if (["--modules", "--json", "--html", "--work", "--name"].includes(a) && i + 1 < argv.length)
      args[a.slice(2)] = argv[++i];
    else {
      console.error(`check_report.js: unknown argument ${a}`);
      process.exit(2);
    }
  }
  for (const need of ["modules", "json", "html", "work"])
    if (!args[need]) {
      console.error(`check_report.js: --${need} is required`);
      process.exit(2);
    }
  args.name = args.name || path.basename(args.html).replace(/\.html?$/, "");
  return args;
}

// ---------------------------------------------------------------- the formats, worked out here
const NONE = "\u2014";
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
// Half up at the last decimal, on the decimal value: the page's rule (docs/assess.md).
function tenthsOfHundredths(h) {
  return h >= 0 ? Math.floor((h + 5) / 10) : -Math.floor((-h + 4) / 10);
}
function decimal(units, decimals) {
  const neg = units < 0;
  const u = Math.abs(units);
  const scale = 10 ** decimals;
  const whole = String(Math.floor(u / scale));
  const frac = decimals ? "." + String(u % scale).padStart(decimals, "0") : "";
  return (neg && u !== 0 ? "-" : "") + whole + frac;
}
const fmt = {
  pct: (p) => decimal(tenthsOfHundredths(Math.floor(p * 100 + 0.5)), 1) + "%",
  share: (part, whole) => (whole === 0 ? "-" : decimal(Math.floor((2000 * part + whole) / (2 * whole)), 1) + "%"),
  rate: (r) => fmt.pct(r * 100),
  money(x) {
    const [w, f] = decimal(Math.floor(x * 100 + 0.5), 2).split(".");
    return "$" + w.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + f;
  },
  whole: (x) => decimal(Math.floor(x + 0.5), 0).replace(/\B(?=(\d{3})+(?!\d))/g, ","),
  ratio: (x) => decimal(Math.floor(x * 100 + 0.5), 2),
  // At most two decimals, trailing zeros after the point dropped: "500.00" -> "500", "14.50" -> "14.5".
  quantity(x) {
    const s = decimal(Math.floor(x * 100 + 0.5), 2).replace(/0+$/, "");
    return s.endsWith(".") ? s.slice(0, -1) : s;
  },
};
const orNone = (v, f) => (isNum(v) ? f(v) : NONE);
// A two-decimal percentage of the JSON shown from its counts when they agree with it (they are
// exact; 84.55 alone would round to 84.6% where 84.549...% is 84.5%).
function fromCounts(value, part, whole) {
  if (!isNum(value)) return NONE;
  if (whole > 0 && Math.abs((100 * part) / whole - value) <= 0.0051) return fmt.share(part, whole);
  return fmt.pct(value);
}
function count(v) {
  if (!isNum(v)) return null;
  return v < 0 ? 0 : Math.floor(v + 0.5);
}
const countText = (v) => (count(v) === null ? NONE : String(count(v)));
function str(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return JSON.stringify(v);
  return "";
}
const part = (o, k) => (o && typeof o === "object" && !Array.isArray(o) && o[k] !== null && o[k] !== undefined ? o[k] : null);
const arr = (o, k) => (Array.isArray(part(o, k)) ? part(o, k) : []);

// ---------------------------------------------------------------- what the page must show
// metrics: name -> text; bars: name -> {fraction, offset} (of the track); arcs: name -> fraction.
function expectations(r) {
  const metrics = new Map();
  const bars = new Map();
  const arcs = new Map();
  const marks = [];
  const m = (name, text) => {
    if (metrics.has(name)) throw new Error(`expectations: ${name} twice`);
    metrics.set(name, text);
  };
  const clamp01 = (f) => Math.min(1, Math.max(0, f));
  const bar = (name, fraction, offset = 0) => bars.set(name, { fraction: clamp01(fraction), offset });

  m("integration", str(part(r, "integration")));
  m("records", countText(part(r, "records")));
  if (part(r, "generated_at") !== null) m("generated_at", str(r.generated_at));
  const overall = part(r, "overall");
  if (overall) {
    const c = { records: 0, complete: 0, dupRecords: 0, dups: 0, values: 0, valid: 0 };
    for (const o of arr(r, "objects")) {
      const records = count(part(o, "records")) ?? 0;
      c.records += records;
      c.complete += count(part(part(o, "completeness"), "complete")) ?? 0;
      if (part(o, "duplicates")) {
        c.dupRecords += records;
        c.dups += count(part(o.duplicates, "duplicates")) ?? 0;
      }
      for (const f of arr(o, "formats")) {
        c.values += count(part(f, "non_empty")) ?? 0;
        c.valid += count(part(f, "valid")) ?? 0;
      }
    }
    m("overall.completeness", fromCounts(part(overall, "completeness"), c.complete, c.records));
    m("overall.duplicate_rate", fromCounts(part(overall, "duplicate_rate"), c.dups, c.dupRecords));
    m("overall.format_consistency", fromCounts(part(overall, "format_consistency"), c.valid, c.values));
  }

  const rubric = part(r, "rubric");
  if (rubric && part(rubric, "criteria")) {
    for (const c of arr(rubric, "criteria")) {
      const key = `rubric.${str(part(c, "key"))}`;
      const points = part(c, "points"), max = part(c, "max_points");
      m(`${key}.measured`, str(part(c, "measured")));
      m(`${key}.points`, orNone(points, fmt.quantity));
      m(`${key}.max_points`, orNone(max, fmt.quantity));
      if (isNum(points) && isNum(max) && max > 0) bar(key, points / max);
    }
    const points = part(rubric, "points"), max = part(rubric, "max_points");
    m("rubric.tier_name", part(rubric, "tier_name") !== null ? str(rubric.tier_name) : "not scored");
    m("rubric.points", orNone(points, fmt.quantity));
    m("rubric.max_points", orNone(max, fmt.quantity));
    if (isNum(points) && isNum(max) && max > 0) bar("rubric", points / max);
  }

  const rd = part(r, "readiness");
  if (rd) {
    const score = part(rd, "score");
    m("readiness.score", orNone(score, fmt.quantity));
    if (isNum(score) && score > 0) arcs.set("readiness.score", clamp01(score / 100));
    m("readiness.band", part(rd, "band") !== null ? str(rd.band) : "not scored");
    for (const k of ["data_quality", "system", "organisational"]) {
      m(`readiness.${k}`, orNone(part(rd, k), fmt.quantity));
      if (isNum(part(rd, k))) bar(`readiness.${k}`, rd[k] / 100);
    }
    const inputs = part(rd, "inputs");
    if (inputs)
      for (const k of ["completeness", "duplicate_rate", "format_consistency", "api_availability", "documentation", "sandbox",
                       "executive_sponsorship", "sor_decisions", "stakeholder_availability"])
        if (k in inputs) m(`readiness.inputs.${k}`, orNone(inputs[k], fmt.quantity));
  }

  const objects = part(r, "objects");
  if (Array.isArray(objects))
    for (const o of objects) {
      const obj = `${str(part(o, "system"))}.${str(part(o, "object"))}`;
      const records = count(part(o, "records")) ?? 0;
      m(`object.${obj}.records`, countText(part(o, "records")));
      if (count(part(o, "bad_lines"))) m(`object.${obj}.bad_lines`, String(count(o.bad_lines)));
      const c = part(o, "completeness");
      if (records > 0 && c) {
        const complete = count(part(c, "complete")) ?? 0;
        m(`object.${obj}.complete`, fmt.share(complete, records));
        bar(`object.${obj}.complete`, complete / records);
        for (const f of arr(c, "fields")) {
          const name = `completeness.${obj}.${str(part(f, "field"))}`;
          const present = count(part(f, "present")) ?? 0;
          m(name, fmt.share(present, records));
          bar(name, present / records);
        }
      }
      const d = part(o, "duplicates");
      if (d && records > 0) {
        const pre = `duplicates.${obj}`;
        const dups = count(part(d, "duplicates")) ?? 0;
        m(`${pre}.rate`, fmt.share(dups, records));
        bar(`${pre}.rate`, dups / records);
        m(`${pre}.duplicates`, countText(part(d, "duplicates")));
        m(`${pre}.groups`, countText(part(d, "groups")));
        const by = part(d, "matched_by_rule");
        if (by && typeof by === "object" && !Array.isArray(by))
          for (const [rule, n] of Object.entries(by)) m(`${pre}.rule.${rule}`, orNone(n, fmt.quantity));
      }
      for (const f of arr(o, "formats")) {
        const pre = `format.${obj}.${str(part(f, "field"))}`;
        const nonEmpty = count(part(f, "non_empty")) ?? 0, valid = count(part(f, "valid")) ?? 0;
        m(`${pre}.valid_percent`, fmt.share(valid, nonEmpty));
        m(`${pre}.valid`, String(valid));
        m(`${pre}.non_empty`, String(nonEmpty));
        if (nonEmpty > 0) bar(pre, valid / nonEmpty);
        arr(f, "invalid").forEach((v, i) => m(`${pre}.invalid.${i}.count`, countText(part(v, "count"))));
      }
    }

  const dr = part(r, "dry_run");
  if (dr) {
    m("dry_run.records", countText(part(dr, "records")));
    const records = count(part(dr, "records")) ?? 0;
    for (const k of ["written", "data_quality", "held", "flagged"]) {
      const sum = arr(dr, "maps").reduce((s, mp) => s + (count(part(mp, k)) ?? 0), 0);
      m(`dry_run.${k}_percent`, fromCounts(part(dr, `${k}_percent`), sum, records));
    }
    m("dry_run.automation_rate", orNone(part(dr, "automation_rate"), fmt.rate));
    const outcomes = ["written", "data_quality", "held", "waiting", "skipped", "error", "deleted"];
    for (const mp of arr(dr, "maps")) {
      const pre = `dry_run.${str(part(mp, "map"))}`;
      const records = count(part(mp, "records")) ?? 0;
      m(`${pre}.records`, countText(part(mp, "records")));
      const total = Math.max(records, outcomes.reduce((s, k) => s + (count(part(mp, k)) ?? 0), 0));
      let offset = 0;
      for (const k of outcomes) {
        m(`${pre}.${k}`, countText(part(mp, k)));
        const f = total > 0 ? (count(part(mp, k)) ?? 0) / total : 0;
        bar(`${pre}.${k}`, f, offset);
        offset += f;
      }
      m(`${pre}.flagged`, countText(part(mp, "flagged")));
      m(`${pre}.flagged_percent`, fmt.share(count(part(mp, "flagged")) ?? 0, records));
    }
  }

  const roi = part(r, "roi");
  if (roi) {
    const formats = {
      records_per_month: fmt.quantity, minutes_per_entry: fmt.quantity, automation_rate: fmt.rate,
      blended_hourly_rate: fmt.money, error_rate: fmt.rate, cost_per_error: fmt.money, annual_integration_cost: fmt.money,
      hours_saved_per_month: fmt.quantity, annual_savings: fmt.money, error_cost_avoided: fmt.money,
      annual_benefit: fmt.money, roi: fmt.ratio,
    };
    for (const [k, f] of Object.entries(formats)) m(`roi.${k}`, orNone(part(roi, k), f));
  }

  const cw = part(r, "closed_won");
  if (cw) {
    m("closed_won.per_month", orNone(part(cw, "per_month"), fmt.quantity));
    if (part(cw, "records") !== null) m("closed_won.records", countText(cw.records));
    if (count(part(cw, "without_date"))) m("closed_won.without_date", String(count(cw.without_date)));
    const months = arr(cw, "months");
    const most = Math.max(0, ...months.map((x) => count(part(x, "records")) ?? 0));
    for (const x of months) {
      const name = `closed_won.month.${str(part(x, "month"))}`;
      m(name, countText(part(x, "records")));
      bar(name, most ? (count(part(x, "records")) ?? 0) / most : 0);
    }
  }

  const sor = part(r, "sor");
  if (sor) {
    m("sor.percent", fromCounts(part(sor, "percent"), count(part(sor, "owned_fields")) ?? 0, count(part(sor, "synced_fields")) ?? 0));
    if (isNum(part(sor, "percent"))) bar("sor.percent", sor.percent / 100);
    m("sor.owned_fields", countText(part(sor, "owned_fields")));
    m("sor.synced_fields", countText(part(sor, "synced_fields")));
  }

  const v = part(r, "volume");
  if (v) {
    m("volume.window_days", countText(part(v, "window_days")));
    m("volume.poll_seconds", countText(part(v, "poll_seconds")));
    for (const s of arr(v, "systems")) {
      const pre = `budget.${str(part(s, "system"))}`;
      m(`${pre}.calls_per_day`, orNone(part(s, "calls_per_day"), fmt.whole));
      const budget = part(s, "budget_per_day");
      if (!isNum(budget)) {
        m(`${pre}.budget_per_day`, "none");
        continue;
      }
      m(`${pre}.budget_per_day`, fmt.whole(budget));
      const use = part(s, "use_percent");
      m(`${pre}.use_percent`, orNone(use, fmt.pct));
      m(`${pre}.band`, str(part(s, "band")));
      if (isNum(use)) {
        bar(`${pre}.use_percent`, use / 100);
        marks.push(pre);
      }
    }
    for (const s of arr(v, "syncs")) {
      const pre = `volume.${str(part(s, "sync"))}`;
      for (const k of ["runs_per_day", "new_per_day", "updated_per_day", "read_calls_per_day", "write_calls_per_day"])
        m(`${pre}.${k}`, orNone(part(s, k), fmt.quantity));
      m(`${pre}.written_share`, orNone(part(s, "written_share"), fmt.rate));
    }
    for (const o of arr(v, "objects")) {
      const pre = `change.${str(part(o, "system"))}.${str(part(o, "object"))}`;
      for (const k of ["records", "created_in_window", "updated_in_window"]) m(`${pre}.${k}`, countText(part(o, k)));
      for (const k of ["new_per_day", "updated_per_day"]) m(`${pre}.${k}`, orNone(part(o, k), fmt.quantity));
    }
  }
  return { metrics, bars, arcs, marks };
}

// Every string in the JSON that has markup in it: each must render as text.
function hostileStrings(value, out = new Set()) {
  if (typeof value === "string") {
    if (/[<>&"']/.test(value)) out.add(value);
  } else if (Array.isArray(value)) value.forEach((x) => hostileStrings(x, out));
  else if (value && typeof value === "object")
    for (const x of Object.values(value)) hostileStrings(x, out);
  return out;
}

// ---------------------------------------------------------------- the checks in the browser
// The elements the renderer writes; any other is markup that came from the data.
const ALLOWED_ELEMENTS = ["html", "head", "meta", "title", "style", "body", "header", "footer", "section", "h1", "h2", "h3",
  "p", "div", "span", "small", "strong", "code", "br", "table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "path",
  "line", "text"];

async function checkPage(browser, htmlFile, report, screenshot) {
  const failures = [];
  const fail = (what) => failures.push(what);
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: 1200, height: 900 });
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const url = req.url();
      if (url.startsWith("file:") || url.startsWith("data:")) req.continue();
      else {
        fail(`a request left the page: ${url}`);
        req.abort();
      }
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") fail(`console error: ${msg.text()}`);
    });
    page.on("pageerror", (err) => fail(`page error: ${err.message}`));
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load", timeout: 120000 });

    const want = expectations(report);
    const seen = await page.evaluate((allowed) => {
      const ALLOWED = new Set(allowed);
      const visible = (el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
      };
      const trackOf = (el) => el.closest("svg").querySelector("[data-track]").getBoundingClientRect();
      return {
        metrics: Array.from(document.querySelectorAll("[data-metric]")).map((el) => ({
          name: el.dataset.metric, text: el.textContent, visible: visible(el),
        })),
        bars: Array.from(document.querySelectorAll("rect[data-bar]")).map((el) => {
          const b = el.getBoundingClientRect(), t = trackOf(el);
          // Shown: the track has a box, and the bar is painted (a fill, not hidden, not transparent).
          const painted = getComputedStyle(el).fill !== "none" && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
          return { name: el.dataset.bar, width: b.width, left: b.left - t.left, track: t.width,
                   shown: t.width > 0 && t.height > 0 && painted };
        }),
        arcs: Array.from(document.querySelectorAll("path[data-arc]")).map((el) => ({
          name: el.dataset.arc, length: el.getTotalLength(),
          track: el.closest("svg").querySelector("[data-track]").getTotalLength(),
        })),
        marks: Array.from(document.querySelectorAll("line[data-mark]")).map((el) => {
          const b = el.getBoundingClientRect(), t = trackOf(el);
          return { bar: el.closest("svg").querySelector("rect[data-bar]").dataset.bar, mark: Number(el.dataset.mark),
                   x: (b.left + b.right) / 2 - t.left, track: t.width };
        }),
        pwned: typeof window.__pwned !== "undefined",
        // Elements of a kind the renderer does not write, or a style outside the head: markup
        // that came from the data.
        foreign: Array.from(document.querySelectorAll("*"))
          .filter((el) => !ALLOWED.has(el.localName) || (el.localName === "style" && el.parentElement !== document.head))
          .map((el) => el.outerHTML.slice(0, 120)),
        text: document.body.innerText,
      };
    }, ALLOWED_ELEMENTS);

    // Numbers: each expected one once, same text, visible; nothing else.
    const byName = new Map();
    for (const s of seen.metrics) {
      if (!byName.has(s.name)) byName.set(s.name, []);
      byName.get(s.name).push(s);
    }
    for (const [name, text] of want.metrics) {
      const got = byName.get(name) || [];
      if (got.length !== 1) {
        fail(`${name}: on the page ${got.length} times (expected once, showing "${text}")`);
        continue;
      }
      if (got[0].text !== text) fail(`${name}: shows "${got[0].text}", the JSON says "${text}"`);
      if (!got[0].visible) fail(`${name}: "${got[0].text}" is not visible`);
    }
    for (const name of byName.keys()) if (!want.metrics.has(name)) fail(`${name}: on the page but not expected from the JSON`);

    // Bars: width = fraction of the track, within 1 px; starts at its offset.
    const barsSeen = new Map();
    for (const b of seen.bars) {
      if (barsSeen.has(b.name)) fail(`bar ${b.name}: twice`);
      barsSeen.set(b.name, b);
    }
    for (const [name, w] of want.bars) {
      const b = barsSeen.get(name);
      if (!b) {
        fail(`bar ${name}: missing`);
        continue;
      }
      if (!b.shown) fail(`bar ${name}: not visible (its track has no box, or the bar is not painted)`);
      const width = b.track * w.fraction, left = b.track * w.offset;
      if (Math.abs(b.width - width) > 1)
        fail(`bar ${name}: ${b.width.toFixed(2)} px wide, ${(w.fraction * 100).toFixed(2)}% of ${b.track} px is ${width.toFixed(2)}`);
      if (Math.abs(b.left - left) > 1) fail(`bar ${name}: starts at ${b.left.toFixed(2)} px, expected ${left.toFixed(2)}`);
    }
    for (const name of barsSeen.keys()) if (!want.bars.has(name)) fail(`bar ${name}: on the page but not expected`);
    for (const a of seen.arcs) {
      const f = want.arcs.get(a.name);
      if (f === undefined) fail(`arc ${a.name}: on the page but not expected`);
      else if (Math.abs(a.length - a.track * f) > 1)
        fail(`arc ${a.name}: ${a.length.toFixed(2)} long, ${(f * 100).toFixed(2)}% of ${a.track.toFixed(2)} expected`);
    }
    for (const name of want.arcs.keys()) if (!seen.arcs.some((a) => a.name === name)) fail(`arc ${name}: missing`);
    for (const pre of want.marks) {
      const lines = seen.marks.filter((x) => x.bar === `${pre}.use_percent`);
      if (lines.map((x) => x.mark).join(",") !== "50,80,90") fail(`${pre}: budget lines ${lines.map((x) => x.mark)} (expected 50,80,90)`);
      for (const x of lines)
        if (Math.abs(x.x - (x.track * x.mark) / 100) > 1) fail(`${pre}: the ${x.mark}% line at ${x.x.toFixed(2)} px of ${x.track}`);
    }

    // Hostile strings: text, not markup.
    if (seen.pwned) fail("a script from the data ran (window.__pwned is set)");
    for (const el of seen.foreign) fail(`an element the page should not have: ${el}`);
    const normalize = (s) => s.replace(/\s+/g, " ");
    const text = normalize(seen.text);
    for (const s of hostileStrings(report))
      if (!text.includes(normalize(s).trim())) fail(`the string ${JSON.stringify(s)} is not shown as text`);

    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { failures, metrics: want.metrics.size, bars: want.bars.size };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------- self-test: broken copies
function escapeHtml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// Broken copies of the page, each with what was broken. Edits are made in the body only.
function corruptions(html, report) {
  const out = [];
  const at = html.indexOf("<body");
  const head = html.slice(0, at), body = html.slice(at);
  const inBody = (from, to) => head + body.replace(from, to);
  // The first number of the page, and the first percentage after the headline.
  const first = /data-metric="([^"]*)">([^<]*\d[^<]*)</.exec(body);
  const sections = body.indexOf('<section id="completeness"') >= 0 ? body.indexOf('<section id="completeness"') : body.indexOf("<section");
  const percent = sections >= 0 ? /data-metric="([^"]*)">([^<]*\d%)</.exec(body.slice(sections)) : null;
  for (const metric of [first, percent].filter(Boolean)) {
    const [whole, name, text] = metric;
    const changed = text.replace(/\d/, (d) => String((Number(d) + 1) % 10));
    out.push({ what: `the number ${name} changed from ${text} to ${changed}`, html: inBody(whole, whole.replace(`>${text}<`, `>${changed}<`)) });
  }
  if (first)
    out.push({ what: `the number ${first[1]} hidden`, html: inBody(first[0], first[0].replace("data-metric=", 'style="display:none" data-metric=')) });
  const bar = /(<rect data-bar="[^"]*"[^>]*? width=")(\d+\.\d\d)"/.exec(html);
  if (bar) {
    const wider = (Number(bar[2]) + (Number(bar[2]) > 100 ? -5 : 5)).toFixed(2);
    out.push({ what: `a bar ${bar[2]} px wide drawn ${wider}`, html: html.replace(bar[0], `${bar[1]}${wider}"`) });
  }
  // The readiness arc drawn to the end of its track; a budget line moved.
  const arc = /(<path data-arc="[^"]*"[^>]*? d="M [\d.]+ [\d.]+ A 90 90 0 0 1 )([\d.]+ [\d.]+)"/.exec(body);
  if (arc && arc[2] !== "200.00 110.00")
    out.push({ what: "the readiness arc drawn to 100", html: inBody(arc[0], `${arc[1]}200.00 110.00"`) });
  const mark = /<line data-mark="80"[^>]*? x1="([\d.]+)"[^>]*? x2="([\d.]+)"/.exec(body);
  if (mark)
    out.push({ what: "the 80% budget line moved 3 px", html: inBody(mark[0], mark[0].replace(/x([12])="([\d.]+)"/g, (m, i, x) => `x${i}="${(Number(x) + 3).toFixed(2)}"`)) });
  const noPolicy = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "");
  out.push({ what: "an external image, the policy removed", html: noPolicy.replace("<body>", '<body><img src="http://127.0.0.1:9/pixel.png" alt="">') });
  out.push({ what: "an external stylesheet under the policy", html: html.replace("</head>", '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>') });
  const markup = [...hostileStrings(report)].filter((s) => s.includes("<") && body.includes(escapeHtml(s)));
  const hostile = markup.find((s) => s.includes("<script")) || markup[0];
  if (hostile) out.push({ what: `the string ${JSON.stringify(hostile)} left unescaped`, html: inBody(escapeHtml(hostile), hostile) });
  return out;
}

async function main() {
  const args = parseArgs(process.argv);
  const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(chromium)) {
    console.log(`check_report.js: SKIPPED: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM)`);
    process.exit(77);
  }
  const puppeteer = require(path.join(path.resolve(args.modules), "node_modules", "puppeteer-core"));
  const report = JSON.parse(fs.readFileSync(args.json, "utf8"));
  fs.mkdirSync(args.work, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Generous: CI shares two cores among the test suites.
    timeout: 120000,
    protocolTimeout: 120000,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync"],
  });
  let failed = false;
  try {
    const screenshot = path.join(args.work, `${args.name}.png`);
    const result = await checkPage(browser, path.resolve(args.html), report, screenshot);
    for (const f of result.failures) console.log(`FAILED: ${args.name}: ${f}`);
    failed = result.failures.length > 0;
    console.log(`check_report.js: ${args.name}: ${result.metrics} numbers and ${result.bars} bars checked, ` +
                `${result.failures.length} failures; screenshot ${screenshot}`);
    if (args.selfTest) {
      const html = fs.readFileSync(args.html, "utf8");
      const cases = corruptions(html, report);
      if (cases.length < 5) {
        console.log(`FAILED: self-test: only ${cases.length} broken copies could be made of ${args.html}`);
        failed = true;
      }
      let caught = 0;
      for (const [i, c] of cases.entries()) {
        const file = path.join(args.work, `${args.name}.broken-${i}.html`);
        fs.writeFileSync(file, c.html);
        // Caught: a failure the page itself did not have.
        const r = await checkPage(browser, file, report, null);
        const fresh = r.failures.filter((f) => !result.failures.includes(f));
        if (fresh.length === 0) {
          console.log(`FAILED: self-test: ${c.what}: the checks did not notice`);
          failed = true;
        } else {
          caught++;
          console.log(`self-test: ${c.what}: caught (${fresh[0]})`);
        }
      }
      console.log(`check_report.js: self-test: ${caught} of ${cases.length} broken copies caught`);
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`check_report.js: ${err.stack || err}`);
  process.exit(1);
});
