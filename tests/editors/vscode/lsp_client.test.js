// Defines the headless test of the crmx VS Code extension's language-client protocol (ctest
// editors_vscode_lsp_client): it spawns `crmxc lsp` as the extension does (editors/vscode/
// extension.js: `crmxc lsp` over stdio) and talks to it through vscode-jsonrpc, the JSON-RPC
// library under vscode-languageclient, pinned here at the version the extension's lock file
// holds. It opens spec/lsp_client.crmx (one mistake: `Nmae`, E0301) and checks, on real content:
// the capabilities, the diagnostic's code and range, hover on a field, completion inside a
// map, definition of a `ref`'s map and of a field, document symbols, semantic tokens decoded
// with the server's legend, formatting of a mangled layout back to the file's text, a
// didChange that fixes the mistake (diagnostics cleared), and shutdown/exit with status 0.
// Every step runs even when an earlier one fails; the failures are listed at the end.
//
//   node lsp_client.test.js --crmxc PATH --modules DIR [--extension-lock FILE]
//     DIR: the folder whose node_modules holds vscode-jsonrpc (npm ci of this folder's lock)
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${key}`);
    args[key.slice(2)] = argv[i + 1];
  }
  for (const needed of ['crmxc', 'modules']) {
    if (!args[needed]) throw new Error(`missing --${needed}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const modulesRequire = createRequire(path.join(path.resolve(args.modules), 'package.json'));
const rpc = modulesRequire('vscode-jsonrpc/node');

const STEP_TIMEOUT_MS = 20000;
const specPath = path.join(__dirname, 'spec', 'lsp_client.crmx');
const specText = fs.readFileSync(specPath, 'utf8');
const specUri = pathToFileURL(specPath).href;
const crmSchemaPath = path.join(__dirname, 'spec', 'schemas', 'crm.json');

const failures = [];
let stepsRun = 0;

async function step(name, body) {
  stepsRun += 1;
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures.push(name);
    console.log(`FAIL ${name}\n     ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    }),
  ]);
}

// The 0-based LSP position of the `nth` (0-based) occurrence of `needle` in `text`, plus
// `delta` characters. The fixture is ASCII, so UTF-16 units are bytes.
function positionOf(text, needle, { nth = 0, delta = 0 } = {}) {
  let offset = -1;
  for (let i = 0; i <= nth; i += 1) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`fixture has no occurrence ${nth} of ${JSON.stringify(needle)}`);
  }
  offset += delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

function offsetOf(text, pos) {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < pos.line; i += 1) offset += lines[i].length + 1;
  return offset + pos.character;
}

// Applies LSP TextEdits (non-overlapping, any order) to `text`.
function applyEdits(text, edits) {
  const sorted = edits
    .map((e) => ({ start: offsetOf(text, e.range.start), end: offsetOf(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

function hoverText(hover) {
  const c = hover.contents;
  const one = (x) => (typeof x === 'string' ? x : x.value);
  return Array.isArray(c) ? c.map(one).join('\n') : one(c);
}

function locations(result) {
  if (!result) return [];
  const list = Array.isArray(result) ? result : [result];
  // Location or LocationLink
  return list.map((l) => ({ uri: l.uri || l.targetUri, range: l.targetSelectionRange || l.range || l.targetRange }));
}

function flattenSymbols(symbols, out = [], parents = []) {
  for (const s of symbols || []) {
    out.push({ ...s, parents });
    flattenSymbols(s.children, out, parents.concat(s.name));
  }
  return out;
}

// Semantic tokens {data} -> [{line, character, length, type, modifiers}] with the legend.
function decodeTokens(data, legend) {
  const tokens = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    const [dLine, dChar, length, typeIndex, modBits] = data.slice(i, i + 5);
    line += dLine;
    character = dLine === 0 ? character + dChar : dChar;
    const modifiers = legend.tokenModifiers.filter((_, bit) => (modBits >> bit) & 1);
    tokens.push({ line, character, length, type: legend.tokenTypes[typeIndex], modifiers });
  }
  return tokens;
}

function tokenAt(tokens, pos) {
  return tokens.find((t) => t.line === pos.line && t.character <= pos.character && pos.character < t.character + t.length);
}

// Waits for publishDiagnostics of `uri`; `accept` filters (e.g. the version after a change).
function makeDiagnosticsQueue(connection) {
  const received = [];
  const waiters = [];
  connection.onNotification('textDocument/publishDiagnostics', (params) => {
    received.push(params);
    for (const w of waiters.splice(0)) w();
  });
  return async function next(uri, accept, what) {
    const find = () => {
      const i = received.findIndex((p) => p.uri === uri && accept(p));
      return i >= 0 ? received.splice(0, i + 1).pop() : undefined;
    };
    return withTimeout(new Promise((resolve) => {
      const check = () => {
        const hit = find();
        if (hit) resolve(hit);
        else waiters.push(check);
      };
      check();
    }), what);
  };
}

async function main() {
  // The extension resolves the same client library: its lock file and ours must agree.
  if (args['extension-lock']) {
    await step('vscode-jsonrpc is the version vscode-languageclient uses', async () => {
      const lock = JSON.parse(fs.readFileSync(args['extension-lock'], 'utf8'));
      const theirs = lock.packages['node_modules/vscode-jsonrpc'];
      assert.ok(theirs, 'editors/vscode/package-lock.json has no node_modules/vscode-jsonrpc');
      // Its `exports` hide package.json from require: read the file.
      const ours = JSON.parse(fs.readFileSync(
        path.join(path.resolve(args.modules), 'node_modules', 'vscode-jsonrpc', 'package.json'), 'utf8')).version;
      assert.strictEqual(ours, theirs.version);
    });
  }

  const server = childProcess.spawn(args.crmxc, ['lsp'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  server.on('error', (err) => console.log(`cannot start ${args.crmxc} lsp: ${err.message}`));

  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
  // Requests from the server (client/registerCapability, workspace/configuration, ...).
  connection.onRequest((method) => (method === 'workspace/configuration' ? [] : null));
  connection.onNotification('window/logMessage', () => {});
  const nextDiagnostics = makeDiagnosticsQueue(connection);
  connection.listen();

  const request = (method, params) =>
    withTimeout(params === undefined ? connection.sendRequest(method) : connection.sendRequest(method, params), method);
  let capabilities = {};
  let legend;

  await step('initialize: the capabilities the extension relies on', async () => {
    const result = await request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'crmx-vscode-headless-test', version: '1' },
      rootUri: pathToFileURL(path.dirname(specPath)).href,
      workspaceFolders: [{ uri: pathToFileURL(path.dirname(specPath)).href, name: 'spec' }],
      capabilities: {
        general: { positionEncodings: ['utf-16'] },
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          completion: { completionItem: { snippetSupport: false, documentationFormat: ['markdown', 'plaintext'] } },
          definition: { linkSupport: false },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          formatting: {},
          semanticTokens: {
            requests: { full: true },
            tokenTypes: ['namespace', 'type', 'class', 'enum', 'interface', 'struct', 'typeParameter', 'parameter',
              'variable', 'property', 'enumMember', 'event', 'function', 'method', 'macro', 'keyword', 'modifier',
              'comment', 'string', 'number', 'regexp', 'operator', 'decorator'],
            tokenModifiers: ['declaration', 'definition', 'readonly', 'static', 'deprecated', 'abstract', 'async',
              'modification', 'documentation', 'defaultLibrary'],
            formats: ['relative'],
          },
        },
      },
      trace: 'off',
    });
    capabilities = result.capabilities || {};
    const sync = capabilities.textDocumentSync;
    const change = typeof sync === 'object' ? sync.change : sync;
    assert.ok(change === 1 || change === 2, `textDocumentSync.change is ${JSON.stringify(change)}`);
    if (typeof sync === 'object') assert.strictEqual(sync.openClose, true, 'textDocumentSync.openClose');
    for (const provider of ['hoverProvider', 'definitionProvider', 'documentSymbolProvider', 'documentFormattingProvider']) {
      assert.ok(capabilities[provider], `${provider} is ${JSON.stringify(capabilities[provider])}`);
    }
    assert.ok(capabilities.completionProvider, 'completionProvider');
    const st = capabilities.semanticTokensProvider;
    assert.ok(st && st.full, `semanticTokensProvider.full: ${JSON.stringify(st)}`);
    legend = st.legend;
    assert.ok(Array.isArray(legend.tokenTypes) && legend.tokenTypes.includes('keyword'), 'legend has `keyword`');
    assert.ok(Array.isArray(legend.tokenModifiers), 'legend.tokenModifiers');
    assert.ok(result.serverInfo && /crmx/.test(result.serverInfo.name), `serverInfo: ${JSON.stringify(result.serverInfo)}`);
  });
  connection.sendNotification('initialized', {});

  connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri: specUri, languageId: 'crmx', version: 1, text: specText },
  });

  await step('didOpen: the mistake is published as E0301 on `Nmae`', async () => {
    const published = await nextDiagnostics(specUri, () => true, 'publishDiagnostics after didOpen');
    const errors = published.diagnostics.filter((d) => d.severity === 1);
    assert.strictEqual(errors.length, 1, `errors: ${JSON.stringify(published.diagnostics)}`);
    const d = errors[0];
    assert.strictEqual(d.code, 'E0301');
    const start = positionOf(specText, 'Nmae.trim()');
    assert.deepStrictEqual(d.range, { start, end: { line: start.line, character: start.character + 4 } },
      `range ${JSON.stringify(d.range)}`);
    assert.match(d.message, /`Nmae` is not a field of `Account`/);
    assert.match(String(d.source), /^crmx/, 'diagnostic source');
    // VS Code shows the code as a link to its error-index page when the server gives one.
    if (d.codeDescription) assert.match(d.codeDescription.href, /E0301\.md$/);
    if (published.version !== undefined && published.version !== null) assert.strictEqual(published.version, 1);
  });

  await step('hover on a field: its type, nullability and object', async () => {
    const position = positionOf(specText, 'BillingCountry', { delta: 3 });
    const hover = await request('textDocument/hover', { textDocument: { uri: specUri }, position });
    assert.ok(hover, 'hover is null');
    const text = hoverText(hover);
    assert.match(text, /BillingCountry/);
    assert.match(text, /string/);
    assert.match(text, /Account/);
    assert.match(text, /null/i, `hover does not say the field is nullable: ${text}`);
    if (hover.range) {
      const start = positionOf(specText, 'BillingCountry');
      assert.deepStrictEqual(hover.range, { start, end: { line: start.line, character: start.character + 14 } });
    }
  });

  await step('hover on a picklist field lists its values', async () => {
    const position = positionOf(specText, 'Tier__c', { delta: 1 });
    const hover = await request('textDocument/hover', { textDocument: { uri: specUri }, position });
    assert.ok(hover, 'hover is null');
    const text = hoverText(hover);
    for (const value of ['Gold', 'Silver', 'Bronze']) assert.ok(text.includes(value), `no ${value} in: ${text}`);
  });

  await step('completion inside a map: the source object\'s fields, tables and functions', async () => {
    // Right after `subsidiary_by_country[`: an expression of the map from crm.Account.
    const position = positionOf(specText, 'BillingCountry');
    const list = await request('textDocument/completion', { textDocument: { uri: specUri }, position });
    const items = Array.isArray(list) ? list : list.items;
    const labels = items.map((i) => i.label);
    for (const field of ['BillingCountry', 'Name', 'Tier__c', 'Subsidiary__c']) {
      assert.ok(labels.includes(field), `no ${field} among ${labels.length} items: ${labels.slice(0, 40).join(' ')}`);
    }
    // Fields of the target (erp.Customer) are not readable in an expression of the map.
    assert.ok(!labels.includes('companyName'), 'target field `companyName` offered as a source field');
    assert.ok(labels.includes('subsidiary_by_country'), 'the table is not offered');
    assert.ok(labels.includes('trim'), 'the function `trim` (std.text) is not offered');
    const billing = items.find((i) => i.label === 'BillingCountry');
    assert.strictEqual(billing.kind, 5, `BillingCountry kind ${billing.kind} is not Field (5)`);
  });

  await step('completion of a target field at the start of an assignment', async () => {
    const position = positionOf(specText, 'terms       =');
    const list = await request('textDocument/completion', { textDocument: { uri: specUri }, position });
    const labels = (Array.isArray(list) ? list : list.items).map((i) => i.label);
    for (const field of ['terms', 'phone', 'comments']) {
      assert.ok(labels.includes(field), `no target field ${field} among: ${labels.slice(0, 40).join(' ')}`);
    }
  });

  await step('definition of a `ref`\'s map: the map declaration', async () => {
    const position = positionOf(specText, 'ref(account_to_customer', { delta: 6 });
    const result = await request('textDocument/definition', { textDocument: { uri: specUri }, position });
    const locs = locations(result);
    assert.strictEqual(locs.length, 1, `definition: ${JSON.stringify(result)}`);
    assert.strictEqual(locs[0].uri, specUri);
    const declared = positionOf(specText, 'map account_to_customer');
    assert.strictEqual(locs[0].range.start.line, declared.line, `definition at ${JSON.stringify(locs[0].range)}`);
  });

  await step('definition of a field: its schema file', async () => {
    const position = positionOf(specText, 'AccountId', { delta: 2 });
    const result = await request('textDocument/definition', { textDocument: { uri: specUri }, position });
    const locs = locations(result);
    assert.ok(locs.length >= 1, `definition: ${JSON.stringify(result)}`);
    assert.strictEqual(locs[0].uri, pathToFileURL(crmSchemaPath).href);
    const schemaText = fs.readFileSync(crmSchemaPath, 'utf8');
    const fieldLine = positionOf(schemaText, '"name": "AccountId"').line;
    assert.strictEqual(locs[0].range.start.line, fieldLine, `definition at ${JSON.stringify(locs[0].range)}`);
  });

  await step('documentSymbol: the integration and its systems, table, maps and syncs', async () => {
    const symbols = await request('textDocument/documentSymbol', { textDocument: { uri: specUri } });
    assert.ok(Array.isArray(symbols) && symbols.length > 0, `symbols: ${JSON.stringify(symbols)}`);
    assert.ok(symbols[0].range && symbols[0].selectionRange, 'not hierarchical DocumentSymbols');
    const all = flattenSymbols(symbols);
    // A symbol's name may carry more than the declared name (`account_to_customer: crm.Account -> ...`).
    const byName = (name) => all.find((s) => new RegExp(`(^|[^\\w.])${name}($|[^\\w.])`).test(s.name));
    const integration = byName('vscode_client');
    assert.ok(integration, `no integration symbol among ${all.map((s) => s.name).join(', ')}`);
    for (const name of ['crm', 'erp', 'subsidiary_by_country', 'account_to_customer', 'won_to_order']) {
      const s = byName(name);
      assert.ok(s, `no symbol ${name} among ${all.map((x) => x.name).join(', ')}`);
      assert.ok(s.parents.length >= 1, `${name} is not inside the integration`);
    }
    const map = byName('account_to_customer');
    const mapLine = positionOf(specText, 'map account_to_customer').line;
    const endLine = positionOf(specText, 'map won_to_order').line - 1;
    assert.strictEqual(map.range.start.line, mapLine);
    assert.strictEqual(map.range.end.line, endLine, `map range ${JSON.stringify(map.range)}`);
  });

  await step('semanticTokens/full: keywords, strings, comments decoded with the server\'s legend', async () => {
    assert.ok(legend, 'no legend (initialize failed)');
    const result = await request('textDocument/semanticTokens/full', { textDocument: { uri: specUri } });
    assert.ok(result && Array.isArray(result.data), `result: ${JSON.stringify(result)}`);
    assert.ok(result.data.length > 0 && result.data.length % 5 === 0, `data length ${result.data.length}`);
    const tokens = decodeTokens(result.data, legend);
    for (const t of tokens) assert.ok(t.type, `token type index out of the legend at ${t.line}:${t.character}`);
    const typeAt = (needle, opts) => {
      const t = tokenAt(tokens, positionOf(specText, needle, opts));
      return t ? t.type : '(no token)';
    };
    assert.strictEqual(typeAt('integration vscode_client'), 'keyword');
    assert.strictEqual(typeAt('map account_to_customer'), 'keyword');
    assert.strictEqual(typeAt('"schemas/crm.json"'), 'string');
    assert.strictEqual(typeAt('// The spec'), 'comment');
    assert.strictEqual(typeAt('1h'), 'number');
    // Tokens come in order and do not overlap.
    for (let i = 1; i < tokens.length; i += 1) {
      const a = tokens[i - 1];
      const b = tokens[i];
      assert.ok(b.line > a.line || b.character >= a.character + a.length, `tokens overlap at ${b.line}:${b.character}`);
    }
  });

  // A mangled layout (the aligned `=` collapsed, indentation changed) formats back to the file.
  const mangled = specText.replace(/ +=/g, ' =').replace(/\n {4}/g, '\n      ');
  await step('formatting: the mangled layout formats back to the formatted file', async () => {
    assert.notStrictEqual(mangled, specText, 'the fixture is not aligned: nothing to mangle');
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: specUri, version: 2 },
      contentChanges: [{ text: mangled }],
    });
    await nextDiagnostics(specUri, (p) => p.version === undefined || p.version === null || p.version === 2,
      'publishDiagnostics after the mangling didChange');
    const edits = await request('textDocument/formatting', {
      textDocument: { uri: specUri },
      options: { tabSize: 2, insertSpaces: true },
    });
    assert.ok(Array.isArray(edits) && edits.length > 0, `edits: ${JSON.stringify(edits)}`);
    assert.strictEqual(applyEdits(mangled, edits), specText);
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: specUri, version: 3 },
      contentChanges: [{ text: specText }],
    });
    await nextDiagnostics(specUri, (p) => p.version === undefined || p.version === null || p.version === 3,
      'publishDiagnostics after the restoring didChange');
    const none = await request('textDocument/formatting', {
      textDocument: { uri: specUri },
      options: { tabSize: 2, insertSpaces: true },
    });
    assert.ok(Array.isArray(none), `formatting of a formatted document: ${JSON.stringify(none)}`);
    assert.strictEqual(applyEdits(specText, none), specText);
  });

  await step('didChange that fixes the mistake clears the diagnostics', async () => {
    const fixed = specText.replace('Nmae.trim()', 'Name.trim()');
    assert.notStrictEqual(fixed, specText);
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: specUri, version: 4 },
      contentChanges: [{ text: fixed }],
    });
    const published = await nextDiagnostics(specUri,
      (p) => p.version === undefined || p.version === null || p.version === 4, 'publishDiagnostics after the fix');
    assert.deepStrictEqual(published.diagnostics, []);
  });

  await step('shutdown and exit: status 0', async () => {
    const result = await request('shutdown', undefined);
    assert.strictEqual(result, null);
    connection.sendNotification('exit');
    const { code, signal } = await withTimeout(exited, 'the server exiting after `exit`');
    assert.strictEqual(signal, null, `killed by ${signal}`);
    assert.strictEqual(code, 0);
  });

  connection.dispose();
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  if (stderr.trim() !== '') console.log(`--- crmxc lsp stderr ---\n${stderr.trimEnd()}`);
  console.log(`${stepsRun - failures.length}/${stepsRun} steps passed`);
  if (failures.length > 0) {
    console.log(`failed: ${failures.join('; ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
