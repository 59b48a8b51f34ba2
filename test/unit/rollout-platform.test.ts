// Rollouts end to end: the real bundled platform process, real function processes, real HTTP
// load through the gateway. Build first (`npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Alias, Rollout } from '../../src/model';
import { EventStream, restartWaves } from '../helpers/events';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { ENV, FN, FN_PATH, getRollout, readyInstances, rolloutEnded, startLoad, twoVersions, waitFor } from './rollout-support';

/** Runs `body` against a fresh platform and always stops it and removes its state. */
async function withPlatform(body: (platform: TestPlatform) => Promise<void>): Promise<void> {
  const platform = await startPlatform();
  try {
    await body(platform);
  } catch (error) {
    (error as Error).message += `\n--- platform output ---\n${platform.output().slice(-3000)}`;
    throw error;
  } finally {
    await platform.stop();
    rmSync(platform.home, { recursive: true, force: true });
  }
}

async function startRollout(platform: TestPlatform, spec: object): Promise<Rollout> {
  const res = await platform.api('POST', `${FN_PATH}/rollout`, spec);
  assert.equal(res.status, 201, res.text);
  return res.json as Rollout;
}

async function live(platform: TestPlatform): Promise<Alias> {
  return (await platform.api('GET', `${FN_PATH}/aliases/live`)).json as Alias;
}

const QUICK_GATES = { minRequests: 5, maxErrorRate: 0.01, maxP95Ms: 2000 };

test('a healthy canary reaches 100% step by step under load', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform);
    const load = startLoad(platform, 4);
    const first = await startRollout(platform, { toVersion: 2, steps: [20, 50, 100], intervalMs: 300, gates: QUICK_GATES });
    assert.deepEqual([first.status, first.step, first.percent, first.totalSteps, first.fromVersion], ['running', 0, 20, 3, 1]);
    const done = await rolloutEnded(platform);
    const result = await load.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.percent, 100);
    assert.deepEqual(result.failures, []);
    const alias = await live(platform);
    assert.deepEqual([alias.versionId, alias.additionalVersionWeight], [2, {}]);
    const res = await fetch(`${platform.url}/fn/prod/app/`);
    assert.equal(res.headers.get('x-flightdeck-version'), '2');
    assert.match(await res.text(), /release 2/);
  });
});

test('a version answering 5xx is rolled back within its first step; traffic and responses return to stable', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, { FAIL_EVERY: '2' });
    const load = startLoad(platform, 4);
    // A long interval: the gate must fail mid-step, not at the step's end.
    await startRollout(platform, { toVersion: 2, steps: [25, 50, 100], intervalMs: 60_000, gates: QUICK_GATES });
    const done = await rolloutEnded(platform, 30_000);
    await load.stop();
    assert.equal(done.status, 'rolledBack', JSON.stringify(done));
    assert.equal(done.step, 0);
    assert.equal(done.percent, 0);
    assert.match(done.reason ?? '', /^error rate \d+(\.\d)?% over \d+ requests > 1% allowed$/);
    const alias = await live(platform);
    assert.deepEqual([alias.versionId, alias.additionalVersionWeight], [1, {}]);
    const after = await startLoad(platform, 2);
    await waitFor('40 requests after the rollback', async () => (after.peek().requests >= 40 ? true : undefined));
    const result = await after.stop();
    assert.deepEqual(result.failures, []);
    assert.deepEqual(Object.keys(result.byVersion), ['1']);
  });
});

test('a failing canary is judged on its minRequests-th answer: not before, and before any more', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, { FAIL_EVERY: '2' });
    const minRequests = 20;
    await startRollout(platform, { toVersion: 2, steps: [50, 100], intervalMs: 60_000, gates: { ...QUICK_GATES, minRequests } });
    // The only traffic: answers of the canary, one at a time. How fast the gates are read once
    // judgeable is measured in the bench (rollout · failed gate).
    const canary = async () => {
      const res = await fetch(`${platform.url}/fn/${ENV}/${FN}:2/`);
      await res.arrayBuffer();
    };
    for (let n = 1; n < minRequests; n++) await canary();
    const short = await waitFor(`a reading of ${minRequests - 1} requests`, async () => {
      const r = await getRollout(platform);
      return r.reading?.requests === minRequests - 1 ? r : undefined;
    });
    assert.ok(short.reading!.errorRate > 0.3, JSON.stringify(short.reading));
    assert.equal(short.status, 'running', `failing, but one request short of minRequests: ${JSON.stringify(short)}`);
    await canary();
    const done = await rolloutEnded(platform, 30_000);
    assert.equal(done.status, 'rolledBack', JSON.stringify(done));
    assert.match(done.reason ?? '', new RegExp(`^error rate \\d+(\\.\\d)?% over ${minRequests} requests > 1% allowed$`));
  });
});

test('a platform killed with -9 mid-rollout resumes the canary at its step', { timeout: 60_000 }, async () => {
  const first = await startPlatform();
  let second: TestPlatform | undefined;
  try {
    await twoVersions(first);
    await startRollout(first, { toVersion: 2, steps: [10, 50, 100], intervalMs: 4000, gates: QUICK_GATES });
    const atStep2 = (await first.api('POST', `${FN_PATH}/rollout/continue`)).json as Rollout;
    assert.deepEqual([atStep2.step, atStep2.percent], [1, 50]);
    await first.kill9();

    second = await startPlatform({ home: first.home });
    const resumed = await getRollout(second);
    assert.equal(resumed.id, atStep2.id);
    assert.deepEqual([resumed.status, resumed.step, resumed.percent], ['running', 1, 50]);
    assert.equal(resumed.stepStarted, atStep2.stepStarted, 'the step keeps its start time: it runs only its remaining interval');
    assert.deepEqual((await live(second)).additionalVersionWeight, { '2': 0.5 });
    const done = await rolloutEnded(second, 30_000);
    // No traffic came, so no step was judged: it completes, but not as a success.
    assert.equal(done.status, 'completedUnverified', JSON.stringify(done));
    assert.equal(done.step, 2);
    assert.equal((await live(second)).versionId, 2);
  } finally {
    await first.kill9();
    await second?.stop();
    rmSync(first.home, { recursive: true, force: true });
  }
});

test('a second rollout while one is active is refused with 409', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform);
    await startRollout(platform, { toVersion: 2, intervalMs: 60_000 });
    const again = await platform.api('POST', `${FN_PATH}/rollout`, { toVersion: 2 });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.error.code, 'CONFLICT');
    const bad = await platform.api('POST', `${FN_PATH}/rollout/abort`);
    assert.equal(bad.json.status, 'aborted');
    const invalid = await platform.api('POST', `${FN_PATH}/rollout`, { toVersion: 2, steps: [50, 20, 100] });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.error.field, 'steps.1');
  });
});

test('a batch release of 4 instances upgrades them in place under concurrent load without failing a request', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 4, max: 4 });
    const before = await fourReadyInstances(platform);
    const load = startLoad(platform, 8);
    const first = await startRollout(platform, { toVersion: 2, strategy: 'batch', batches: 2, intervalMs: 300, gates: QUICK_GATES });
    assert.deepEqual([first.step, first.percent, first.totalSteps], [0, 50, 2]);
    const done = await rolloutEnded(platform, 60_000);
    const result = await load.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.requests} requests failed`);
    assert.ok((result.byVersion['1'] ?? 0) > 0 && (result.byVersion['2'] ?? 0) > 0, JSON.stringify(result.byVersion));
    const after = await readyInstances(platform);
    assert.deepEqual(after.map((i) => i.versionId), [2, 2, 2, 2]);
    assert.deepEqual(after.map((i) => i.slot).sort(), before.map((i) => i.slot).sort(), 'upgraded in the same slots');
  });
});

test('a batch release at instances.max (min = max = 4) under queueing load keeps 4 slots, never moves an upgraded slot back, fails nothing', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    // concurrency 1 and twice as many clients as slots: requests always wait for a slot, so the
    // runtime is constantly asked to rebalance while the release moves slots and weights.
    await twoVersions(platform, {}, { min: 4, max: 4, concurrency: 1 });
    await fourReadyInstances(platform);
    const load = startLoad(platform, 8);
    const upgraded: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const all = (await platform.api('GET', `${FN_PATH}/instances`)).json.instances as { versionId: number }[];
        upgraded.push(all.filter((i) => i.versionId === 2).length);
        await sleep(10);
      }
    })();
    await startRollout(platform, { toVersion: 2, strategy: 'batch', batches: 2, intervalMs: 500, gates: QUICK_GATES });
    const done = await rolloutEnded(platform, 60_000);
    await sleep(500); // the runtime has a chance to undo something after the last step
    sampling = false;
    await sampler;
    const result = await load.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.requests} requests failed`);
    const movedBack = upgraded.findIndex((n, i) => i > 0 && n < upgraded[i - 1]);
    assert.equal(movedBack, -1, `slots on v2 over time: ${upgraded.join(',')}`);
    assert.deepEqual((await readyInstances(platform)).map((i) => i.versionId), [2, 2, 2, 2]);
  });
});

test('a manual batch release waits for Continue between batches', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 2, max: 2 });
    await waitFor('2 ready instances', async () => ((await readyInstances(platform)).length === 2 ? true : undefined));
    const first = await startRollout(platform, { toVersion: 2, strategy: 'batch', batches: 2, manual: true, intervalMs: 50 });
    assert.deepEqual([first.status, first.percent], ['waiting', 50]);
    assert.deepEqual((await live(platform)).additionalVersionWeight, { '2': 0.5 });
    await sleep(500); // several engine looks: none may move it on
    assert.deepEqual([(await getRollout(platform)).status, (await getRollout(platform)).step], ['waiting', 0]);
    const continued = await platform.api('POST', `${FN_PATH}/rollout/continue`);
    assert.equal(continued.json.status, 'completedUnverified', continued.text); // no traffic: nothing judged
    assert.deepEqual((await readyInstances(platform)).map((i) => i.versionId), [2, 2]);
  });
});

test('an in-place restart under load fails no request and replaces every process, never more than a batch at once', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 4, max: 4 });
    const before = await fourReadyInstances(platform);
    const events = new EventStream(platform);
    await events.opened;
    const load = startLoad(platform, 8);
    const res = await platform.api('POST', `${FN_PATH}/restart`, { batches: 2 });
    assert.equal(res.status, 202, res.text);
    const oldPids = new Set(before.map((i) => i.pid));
    await waitFor('every instance restarted', async () => {
      const ready = await readyInstances(platform);
      return ready.length === 4 && ready.every((i) => !oldPids.has(i.pid)) ? true : undefined;
    }, 30_000);
    const result = await load.stop();
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.requests} requests failed`);
    assert.ok(result.requests > 0);
    const waves = await waitFor('all 4 slots back up', async () => {
      const seen = restartWaves(events.messages, 'app');
      return seen.ups >= 4 ? seen : undefined;
    });
    events.close();
    assert.deepEqual([waves.downs, waves.ups], [4, 4], JSON.stringify(waves));
    assert.ok(waves.mostDownAtOnce <= 2, `${waves.mostDownAtOnce} of 4 slots down at once: the second batch went down before the first was up`);
    const bad = await platform.api('POST', `${FN_PATH}/restart`, { batches: 9 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'batches');
  });
});

test('a failing batch release rolls back: traffic and the upgraded slots return to the stable version', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, { FAIL_EVERY: '2' }, { min: 2, max: 2 });
    await waitFor('2 ready instances', async () => ((await readyInstances(platform)).length === 2 ? true : undefined));
    const load = startLoad(platform, 4);
    const first = await startRollout(platform, { toVersion: 2, strategy: 'batch', batches: 2, manual: true, gates: QUICK_GATES });
    assert.deepEqual([first.status, first.percent], ['waiting', 50]);
    const done = await rolloutEnded(platform, 30_000);
    await load.stop();
    assert.equal(done.status, 'rolledBack', JSON.stringify(done));
    assert.match(done.reason ?? '', /^error rate/);
    assert.deepEqual([(await live(platform)).versionId, (await live(platform)).additionalVersionWeight], [1, {}]);
    const slots = await waitFor('both slots back on v1', async () => {
      const ready = await readyInstances(platform);
      return ready.length === 2 && ready.every((i) => i.versionId === 1) ? ready : undefined;
    });
    assert.equal(slots.length, 2);
  });
});

test('a batch release in recreate mode (for comparison) also ends with every instance on the new version', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 2, max: 4 });
    await waitFor('2 ready instances', async () => ((await readyInstances(platform)).length === 2 ? true : undefined));
    const load = startLoad(platform, 4);
    await startRollout(platform, { toVersion: 2, strategy: 'batch', batches: 2, mode: 'recreate', intervalMs: 1000, gates: QUICK_GATES }); // long enough for the load to be judged
    const done = await rolloutEnded(platform, 30_000);
    const result = await load.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(result.failures, []);
    const slots = await waitFor('only v2 instances', async () => {
      const ready = await readyInstances(platform);
      return ready.length >= 2 && ready.every((i) => i.versionId === 2) ? ready : undefined;
    });
    assert.ok(slots.length >= 2);
  });
});

test('a platform killed with -9 during a manual batch release resumes it waiting, slots re-upgraded', { timeout: 60_000 }, async () => {
  const first = await startPlatform();
  let second: TestPlatform | undefined;
  try {
    await twoVersions(first, {}, { min: 2, max: 2 });
    await waitFor('2 ready instances', async () => ((await readyInstances(first)).length === 2 ? true : undefined));
    const started = await startRollout(first, { toVersion: 2, strategy: 'batch', batches: 2, manual: true });
    assert.deepEqual([started.status, started.percent], ['waiting', 50]);
    await first.kill9();

    second = await startPlatform({ home: first.home });
    const platform = second;
    const resumed = await getRollout(platform);
    assert.deepEqual([resumed.id, resumed.status, resumed.step], [started.id, 'waiting', 0]);
    const versions = await waitFor('one slot on each version again', async () => {
      const ready = (await readyInstances(platform)).map((i) => i.versionId).sort();
      return ready.length === 2 && ready[0] === 1 && ready[1] === 2 ? ready : undefined;
    });
    assert.deepEqual(versions, [1, 2]);
    const continued = await platform.api('POST', `${FN_PATH}/rollout/continue`);
    assert.equal(continued.json.status, 'completedUnverified', continued.text); // no traffic: no batch was judged
    assert.deepEqual((await readyInstances(platform)).map((i) => i.versionId), [2, 2]);
  } finally {
    await first.kill9();
    await second?.stop();
    rmSync(first.home, { recursive: true, force: true });
  }
});

function fourReadyInstances(platform: TestPlatform): ReturnType<typeof readyInstances> {
  return waitFor('4 ready instances', async () => {
    const ready = await readyInstances(platform);
    return ready.length === 4 ? ready : undefined;
  });
}
