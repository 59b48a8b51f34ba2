// The pure rollout logic: spec normalisation and validation, plans, gate decisions and the state
// transitions of user actions. Table-driven; no I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFlightdeckError } from '../../src/errors';
import type { GateReading, Rollout, RolloutSpec } from '../../src/model';
import type { RolloutAction } from '../../src/provider';
import { normaliseSpec } from '../../src/rollout/spec';
import { batchSizes, createRollout, decide, decideAction, describeRollout, firstStep, planSteps, transition, type Decision } from '../../src/rollout/plan';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function spec(extra: Partial<RolloutSpec> = {}): RolloutSpec {
  return normaliseSpec({ toVersion: 2, intervalMs: 1000, gates: { minRequests: 10 }, ...extra }, { instances: 4 });
}

/** A rollout started at T0 with step 0 applied. */
function started(s: RolloutSpec, instances = 4): Rollout {
  const fresh = createRollout({ id: 'r1', environment: 'dev', function: 'api', spec: s, fromVersion: 1, instances }, T0);
  return transition(fresh, firstStep(fresh), T0);
}

function reading(requests: number, errorRate = 0, p95Ms = 20): GateReading {
  return { requests, errorRate, p95Ms };
}

test('normaliseSpec fills the documented defaults', () => {
  const s = normaliseSpec({ toVersion: 7 }, { instances: 0 });
  assert.deepEqual(s, {
    strategy: 'canary',
    alias: 'live',
    toVersion: 7,
    steps: [10, 25, 50, 100],
    intervalMs: 30_000,
    gates: { maxErrorRate: 0.01, maxP95Ms: 500, minRequests: 20 },
  });
  const b = normaliseSpec({ toVersion: 7, strategy: 'batch' }, { instances: 4 });
  assert.equal(b.batches, 2);
  assert.equal(b.manual, false);
  assert.equal(b.mode, 'inPlace');
  assert.equal(b.steps, undefined);
  assert.equal(normaliseSpec({ toVersion: 7, strategy: 'batch' }, { instances: 1 }).batches, 1);
});

test('normaliseSpec takes steps and interval from a preset unless given explicitly', () => {
  assert.deepEqual(normaliseSpec({ toVersion: 2, preset: 'Canary10Percent5Minutes' }, { instances: 0 }).steps, [10, 100]);
  assert.equal(normaliseSpec({ toVersion: 2, preset: 'Canary10Percent5Minutes' }, { instances: 0 }).intervalMs, 300_000);
  const mixed = normaliseSpec({ toVersion: 2, preset: 'Linear25PercentEvery1Minute', intervalMs: 500 }, { instances: 0 });
  assert.deepEqual(mixed.steps, [25, 50, 75, 100]);
  assert.equal(mixed.intervalMs, 500);
});

const invalid: { name: string; input: unknown; instances?: number; field: string; says: RegExp }[] = [
  { name: 'missing version', input: {}, field: 'toVersion', says: /required/ },
  { name: 'version not whole', input: { toVersion: 1.5 }, field: 'toVersion', says: /whole number/ },
  { name: 'steps not increasing', input: { toVersion: 2, steps: [10, 50, 50, 100] }, field: 'steps.2', says: /must increase/ },
  { name: 'steps not ending at 100', input: { toVersion: 2, steps: [10, 50] }, field: 'steps', says: /end at 100.*50/ },
  { name: 'step above 100', input: { toVersion: 2, steps: [10, 150] }, field: 'steps.1', says: /1 to 100/ },
  { name: 'step zero', input: { toVersion: 2, steps: [0, 100] }, field: 'steps.0', says: /1 to 100/ },
  { name: 'steps empty', input: { toVersion: 2, steps: [] }, field: 'steps', says: /non-empty/ },
  { name: 'steps as text', input: { toVersion: 2, steps: '10,100' }, field: 'steps', says: /list/ },
  { name: 'negative interval', input: { toVersion: 2, intervalMs: -1 }, field: 'intervalMs', says: /from 0/ },
  { name: 'error rate above 1', input: { toVersion: 2, gates: { maxErrorRate: 5 } }, field: 'gates.maxErrorRate', says: /0 to 1/ },
  { name: 'p95 zero', input: { toVersion: 2, gates: { maxP95Ms: 0 } }, field: 'gates.maxP95Ms', says: /from 1/ },
  { name: 'unknown strategy', input: { toVersion: 2, strategy: 'bluegreen' }, field: 'strategy', says: /canary, batch/ },
  { name: 'unknown preset', input: { toVersion: 2, preset: 'Fast' }, field: 'preset', says: /Canary10Percent5Minutes/ },
  { name: 'zero batches', input: { toVersion: 2, strategy: 'batch', batches: 0 }, field: 'batches', says: /from 1/ },
  { name: 'more batches than instances', input: { toVersion: 2, strategy: 'batch', batches: 5 }, field: 'batches', says: /must not exceed.*4/ },
  { name: 'batch without instances', input: { toVersion: 2, strategy: 'batch' }, instances: 0, field: 'strategy', says: /instances\.min/ },
  { name: 'bad mode', input: { toVersion: 2, strategy: 'batch', mode: 'rolling' }, field: 'mode', says: /inPlace, recreate/ },
  { name: 'manual not boolean', input: { toVersion: 2, strategy: 'batch', manual: 'yes' }, field: 'manual', says: /true or false/ },
  { name: 'body not an object', input: [1], field: 'rollout', says: /object/ },
];

for (const c of invalid) {
  test(`normaliseSpec rejects ${c.name}, naming ${c.field}`, () => {
    assert.throws(
      () => normaliseSpec(c.input, { instances: c.instances ?? 4 }),
      (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST') && e.details.field === c.field && c.says.test(e.message),
    );
  });
}

test('batch plans split instances larger batches first and share traffic by upgraded instances', () => {
  assert.deepEqual(batchSizes(5, 2), [3, 2]);
  assert.deepEqual(batchSizes(4, 4), [1, 1, 1, 1]);
  assert.deepEqual(batchSizes(3, 1), [3]);
  assert.deepEqual(planSteps(spec({ strategy: 'batch', batches: 2 }), 4), [
    { upgraded: 2, percent: 50 },
    { upgraded: 4, percent: 100 },
  ]);
  assert.deepEqual(planSteps(normaliseSpec({ toVersion: 2, strategy: 'batch', batches: 3 }, { instances: 3 }), 3).map((s) => s.percent), [33.3, 66.7, 100]);
  assert.deepEqual(planSteps(spec()).map((s) => s.percent), [10, 25, 50, 100]);
});

test('starting applies step 0; a single-step plan ends at once, unverified (no step was judged)', () => {
  const r = started(spec());
  assert.equal(r.step, 0);
  assert.equal(r.percent, 10);
  assert.equal(r.totalSteps, 4);
  assert.equal(r.status, 'running');
  const all = started(spec({ steps: [100] }));
  assert.equal(all.status, 'completedUnverified');
  assert.equal(all.percent, 100);
  assert.match(describeRollout(all), /completed-unverified/);
});

interface DecideCase {
  name: string;
  at: number;
  reading?: GateReading;
  expect: Partial<Decision> & { kind: Decision['kind'] };
  reason?: RegExp;
}

const canaryCases: DecideCase[] = [
  { name: 'waits inside the interval', at: T0 + 500, reading: reading(12), expect: { kind: 'wait', until: T0 + 1000 } },
  { name: 'no verdict before minRequests even when failing', at: T0 + 500, reading: reading(9, 1), expect: { kind: 'wait' } },
  { name: 'advances at the end of the interval when healthy', at: T0 + 1000, reading: reading(12), expect: { kind: 'advance', step: 1, percent: 25, note: undefined } },
  {
    name: 'advances without a verdict when the interval ends with too few requests',
    at: T0 + 1500,
    reading: reading(3),
    expect: { kind: 'advance', step: 1, percent: 25, note: 'advanced without a verdict: 3 of 10 requests in the interval' },
  },
  { name: 'advances without any reading', at: T0 + 1000, expect: { kind: 'advance', step: 1 } },
  {
    name: 'rolls back at the end of the interval when its few requests fail a gate',
    at: T0 + 1000,
    reading: reading(3, 1),
    expect: { kind: 'rollBack', status: 'rolledBack' },
    reason: /^error rate 100% over 3 requests > 1% allowed \(only 3 of the 10 requests wanted came in the interval\)$/,
  },
  {
    name: 'rolls back mid-step on the error rate, giving the figures',
    at: T0 + 200,
    reading: reading(40, 0.125),
    expect: { kind: 'rollBack', status: 'rolledBack' },
    reason: /^error rate 12\.5% over 40 requests > 1% allowed$/,
  },
  { name: 'rolls back on p95', at: T0 + 1000, reading: reading(20, 0, 812.4), expect: { kind: 'rollBack' }, reason: /^p95 812 ms over 20 requests > 500 ms allowed$/ },
  { name: 'an error rate equal to the limit passes', at: T0 + 1000, reading: reading(100, 0.01), expect: { kind: 'advance' } },
];

for (const c of canaryCases) {
  test(`canary decide: ${c.name}`, () => {
    const d = decide(started(spec()), c.reading, c.at);
    assert.deepEqual(pick(d, Object.keys(c.expect)), c.expect);
    if (c.reason) assert.match((d as { reason: string }).reason, c.reason);
  });
}

test('canary decide at the step before 100 succeeds; a full healthy walk reaches 100%', () => {
  let r = started(spec());
  let now = T0;
  const seen: number[] = [r.percent];
  while (r.status === 'running') {
    now += 1000;
    r = transition(r, decide(r, reading(50), now), now);
    seen.push(r.percent);
  }
  assert.deepEqual(seen, [10, 25, 50, 100]);
  assert.equal(r.status, 'succeeded');
  assert.equal(r.ended, new Date(now).toISOString());
});

test('minRequests 0 asks for no proof from traffic: a rollout without requests succeeds, even a single step; unreadable metrics still leave it unverified', () => {
  const walk = (s: RolloutSpec, withReading: GateReading | undefined) => {
    let r = started(s);
    for (let now = T0 + 1000; r.status === 'running'; now += 1000) r = transition(r, decide(r, withReading, now), now);
    return r.status;
  };
  const none = { gates: { minRequests: 0 } as RolloutSpec['gates'] };
  assert.equal(walk(spec(none), reading(0)), 'succeeded');
  assert.equal(walk(spec(none), undefined), 'succeeded');
  assert.equal(started(spec({ ...none, steps: [100] })).status, 'succeeded');
  assert.equal(walk(spec(none), { ...reading(0), ungated: 'no metrics endpoint' }), 'completedUnverified');
  // With a minimum, no traffic is no verdict.
  assert.equal(walk(spec(), reading(0)), 'completedUnverified');
});

test('a failing gate rolls back to 0% with the reason and an end time', () => {
  const r = started(spec());
  const d = decide(r, reading(40, 0.5), T0 + 10);
  const back = transition(r, d, T0 + 10);
  assert.equal(back.status, 'rolledBack');
  assert.equal(back.percent, 0);
  assert.match(back.reason ?? '', /error rate 50% over 40 requests > 1% allowed/);
  assert.ok(back.ended);
});

test('a paused rollout never advances, even long after its interval', () => {
  const r = transition(started(spec()), { kind: 'pause' }, T0 + 100);
  assert.equal(r.status, 'paused');
  assert.equal(decide(r, reading(100), T0 + 60_000).kind, 'wait');
});

test('resume restarts the step interval so the gates judge fresh traffic', () => {
  const paused = transition(started(spec()), { kind: 'pause' }, T0 + 100);
  const resumed = transition(paused, decideAction(paused, 'resume'), T0 + 5000);
  assert.equal(resumed.status, 'running');
  assert.equal(resumed.stepStarted, new Date(T0 + 5000).toISOString());
  assert.equal(decide(resumed, reading(50), T0 + 5500).kind, 'wait');
  assert.equal(decide(resumed, reading(50), T0 + 6000).kind, 'advance');
});

test('manual batch: every batch but the last waits for Continue; Continue applies the next', () => {
  const s = spec({ strategy: 'batch', batches: 4, manual: true });
  let r = started(s);
  assert.equal(r.status, 'waiting');
  assert.equal(r.percent, 25);
  assert.equal(decide(r, reading(50), T0 + 3_600_000).kind, 'waitForContinue');
  r = transition(r, decide(r, reading(50), T0 + 5), T0 + 5); // the first batch served enough to be judged
  for (const percent of [50, 75]) {
    r = transition(r, decideAction(r, 'continue'), T0 + 10);
    assert.deepEqual([r.status, r.percent], ['waiting', percent]);
  }
  r = transition(r, decideAction(r, 'continue'), T0 + 20);
  assert.deepEqual([r.status, r.percent, r.step], ['succeeded', 100, 3]);
});

test('manual batch: a failing gate while waiting still rolls back', () => {
  const r = started(spec({ strategy: 'batch', batches: 2, manual: true }));
  assert.equal(decide(r, reading(30, 0.2), T0 + 10).kind, 'rollBack');
});

test('auto batch waits the interval between batches', () => {
  const r = started(spec({ strategy: 'batch', batches: 2 }));
  assert.deepEqual([r.status, r.percent], ['running', 50]);
  assert.equal(decide(r, reading(50), T0 + 999).kind, 'wait');
  assert.deepEqual(pick(decide(r, reading(50), T0 + 1000), ['kind', 'step', 'percent']), { kind: 'succeed', step: 1, percent: 100 });
});

interface ActionCase {
  name: string;
  from: (r: Rollout) => Rollout;
  action: RolloutAction;
  expect?: Partial<Decision>;
  conflict?: RegExp;
}

const pausedOf = (r: Rollout): Rollout => transition(r, { kind: 'pause' }, T0);
const ended = (status: Rollout['status']) => (r: Rollout): Rollout => ({ ...r, status });

const actionCases: ActionCase[] = [
  { name: 'pause a running rollout', from: (r) => r, action: 'pause', expect: { kind: 'pause' } },
  { name: 'pause twice', from: pausedOf, action: 'pause', conflict: /already paused/ },
  { name: 'resume a running rollout', from: (r) => r, action: 'resume', conflict: /running, not paused/ },
  { name: 'continue a running canary skips the rest of the step', from: (r) => r, action: 'continue', expect: { kind: 'advance', step: 1, percent: 25 } },
  { name: 'continue a paused rollout', from: pausedOf, action: 'continue', conflict: /resume it first/ },
  { name: 'promote jumps to 100%', from: (r) => r, action: 'promote', expect: { kind: 'succeed', step: 3, percent: 100 } },
  { name: 'promote a paused rollout', from: pausedOf, action: 'promote', expect: { kind: 'succeed', percent: 100 } },
  { name: 'abort sends traffic back', from: (r) => r, action: 'abort', expect: { kind: 'rollBack', status: 'aborted' } },
  { name: 'abort a finished rollout', from: ended('succeeded'), action: 'abort', conflict: /already succeeded/ },
  { name: 'resume a rolled-back rollout', from: ended('rolledBack'), action: 'resume', conflict: /already rolled back/ },
];

for (const c of actionCases) {
  test(`action: ${c.name}`, () => {
    const r = c.from(started(spec()));
    if (c.conflict) {
      assert.throws(() => decideAction(r, c.action), (e: unknown) => isFlightdeckError(e, 'CONFLICT') && c.conflict!.test(e.message));
    } else {
      assert.deepEqual(pick(decideAction(r, c.action), Object.keys(c.expect!)), c.expect);
    }
  });
}

test('abort ends at 0% with a reason naming the stable version', () => {
  const r = started(spec());
  const aborted = transition(r, decideAction(r, 'abort'), T0 + 1);
  assert.deepEqual([aborted.status, aborted.percent], ['aborted', 0]);
  assert.match(aborted.reason ?? '', /aborted by request at 10%; traffic back to v1/);
});

test('describeRollout says step, percent, status and figures', () => {
  const r = transition(started(spec()), { kind: 'wait', reading: reading(40, 0.025, 31) }, T0);
  assert.equal(describeRollout(r), 'v2 canary step 1/4 at 10% · running · 2.5% errors, p95 31 ms over 40 requests');
});

function pick(value: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown>)[k]]));
}
