// The rollout engine against in-memory implementations of its two seams (the durable state and
// the runtime), with real timers: persistence and resume, one active rollout per function, batch
// slots upgraded batch by batch, gate failures rolling back. The end-to-end behaviour against the
// real platform process is in rollout-platform.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightdeckError, isFlightdeckError } from '../../src/errors';
import type { Alias, AliasUpdate, FunctionConfig, Instance, PlatformEvent, Rollout, StartCheck, Version, VersionMetrics } from '../../src/model';
import { RolloutEngine, type RolloutStore } from '../../src/platform/rollouts';
import type { RolloutRuntime } from '../../src/platform/rollouts/effects';
import type { UpgradeOptions } from '../../src/platform/contracts';

const CONFIG: FunctionConfig = {
  runtime: 'nodejs',
  handler: 'index.handler',
  instances: { min: 4, max: 8, concurrency: 10, idleTimeoutMs: 60_000 },
  env: {},
  timeoutMs: 5000,
};

/** The durable state of one function `dev/api` with versions 1 and 2, `live` on v1. */
class MemoryStore implements RolloutStore {
  alias: Alias = { name: 'live', versionId: 1, additionalVersionWeight: {}, etag: 'e0', updated: '' };
  records: Rollout[] = [];
  aliasWrites: AliasUpdate[] = [];
  /** What proveStart answers for v2; `health` is v2's recorded health. */
  v2Starts = true;
  v2Health: Pick<Version, 'health' | 'healthReason' | 'healthUpdated'> = { health: 'unknown' };
  private etags = 0;

  functionConfig(env: string, fn: string): FunctionConfig | undefined {
    return env === 'dev' && fn === 'api' ? CONFIG : undefined;
  }
  getVersion(_env: string, _fn: string, id: number): Version | undefined {
    if (id === 2) return { id, ...this.v2Health } as Version;
    return id === 1 ? ({ id, health: 'healthy' } as Version) : undefined;
  }
  async proveStart(_env: string, _fn: string, id: number): Promise<StartCheck> {
    return id !== 2 || this.v2Starts ? { started: true, how: 'handler index.handler loaded' } : { started: false, how: 'handler index.handler loaded', reason: 'index.js:2: SyntaxError: Unexpected token' };
  }
  getAlias(_env: string, _fn: string, name: string): Alias | undefined {
    return name === 'live' ? this.alias : undefined;
  }
  async updateAlias(_env: string, _fn: string, _name: string, update: AliasUpdate, etag?: string): Promise<Alias> {
    if (etag !== undefined && etag !== this.alias.etag) throw new FlightdeckError('PRECONDITION_FAILED', 'stale etag');
    this.aliasWrites.push(update);
    this.alias = { ...this.alias, ...update, etag: `e${++this.etags}` };
    return this.alias;
  }
  rollouts(): Rollout[] {
    return this.records;
  }
  latestRollouts(): Rollout[] {
    return this.records.slice(-1);
  }
  async saveRollout(rollout: Rollout): Promise<void> {
    this.records = [...this.records.filter((r) => r.id !== rollout.id), rollout];
  }
  /** Weight of v2 in `live`, 0–1. */
  canaryWeight(): number {
    return this.alias.versionId === 2 ? 1 : this.alias.additionalVersionWeight['2'] ?? 0;
  }
}

/** Four warm slots on v1; upgrades swap slot versions; metrics of v2 are whatever the test sets. */
class MemoryRuntime implements RolloutRuntime {
  slots: Instance[] = [0, 1, 2, 3].map((slot) => ({
    id: `i${slot}`, slot, versionId: 1, state: 'ready', inFlight: 0, started: '', restarts: 0,
  }));
  upgrades: { toVersion: number; options?: UpgradeOptions }[] = [];
  restarts: number[] = [];
  v2: Omit<VersionMetrics, 'versionId' | 'windowMs'> = { requests: 0, errors: 0, errorRate: 0, p50Ms: 5, p95Ms: 10, p99Ms: 12 };

  instances(): Instance[] {
    return this.slots;
  }
  async upgrade(_env: string, _fn: string, toVersion: number, options?: UpgradeOptions): Promise<number> {
    this.upgrades.push({ toVersion, options });
    const movable = this.slots.filter((s) => s.versionId !== toVersion && (options?.fromVersion === undefined || s.versionId === options.fromVersion));
    const moved = movable.slice(0, options?.slots ?? movable.length);
    for (const slot of moved) slot.versionId = toVersion;
    return moved.length;
  }
  async restart(_env: string, _fn: string, batches: number): Promise<void> {
    this.restarts.push(batches);
  }
  metrics(_env: string, _fn: string, windowMs: number): VersionMetrics[] {
    return [{ versionId: 2, windowMs, ...this.v2 }];
  }
  onV2(): number {
    return this.slots.filter((s) => s.versionId === 2).length;
  }
}

function setup(checkEveryMs = 20) {
  const store = new MemoryStore();
  const runtime = new MemoryRuntime();
  const events: PlatformEvent[] = [];
  const engine = new RolloutEngine({
    store,
    runtime,
    emit: (e) => events.push({ ...e, seq: events.length + 1, time: new Date().toISOString() }),
    checkEveryMs,
  });
  return { store, runtime, events, engine };
}

/** Resolves with the rollout once `done` holds for the stored record, polling every 10 ms (bounded). */
async function until(store: MemoryStore, done: (r: Rollout) => boolean, ms = 5000): Promise<Rollout> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const r = store.records.at(-1);
    if (r && done(r)) return r;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`rollout did not get there: ${JSON.stringify(store.records.at(-1))}`);
}

const healthy = { requests: 50, errors: 0, errorRate: 0, p50Ms: 5, p95Ms: 10, p99Ms: 12 };

test('a healthy canary walks its steps to 100%, emitting every state', async () => {
  const { store, runtime, events, engine } = setup();
  runtime.v2 = healthy;
  const first = await engine.start('dev', 'api', { toVersion: 2, steps: [20, 60, 100], intervalMs: 50, gates: { minRequests: 5 } });
  assert.deepEqual([first.status, first.percent, first.fromVersion], ['running', 20, 1]);
  const done = await until(store, (r) => r.status !== 'running');
  engine.close();
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(store.alias.versionId, 2);
  assert.deepEqual(store.aliasWrites.map((w) => w.additionalVersionWeight['2'] ?? (w.versionId === 2 ? 1 : 0)), [0.2, 0.6, 1]);
  const percents = events.filter((e) => e.type === 'rollout.updated').map((e) => e.rollout!.percent);
  assert.deepEqual([...new Set(percents)], [0, 20, 60, 100]);
});

test('a failing error rate rolls back within the first step, with the figures', async () => {
  const { store, runtime, engine } = setup();
  runtime.v2 = { ...healthy, requests: 40, errors: 5, errorRate: 0.125 };
  await engine.start('dev', 'api', { toVersion: 2, intervalMs: 60_000, gates: { minRequests: 10 } });
  const done = await until(store, (r) => r.status !== 'running');
  engine.close();
  assert.equal(done.status, 'rolledBack');
  assert.equal(done.step, 0);
  assert.equal(done.reason, 'error rate 12.5% over 40 requests > 1% allowed');
  assert.deepEqual([store.alias.versionId, store.alias.additionalVersionWeight], [1, {}]);
});

test('readings alone are saved at most once a second; a rollback is saved at once with the reading it judged', async () => {
  const { store, runtime, events, engine } = setup(5);
  runtime.v2 = { ...healthy, requests: 0 };
  await engine.start('dev', 'api', { toVersion: 2, steps: [50, 100], intervalMs: 60_000, gates: { minRequests: 1000 } });
  const updates = () => events.filter((e) => e.type === 'rollout.updated').map((e) => e.rollout!);
  const started = updates().length;
  const traffic = setInterval(() => (runtime.v2 = { ...runtime.v2, requests: runtime.v2.requests + 1 }), 2);
  // Every look (every 5 ms) sees a new reading; wait until three of them have been announced after the start's.
  const announced = () => events.filter((e) => e.type === 'rollout.updated').slice(started - 1);
  await until(store, () => announced().length >= 4, 10_000);
  clearInterval(traffic);
  const times = announced().map((e) => Date.parse(e.time));
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(gaps.every((gap) => gap >= 1000), `readings announced ${gaps.join(', ')} ms apart`);
  assert.ok(announced().every((e) => e.rollout!.status === 'running' && e.rollout!.step === 0 && e.rollout!.percent === 50), 'only readings changed');
  assert.equal(store.records.at(-1)!.reading?.requests, announced().at(-1)!.rollout!.reading?.requests, 'what is announced is what is saved');
  const before = updates().length;
  runtime.v2 = { ...healthy, requests: 1000, errors: 500, errorRate: 0.5 };
  const done = await until(store, (r) => r.status !== 'running');
  engine.close();
  assert.equal(done.status, 'rolledBack');
  assert.deepEqual(updates().slice(before).map((r) => r.status), ['rolledBack']);
  assert.equal(done.reading?.requests, 1000);
});

test('one active rollout per function: a second start is a CONFLICT; after abort it is allowed', async () => {
  const { store, engine } = setup();
  await engine.start('dev', 'api', { toVersion: 2, intervalMs: 60_000 });
  await assert.rejects(engine.start('dev', 'api', { toVersion: 2 }), (e: unknown) => isFlightdeckError(e, 'CONFLICT'));
  const aborted = await engine.act('dev', 'api', 'abort');
  assert.equal(aborted.status, 'aborted');
  assert.equal(store.canaryWeight(), 0);
  const again = await engine.start('dev', 'api', { toVersion: 2, intervalMs: 60_000 });
  assert.equal(again.status, 'running');
  engine.close();
});

test('start rejects a missing version, alias or function with NOT_FOUND naming what', async () => {
  const { engine } = setup();
  await assert.rejects(engine.start('dev', 'api', { toVersion: 9 }), (e: unknown) => isFlightdeckError(e, 'NOT_FOUND') && e.details.field === 'toVersion');
  await assert.rejects(engine.start('dev', 'api', { toVersion: 2, alias: 'beta' }), (e: unknown) => isFlightdeckError(e, 'NOT_FOUND') && e.details.field === 'alias');
  await assert.rejects(engine.start('dev', 'nope', { toVersion: 2 }), (e: unknown) => isFlightdeckError(e, 'NOT_FOUND'));
  await assert.rejects(engine.start('dev', 'api', { toVersion: 1 }), (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST'));
  engine.close();
});

test('an auto batch release upgrades slots batch by batch and weights follow upgraded instances', async () => {
  const { store, runtime, engine } = setup();
  runtime.v2 = healthy;
  const first = await engine.start('dev', 'api', { toVersion: 2, strategy: 'batch', batches: 2, intervalMs: 30, gates: { minRequests: 5 } });
  assert.deepEqual([first.percent, runtime.onV2(), store.canaryWeight()], [50, 2, 0.5]);
  const done = await until(store, (r) => r.status !== 'running');
  engine.close();
  assert.equal(done.status, 'succeeded');
  assert.equal(runtime.onV2(), 4);
  assert.deepEqual(runtime.upgrades.map((u) => u.options), [
    { slots: 2, fromVersion: 1, mode: 'inPlace' },
    { slots: 2, fromVersion: 1, mode: 'inPlace' }, // the runtime keeps v1 at its share: no extra slots to sweep up
  ]);
});

test('a manual batch release waits for Continue after each batch; abort moves the slots back', async () => {
  const { store, runtime, engine } = setup();
  const first = await engine.start('dev', 'api', { toVersion: 2, strategy: 'batch', batches: 4, manual: true, intervalMs: 10 });
  assert.deepEqual([first.status, runtime.onV2()], ['waiting', 1]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(store.records.at(-1)!.status, 'waiting');
  const second = await engine.act('dev', 'api', 'continue');
  assert.deepEqual([second.status, second.percent, runtime.onV2(), store.canaryWeight()], ['waiting', 50, 2, 0.5]);
  const aborted = await engine.act('dev', 'api', 'abort');
  engine.close();
  assert.deepEqual([aborted.status, runtime.onV2(), store.canaryWeight()], ['aborted', 0, 0]);
});

test('a restarted engine resumes a canary at its step with the remaining interval', async () => {
  const first = setup();
  first.runtime.v2 = healthy;
  const intervalMs = 60_000;
  await first.engine.start('dev', 'api', { toVersion: 2, steps: [10, 50, 100], intervalMs, gates: { minRequests: 5 } });
  await first.engine.act('dev', 'api', 'continue');
  first.engine.close();
  const saved = first.store.records.at(-1)!;
  assert.deepEqual([saved.step, saved.percent], [1, 50]);
  // The platform went down 59.5 s into the minute-long step.
  const stepStarted = new Date(Date.now() - intervalMs + 500).toISOString();

  // A new engine over the same state, as after a platform restart.
  const second = setup();
  second.store.records = [{ ...saved, stepStarted }];
  second.store.alias = first.store.alias;
  second.runtime.v2 = healthy;
  await second.engine.resume(assert.fail);
  assert.equal(second.store.records.at(-1)!.stepStarted, stepStarted, 'the step keeps its start time');
  // Half a second remains; a step that started over would run another 60 s, past this wait.
  const done = await until(second.store, (r) => r.status !== 'running', 20_000);
  second.engine.close();
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(second.store.aliasWrites.map((w) => w.versionId), [2], 'only the last step was applied after resume');
});

test('a rollout that cannot resume is logged and the others still resume', async () => {
  const first = setup();
  first.runtime.v2 = healthy;
  await first.engine.start('dev', 'api', { toVersion: 2, steps: [10, 100], intervalMs: 100, gates: { minRequests: 5 } });
  first.engine.close();
  const saved = first.store.records.at(-1)!;

  const second = setup();
  second.store.records = first.store.records;
  second.store.alias = first.store.alias;
  second.runtime.v2 = healthy;
  // Listed first: a function whose record cannot be read any more.
  second.store.latestRollouts = () => [{ ...saved, id: 'broken', function: 'gone' }, saved];
  const plain = second.store.functionConfig.bind(second.store);
  second.store.functionConfig = (env, fn) => {
    if (fn === 'gone') throw new Error('record unreadable');
    return plain(env, fn);
  };
  const logged: string[] = [];
  await second.engine.resume((line) => logged.push(line));
  assert.deepEqual(logged, ['could not resume rollout broken of dev/gone: record unreadable']);
  const done = await until(second.store, (r) => r.status !== 'running');
  second.engine.close();
  assert.equal(done.status, 'succeeded', 'dev/api resumed after dev/gone failed');
});

test('restart validates batches and delegates to the runtime', async () => {
  const { runtime, engine } = setup();
  await engine.restart('dev', 'api', { batches: 4 });
  await engine.restart('dev', 'api', {});
  await engine.restart('dev', 'api', undefined);
  assert.deepEqual(runtime.restarts, [4, 2, 2]);
  await assert.rejects(engine.restart('dev', 'api', { batches: 5 }), (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST') && e.details.field === 'batches');
  for (const body of [5, 'x', [], null]) {
    await assert.rejects(engine.restart('dev', 'api', body), (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST') && e.details.field === 'body', JSON.stringify(body));
  }
  engine.close();
});

test('an alias moved outside the rollout (a deploy, a promote) is left alone and the rollout stops', async () => {
  const { store, runtime, engine } = setup();
  runtime.v2 = healthy;
  await engine.start('dev', 'api', { toVersion: 2, steps: [10, 100], intervalMs: 60_000 });
  store.alias = { ...store.alias, versionId: 3, additionalVersionWeight: {}, etag: 'theirs' };
  const stopped = await engine.act('dev', 'api', 'continue');
  engine.close();
  assert.equal(stopped.status, 'rolledBack');
  assert.match(stopped.reason ?? '', /live was moved to v3 outside the rollout of v2; left as it is/);
  assert.deepEqual([store.alias.versionId, store.alias.etag], [3, 'theirs']);
});

test('a version that does not start gets no rollout: NOT_STARTED names it and the reason, live untouched', async () => {
  const { store, engine } = setup();
  store.v2Starts = false;
  await assert.rejects(engine.start('dev', 'api', { toVersion: 2, intervalMs: 50 }), (e: unknown) =>
    isFlightdeckError(e, 'NOT_STARTED') && e.details.version === 2 && /v2 of dev\/api does not start.*index\.js:2: SyntaxError/.test(e.message));
  engine.close();
  assert.deepEqual([store.records.length, store.aliasWrites.length], [0, 0]);
});

test('a version that turns unhealthy during the rollout rolls back, whatever the traffic', async () => {
  const { store, engine } = setup();
  const started = await engine.start('dev', 'api', { toVersion: 2, intervalMs: 60_000 });
  store.v2Health = { health: 'unhealthy', healthReason: 'crash loop: 5 crashes in 30 s', healthUpdated: new Date(Date.parse(started.started) + 1).toISOString() };
  const done = await until(store, (r) => r.status !== 'running');
  engine.close();
  assert.equal(done.status, 'rolledBack');
  assert.equal(done.reason, 'v2 is unhealthy: crash loop: 5 crashes in 30 s');
  assert.equal(store.canaryWeight(), 0);
});

test('a rollout that reaches 100% without one judged step ends completedUnverified; one judged step makes it succeeded', async () => {
  const { store, runtime, engine } = setup();
  runtime.v2 = { ...healthy, requests: 3 };
  await engine.start('dev', 'api', { toVersion: 2, steps: [50, 100], intervalMs: 30, gates: { minRequests: 5 } });
  const quiet = await until(store, (r) => r.status !== 'running');
  assert.equal(quiet.status, 'completedUnverified');
  assert.match(quiet.note ?? '', /no step had the 5 requests/);
  runtime.v2 = healthy;
  store.alias = { ...store.alias, versionId: 1, additionalVersionWeight: {} };
  await engine.start('dev', 'api', { toVersion: 2, steps: [50, 100], intervalMs: 30, gates: { minRequests: 5 } });
  const judged = await until(store, (r) => r.status !== 'running' && r.id !== quiet.id);
  engine.close();
  assert.deepEqual([judged.status, judged.verifiedSteps], ['succeeded', 1]);
});
