// Defines the crmx VS Code extension's entry point: activate() starts the crmx language server
// (`crmxc lsp`, over stdio) through vscode-languageclient for documents of language `crmx`,
// registers the command "crmx: Restart Language Server", and restarts the server when the
// `crmx.server.*` settings change. Everything the server offers (diagnostics, hover,
// completion, definition, document symbols, formatting, semantic tokens with the server's own
// legend) comes from its capabilities; this file only finds and starts the server.
// Plain CommonJS: no build step, VS Code loads this file as it is.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const CLIENT_ID = 'crmx';  // also the settings section: vscode-languageclient reads `crmx.trace.server`
const CLIENT_NAME = 'crmx Language Server';

// The running client, or undefined. One at a time; restart() replaces it.
let client;
let outputChannel;

function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// The executable that `configured` (the `crmx.server.path` setting) names, or undefined when
// there is none. A bare name (no path separator) is searched on PATH (with PATHEXT on
// Windows); `~/` is the home folder; a relative path is resolved against `baseDir` (the first
// workspace folder, or the current directory when there is none).
function resolveServerPath(configured, { env = process.env, platform = process.platform, baseDir } = {}) {
  let name = (configured || '').trim();
  if (name === '') name = 'crmxc';
  if (name === '~' || name.startsWith('~/') || name.startsWith('~\\')) {
    name = path.join(os.homedir(), name.slice(1));
  }
  const hasSeparator = name.includes('/') || (platform === 'win32' && name.includes('\\'));
  const extensions = platform === 'win32'
    ? [''].concat((env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean))
    : [''];
  if (hasSeparator || path.isAbsolute(name)) {
    const full = path.resolve(baseDir || process.cwd(), name);
    return extensions.map((ext) => full + ext).find(isExecutableFile);
  }
  const dirs = (env.PATH || env.Path || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function workspaceBaseDir() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 && folders[0].uri.scheme === 'file' ? folders[0].uri.fsPath : undefined;
}

async function showServerNotFound(configured) {
  const openSettings = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(
    `crmx: the language server executable \`${configured}\` was not found` +
      (configured.includes('/') || configured.includes('\\') ? '' : ' on PATH') +
      '. Install crmxc (it provides `crmxc lsp`) or set `crmx.server.path` to its full path, ' +
      'then run "crmx: Restart Language Server". Syntax highlighting works without it.',
    openSettings);
  if (choice === openSettings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'crmx.server');
  }
}

// Starts a client for the current settings. Resolves when it runs, or when it could not start
// (the user has been told why).
async function startClient() {
  const config = vscode.workspace.getConfiguration(CLIENT_ID);
  const configured = config.get('server.path', 'crmxc') || 'crmxc';
  const extraArgs = config.get('server.extraArgs', []);
  const command = resolveServerPath(configured, { baseDir: workspaceBaseDir() });
  if (!command) {
    outputChannel.error(`crmxc not found: crmx.server.path = ${JSON.stringify(configured)}, PATH = ${process.env.PATH || ''}`);
    // Not awaited: the notification stays until the user closes it, and activation must not
    // wait for that.
    showServerNotFound(configured).catch(() => {});
    return;
  }
  const args = ['lsp'].concat(Array.isArray(extraArgs) ? extraArgs.map(String) : []);
  outputChannel.info(`starting ${command} ${args.join(' ')}`);

  // Executable server options: vscode-languageclient talks to the child's stdin/stdout.
  const serverOptions = { command, args, options: { env: process.env, cwd: workspaceBaseDir() } };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'crmx' },
      { scheme: 'untitled', language: 'crmx' },
    ],
    outputChannel,
  };
  const candidate = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = candidate;
  try {
    await candidate.start();
  } catch (err) {
    if (client === candidate) client = undefined;
    const message = err && err.message ? err.message : String(err);
    outputChannel.error(`the language server did not start: ${message}`);
    vscode.window.showErrorMessage(
      `crmx: \`${command} lsp\` did not start: ${message}. ` +
        'Check that this crmxc has the `lsp` command (`crmxc lsp --help`) and see the "crmx Language Server" output.');
    try {
      await candidate.dispose();
    } catch {
      // The client never ran: nothing else to release.
    }
  }
}

async function stopClient() {
  const running = client;
  client = undefined;
  if (!running) return;
  try {
    await running.dispose(2000);
  } catch (err) {
    outputChannel.warn(`stopping the language server: ${err && err.message ? err.message : err}`);
  }
}

async function restart() {
  await stopClient();
  await startClient();
}

async function activate(context) {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  context.subscriptions.push(outputChannel);
  context.subscriptions.push(vscode.commands.registerCommand('crmx.restartServer', restart));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration('crmx.server')) restart();
  }));
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate, resolveServerPath };
