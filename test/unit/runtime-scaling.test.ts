// Instances through the real platform process: scale to zero after the idle timeout and a cold
// start after it, warm minimums, scale-out under concurrency, the queue timeout's 503, the
// request timeout's 504, a 502 when an instance dies mid-request, and crash-loop detection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { call, discard, fixture, fnPath, nodeConfig, waitFor } from '../helpers/gateway';
import type { Instance } from '../../src/model';

const ENV = 'dev';
const IDLE_MS = 300;
// The 503 test's own platform: its one instance is held for a minute, so only the timeout can answer.
const QUEUE_MS = 300;

describe('runtime scaling', { timeout: 120_000 }, () => {
  let platform: TestPlatform;

  before(async () => {
    // The default queue timeout: cold starts on a loaded machine must not turn into 503s here.
    platform = await startPlatform({ args: ['--idle-timeout-ms', String(IDLE_MS)] });
    await createEnv(platform, ENV);
  });

  after(async () => {
    await discard(platform);
  });

  const instances = async (fn: string): Promise<Instance[]> => (await platform.api('GET', fnPath(ENV, fn, '/instances'))).json.instances;

  test('an idle function scales to zero, then a cold start serves again', async () => {
    await deployDir(platform, ENV, 'idle', fixture('hello'), nodeConfig());
    // The deploy's start proof is kept as the first instance (as a Knative revision's first pod
    // is), so the request right after a deploy is not a cold start; idle, it goes like any other.
    const proof = await instances('idle');
    assert.equal(proof.length, 1, 'the start proof runs on');
    const first = await call(platform, `/fn/${ENV}/idle/`);
    assert.equal(first.status, 200);
    assert.equal(first.instance, proof[0].id, 'the first request is served by the start proof, warm');
    assert.equal((await instances('idle')).length, 1);
    await waitFor('scale to zero', async () => ((await instances('idle')).length === 0 ? true : undefined), 10_000);
    const again = await call(platform, `/fn/${ENV}/idle/`);
    assert.equal(again.status, 200);
    assert.notEqual(again.instance, first.instance, 'a new process served after the cold start');
  });

  test('instances.min stays warm past the idle timeout', async () => {
    await deployDir(platform, ENV, 'warm', fixture('hello'), nodeConfig({ instances: { min: 1 } }));
    const up = await waitFor('a warm instance', async () => {
      const list = await instances('warm');
      return list.length === 1 && list[0].state === 'ready' ? list[0] : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    assert.deepEqual((await instances('warm')).map((i) => i.id), [up.id]);
  });

  test('more in-flight requests than concurrency × instances scale out up to max', async () => {
    await deployDir(platform, ENV, 'wide', fixture('slow'), nodeConfig({ instances: { max: 3, concurrency: 1 } }));
    // Each request holds its instance long past any cold start, so none can be served by a slot another freed.
    const calls = Array.from({ length: 3 }, () => call(platform, `/fn/${ENV}/wide/?ms=8000`));
    const serving = await waitFor('3 instances each serving one request', async () => {
      const list = await instances('wide');
      return list.length === 3 && list.every((i) => i.inFlight === 1) ? list : undefined;
    }, 20_000);
    assert.deepEqual(serving.map((i) => i.slot), [0, 1, 2]);
    const answers = await Promise.all(calls);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.equal(new Set(answers.map((a) => a.instance)).size, 3);
  });

  test('at instances.max an idle slot switches to the version a request needs', async () => {
    await deployDir(platform, ENV, 'single', fixture('hello'), nodeConfig({ env: { GREETING: 'one' }, instances: { max: 1 } }));
    await deployDir(platform, ENV, 'single', fixture('hello'), nodeConfig({ env: { GREETING: 'two' }, instances: { max: 1 } }));
    for (const version of ['1', '2', '1']) {
      const answer = await call(platform, `/fn/${ENV}/single:${version}/`);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.version, version);
      assert.deepEqual((await instances('single')).map((i) => [i.slot, i.versionId]), [[0, Number(version)]]);
    }
  });

  test('a request that waits longer than the queue timeout gets 503 saying what to change', async () => {
    const short = await startPlatform({ args: ['--queue-timeout-ms', String(QUEUE_MS)] });
    try {
      await createEnv(short, ENV);
      // Warm first: a cold start may itself take longer than the short queue timeout.
      await deployDir(short, ENV, 'narrow', fixture('slow'), nodeConfig({ timeoutMs: 120_000, instances: { min: 1, max: 1, concurrency: 1 } }));
      await waitFor('the warm instance', async () => {
        const list = (await short.api('GET', fnPath(ENV, 'narrow', '/instances'))).json.instances;
        return list[0]?.state === 'ready' ? true : undefined;
      }, 20_000);
      const path = `/fn/${ENV}/narrow/`;
      const busy = call(short, `${path}?ms=60000`).then((a) => a.status, () => 'dropped');
      await waitFor('the first request in flight', async () => {
        const list = (await short.api('GET', fnPath(ENV, 'narrow', '/instances'))).json.instances;
        return list[0]?.inFlight === 1 ? true : undefined;
      });
      const queued = await call(short, path);
      assert.equal(queued.status, 503);
      assert.equal(queued.version, '1');
      assert.match(queued.text, new RegExp(`within ${QUEUE_MS} ms`));
      assert.match(queued.text, /Raise instances\.max or instances\.concurrency/);
      const metrics = (await short.api('GET', fnPath(ENV, 'narrow', '/metrics'))).json.versions[0];
      assert.equal(metrics.errors, 1, 'the gateway-made 503 counts as an error');
      await short.stop();
      assert.notEqual(await busy, 200, 'the held request ends with the platform');
    } finally {
      await discard(short);
    }
  });

  test('a request slower than timeoutMs gets 504', async () => {
    await deployDir(platform, ENV, 'sluggish', fixture('slow'), nodeConfig({ timeoutMs: 200 }));
    const answer = await call(platform, `/fn/${ENV}/sluggish/?ms=2000`);
    assert.equal(answer.status, 504);
    assert.match(answer.text, /did not answer within its timeout of 200 ms; raise `timeout` for it in flightdeck.yaml/);
  });

  test('an instance that dies mid-request answers 502; the slot restarts and serves again', async () => {
    await deployDir(platform, ENV, 'dies', fixture('dies'), nodeConfig({ instances: { min: 1, max: 1 } }));
    const died = await call(platform, `/fn/${ENV}/dies/die`);
    assert.equal(died.status, 502);
    assert.match(died.text, /stopped or dropped the connection/);
    const restarted = await waitFor('the slot to restart', async () => {
      const [instance] = await instances('dies');
      return instance?.state === 'ready' && instance.restarts === 1 ? instance : undefined;
    });
    assert.equal(restarted.slot, 0);
    const alive = await call(platform, `/fn/${ENV}/dies/`);
    assert.equal(alive.status, 200);
    assert.equal(alive.instance, restarted.id);
    const logs = (await platform.api('GET', fnPath(ENV, 'dies', '/logs'))).json.lines.map((l: { text: string }) => l.text);
    assert.ok(logs.some((t: string) => /exited with code 1/.test(t)), logs.join('\n'));
  });

  test('a version that keeps crashing is marked unhealthy and gets 503 saying it is crash-looping', async () => {
    await deployDir(platform, ENV, 'crashy', fixture('crash'), nodeConfig());
    // Until the fifth crash, requests may be served, dropped (502) or time out in the queue (503).
    const answer = await waitFor(
      'a crash-loop answer',
      async () => {
        const a = await call(platform, `/fn/${ENV}/crashy/`);
        assert.ok([200, 502, 503].includes(a.status), `${a.status} ${a.text}`);
        return /crash-looping/.test(a.text) ? a : undefined;
      },
      20_000,
    );
    assert.equal(answer.status, 503);
    const version = await waitFor('the health report', async () => {
      const v = (await platform.api('GET', fnPath(ENV, 'crashy', '/versions/1'))).json;
      return v.health === 'unhealthy' ? v : undefined;
    });
    assert.match(version.healthReason, /cannot reach the database at db\.internal:5432/);
    assert.deepEqual(await instances('crashy'), []);
    // A restart forgets the crash loop: the version is tried again and its health is unknown.
    assert.equal((await platform.api('POST', fnPath(ENV, 'crashy', '/restart'), {})).status, 202);
    await waitFor('health reset by the restart', async () => {
      const v = (await platform.api('GET', fnPath(ENV, 'crashy', '/versions/1'))).json;
      return v.health === 'unknown' && v.healthReason === undefined ? v : undefined;
    });
    const retried = await call(platform, `/fn/${ENV}/crashy/`);
    assert.doesNotMatch(retried.text, /crash-looping/, 'the first request after the restart tries the version again');
  });
});
