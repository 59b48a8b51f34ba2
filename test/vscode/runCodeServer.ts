// Runs the extension in a real VS Code, offline: the VS Code server (from the cached code-server
// package) hosts the extension in its Node extension host, headless Chromium opens the workbench,
// and the workbench runs the extension-host suite (suite/index.js), reporting its exit code through
// `codeAutomationExit`. The suite asks for screenshots by writing `<name>.request` files; this
// launcher takes them with the browser (test-results/<name>.png) and answers `<name>.done`.
//
//   node out/test/vscode/runCodeServer.js                 the suite; exits with its code
//   node out/test/vscode/runCodeServer.js --interactive [folder] [--port N]
//       `npm start [-- folder]`: an editor to open in a browser (port 7431 when free), on the folder
//       or else on a fresh fixture; Ctrl-C stops it
//
// runInVsCode runs any tests module this way, in the fixture or in a folder without
// flightdeck.yaml: the activation benchmark (bench/hostActivation.ts) runs its probe through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  createRunDirs,
  ENV,
  readSuiteResults,
  removeRunDirs,
  reportSuiteResults,
  REPO_ROOT,
  stopPlatform,
  SUITE_ENTRY,
  TEST_RESULTS,
  writeEditorSettings,
  type RunDirs,
  type SuiteResults,
  type WorkspaceKind,
} from './fixture';
import { cacheDir, cachedVsCodeServer, ensureVsCodeServer } from './installVsCodeServer';

const HOST = '127.0.0.1';
export const CHROMIUM = process.env.FLIGHTDECK_CHROMIUM || '/usr/bin/chromium';
const SUITE_TIMEOUT_MS = Number(process.env.FLIGHTDECK_VSCODE_TIMEOUT_MS) || 6 * 60_000;
const SERVER_START_TIMEOUT_MS = 60_000;
const INTERACTIVE_PORT = 7431;
const OUTPUT_TAIL_CHARS = 64 * 1024;

interface Options {
  interactive: boolean;
  /** The folder to open in interactive mode; the fixture when absent. */
  folder?: string;
  port?: number;
}

export interface Editor {
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** The workbench URL for a folder, with the extension (and optionally the suite) loaded. */
  url(folder: string, suite?: string): string;
  /** Server output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** An extension-tests module to run in a fresh headless VS Code, and where. */
export interface HostRun {
  /** The compiled module the extension host loads as extensionTestsPath (`run(): Promise<void>`). */
  testsPath: string;
  workspace: WorkspaceKind;
  /** Bound on the module's run, from page load to its verdict. */
  timeoutMs: number;
  /** The VS Code server's port; a free one when absent. */
  port?: number;
  /** Progress lines (the VS Code server's cache, run times). */
  log: (line: string) => void;
  /** A VSIX to install into the editor's extensions folder first (`--install-extension`), as a user would. */
  installVsix?: string;
  /** The extension under development; the repository when absent (then the VSIX, if any, is not what runs). */
  developmentPath?: string;
}

/** How a run ended, and what the module wrote to $FLIGHTDECK_TEST_RESULTS. */
export interface HostRunOutcome {
  /** VS Code's exit code for the module's run() (0: it resolved), or why none came. */
  end: { code: number } | { unfinished: string };
  /** The module's results file, parsed; undefined when it wrote none. */
  results: unknown;
  /** The last lines of the workbench console (extension host included), for failure messages. */
  consoleTail: string;
  /** The last lines of the VS Code server's output, for failure messages. */
  serverOutputTail: string;
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { interactive: { type: 'boolean', default: false }, port: { type: 'string' } },
    allowPositionals: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`--port must be a port number (1–65535), got "${values.port}"`);
  }
  if (positionals.length > 1) throw new Error(`give at most one folder to open, got: ${positionals.join(' ')}`);
  // `npm start -- <folder>` runs in the package root; resolve against where the user typed it.
  const folder = positionals[0] === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]);
  if (folder !== undefined && !existsSync(folder)) throw new Error(`the folder to open does not exist: ${folder}`);
  if (folder !== undefined && !values.interactive) throw new Error('a folder can only be given with --interactive');
  return { interactive: values.interactive ?? false, folder, port };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.interactive) return openInteractively(options);
  const started = Date.now();
  const outcome = await runInVsCode({ testsPath: SUITE_ENTRY, workspace: 'fixture', timeoutMs: SUITE_TIMEOUT_MS, port: options.port, log: console.log });
  const code = reportSuite(outcome);
  console.log(`VS Code run finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

/**
 * Runs an extension-tests module in a fresh VS Code (server, workbench in headless Chromium) on
 * fresh run dirs, and stops and removes all of it after, the platform the extension started too.
 * Ctrl-C / SIGTERM end the run early (the outcome says so) so that clean-up still happens.
 */
export async function runInVsCode(run: HostRun): Promise<HostRunOutcome> {
  const signals = stopSignals();
  try {
    return await withEditor({ workspace: run.workspace, port: run.port, log: run.log, installVsix: run.installVsix }, (editor, dirs) =>
      driveWorkbench(editor, dirs, run, signals.stopping),
    );
  } finally {
    signals.dispose();
  }
}

/** Why a headless run cannot start on this machine without installing something; undefined when it can. */
export function missingForHeadlessRun(): string | undefined {
  if (!existsSync(CHROMIUM)) return chromiumMissing();
  if (!cachedVsCodeServer()) return `the VS Code server is not in ${cacheDir()} yet: node out/test/vscode/installVsCodeServer.js installs it`;
  return undefined;
}

function chromiumMissing(): string {
  return `${CHROMIUM} is missing: install Chromium (apt-get install -y chromium) or point FLIGHTDECK_CHROMIUM at one`;
}

async function openInteractively(options: Options): Promise<number> {
  const signals = stopSignals();
  const port = options.port ?? (await freePort(INTERACTIVE_PORT));
  // With the user's own folder, the extension uses the user's own platform state as it would in
  // their editor; only the fixture gets a throw-away FLIGHTDECK_HOME.
  const setup = { workspace: 'fixture' as const, port, usersHome: options.folder !== undefined, log: console.log };
  return withEditor(setup, (editor, dirs) => serveInteractively(editor, options.folder ?? dirs.workspace, signals.stopping));
}

export interface EditorSetup {
  workspace: WorkspaceKind;
  port?: number;
  installVsix?: string;
  /** Leave FLIGHTDECK_HOME as the user has it (their own folder) instead of the run's fresh one. */
  usersHome?: boolean;
  log: (line: string) => void;
}

/** A VS Code server on fresh run dirs for `body`; then stops it and the fresh home's platform, and removes the dirs. */
export async function withEditor<T>(setup: EditorSetup, body: (editor: Editor, dirs: RunDirs) => Promise<T>): Promise<T> {
  const server = await ensureVsCodeServer(setup.log);
  setup.log(
    `VS Code server ${server.installed ? 'installed' : 'from cache'} (${(server.elapsedMs / 1000).toFixed(1)} s): ${server.vscodeDir}`,
  );
  const dirs = createRunDirs(setup.workspace);
  const home = setup.usersHome ? process.env[ENV.home] : dirs.home;
  let editor: Editor | undefined;
  try {
    if (setup.installVsix) await installExtension(server.vscodeDir, dirs, setup.installVsix);
    editor = await startEditor(server.vscodeDir, dirs, home, setup.port ?? (await freePort()));
    return await body(editor, dirs);
  } finally {
    await editor?.stop();
    if (home === dirs.home) await stopPlatform(dirs.home);
    removeRunDirs(dirs);
  }
}

/**
 * Resolves with the signal's name on the first Ctrl-C / SIGTERM, so clean-up runs instead of dying;
 * a second one, or any after `dispose`, has its usual effect.
 */
function stopSignals(): { stopping: Promise<string>; dispose(): void } {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const dispose = () => signals.forEach((signal) => process.off(signal, onSignal));
  const stopping = new Promise<string>((resolve) => {
    onSignal = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  signals.forEach((signal) => process.on(signal, onSignal));
  return { stopping, dispose };
}

/** The VS Code server's own `--install-extension`, into the run's extensions folder; it exits when done. */
async function installExtension(vscodeDir: string, dirs: RunDirs, vsix: string): Promise<void> {
  const args = [join(vscodeDir, 'out', 'server-main.js'), '--accept-server-license-terms', ...editorDirArgs(dirs), '--install-extension', vsix];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !/successfully installed/.test(output)) throw new Error(`installing ${vsix} failed (exit ${code}):\n${lastLines(output, 20)}`);
}

function editorDirArgs(dirs: RunDirs): string[] {
  return [
    '--user-data-dir', join(dirs.editor, 'user-data'),
    '--server-data-dir', join(dirs.editor, 'server-data'),
    '--extensions-dir', join(dirs.editor, 'extensions'),
  ];
}

async function startEditor(vscodeDir: string, dirs: RunDirs, home: string | undefined, port: number): Promise<Editor> {
  const userData = join(dirs.editor, 'user-data');
  writeEditorSettings([join(userData, 'User'), join(userData, 'Machine')], home === dirs.home ? home : undefined);
  const args = [
    join(vscodeDir, 'out', 'server-main.js'),
    '--host', HOST,
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--disable-workspace-trust',
    '--disable-telemetry',
    ...editorDirArgs(dirs),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, [ENV.screenshots]: dirs.screenshots, [ENV.results]: dirs.results };
  if (home) env[ENV.home] = home;
  // Its own process group: the server starts an extension host, a pty host and file watchers.
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Only the tail is kept: an interactive session can run for hours.
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const base = `http://${HOST}:${port}`;
  try {
    await waitForServer(base, child, () => output);
  } catch (error) {
    await stopProcessGroup(child);
    throw error;
  }
  return {
    port,
    base,
    url: (folder, suite) => workbenchUrl(base, port, folder, suite),
    output: () => output,
    stop: () => stopProcessGroup(child),
  };
}

function workbenchUrl(base: string, port: number, folder: string, suite?: string, developmentPath = REPO_ROOT): string {
  const remote = (path: string) => `vscode-remote://${HOST}:${port}${path}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(developmentPath)]];
  if (suite) payload.push(['extensionTestsPath', remote(suite)]);
  return `${base}/?${new URLSearchParams({ folder, payload: JSON.stringify(payload) })}`;
}

async function waitForServer(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the VS Code server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${base}/version`);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the VS Code server did not answer on ${base} within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output()}`);
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  if ((await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) === false) kill('SIGKILL');
  await exited;
}

/** `preferred` when it is free (a stable URL for `npm start`), else any free loopback port. */
export function freePort(preferred = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      preferred && error.code === 'EADDRINUSE' ? resolve(freePort()) : reject(error),
    );
    server.listen(preferred, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function serveInteractively(editor: Editor, folder: string, stopping: Promise<string>): Promise<number> {
  console.log(`\nFlightdeck in VS Code (running from ${REPO_ROOT}), folder ${folder}`);
  console.log(`Open in a browser:\n\n  ${editor.url(folder)}\n`);
  console.log(`(From another machine, forward the port first: ssh -L ${editor.port}:${HOST}:${editor.port} …)`);
  console.log('Press Ctrl-C to stop.');
  console.log(`Stopping on ${await stopping}.`);
  return 0;
}

/** Opens the workbench on the run's folder with its tests module, and waits for the module's verdict. */
async function driveWorkbench(editor: Editor, dirs: RunDirs, run: HostRun, stopping: Promise<string>): Promise<HostRunOutcome> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    let reportExit: (code: number) => void = () => {};
    const exit = new Promise<number>((resolve) => (reportExit = resolve));
    // The workbench calls this when the module's run() settles (0 = passed).
    await page.exposeFunction('codeAutomationExit', (code: number) => reportExit(code));
    const hostConsole = extensionHostConsole(page);
    const screenshots = serveScreenshots(page, dirs.screenshots);
    const timeout = new AbortController();
    const started = Date.now();
    await page.goto(run.developmentPath ? workbenchUrl(editor.base, editor.port, dirs.workspace, run.testsPath, run.developmentPath) : editor.url(dirs.workspace, run.testsPath));
    const outcome = await Promise.race([
      exit.then((code) => ({ code })),
      // Aborted once the race is decided (its rejection then goes nowhere), so no timer lingers.
      sleep(run.timeoutMs, undefined, { signal: timeout.signal }).then(() => ({
        unfinished: `VS Code did not report the tests finishing within ${run.timeoutMs / 1000} s`,
      })),
      stopping.then((signal) => ({ unfinished: `stopped by ${signal}` })),
    ]);
    timeout.abort();
    screenshots.stop();
    run.log(`Suite ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if ('unfinished' in outcome) await takeScreenshot(page, 'failure');
    return {
      end: outcome,
      results: readSuiteResults<unknown>(dirs.results),
      consoleTail: hostConsole.tail(),
      serverOutputTail: lastLines(editor.output(), 40),
    };
  } finally {
    await browser.close();
  }
}

/** Headless Chromium as the suites drive it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(chromiumMissing());
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Prints the suite's tests and verdict; explains a run that ended without one. Returns the exit code. */
function reportSuite(outcome: HostRunOutcome): number {
  const results = outcome.results as SuiteResults | undefined;
  if ('code' in outcome.end) {
    const why = `VS Code exited with ${outcome.end.code}`;
    if (!results) console.error(`${why} before the suite ran. Workbench console (last lines):\n${outcome.consoleTail}`);
    const code = reportSuiteResults(results, why);
    return outcome.end.code === 0 ? code : 1;
  }
  const why = outcome.end.unfinished;
  console.error(`${why}. The workbench at that moment: ${join(TEST_RESULTS, 'failure.png')}`);
  console.error(`Extension host console (last lines):\n${outcome.consoleTail}\nVS Code server output (last lines):\n${outcome.serverOutputTail}`);
  return reportSuiteResults(results, why);
}

/** Keeps a tail of the workbench's console (extension host included) for failure messages; echoes it with FLIGHTDECK_VSCODE_VERBOSE=1. */
function extensionHostConsole(page: Page): { tail(): string } {
  const lines: string[] = [];
  page.on('console', (message) => {
    // The extension host's lines arrive styled: `%c INFO color: #33f <text>`.
    const text = message.text().replace(/^%c\s*(\w+)\s+color:\s*\S+\s*/, '$1 ');
    lines.push(text);
    if (lines.length > 200) lines.shift();
    if (process.env.FLIGHTDECK_VSCODE_VERBOSE) console.log(`  │ ${text}`);
  });
  page.on('pageerror', (error) => lines.push(`page error: ${error.message}`));
  return { tail: () => lines.slice(-40).join('\n') };
}

/**
 * Polls for the suite's requests: `<name>.request` is answered with a screenshot and `<name>.done`;
 * `<name>.pick` (holding what the last answered quick pick showed) with `<name>.shown` once the
 * workbench shows a quick pick other than that one; `<name>.click` (`{ toast, button }`: a
 * notification's text and one of its buttons) by clicking that button as a person would and
 * writing what the page showed to `<name>.clicked` (`{ toasts, clicked, panel }`).
 */
function serveScreenshots(page: Page, dir: string): { stop(): void } {
  const taken = new Set<string>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const pending = readdirSync(dir)
      .filter((f) => f.endsWith('.request') || f.endsWith('.pick') || f.endsWith('.click'))
      .filter((f) => !taken.has(f));
    if (pending.length === 0) return;
    busy = true;
    void (async () => {
      for (const file of pending) {
        taken.add(file);
        if (file.endsWith('.pick')) {
          const name = file.slice(0, -'.pick'.length);
          writeFileSync(join(dir, `${name}.shown`), await quickPickOtherThan(page, readFileSync(join(dir, file), 'utf8')));
        } else if (file.endsWith('.click')) {
          const name = file.slice(0, -'.click'.length);
          writeFileSync(join(dir, `${name}.clicked`), JSON.stringify(await clickNotification(page, JSON.parse(readFileSync(join(dir, file), 'utf8')))));
        } else {
          const name = file.slice(0, -'.request'.length);
          await takeScreenshot(page, name);
          writeFileSync(join(dir, `${name}.done`), '');
        }
      }
    })().finally(() => (busy = false));
  }, 150);
  return { stop: () => clearInterval(timer) };
}

/**
 * The placeholder of the quick input widget while it is shown with its rows rendered, else ''.
 * The placeholder tells one pick from the next (rows re-render while a pick stays open).
 */
const QUICK_PICK_STATE = `(() => {
  const widget = document.querySelector('.quick-input-widget');
  if (!widget || getComputedStyle(widget).display === 'none') return '';
  if (widget.querySelectorAll('.monaco-list-row').length === 0) return '';
  return widget.querySelector('input')?.placeholder || '';
})()`;

/** Waits (up to 15 s) for the workbench to show a quick pick whose placeholder differs from `previous`. */
async function quickPickOtherThan(page: Page, previous: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const state = (await page.evaluate(QUICK_PICK_STATE).catch(() => '')) as string;
    if (state && state !== previous) return state;
    await sleep(50);
  }
  return '';
}

/** Clicks `button` on the notification toast whose text contains `toast`; answers what the page showed. */
async function clickNotification(page: Page, request: { toast: string; button: string; panelShows?: string }): Promise<{ toasts: string[]; clicked: boolean; panel: string }> {
  const toasts = page.locator('.notification-toast');
  const texts = await toasts.allInnerTexts().catch(() => []);
  const target = toasts.filter({ hasText: request.toast }).first();
  let clicked = false;
  try {
    await target.locator('a.monaco-button', { hasText: request.button }).first().click({ timeout: 5000 });
    clicked = true;
  } catch {
    // not there: the answer says so
  }
  // The command the button runs opens its view; wait (bounded) for it to show what is expected.
  // Editors render spaces as no-break spaces: read them as the spaces they are.
  let panel = '';
  for (const deadline = Date.now() + 10_000; clicked && Date.now() < deadline; ) {
    await sleep(250);
    panel = (await page.locator('.part.panel').first().innerText({ timeout: 2000 }).catch(() => '')).replace(/\u00a0/g, ' ');
    if (!request.panelShows || panel.includes(request.panelShows)) break;
  }
  await takeScreenshot(page, `${request.button.replace(/\W+/g, '-').toLowerCase()}-clicked`);
  return { toasts: texts, clicked, panel };
}

async function takeScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(TEST_RESULTS, { recursive: true });
  const file = join(TEST_RESULTS, `${name}.png`);
  try {
    await page.screenshot({ path: file });
    console.log(`  screenshot: ${file}`);
  } catch (error) {
    console.error(`  screenshot ${name} failed: ${(error as Error).message}`);
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

// Also a library: the activation benchmark runs its own tests module through runInVsCode.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      if (!process.argv.includes('--interactive')) console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
