// Issue 13, the extension as users get it: the VSIX's size and file count, activation of the
// installed VSIX in a real VS Code extension host (the activation row's method: the probe in a
// workspace without flightdeck.yaml, here as a probe-only development extension beside the
// installed one), and the time from clicking the rocket to the function's row in the tree, clicked
// through the installed extension in the browser (test/vscode/runInstalled.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickThroughInstalled, packVsix, VSIX_LIMIT_BYTES } from '../test/vscode/runInstalled';
import { missingForHeadlessRun } from '../test/vscode/runCodeServer';
import { benchHostActivation } from './extensionBench';
import { ms, type Report } from './report';
import { median } from './stats';

const SECTION = 'installed';
/** Fresh editors, about 40 s each (install, start, first deploy). */
const CLICK_RUNS = 2;
const ROCKET_TO_ROW_LIMIT_MS = 3000;

export async function benchInstalled(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-bench-vsix-'));
  try {
    const vsix = await packVsix(dir);
    report.add({
      section: SECTION,
      name: 'VSIX (vsce package): size, files',
      value: `${(vsix.bytes / 1024).toFixed(0)} KB, ${vsix.files.length} files`,
      figures: { bytes: vsix.bytes, files: vsix.files.length },
      target: '≤ 1 MB',
      pass: vsix.bytes <= VSIX_LIMIT_BYTES,
    });
    await benchHostActivation(report, SECTION, { installVsix: vsix.file, developmentPath: probeExtension(dir) });
    await benchRocketToRow(report, vsix.file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The smallest development extension VS Code loads, so the probe can run beside the installed copy. */
function probeExtension(dir: string): string {
  const folder = join(dir, 'activation-probe');
  const manifest = { name: 'activation-probe', publisher: 'flightdeck-bench', version: '0.0.0', engines: { vscode: '^1.100.0' } };
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify(manifest));
  return folder;
}

async function benchRocketToRow(report: Report, vsix: string): Promise<void> {
  const row = { section: SECTION, name: `click on the rocket → the function's row in the tree, first deploy of a fresh editor (n=${CLICK_RUNS})`, target: `≤ ${ROCKET_TO_ROW_LIMIT_MS / 1000} s` };
  const missing = missingForHeadlessRun();
  if (missing) {
    report.add({ ...row, value: `skipped: ${missing}`, figures: {} });
    return;
  }
  const samples: number[] = [];
  for (let i = 1; i <= CLICK_RUNS; i++) {
    process.stderr.write(`  installed extension, click-through ${i} of ${CLICK_RUNS}…\n`);
    const failures: string[] = [];
    const run = await clickThroughInstalled(vsix, (title, error) => error && failures.push(`${title}: ${error.message.split('\n')[0]}`), { untilFirstDeploy: true });
    if (failures.length || !Number.isFinite(run.rocketToRowMs)) {
      report.add({ ...row, value: `not measured: ${failures[0] ?? 'no row appeared'}`.slice(0, 160), figures: {}, pass: false });
      return;
    }
    samples.push(run.rocketToRowMs);
  }
  report.add({
    ...row,
    value: `p50 ${ms(median(samples))} / max ${ms(Math.max(...samples))} (platform start, upload, publish, tree refresh)`,
    figures: { p50Ms: median(samples), maxMs: Math.max(...samples), samplesMs: samples.join(' ') },
    pass: median(samples) <= ROCKET_TO_ROW_LIMIT_MS,
  });
}
