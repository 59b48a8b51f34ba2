// Issue 3, the extension: bundle size of dist/extension.js, and activation cost measured in plain
// Node with a `vscode` shim (module load + activate()), in fresh processes. Not a VS Code
// extension host: the host's own work (reading package.json, its module loader) is not in it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/helpers/platform';
import { ms, type Report } from './report';
import { median, percentile, repeat } from './stats';

const SECTION = 'extension';
const EXTENSION = join(REPO_ROOT, 'dist', 'extension.js');
const PROBE = join(__dirname, 'activationProbe.js');
const RUNS = 10;
const BUNDLE_LIMIT = 500 * 1024;

export async function benchExtension(report: Report): Promise<void> {
  const size = statSync(EXTENSION).size;
  report.add({
    section: SECTION,
    name: 'bundle size of dist/extension.js (minified)',
    value: `${(size / 1024).toFixed(0)} KB`,
    figures: { bytes: size },
    target: '≤ 500 KB',
    pass: size <= BUNDLE_LIMIT,
  });
  const runs = await withWorkspace((folder, home) => repeat(RUNS, () => probe(folder, home)));
  const total = runs.map((r) => r.loadMs + r.activateMs);
  report.add({
    section: SECTION,
    name: `activation in plain Node + vscode shim, not a real host: load + activate() (n=${RUNS})`,
    value: `p50 ${ms(median(total))} / p95 ${ms(percentile(total, 95))} (load ${ms(median(runs.map((r) => r.loadMs)))}, activate() ${ms(median(runs.map((r) => r.activateMs)))})`,
    figures: { p50Ms: median(total), p95Ms: percentile(total, 95), loadP50Ms: median(runs.map((r) => r.loadMs)), activateP50Ms: median(runs.map((r) => r.activateMs)) },
    target: '≤ 50 ms',
    pass: median(total) <= 50,
  });
}

interface Probe {
  loadMs: number;
  activateMs: number;
}

async function probe(folder: string, home: string): Promise<Probe> {
  const { stdout } = await promisify(execFile)(process.execPath, [PROBE, EXTENSION, folder], {
    env: { ...process.env, FLIGHTDECK_HOME: home },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Probe;
}

/** A workspace folder with a flightdeck.yaml (what activates the extension) and a state folder. */
async function withWorkspace<T>(body: (folder: string, home: string) => Promise<T>): Promise<T> {
  const folder = mkdtempSync(join(tmpdir(), 'flightdeck-bench-ws-'));
  const home = mkdtempSync(join(tmpdir(), 'flightdeck-bench-home-'));
  writeFileSync(join(folder, 'flightdeck.yaml'), 'project: bench\nfunctions:\n  app: { runtime: nodejs, code: ./app, handler: index.handler }\n');
  try {
    return await body(folder, home);
  } finally {
    stopStrayPlatform(home);
    rmSync(folder, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

/** Activation must not start a platform before the probe exits; if one did, stop it. */
function stopStrayPlatform(home: string): void {
  const discovery = join(home, 'platform.json');
  if (!existsSync(discovery)) return;
  const { pid } = JSON.parse(readFileSync(discovery, 'utf8')) as { pid: number };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
