// Issue 9, the platform over months: 2 000 deploys of a changing function under steady traffic
// and 200 environment create/delete cycles through the real client, with the state folder's disk
// use, the platform's RSS and open file descriptors at the start and at the end (after a garbage
// collection), and the longest any API call took. Flat means within 10% of the start.
import { readdirSync, readFileSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCode } from '../src/deploy/scan';
import type { GarbageReport } from '../src/model';
import { getOnce } from './load';
import { ms, type Report } from './report';
import { appConfig, withPlatform, type BenchPlatform } from './session';

const SECTION = 'soak';
/** `SOAK_DEPLOYS` / `SOAK_ENV_CYCLES` scale the run down on a slow machine (the row names the counts). */
const DEPLOYS = Number(process.env.SOAK_DEPLOYS ?? 2000);
const ENV_CYCLES = Number(process.env.SOAK_ENV_CYCLES ?? 200);
const ENV = 'soak';
/** A vendored library every version shares, so a version costs only its changed file. */
const VENDOR_BYTES = 2 * 1024 * 1024;
const TRAFFIC_LOOPS = 2;

interface Footprint {
  diskBytes: number;
  rssBytes: number;
  fds: number;
}

function diskUse(path: string): number {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.blocks * 512;
  return stat.blocks * 512 + readdirSync(path).reduce((sum, name) => sum + diskUse(join(path, name)), 0);
}

function footprint(bench: BenchPlatform): Footprint {
  const pid = bench.platform.child.pid as number;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { diskBytes: diskUse(bench.platform.home), rssBytes: rssKb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The function's folder: the bench handler, a 2 MB vendored file, and a marker that changes with every deploy. */
function makeCode(): { dir: string; mark(n: number): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-soak-'));
  writeFileSync(join(dir, 'index.js'), readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'bench', 'app', 'index.js')));
  mkdirSync(join(dir, 'vendor'));
  writeFileSync(join(dir, 'vendor', 'lib.js'), `// vendored\n${'x'.repeat(VENDOR_BYTES)}\n`);
  return { dir, mark: (n) => writeFileSync(join(dir, 'build.js'), `exports.build = ${n};\n`) };
}

export async function benchSoak(report: Report): Promise<void> {
  const code = makeCode();
  try {
    await withPlatform([], (bench) => soak(bench, code, report));
  } finally {
    rmSync(code.dir, { recursive: true, force: true });
  }
}

async function soak(bench: BenchPlatform, code: ReturnType<typeof makeCode>, report: Report): Promise<void> {
  const { provider } = bench;
  let longest = { ms: 0, call: '' };
  const timed = async <T>(call: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      const took = performance.now() - started;
      if (took > longest.ms) longest = { ms: took, call };
    }
  };
  const gc = () => timed('POST /v1/gc', async () => (await bench.platform.api('POST', '/v1/gc')).json as GarbageReport);
  const deploy = async (environment: string, n: number) => {
    code.mark(n);
    const scanned = await scanCode(code.dir);
    return timed(`deploy ${environment}`, () => provider.deploy(environment, 'app', { config: appConfig({ RELEASE: String(n) }), code: scanned }));
  };

  await provider.createEnvironment({ name: ENV, kind: 'staging' });
  await deploy(ENV, 0);
  await getOnce(bench.gateway, `/fn/${ENV}/app/`);
  await gc();
  const start = footprint(bench);

  let running = true;
  let requests = 0;
  let failed = 0;
  const traffic = Array.from({ length: TRAFFIC_LOOPS }, async () => {
    while (running) {
      const answer = await getOnce(bench.gateway, `/fn/${ENV}/app/`).catch(() => ({ status: 0 }));
      requests++;
      if (answer.status !== 200) failed++;
    }
  });
  const began = performance.now();
  let cycles = 0;
  for (let n = 1; n <= DEPLOYS; n++) {
    await deploy(ENV, n);
    if (n % Math.max(1, Math.round(DEPLOYS / ENV_CYCLES)) === 0 && cycles < ENV_CYCLES) {
      const name = `soak-${++cycles}`;
      await timed('create environment', () => provider.createEnvironment({ name, kind: 'personal' }));
      await deploy(name, n);
      await getOnce(bench.gateway, `/fn/${name}/app/`);
      await timed('delete environment', () => provider.deleteEnvironment(name));
    }
  }
  running = false;
  await Promise.all(traffic);
  const soakS = (performance.now() - began) / 1000;
  const collected = await gc();
  const end = footprint(bench);

  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const flat = (key: keyof Footprint) => ratio(end[key], start[key]) <= 1.1;
  const rows: [string, string, Record<string, number>, boolean][] = [
    ['disk (state folder)', `${mb(start.diskBytes)} → ${mb(end.diskBytes)}`, { start: start.diskBytes, end: end.diskBytes }, flat('diskBytes')],
    ['platform RSS', `${mb(start.rssBytes)} → ${mb(end.rssBytes)}`, { start: start.rssBytes, end: end.rssBytes }, flat('rssBytes')],
    ['platform open fds', `${start.fds} → ${end.fds}`, { start: start.fds, end: end.fds }, flat('fds')],
  ];
  for (const [name, value, figures, pass] of rows) {
    report.add({ section: SECTION, name: `${name}, start → end of ${DEPLOYS} deploys + ${ENV_CYCLES} env cycles`, value, figures, target: '≤ 1.1× start', pass });
  }
  report.add({
    section: SECTION,
    name: 'longest API call during the soak',
    value: `${ms(longest.ms)} (${longest.call})`,
    figures: { ms: longest.ms },
    target: '≤ 30 s (nothing hangs)',
    pass: longest.ms <= 30_000,
  });
  report.add({
    section: SECTION,
    name: 'soak traffic and duration',
    value: `${requests} requests, ${failed} failed, ${soakS.toFixed(0)} s; last gc freed ${mb(collected.freedBytes)}`,
    figures: { requests, failed, seconds: soakS, freedBytes: collected.freedBytes },
    target: '0 failed',
    pass: failed === 0,
  });
}
