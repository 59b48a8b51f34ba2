// What both VS Code launchers (code-server + Chromium, and @vscode/test-electron) set up around a
// run: a fixture workspace that is a real git repository on branch feature/login with a
// flightdeck.yaml and one Node.js function, a fresh FLIGHTDECK_HOME, and the clean-up of the
// platform the extension starts (it runs detached, so it outlives VS Code unless stopped).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../src/platform/lock';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** The compiled suite module the extension host loads (`run(): Promise<void>`). */
export const SUITE_ENTRY = join(REPO_ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
export const TEST_RESULTS = join(REPO_ROOT, 'test-results');

export const FIXTURE_BRANCH = 'feature/login';
export const FIXTURE_FUNCTION = 'api';
export const FIXTURE_USER = { name: 'Alice Example', email: 'alice@example.com' };

const PROJECT_FILE = `project: shop
functions:
  ${FIXTURE_FUNCTION}:
    runtime: nodejs
    code: ./${FIXTURE_FUNCTION}
    handler: index.handler
    instances: { min: 0, max: 2, concurrency: 16, idleTimeout: 5m }
    timeout: 10s
personal:
  name: "{user}-{branch}"
`;

/**
 * The suite edits the GREETING and STATUS lines to make new versions (a failing one too); each
 * request logs its path, so the suite can find a request of its own in the function's logs.
 */
const FUNCTION_SOURCE = `const GREETING = 'hello from v1';
const STATUS = 200;

exports.handler = async (event, context) => {
  console.log('served ' + event.path);
  return {
    statusCode: STATUS,
    headers: { 'content-type': 'text/plain' },
    body: GREETING + ' (version ' + context.version + ', path ' + event.path + ')\\n',
  };
};
`;

/** Environment variables the launchers hand to VS Code and so to the extension host. */
export const ENV = {
  home: 'FLIGHTDECK_HOME',
  screenshots: 'FLIGHTDECK_SCREENSHOTS',
  results: 'FLIGHTDECK_TEST_RESULTS',
} as const;

export interface RunDirs {
  /** Parent of everything below; removed by `removeRunDirs`. */
  root: string;
  /** The folder opened as the workspace: the fixture git repository unless told otherwise. */
  workspace: string;
  /** FLIGHTDECK_HOME for the extension's platform. */
  home: string;
  /** Where the suite asks for screenshots (`<name>.request` / `<name>.done`). */
  screenshots: string;
  /** The suite's JSON results (see suite/index.ts). */
  results: string;
  /** Scratch space for the editor's own state (user data, extensions). */
  editor: string;
}

/**
 * The folder a run opens: the fixture project, or a plain folder without flightdeck.yaml, where
 * nothing activates the extension at startup (the activation benchmark activates it itself).
 */
export type WorkspaceKind = 'fixture' | 'no-project';

export function createRunDirs(workspace: WorkspaceKind = 'fixture', prefix = 'flightdeck-vscode-'): RunDirs {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs: RunDirs = {
    root,
    workspace: join(root, 'shop'),
    home: join(root, 'home'),
    screenshots: join(root, 'screenshots'),
    results: join(root, 'results.json'),
    editor: join(root, 'editor'),
  };
  for (const dir of [dirs.home, dirs.screenshots, dirs.editor]) mkdirSync(dir, { recursive: true });
  if (workspace === 'fixture') createFixtureWorkspace(dirs.workspace);
  else createPlainWorkspace(dirs.workspace);
  return dirs;
}

/** A folder with a README and no flightdeck.yaml: a project that does not use Flightdeck. */
function createPlainWorkspace(folder: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'README.md'), '# Notes\n\nA folder without flightdeck.yaml.\n');
}

/** A git repository with flightdeck.yaml and `api/index.js` committed on main, then on feature/login. */
export function createFixtureWorkspace(folder: string): void {
  mkdirSync(join(folder, FIXTURE_FUNCTION), { recursive: true });
  writeFileSync(join(folder, 'flightdeck.yaml'), PROJECT_FILE);
  writeFileSync(join(folder, FIXTURE_FUNCTION, 'index.js'), FUNCTION_SOURCE);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: folder, stdio: 'pipe' });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.name', FIXTURE_USER.name);
  git('config', 'user.email', FIXTURE_USER.email);
  git('config', 'commit.gpgsign', 'false');
  git('add', '.');
  git('commit', '--quiet', '-m', 'Shop API');
  git('checkout', '--quiet', '-b', FIXTURE_BRANCH);
}

/**
 * Editor settings so nothing but the workbench itself shows (no trust prompt, no welcome page, no
 * port-forwarding offers), and, when `home` is given, the extension's platform in that fresh
 * state folder on a free port, so a run never touches the user's ~/.flightdeck or port 7420.
 * Written to each of `settingsDirs` (user settings; the VS Code server's machine settings too,
 * since flightdeck.local.* are machine-scoped).
 */
export function writeEditorSettings(settingsDirs: string[], home?: string): void {
  const settings = {
    ...(home ? { 'flightdeck.local.home': home, 'flightdeck.local.port': 0 } : {}),
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'git.openRepositoryInParentFolders': 'never',
    'remote.autoForwardPorts': false,
  };
  for (const dir of settingsDirs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  }
}

/**
 * Stops the platform the extension started for `home` (its pid is in platform.json), SIGTERM
 * first so it stops its function processes, then SIGKILL. Returns the pid stopped, if any.
 */
export async function stopPlatform(home: string): Promise<number | undefined> {
  const pid = platformPid(home);
  if (pid === undefined || !processAlive(pid)) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}

/** The pid of the platform running for `home` (from its platform.json), if one was started. */
export function platformPid(home: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined; // no platform was started
  }
}

export function removeRunDirs(dirs: RunDirs): void {
  rmSync(dirs.root, { recursive: true, force: true });
}

/** Written by the suite after every test, so a run cut short still says how far it got. */
export interface SuiteResults {
  passed: number;
  failed: number;
  /** The test under way, until the suite ends. */
  running?: string;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }[];
}

/** The results file a tests module wrote (the suite's SuiteResults unless told otherwise). */
export function readSuiteResults<T = SuiteResults>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // the suite never got to write them
  }
}

/**
 * Prints each test, the failures' errors, and the closing `N passed, N failed` line CI reads. A
 * suite that did not finish (no results, or a test still running) counts as one more failure,
 * explained by `why` (timeout, signal, VS Code's exit).
 */
export function reportSuiteResults(written: SuiteResults | undefined, why = 'VS Code stopped'): number {
  const results = written ?? { passed: 0, failed: 0, tests: [] };
  if (!written || written.running) {
    const what = written ? `the suite did not finish (${why}) while running "${written.running}"` : `the suite wrote no results (${why})`;
    results.failed++;
    results.tests.push({ title: what, state: 'failed' });
  }
  for (const test of results.tests) {
    const mark = test.state === 'passed' ? '✔' : test.state === 'failed' ? '✘' : '-';
    const time = test.durationMs === undefined ? '' : ` (${(test.durationMs / 1000).toFixed(1)} s)`;
    console.log(`  ${mark} ${test.title}${time}`);
    if (test.error) console.log(indent(test.error, '      '));
  }
  console.log(`${results.passed} passed, ${results.failed} failed`);
  return results.failed === 0 && results.passed > 0 ? 0 : 1;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
