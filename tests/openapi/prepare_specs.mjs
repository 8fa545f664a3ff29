// Prepares a vendor's own OpenAPI files (../shared/real/schemas/openapi) for Prism's proxy mode,
// and lists the operations they describe for the test's router (router.py).
//
//   node prepare_specs.mjs --real DIR --vendor hubspot|xero|quickbooks|sap --out DIR
//   node prepare_specs.mjs --self-test
//
// What is changed, and why (nothing else is):
// - Prism matches a request's path against the document's `paths` without the server URL's
//   path, and forwards to the upstream without it too. The vendors' files put part of the API's
//   path in `servers` (Xero `/api.xro/2.0`, QuickBooks `/v3/company/{realmId}`, SAP
//   `/sap/opu/odata/sap/API_SALES_ORDER_SRV`, HubSpot associations `/crm/v3/associations`), so
//   each path is prefixed with its file's server path; a server variable becomes a path parameter
//   (a string), declared on each path item.
// - HubSpot ships one file per API, each defining the same component names
//   (`SimplePublicObject`...) with different content; the files are merged into one document
//   with every component renamed `<file>__<name>` and every `$ref` rewritten to match.
// Output: <vendor>.openapi.json (Prism's document) and <vendor>.routes.json: one entry per
// operation, {method, path (the template), regex (matches a request path)}.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// The vendor files each test uses (names under schemas/openapi/).
export const VENDORS = {
  hubspot: ['hubspot/hubspot_crm_companies.oas.json', 'hubspot/hubspot_crm_contacts.oas.json',
            'hubspot/hubspot_crm_deals.oas.json', 'hubspot/hubspot_crm_line_items.oas.json',
            'hubspot/hubspot_crm_products.oas.json', 'hubspot/hubspot_crm_associations.oas.json',
            'hubspot/hubspot_crm_properties.oas.json'],
  xero: ['xero/xero_accounting.yaml'],
  quickbooks: ['quickbooks/qbo.oas.json'],
  sap: ['sap-s4hana/API_SALES_ORDER_SRV.json'],
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Where a vendor's document contradicts the vendor's own guides and answers, the document is
// corrected before Prism loads it (with `--errors` Prism would refuse the real traffic). Each
// correction names the schemas it changes and why; one that finds nothing to change fails the
// preparation, so a fixed document does not leave a stale correction behind. Applied to the
// original files' schemas, by component name, before merging.
export const CORRECTIONS = {
  hubspot: [{
    schemas: /^PublicObjectSearchRequest$/,
    what: 'search `sorts` are objects {propertyName, direction}, not strings',
    reason: "HubSpot's search guide (developers.hubspot.com/docs/api/crm/search, 'Sort search results') and " +
            'its client libraries send each sort as {"propertyName": ..., "direction": "ASCENDING"}; the generated ' +
            'document types `sorts` as a list of strings.',
    apply: s => {
      if (!s.properties || !s.properties.sorts) return false;
      s.properties.sorts.items = { type: 'object', required: ['propertyName'],
        properties: { propertyName: { type: 'string' }, direction: { type: 'string', enum: ['ASCENDING', 'DESCENDING'] } } };
      return true;
    },
  }],
  quickbooks: [{
    schemas: /^QueryResponse$/,
    what: '`startPosition` and `maxResults` only when the query returned rows',
    reason: 'QuickBooks answers a query that matches nothing with an empty `"QueryResponse": {}` (and a COUNT ' +
            'query with `totalCount` alone); the document requires both members in every answer.',
    apply: s => {
      if (!Array.isArray(s.required)) return false;
      s.required = s.required.filter(r => r !== 'startPosition' && r !== 'maxResults');
      if (s.required.length === 0) delete s.required;
      return true;
    },
  }, {
    schemas: /^(Account|Invoice|Payment|Vendor|Customer|Item|Bill|BillPayment|CreditMemo|Deposit|Transfer|Purchase|JournalEntry|CompanyInfo|Preferences)$/,
    what: "an entity's members are not all required",
    reason: 'The document marks every member of an entity required (all 24 of Invoice, `Id` and `TotalAmt` ' +
            'included: the finding of issue 11); QuickBooks leaves empty members out of its answers and a ' +
            'projected query (`select Id, Balance from Invoice`) answers with the selected members only.',
    apply: s => {
      if (!Array.isArray(s.required)) return false;
      delete s.required;
      return true;
    },
  }],
};

function correct(vendor, docs) {
  const applied = [];
  for (const c of CORRECTIONS[vendor] || []) {
    let n = 0;
    for (const { doc } of docs) {
      for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
        if (c.schemas.test(name) && c.apply(schema)) n++;
      }
    }
    if (n === 0) throw new Error(`${vendor}: the correction "${c.what}" changed nothing: is the document fixed? remove it`);
    applied.push(`${c.what} (${n} schema${n === 1 ? '' : 's'})`);
  }
  return applied;
}

function load(file, yamlModules) {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.json')) return JSON.parse(text);
  const require = createRequire(path.join(yamlModules, 'package.json'));
  return require('js-yaml').safeLoad(text);
}

// The path part of a server URL, keeping `{variables}`: "https://x/api.xro/2.0" -> "/api.xro/2.0".
export function serverPath(url) {
  const m = /^[a-z]+:\/\/[^/]*(\/.*)?$/i.exec(url || '');
  if (!m) throw new Error(`not an absolute server URL: ${url}`);
  return (m[1] || '').replace(/\/+$/, '');
}

function rewriteRefs(node, rename) {
  if (Array.isArray(node)) return node.map(n => rewriteRefs(n, rename));
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' ? rename(v) : rewriteRefs(v, rename);
    }
    return out;
  }
  return node;
}

// One document from several: paths prefixed with their file's server path, components renamed
// `<prefix>__<name>` when `namespace` is set.
export function merge(docs, namespace) {
  const out = { openapi: docs[0].doc.openapi, info: { title: 'merged for Prism', version: '1' }, paths: {},
                components: {} };
  for (const { name, doc } of docs) {
    const prefix = serverPath((doc.servers || [{ url: 'http://host' }])[0].url);
    const vars = [...prefix.matchAll(/\{([^}]+)\}/g)].map(m => m[1]);
    const tag = name.replace(/[^A-Za-z0-9]+/g, '_');
    const rename = ref => {
      const m = /^#\/components\/([^/]+)\/(.+)$/.exec(ref);
      if (!m || !namespace || m[1] === 'securitySchemes') return ref;
      return `#/components/${m[1]}/${tag}__${m[2]}`;
    };
    const d = namespace ? rewriteRefs(doc, rename) : doc;
    for (const [kind, entries] of Object.entries(d.components || {})) {
      out.components[kind] = out.components[kind] || {};
      for (const [k, v] of Object.entries(entries)) {
        if (kind === 'securitySchemes') {
          // Named, not referenced, by operations' `security`: kept by name, the same scheme in
          // several files (HubSpot's `oauth2` with each API's scopes) once.
          out.components[kind][k] = out.components[kind][k] || v;
          continue;
        }
        const key = namespace ? `${tag}__${k}` : k;
        if (key in out.components[kind]) throw new Error(`component ${kind}/${key} defined twice`);
        out.components[kind][key] = v;
      }
    }
    for (const [p, item] of Object.entries(d.paths || {})) {
      const full = prefix + p;
      if (full in out.paths) throw new Error(`path ${full} in two files`);
      const params = [...(item.parameters || [])];
      for (const v of vars) params.push({ name: v, in: 'path', required: true, schema: { type: 'string' } });
      out.paths[full] = params.length ? { ...item, parameters: params } : item;
    }
  }
  return out;
}

function escapeRegex(s) {
  return s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
}

// A request-path regex for a template: `{x}` matches one or more characters other than `/`.
export function templateRegex(template) {
  const parts = template.split(/(\{[^}]+\})/);
  return '^' + parts.map(p => (/^\{[^}]+\}$/.test(p) ? '[^/]+' : escapeRegex(p))).join('') + '$';
}

export function routes(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (item[m]) out.push({ method: m.toUpperCase(), path: p, regex: templateRegex(p) });
    }
  }
  return out;
}

function selfTest() {
  const assert = (c, what) => { if (!c) { console.error('self-test failed:', what); process.exit(1); } };
  assert(serverPath('https://api.xero.com/api.xro/2.0') === '/api.xro/2.0', 'server path');
  assert(serverPath('https://api.hubapi.com') === '', 'server without path');
  assert(serverPath('https://q.intuit.com/v3/company/{realmId}') === '/v3/company/{realmId}', 'server variable');
  const re = new RegExp(templateRegex("/A_SalesOrder('{SalesOrder}')"));
  assert(re.test("/A_SalesOrder('42')") && !re.test("/A_SalesOrder('42')/to_Item"), 'OData key template');
  assert(new RegExp(templateRegex('/$batch')).test('/$batch'), '$ in a template is literal');
  const a = { openapi: '3.0.1', servers: [{ url: 'https://h/v3/{realm}' }],
              paths: { '/x': { get: { responses: { 200: { $ref: '#/components/responses/R' } } } } },
              components: { responses: { R: { description: 'a' } } } };
  const b = { openapi: '3.0.1', servers: [{ url: 'https://h/v4' }],
              paths: { '/x': { post: {} } }, components: { responses: { R: { description: 'b' } } } };
  const m = merge([{ name: 'a.json', doc: a }, { name: 'b.json', doc: b }], true);
  assert(Object.keys(m.paths).join() === '/v3/{realm}/x,/v4/x', 'paths prefixed');
  assert(m.paths['/v3/{realm}/x'].parameters[0].name === 'realm', 'server variable declared');
  assert(m.paths['/v3/{realm}/x'].get.responses[200].$ref === '#/components/responses/a_json__R', 'ref renamed');
  assert(m.components.responses.b_json__R.description === 'b', 'components kept apart');
  const sec = { openapi: '3.0.1', paths: {}, components: { securitySchemes: { k: { type: 'apiKey' } } } };
  const ms = merge([{ name: 'a.json', doc: sec }, { name: 'b.json', doc: sec }], true);
  assert(Object.keys(ms.components.securitySchemes).join() === 'k', 'security schemes keep their names');
  assert(routes(m).map(r => r.method + ' ' + r.path).join() === 'GET /v3/{realm}/x,POST /v4/x', 'routes');
  const q = [{ name: 'q.json', doc: { components: { schemas: { QueryResponse: { required: ['startPosition', 'maxResults', 'x'] } } } } }];
  correct('quickbooks', [q[0], { name: 'e', doc: { components: { schemas: { Invoice: { required: ['Id'] } } } } }]);
  assert(q[0].doc.components.schemas.QueryResponse.required.join() === 'x', 'correction applied');
  let stale = false;
  try { correct('hubspot', [{ name: 'h', doc: { components: { schemas: {} } } }]); } catch (e) { stale = true; }
  assert(stale, 'a correction that changes nothing fails');
  console.log('prepare_specs self-test: ok');
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--self-test')) return selfTest();
  const opt = name => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const real = opt('--real'), vendor = opt('--vendor'), out = opt('--out');
  const modules = opt('--modules') || path.dirname(new URL(import.meta.url).pathname);
  if (!real || !vendor || !out || !VENDORS[vendor]) {
    console.error('usage: prepare_specs.mjs --real DIR --vendor hubspot|xero|quickbooks|sap --out DIR [--modules DIR (holding node_modules)]');
    process.exit(2);
  }
  const docs = VENDORS[vendor].map(f => ({ name: path.basename(f), doc: load(path.join(real, f), modules) }));
  const applied = correct(vendor, docs);
  const merged = merge(docs, docs.length > 1);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${vendor}.openapi.json`), JSON.stringify(merged));
  const r = routes(merged);
  fs.writeFileSync(path.join(out, `${vendor}.routes.json`), JSON.stringify(r, null, 1));
  console.log(`${vendor}: ${docs.length} file(s), ${r.length} operations`);
  for (const a of applied) console.log(`  corrected: ${a}`);
}

main();
