// instances.min across the versions the live alias serves: the pure split, and the real platform
// process keeping it as the alias's weights change (slots of a version the alias left are reused
// in place; at instances.max idle slots move to the version short of its share).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { provisionedSplit, type Alias, type Instance } from '../../src/model';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { discard, fixture, fnPath, nodeConfig, waitFor } from '../helpers/gateway';

function split(min: number, primary: number, extra: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(provisionedSplit({ versionId: primary, additionalVersionWeight: extra }, min));
}

test('provisionedSplit follows the weights, the primary first on ties, each served version at least one while min allows', () => {
  assert.deepEqual(split(4, 1), { 1: 4 });
  assert.deepEqual(split(4, 1, { 2: 0.5 }), { 1: 2, 2: 2 });
  assert.deepEqual(split(4, 1, { 2: 0.75 }), { 1: 1, 2: 3 });
  assert.deepEqual(split(3, 1, { 2: 0.333 }), { 1: 2, 2: 1 }, 'a batch release of 3 at 33.3%');
  assert.deepEqual(split(3, 1, { 2: 0.667 }), { 1: 1, 2: 2 });
  assert.deepEqual(split(10, 1, { 2: 0.7 }), { 1: 3, 2: 7 }, 'no instance lost to floating point');
  assert.deepEqual(split(4, 1, { 2: 0.1 }), { 1: 3, 2: 1 }, 'a 10% canary still gets a warm instance');
  assert.deepEqual(split(1, 1, { 2: 0.1 }), { 1: 1, 2: 0 }, 'one instance stays with the larger share');
  assert.deepEqual(split(1, 1, { 2: 0.5 }), { 1: 1, 2: 0 }, 'a tie goes to the primary');
  assert.deepEqual(split(0, 1, { 2: 0.5 }), { 1: 0, 2: 0 });
  assert.deepEqual(split(5, 1, { 2: 0.2, 3: 0.2 }), { 1: 3, 2: 1, 3: 1 });
});

describe('runtime provisioning across the live alias', { timeout: 90_000 }, () => {
  const ENV = 'dev';
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, ENV);
  });

  after(async () => {
    await discard(platform);
  });

  const instances = async (fn: string): Promise<Instance[]> => (await platform.api('GET', fnPath(ENV, fn, '/instances'))).json.instances;
  const readyByVersion = async (fn: string): Promise<string> =>
    (await instances(fn))
      .filter((i) => i.state === 'ready')
      .map((i) => i.versionId)
      .sort()
      .join(',');

  async function setLive(fn: string, versionId: number, extra: Record<string, number>): Promise<void> {
    const current = (await platform.api('GET', fnPath(ENV, fn, '/aliases/live'))).json as Alias;
    const res = await platform.api('PUT', fnPath(ENV, fn, '/aliases/live'), { versionId, additionalVersionWeight: extra }, { 'if-match': current.etag });
    assert.equal(res.status, 200, res.text);
  }

  /** Deploys v1 and v2 of `fn` (dev moves live to v2), then puts live back on v1 with `min` warm. */
  async function twoVersionsOnV1(fn: string, min: number, max: number): Promise<void> {
    const config = nodeConfig({ instances: { min, max } });
    await deployDir(platform, ENV, fn, fixture('hello'), { ...config, env: { GREETING: 'one' } });
    await deployDir(platform, ENV, fn, fixture('hello'), { ...config, env: { GREETING: 'two' } });
    await setLive(fn, 1, {});
    await waitFor(`${min} ready instances of v1`, async () => ((await readyByVersion(fn)) === Array(min).fill(1).join(',') ? true : undefined), 20_000);
  }

  test('at instances.max a 50/50 alias gets 2 + 2 of min 4, and 100% v2 reuses the same slots for v2', async () => {
    await twoVersionsOnV1('even', 4, 4);
    const slots = (await instances('even')).map((i) => i.slot).sort();
    await setLive('even', 1, { 2: 0.5 });
    await waitFor('2 + 2 instances', async () => ((await readyByVersion('even')) === '1,1,2,2' ? true : undefined), 20_000);
    await setLive('even', 2, {});
    await waitFor('4 instances of v2', async () => ((await readyByVersion('even')) === '2,2,2,2' ? true : undefined), 20_000);
    assert.deepEqual((await instances('even')).map((i) => i.slot).sort(), slots, 'moved in place, no slot added');
  });

  test('below instances.max a canary weight starts the new version its share without taking the old one below its own', async () => {
    await twoVersionsOnV1('canary', 4, 8);
    await setLive('canary', 1, { 2: 0.25 });
    await waitFor('3 + 1 instances', async () => ((await readyByVersion('canary')) === '1,1,1,1,2' ? true : undefined), 20_000);
  });
});
