// Defines the test of the crmx VS Code extension's entry point without VS Code (ctest
// editors_vscode_activate, and editors_vscode_package on the unpacked .vsix): extension.js is
// loaded with a stub `vscode` module and a stub LanguageClient that records what it is given,
// and activate() must start `crmxc lsp` with the right command and arguments for documents of
// language crmx, find crmxc on PATH, from an absolute path or relative to the workspace, say
// clearly when it is not found or does not start, restart on the command and on a settings
// change, and stop on deactivate(). The manifest (package.json) must declare what
// extension.js uses. When the extension folder has node_modules (the unpacked .vsix), the real
// vscode-languageclient/node is also loaded from it (with the stub `vscode`).
//
//   node activate.test.js EXTENSION_DIR CRMXC
'use strict';

const assert = require('assert');
const fs = require('fs');
const Module = require('module');
const os = require('os');
const path = require('path');

const [extDirArg, crmxcArg] = process.argv.slice(2);
if (!extDirArg || !crmxcArg) {
  console.error('usage: node activate.test.js EXTENSION_DIR CRMXC');
  process.exit(2);
}
const extDir = path.resolve(extDirArg);
const crmxc = path.resolve(crmxcArg);
const manifest = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8'));
const mainFile = path.resolve(extDir, manifest.main || '');

// ---------------------------------------------------------------------------------- stubs
const STUB_VSCODE = path.join(os.tmpdir(), 'crmx-stub-vscode.js');
const STUB_CLIENT = path.join(os.tmpdir(), 'crmx-stub-vscode-languageclient-node.js');
let useStubClient = true;
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, parent, ...rest) {
  if (request === 'vscode') return STUB_VSCODE;
  if (request === 'vscode-languageclient/node' && useStubClient) return STUB_CLIENT;
  return originalResolve.call(this, request, parent, ...rest);
};
function installModule(filename, exports) {
  const m = new Module(filename);
  m.filename = filename;
  m.exports = exports;
  m.loaded = true;
  require.cache[filename] = m;
}

// Temporary folders made by the cases, removed at the end.
const tempDirs = [];
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

// The world one scenario sees; reset by freshWorld().
let world;
function freshWorld(settings = {}) {
  world = {
    settings: { 'server.path': 'crmxc', 'server.extraArgs': [], 'trace.server': 'off', ...settings },
    commands: new Map(),
    configListeners: [],
    errors: [],
    executed: [],
    logs: [],
    clients: [],
    startFails: false,
    workspaceDir: tempDir('crmx-ws-'),
  };
  return world;
}

const vscodeStub = {
  workspace: {
    getConfiguration(section) {
      assert.strictEqual(section, 'crmx', `getConfiguration(${section})`);
      return { get: (key, dflt) => (key in world.settings ? world.settings[key] : dflt) };
    },
    get workspaceFolders() {
      return [{ uri: { scheme: 'file', fsPath: world.workspaceDir }, name: 'ws', index: 0 }];
    },
    onDidChangeConfiguration(listener) {
      world.configListeners.push(listener);
      return { dispose() {} };
    },
  },
  window: {
    createOutputChannel(name, options) {
      assert.ok(options && options.log, 'the output channel is not a log channel');
      const log = (level) => (msg) => world.logs.push(`${level} ${msg}`);
      return { name, info: log('info'), warn: log('warn'), error: log('error'), trace: log('trace'),
        debug: log('debug'), appendLine: log('line'), dispose() {} };
    },
    showErrorMessage(message, ...items) {
      world.errors.push({ message, items });
      return Promise.resolve(undefined);
    },
  },
  commands: {
    registerCommand(id, fn) {
      assert.ok(!world.commands.has(id), `${id} registered twice`);
      world.commands.set(id, fn);
      return { dispose() { world.commands.delete(id); } };
    },
    executeCommand(...a) {
      world.executed.push(a);
      return Promise.resolve();
    },
  },
};
installModule(STUB_VSCODE, vscodeStub);

class StubLanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, disposed: false });
    world.clients.push(this);
  }
  start() {
    this.started = true;
    return world.startFails ? Promise.reject(new Error('spawn EACCES')) : Promise.resolve();
  }
  dispose() {
    this.disposed = true;
    return Promise.resolve();
  }
  stop() {
    return this.dispose();
  }
}
installModule(STUB_CLIENT, { LanguageClient: StubLanguageClient });

function loadExtension() {
  delete require.cache[mainFile];
  return require(mainFile);
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

// A folder with an executable `crmxc` (a shell script; never run by these tests).
function fakeCrmxcDir() {
  const dir = tempDir('crmx-bin-');
  const file = path.join(dir, 'crmxc');
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(file, 0o755);
  return { dir, file };
}

// ---------------------------------------------------------------------------------- cases
const failures = [];
let run = 0;
async function test(name, body) {
  run += 1;
  const savedPath = process.env.PATH;
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures.push(name);
    console.log(`FAIL ${name}\n     ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 5).join('\n     ')}`);
  } finally {
    process.env.PATH = savedPath;
  }
}

function context() {
  return { subscriptions: [], extensionPath: extDir };
}

function assertClient(client, command, args) {
  assert.strictEqual(client.id, 'crmx', 'client id (it names the `crmx.trace.server` setting)');
  assert.strictEqual(client.serverOptions.command, command);
  assert.deepStrictEqual(client.serverOptions.args, args);
  assert.ok(!client.serverOptions.transport || client.serverOptions.transport === 0, 'transport is not stdio');
  const languages = client.clientOptions.documentSelector.map((s) => (typeof s === 'string' ? s : s.language));
  assert.ok(languages.length > 0 && languages.every((l) => l === 'crmx'), `documentSelector ${JSON.stringify(client.clientOptions.documentSelector)}`);
  assert.ok(client.started, 'the client was not started');
}

async function main() {
  await test('package.json declares main, activation, command and settings', async () => {
    assert.ok(fs.existsSync(mainFile), `main ${manifest.main} does not exist`);
    assert.deepStrictEqual(manifest.activationEvents, ['onLanguage:crmx']);
    const commands = manifest.contributes.commands.map((c) => c.command);
    assert.deepStrictEqual(commands, ['crmx.restartServer']);
    const restart = manifest.contributes.commands[0];
    assert.strictEqual(`${restart.category}: ${restart.title}`, 'crmx: Restart Language Server');
    const props = manifest.contributes.configuration.properties;
    assert.strictEqual(props['crmx.server.path'].default, 'crmxc');
    assert.deepStrictEqual(props['crmx.server.extraArgs'].default, []);
    assert.deepStrictEqual(props['crmx.trace.server'].enum, ['off', 'messages', 'verbose']);
    assert.strictEqual(manifest.contributes.languages[0].id, 'crmx');
    assert.strictEqual(manifest.contributes.grammars[0].scopeName, 'source.crmx');
    assert.ok(fs.existsSync(path.join(extDir, manifest.contributes.grammars[0].path)), 'grammar file missing');
    assert.ok(fs.existsSync(path.join(extDir, manifest.contributes.languages[0].configuration)), 'language configuration missing');
    // The pinned client's own engines.vscode is the extension's.
    const exact = /^\d+\.\d+\.\d+$/;
    assert.match(manifest.dependencies['vscode-languageclient'], exact, 'vscode-languageclient is not pinned');
    for (const v of Object.values(manifest.devDependencies || {})) assert.match(v, exact, 'devDependency not pinned');
    const lockFile = path.join(extDir, 'package-lock.json');
    const clientPackage = path.join(extDir, 'node_modules', 'vscode-languageclient', 'package.json');
    const clientEngines = fs.existsSync(clientPackage)
      ? JSON.parse(fs.readFileSync(clientPackage, 'utf8')).engines
      : JSON.parse(fs.readFileSync(lockFile, 'utf8')).packages['node_modules/vscode-languageclient'].engines;
    assert.strictEqual(manifest.engines.vscode, clientEngines.vscode, 'engines.vscode differs from vscode-languageclient\'s');
  });

  await test('activate() starts `crmxc lsp` found on PATH for crmx documents', async () => {
    const fake = fakeCrmxcDir();
    process.env.PATH = [tempDir('crmx-empty-'), fake.dir].join(path.delimiter);
    freshWorld();
    const ext = loadExtension();
    const ctx = context();
    await ext.activate(ctx);
    assert.strictEqual(world.errors.length, 0, JSON.stringify(world.errors));
    assert.strictEqual(world.clients.length, 1);
    assertClient(world.clients[0], fake.file, ['lsp']);
    assert.ok(world.commands.has('crmx.restartServer'), 'restart command not registered');
    assert.ok(ctx.subscriptions.length >= 3, `${ctx.subscriptions.length} subscriptions`);
    await ext.deactivate();
    assert.ok(world.clients[0].disposed, 'deactivate() did not stop the client');
  });

  await test('crmx.server.path (absolute) and crmx.server.extraArgs', async () => {
    freshWorld({ 'server.path': crmxc, 'server.extraArgs': ['--log-file', '/tmp/x.log'] });
    const ext = loadExtension();
    await ext.activate(context());
    assert.strictEqual(world.clients.length, 1, JSON.stringify(world.errors));
    assertClient(world.clients[0], crmxc, ['lsp', '--log-file', '/tmp/x.log']);
    await ext.deactivate();
  });

  await test('a relative crmx.server.path is resolved against the workspace folder', async () => {
    freshWorld({ 'server.path': './tools/crmxc' });
    fs.mkdirSync(path.join(world.workspaceDir, 'tools'));
    const file = path.join(world.workspaceDir, 'tools', 'crmxc');
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, 0o755);
    const ext = loadExtension();
    await ext.activate(context());
    assert.strictEqual(world.clients.length, 1, JSON.stringify(world.errors));
    assertClient(world.clients[0], file, ['lsp']);
    await ext.deactivate();
  });

  await test('crmxc not found: a clear error, no client', async () => {
    process.env.PATH = tempDir('crmx-empty-');
    freshWorld();
    const ext = loadExtension();
    await ext.activate(context());
    assert.strictEqual(world.clients.length, 0);
    assert.strictEqual(world.errors.length, 1);
    const { message, items } = world.errors[0];
    assert.match(message, /`crmxc` was not found on PATH/);
    assert.match(message, /crmx\.server\.path/);
    assert.deepStrictEqual(items, ['Open Settings']);
    assert.ok(world.commands.has('crmx.restartServer'), 'the restart command must exist even without a server');
    await ext.deactivate();
  });

  await test('a configured path that is not executable is not found', async () => {
    freshWorld({ 'server.path': path.join(os.tmpdir(), 'no-such-dir', 'crmxc') });
    const ext = loadExtension();
    await ext.activate(context());
    assert.strictEqual(world.clients.length, 0);
    assert.match(world.errors[0].message, /no-such-dir\/crmxc` was not found\./);
    await ext.deactivate();
  });

  await test('a server that does not start: the error says so', async () => {
    freshWorld({ 'server.path': crmxc });
    world.startFails = true;
    const ext = loadExtension();
    await ext.activate(context());
    assert.strictEqual(world.clients.length, 1);
    assert.ok(world.clients[0].disposed, 'the failed client was not disposed');
    assert.strictEqual(world.errors.length, 1);
    assert.match(world.errors[0].message, /did not start: spawn EACCES/);
    await ext.deactivate();
  });

  await test('"crmx: Restart Language Server" replaces the client; settings changes restart it', async () => {
    freshWorld({ 'server.path': crmxc });
    const ext = loadExtension();
    await ext.activate(context());
    await world.commands.get('crmx.restartServer')();
    assert.strictEqual(world.clients.length, 2);
    assert.ok(world.clients[0].disposed && !world.clients[1].disposed);
    assertClient(world.clients[1], crmxc, ['lsp']);

    world.settings['server.extraArgs'] = ['--verbose'];
    const event = (section) => ({ affectsConfiguration: (s) => s === section || section.startsWith(`${s}.`) });
    world.configListeners.forEach((l) => l(event('crmx.server.extraArgs')));
    await flush();
    assert.strictEqual(world.clients.length, 3, 'a crmx.server change did not restart');
    assertClient(world.clients[2], crmxc, ['lsp', '--verbose']);
    world.configListeners.forEach((l) => l(event('editor.fontSize')));
    await flush();
    assert.strictEqual(world.clients.length, 3, 'an unrelated change restarted the server');
    await ext.deactivate();
    assert.ok(world.clients[2].disposed);
  });

  await test('resolveServerPath: ~ and PATH', async () => {
    const ext = loadExtension();
    const fake = fakeCrmxcDir();
    assert.strictEqual(ext.resolveServerPath('crmxc', { env: { PATH: fake.dir } }), fake.file);
    assert.strictEqual(ext.resolveServerPath('', { env: { PATH: fake.dir } }), fake.file);
    assert.strictEqual(ext.resolveServerPath('crmxc', { env: { PATH: '' } }), undefined);
    assert.strictEqual(ext.resolveServerPath(fake.file, { env: { PATH: '' } }), fake.file);
    const home = os.homedir();
    if (fake.file.startsWith(`${home}/`)) {
      assert.strictEqual(ext.resolveServerPath(`~${fake.file.slice(home.length)}`, { env: {} }), fake.file);
    }
    assert.strictEqual(ext.resolveServerPath('~/surely-not-here/crmxc', { env: {} }), undefined);
  });

  const packagedClient = path.join(extDir, 'node_modules', 'vscode-languageclient');
  if (fs.existsSync(packagedClient)) {
    await test('the packaged vscode-languageclient/node loads (stub vscode)', async () => {
      useStubClient = false;
      // The real client reads many vscode members at load time: every missing one is a class.
      const permissive = new Proxy(vscodeStub, {
        get: (target, key) => (key in target ? target[key] : key === '__esModule' ? true : class {}),
      });
      installModule(STUB_VSCODE, permissive);
      const lc = require(require.resolve('vscode-languageclient/node', { paths: [extDir] }));
      assert.strictEqual(typeof lc.LanguageClient, 'function');
      assert.ok(require.resolve('vscode-languageclient/node', { paths: [extDir] }).startsWith(packagedClient));
    });
  }

  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${run - failures.length}/${run} passed`);
  if (failures.length > 0) {
    console.log(`failed: ${failures.join('; ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
