#!/usr/bin/env node
// W1 peer: hand-written Node.js, no npm dependencies. Usage: node w1.js IN_DIR OUT_DIR [DATA_DIR]
// Reads IN_DIR/Account.jsonl, writes OUT_DIR/{Customer,quality,held,flags}.jsonl following
// bench/w1/SEMANTICS.md. DATA_DIR (default: bench/w1) holds geo.json and rates.csv.
// quality/held/flags.jsonl are crmx-run's queue lines (SEMANTICS.md, "Queue lines").
'use strict';
const fs = require('fs');
const path = require('path');

const [inDir, outDir] = [process.argv[2], process.argv[3]];
const dataDir = process.argv[4] || path.join(__dirname, '..');
const geo = JSON.parse(fs.readFileSync(path.join(dataDir, 'geo.json'), 'utf8'));
const states = new Map(Object.entries(geo.states));
const countries = new Map(Object.entries(geo.countries));
const calling = geo.calling_codes;
const nanp = new Set(geo.nanp);
const MAP = 'account_to_customer'; // the spec's map name (w1.crmx)
const IN_FILE = 'Account.jsonl';
const SUBSIDIARY = new Map([['US', 'Acme Inc'], ['CA', 'Acme Canada'], ['GB', 'Acme UK Ltd'], ['DE', 'Acme GmbH']]);

const rates = new Map();
fs.readFileSync(path.join(dataDir, 'rates.csv'), 'utf8').split('\n').slice(1).forEach((line) => {
  line = line.trim();
  if (!line) return;
  const [cur, val] = line.split(',');
  const [whole, frac = ''] = val.split('.');
  rates.set(cur, [BigInt(whole + frac), frac.length]);
});

// ASCII white space only (SEMANTICS.md): String.prototype.trim also strips Unicode spaces.
const isWs = (c) => c === 32 || (c >= 9 && c <= 13);
function trim(s) {
  let b = 0, e = s.length;
  while (b < e && isWs(s.charCodeAt(b))) b++;
  while (e > b && isWs(s.charCodeAt(e - 1))) e--;
  return b === 0 && e === s.length ? s : s.slice(b, e);
}
function asciiLower(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}
const lookup = (m, s) => (s == null ? null : m.get(asciiLower(trim(s))) ?? null);

function e164(phone, country) {
  if (phone == null) return null;
  let digits = '';
  for (let i = 0; i < phone.length; i++) {
    const c = phone.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += phone[i];
  }
  if (digits === '') return null;
  if (trim(phone).startsWith('+')) return '+' + digits;
  if (nanp.has(country)) {
    if (digits.length === 10) return '+1' + digits;
    if (digits.length === 11 && digits[0] === '1') return '+' + digits;
    return null;
  }
  if (digits[0] === '0' && digits.length > 1) return '+' + calling[country] + digits.slice(1);
  return null;
}

function usd(amount, currency) {
  if (amount == null || !rates.has(currency)) return null;
  const [m, s] = rates.get(currency);
  let p = BigInt(amount) * m; // exact: amount is a whole number (SEMANTICS.md)
  // Cents, rounded half up, away from zero (SEMANTICS.md, "Money"): round the magnitude,
  // a tie (remainder exactly half) goes up, then put the sign back.
  let neg = p < 0n;
  if (neg) p = -p;
  let q;
  if (s > 2) {
    const div = 10n ** BigInt(s - 2);
    q = p / div;
    if (p % div >= 5n * 10n ** BigInt(s - 3)) q += 1n;
  } else {
    q = p * 10n ** BigInt(2 - s);
  }
  if (q === 0n) neg = false; // 0.00, never -0.00
  const cents = q % 100n;
  return (neg ? '-' : '') + (q / 100n).toString() + '.' + (cents < 10n ? '0' : '') + cents.toString();
}

const js = (v) => (v == null ? 'null' : JSON.stringify(v));

class Out {
  constructor(name) { this.fd = fs.openSync(path.join(outDir, name + '.jsonl'), 'w'); this.buf = []; this.len = 0; }
  write(s) { this.buf.push(s); this.len += s.length; if (this.len > 1 << 20) this.flush(); }
  flush() { if (this.buf.length) fs.writeSync(this.fd, this.buf.join('')); this.buf = []; this.len = 0; }
  close() { this.flush(); fs.closeSync(this.fd); }
}
const cust = new Out('Customer'), qual = new Out('quality'), held = new Out('held'), flags = new Out('flags');
// Constant per run: the start of every queue line, and its "file".
const Q_HEAD = '{"map":' + js(MAP) + ',"key":';
const Q_FILE = ',"file":' + js(IN_FILE) + ',"line":';

function record(line, lineNo) {
  const a = JSON.parse(line);
  const rid = js(a.Id);
  const name = a.Name == null ? '' : trim(a.Name);
  if (name === '') {
    qual.write(Q_HEAD + rid + Q_FILE + lineNo + ',"reasons":["missing Name"],"fields":["Name"]}\n');
    return;
  }
  const state = lookup(states, a.BillingState ?? a.ShippingState);
  const country = lookup(countries, a.BillingCountry);
  if (country === null) { held.write(Q_HEAD + rid + Q_FILE + lineNo + ',"reasons":["Unknown country"]}\n'); return; }
  const phone = e164(a.Phone, country);
  const sub = a.Subsidiary__c ?? SUBSIDIARY.get(country) ?? 'PENDING_REVIEW';
  let terms = a.PaymentTerms__c;
  if (terms == null) { terms = 'Net 30'; flags.write(Q_HEAD + rid + ',"flag":"finance:default_terms"}\n'); }
  const currency = a.CurrencyIsoCode ?? null;
  const rev = usd(a.AnnualRevenue, currency);
  cust.write('{"externalId":' + rid + ',"companyName":' + js(name) + ',"state":' + js(state) +
    ',"country":' + js(country) + ',"phone":' + js(phone) + ',"subsidiary":' + js(sub) +
    ',"terms":' + js(terms) + ',"currency":' + js(currency) + ',"annualRevenueUsd":' +
    (rev === null ? 'null' : rev) + '}\n');
}

// Stream the input in 1 MiB chunks, split on '\n' bytes (UTF-8 safe: never inside a character).
// lineNo counts every line, blank ones too (the input has none: SEMANTICS.md).
const fd = fs.openSync(path.join(inDir, IN_FILE), 'r');
const chunk = Buffer.allocUnsafe(1 << 20);
let carry = Buffer.alloc(0);
let lineNo = 0;
for (;;) {
  const n = fs.readSync(fd, chunk, 0, chunk.length, null);
  if (n === 0) break;
  const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
  const last = buf.lastIndexOf(10);
  if (last < 0) { carry = Buffer.from(buf); continue; }
  const lines = buf.toString('utf8', 0, last).split('\n');
  for (const l of lines) {
    lineNo++;
    if (l.length) record(l, lineNo);
  }
  carry = Buffer.from(buf.subarray(last + 1));
}
if (carry.length) record(carry.toString('utf8'), lineNo + 1);
fs.closeSync(fd);
for (const o of [cust, qual, held, flags]) o.close();
