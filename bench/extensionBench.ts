// Issue 3, the extension: bundle size of dist/extension.js, and activation cost (module load +
// activate()) twice: in plain Node with a `vscode` shim, in fresh processes (cheap, many samples,
// but not a VS Code: the host's own work, e.g. its module loader, is not in it), and in a real
// VS Code extension host, a fresh one per sample (hostActivation.ts). Both against ≤ 50 ms.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/helpers/platform';
import { missingForHeadlessRun } from '../test/vscode/runCodeServer';
import { HOST_NAME, measureHostActivation, type ActivationSource } from './hostActivation';
import { ms, type Report } from './report';
import { median, percentile, repeat } from './stats';

const SECTION = 'extension';
const EXTENSION = join(REPO_ROOT, 'dist', 'extension.js');
const PROBE = join(__dirname, 'activationProbe.js');
const RUNS = 10;
/** Fresh real hosts, about 20 s each. */
const HOST_RUNS = 3;
const BUNDLE_LIMIT = 500 * 1024;
const ACTIVATION_LIMIT_MS = 50;
const ACTIVATION_TARGET = `≤ ${ACTIVATION_LIMIT_MS} ms`;

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
    target: ACTIVATION_TARGET,
    pass: median(total) <= ACTIVATION_LIMIT_MS,
  });
  await benchHostActivation(report);
}

/** The activation row: the repository's extension, or (with `source.installVsix`) the installed VSIX's, in `section`. */
export async function benchHostActivation(report: Report, section = SECTION, source: ActivationSource = {}): Promise<void> {
  const what = source.installVsix ? 'activation of the installed VSIX' : 'activation';
  const name = `${what} in the ${HOST_NAME}: load + activate(), a fresh host each (n=${HOST_RUNS})`;
  const row = { section, name, target: ACTIVATION_TARGET };
  const missing = missingForHeadlessRun();
  if (missing) {
    report.add({ ...row, value: 'no figure', figures: {}, skipped: missing });
    return;
  }
  const runs = await measureHostActivation(HOST_RUNS, source)
    .then((samples) => {
      // The installed copy lives in the host's extensions folder, the development one in the repository.
      const wrong = samples.find((s) => s.extensionPath.startsWith(REPO_ROOT) === Boolean(source.installVsix));
      if (wrong) throw new Error(`measured the extension at ${wrong.extensionPath}, not the ${source.installVsix ? 'installed VSIX' : 'repository'}`);
      return samples;
    })
    .catch((error: Error) => error);
  if (runs instanceof Error) {
    report.add({ ...row, value: `not measured: ${runs.message.split('\n')[0]}`, figures: {}, pass: false });
    return;
  }
  const total = runs.map((r) => r.activationMs);
  const load = median(runs.map((r) => r.codeLoadingMs));
  const rest = median(runs.map((r) => r.activationMs - r.codeLoadingMs));
  report.add({
    ...row,
    value: `p50 ${ms(median(total))} / max ${ms(Math.max(...total))} (load ${ms(load)}, activate() and the rest ${ms(rest)})`,
    figures: { p50Ms: median(total), maxMs: Math.max(...total), loadP50Ms: load, samplesMs: total.map((t) => t.toFixed(1)).join(' ') },
    pass: median(total) <= ACTIVATION_LIMIT_MS,
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
