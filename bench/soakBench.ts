// Issue 9, the platform over months: 2 000 deploys of a changing function under steady traffic
// and 200 environment create/delete cycles through the real client, with the state folder's disk
// use, the platform's RSS and open file descriptors at the start and at the end, and the longest
// any API call took. Flat means within 10% of the start.
//
// The start is the platform's steady state, not its first minute: after a warm-up of 200 deploys
// and 20 environment cycles under the same traffic. By then the store holds what it will always
// hold (the staging retention keeps 50 versions) and V8 has sized its heap for this traffic: its
// young generation grows under ~700 requests/s and stays grown, and in unwarmed runs RSS rose for
// the first 150 to 250 deploys, then held level through 1 000. Start and end are read alike:
// traffic stopped, the platform's garbage collection, QUIET_MS without requests (idle keep-alive
// connections close after the server's 5 s), then a full V8 collection through the inspector the
// platform was started with, so garbage V8 has not got round to yet (it shrinks its young
// generation when it likes) is not counted as growth. RSS as found before that collection, and
// the cold figures (after one deploy), are reference rows.
import { readdirSync, readFileSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scanCode } from '../src/deploy/scan';
import type { GarbageReport } from '../src/model';
import { WebSocket } from 'undici';
import { getOnce } from './load';
import { ms, type Report } from './report';
import { appConfig, withPlatform, type BenchPlatform } from './session';

const SECTION = 'soak';
/** `SOAK_DEPLOYS` / `SOAK_ENV_CYCLES` scale the run down on a slow machine (the row names the counts). */
const DEPLOYS = Number(process.env.SOAK_DEPLOYS ?? 2000);
const ENV_CYCLES = Number(process.env.SOAK_ENV_CYCLES ?? 200);
/** Four times the staging retention (DEFAULT_RETENTION, 50 versions), and past where RSS levels off. */
const WARMUP_DEPLOYS = 200;
const WARMUP_ENV_CYCLES = 20;
/** How long the platform is left without requests before a reading. */
const QUIET_MS = 15_000;
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

function rssBytes(bench: BenchPlatform): number {
  const status = readFileSync(`/proc/${bench.platform.child.pid as number}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) * 1024;
}

function footprint(bench: BenchPlatform): Footprint {
  const pid = bench.platform.child.pid as number;
  return { diskBytes: diskUse(bench.platform.home), rssBytes: rssBytes(bench), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Makes the platform process's V8 collect all it can, through its inspector (Chrome DevTools Protocol, HeapProfiler.collectGarbage). */
async function collectV8Garbage(bench: BenchPlatform): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(bench.platform.output())?.[1];
  if (!url) throw new Error(`the platform opened no inspector; its output:\n${bench.platform.output()}`);
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.addEventListener('message', (event) => {
        const answer = JSON.parse(String(event.data)) as { id?: number; error?: { message: string } };
        if (answer.id !== 1) return;
        if (answer.error) reject(new Error(`HeapProfiler.collectGarbage: ${answer.error.message}`));
        else resolve();
      });
      socket.addEventListener('error', () => reject(new Error(`could not reach the platform's inspector at ${url}`)));
    });
  } finally {
    socket.close();
  }
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
    // An inspector on a free loopback port, for the full collections before each reading.
    await withPlatform([], (bench) => soak(bench, code, report), { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
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
  let build = 0;
  /** Deploys the code as it is; `ENV` gets a new build first, a personal environment the same one. */
  const deploy = async (environment: string) => {
    if (environment === ENV) code.mark(++build);
    const scanned = await scanCode(code.dir);
    return timed(`deploy ${environment}`, () => provider.deploy(environment, 'app', { config: appConfig({ RELEASE: String(build) }), code: scanned }));
  };
  let cycles = 0;
  let requests = 0;
  let failed = 0;
  /** `deploys` deploys under steady traffic, with `envCycles` environment create/delete cycles spread among them. */
  const run = async (deploys: number, envCycles: number) => {
    let running = true;
    const traffic = Array.from({ length: TRAFFIC_LOOPS }, async () => {
      while (running) {
        const answer = await getOnce(bench.gateway, `/fn/${ENV}/app/`).catch(() => ({ status: 0 }));
        requests++;
        if (answer.status !== 200) failed++;
      }
    });
    const every = Math.max(1, Math.round(deploys / envCycles));
    try {
      for (let n = 1, done = 0; n <= deploys; n++) {
        await deploy(ENV);
        if (n % every === 0 && done < envCycles) {
          done++;
          const name = `soak-${++cycles}`;
          await timed('create environment', () => provider.createEnvironment({ name, kind: 'personal' }));
          await deploy(name);
          await getOnce(bench.gateway, `/fn/${name}/app/`);
          await timed('delete environment', () => provider.deleteEnvironment(name));
        }
      }
    } finally {
      // Also when a call failed: the loops would otherwise spin on against a stopped platform.
      running = false;
      await Promise.all(traffic);
    }
  };
  /** The footprint once collected and left quiet (RSS also as found before V8's collection); the platform's collection report. */
  const settled = async () => {
    const collected = await gc();
    await sleep(QUIET_MS);
    const rssAsFound = rssBytes(bench);
    await collectV8Garbage(bench);
    return { footprint: footprint(bench), rssAsFound, collected };
  };

  await provider.createEnvironment({ name: ENV, kind: 'staging' });
  await deploy(ENV);
  await getOnce(bench.gateway, `/fn/${ENV}/app/`);
  const cold = (await settled()).footprint;
  await run(WARMUP_DEPLOYS, WARMUP_ENV_CYCLES);
  const { footprint: start, rssAsFound: startRssAsFound } = await settled();
  const began = performance.now();
  await run(DEPLOYS, ENV_CYCLES);
  const soakS = (performance.now() - began) / 1000;
  const { footprint: end, rssAsFound: endRssAsFound, collected } = await settled();

  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const measures: [string, keyof Footprint, (value: number) => string][] = [
    ['disk (state folder)', 'diskBytes', mb],
    ['platform RSS (after a full V8 collection)', 'rssBytes', mb],
    ['platform open fds', 'fds', String],
  ];
  const startName = `start (after ${WARMUP_DEPLOYS} deploys + ${WARMUP_ENV_CYCLES} env cycles) → end of ${DEPLOYS} deploys + ${ENV_CYCLES} env cycles`;
  for (const [name, key, show] of measures) {
    const ratio = end[key] / start[key];
    report.add({
      section: SECTION,
      name: `${name}, ${startName}`,
      value: `${show(start[key])} → ${show(end[key])} (${ratio.toFixed(2)}×)`,
      figures: { start: start[key], end: end[key], ratio },
      target: '≤ 1.1× start',
      pass: ratio <= 1.1,
    });
  }
  report.add({
    section: SECTION,
    name: `platform RSS as found (no V8 collection), ${startName}`,
    value: `${mb(startRssAsFound)} → ${mb(endRssAsFound)} (${(endRssAsFound / startRssAsFound).toFixed(2)}×)`,
    figures: { start: startRssAsFound, end: endRssAsFound },
    target: '',
  });
  for (const [name, key, show] of measures) {
    report.add({
      section: SECTION,
      name: `${name}, cold (after 1 deploy) → end`,
      value: `${show(cold[key])} → ${show(end[key])} (${(end[key] / cold[key]).toFixed(2)}×)`,
      figures: { cold: cold[key], end: end[key] },
      target: '',
    });
  }
  report.add({
    section: SECTION,
    name: 'longest API call, warm-up and soak',
    value: `${ms(longest.ms)} (${longest.call})`,
    figures: { ms: longest.ms },
    target: '≤ 30 s (nothing hangs)',
    pass: longest.ms <= 30_000,
  });
  report.add({
    section: SECTION,
    name: 'soak traffic and duration',
    value: `${requests} requests, ${failed} failed, soak ${soakS.toFixed(0)} s; last gc freed ${mb(collected.freedBytes)}`,
    figures: { requests, failed, seconds: soakS, freedBytes: collected.freedBytes },
    target: '0 failed',
    pass: failed === 0,
  });
}
