// Issue 4, rollouts under steady load through the gateway: a batch release of 4 provisioned
// instances in place vs recreate (duration, failed requests), and how fast a failing canary's
// traffic returns to the stable version once its gate can first judge.
import type { Rollout, RolloutSpec } from '../src/model';
import { startSteadyLoad, type Answer, type SteadyLoad } from './load';
import { ms, type Report } from './report';
import { appConfig, deployApp, waitFor, withPlatform, type BenchPlatform } from './session';
import { median, percentile } from './stats';
import { isActive } from '../src/rollout/plan';

const SECTION = 'rollout';
const ENV = 'prod';
const FN = 'app';
const INSTANCES = 4;
const BATCHES = 2;
const BATCH_INTERVAL_MS = 300;
const RUNS_PER_MODE = 3;
const GATE_RUNS = 3;
const LOAD_CONCURRENCY = 8;
const GATES = { minRequests: 5, maxErrorRate: 0.01, maxP95Ms: 2000 };

type Mode = 'inPlace' | 'recreate';

interface BatchRun {
  durationMs: number;
  /** The duration less the configured waits between batches: the upgrade work itself. */
  upgradeMs: number;
  failed: number;
  requests: number;
}

export async function benchRollouts(report: Report): Promise<void> {
  const runs: Record<Mode, BatchRun[]> = { inPlace: [], recreate: [] };
  for (let i = 0; i < RUNS_PER_MODE; i++) {
    for (const mode of ['inPlace', 'recreate'] as const) runs[mode].push(await batchRelease(mode));
  }
  const duration = (mode: Mode) => median(runs[mode].map((r) => r.durationMs));
  const upgrade = (mode: Mode) => median(runs[mode].map((r) => r.upgradeMs));
  for (const mode of ['inPlace', 'recreate'] as const) {
    const failed = runs[mode].reduce((sum, r) => sum + r.failed, 0);
    const requests = runs[mode].reduce((sum, r) => sum + r.requests, 0);
    report.add({
      section: SECTION,
      name: `batch ${INSTANCES} instances, ${BATCHES} batches, ${mode}, c=${LOAD_CONCURRENCY} load (n=${RUNS_PER_MODE})`,
      value: `${ms(duration(mode))} start→end, ${ms(upgrade(mode))} without the ${BATCHES - 1}×${BATCH_INTERVAL_MS} ms wait; ${failed} of ${requests} requests failed`,
      figures: { durationP50Ms: duration(mode), upgradeP50Ms: upgrade(mode), failed, requests },
      target: '0 failed',
      pass: failed === 0,
    });
  }
  const ratio = duration('recreate') / duration('inPlace');
  const upgradeRatio = upgrade('recreate') / upgrade('inPlace');
  report.add({
    section: SECTION,
    name: 'recreate / inPlace: whole rollout; upgrade work only (the seed expected inPlace ≈ 4× faster)',
    value: `${ratio.toFixed(2)}×; ${upgradeRatio.toFixed(2)}×`,
    figures: { durationRatio: ratio, upgradeRatio },
    target: '',
  });
  await failedGate(report);
}

/** One batch release from v1 to v2 on a fresh platform, under steady load. */
async function batchRelease(mode: Mode): Promise<BatchRun> {
  return withPlatform([], async (bench) => {
    await twoVersions(bench, {}, INSTANCES);
    await waitFor(`${INSTANCES} ready instances`, async () => {
      const ready = (await bench.provider.listInstances(ENV, FN)).filter((i) => i.state === 'ready');
      return ready.length === INSTANCES ? true : undefined;
    });
    const load = startSteadyLoad({ origin: bench.platform.url, path: `/fn/${ENV}/${FN}/` }, LOAD_CONCURRENCY);
    try {
      await bench.provider.startRollout(ENV, FN, spec({ strategy: 'batch', batches: BATCHES, intervalMs: BATCH_INTERVAL_MS, mode }));
      const done = await rolloutEnded(bench, 60_000);
      if (done.status !== 'succeeded') throw new Error(`batch ${mode} ended ${done.status}: ${done.reason ?? ''}`);
      await load.stop();
      const durationMs = Date.parse(done.ended as string) - Date.parse(done.started);
      return { durationMs, upgradeMs: durationMs - (BATCHES - 1) * BATCH_INTERVAL_MS, ...failures(load) };
    } finally {
      await load.stop();
    }
  });
}

/** A canary of a version answering 500 to every 2nd request: gate-judgeable → traffic back on stable. */
async function failedGate(report: Report): Promise<void> {
  const results = await withPlatform([], async (bench) => {
    await twoVersions(bench, { FAIL_EVERY: '2' }, 1);
    const load = startSteadyLoad({ origin: bench.platform.url, path: `/fn/${ENV}/${FN}/` }, 4);
    try {
      const runs: { toEngineMs: number; toTrafficMs: number }[] = [];
      for (let i = 0; i < GATE_RUNS; i++) {
        // Gates read 1-second metric buckets: let the last run's failures age out, or the next
        // rollout of the same version is judged on them and rolls back before its 5th answer.
        if (i > 0) await new Promise((r) => setTimeout(r, 2_000));
        runs.push(await oneFailedCanary(bench, load));
      }
      return runs;
    } finally {
      await load.stop();
    }
  });
  const engine = results.map((r) => r.toEngineMs);
  const traffic = results.map((r) => r.toTrafficMs);
  report.add({
    section: SECTION,
    name: `failed gate: judgeable (${GATES.minRequests}th canary answer) → rolled back (n=${GATE_RUNS})`,
    value: `p50 ${ms(median(engine))} / max ${ms(percentile(engine, 100))}`,
    figures: { p50Ms: median(engine), maxMs: percentile(engine, 100) },
    target: '',
  });
  report.add({
    section: SECTION,
    name: `failed gate: judgeable → last answer by the bad version (n=${GATE_RUNS})`,
    value: `p50 ${ms(median(traffic))} / max ${ms(percentile(traffic, 100))}`,
    figures: { p50Ms: median(traffic), maxMs: percentile(traffic, 100) },
    target: '',
  });
}

async function oneFailedCanary(bench: BenchPlatform, load: SteadyLoad): Promise<{ toEngineMs: number; toTrafficMs: number }> {
  const from = load.answers.length;
  // A long interval: the gate must fail mid-step, on its first judgement.
  await bench.provider.startRollout(ENV, FN, spec({ strategy: 'canary', steps: [25, 50, 100], intervalMs: 60_000 }));
  const done = await rolloutEnded(bench, 30_000);
  if (done.status !== 'rolledBack') throw new Error(`the failing canary ended ${done.status}, not rolledBack`);
  await new Promise((r) => setTimeout(r, 300)); // answers in flight at the rollback land
  const seen = load.answers.slice(from);
  const canary = seen.filter((a) => a.version === '2');
  if (canary.length < GATES.minRequests) throw new Error(`only ${canary.length} canary answers before the rollback`);
  const judgeable = canary[GATES.minRequests - 1].at;
  const rolledBack = Date.parse(done.ended as string) - performance.timeOrigin;
  return { toEngineMs: rolledBack - judgeable, toTrafficMs: lastAt(canary) - judgeable };
}

function lastAt(answers: Answer[]): number {
  return answers.reduce((latest, a) => Math.max(latest, a.at), 0);
}

/** v1 on `live` and v2 beside it in a production environment (deploys there move no traffic). */
async function twoVersions(bench: BenchPlatform, v2env: Record<string, string>, instances: number): Promise<void> {
  await bench.provider.createEnvironment({ name: ENV, kind: 'production' });
  const limits = { min: instances, max: instances, concurrency: 16 };
  await deployApp(bench, ENV, FN, appConfig({ RELEASE: '1' }, limits));
  await deployApp(bench, ENV, FN, appConfig({ RELEASE: '2', ...v2env }, limits));
}

function spec(fields: Partial<RolloutSpec>): RolloutSpec {
  return { strategy: 'canary', alias: 'live', toVersion: 2, intervalMs: 1000, gates: GATES, ...fields };
}

async function rolloutEnded(bench: BenchPlatform, timeoutMs: number): Promise<Rollout> {
  return waitFor('the rollout to end', async () => {
    const rollout = await bench.provider.getRollout(ENV, FN);
    return rollout && !isActive(rollout) ? rollout : undefined;
  }, timeoutMs);
}

function failures(load: SteadyLoad): { failed: number; requests: number } {
  const bad = load.answers.filter((a) => a.status !== 200).length + load.transportErrors.length;
  return { failed: bad, requests: load.answers.length + load.transportErrors.length };
}
