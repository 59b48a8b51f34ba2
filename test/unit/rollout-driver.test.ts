// The client-side rollout driver (for providers without server rollouts) against the real local
// platform's alias and metrics API, through the real LocalProvider, with real load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { isFlightdeckError } from '../../src/errors';
import type { Rollout } from '../../src/model';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { ClientRollout } from '../../src/rollout/driver';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { deployDir } from '../helpers/deploy';
import { APP_DIR, appConfig, ENV, FN, startLoad, twoVersions } from './rollout-support';

async function withProvider(body: (platform: TestPlatform, provider: LocalProvider) => Promise<void>): Promise<void> {
  const platform = await startPlatform();
  const provider = new LocalProvider({ home: platform.home, connection: { url: platform.url, token: platform.token } });
  try {
    await body(platform, provider);
  } finally {
    provider.dispose();
    await platform.stop();
    rmSync(platform.home, { recursive: true, force: true });
  }
}

const GATES = { minRequests: 5, maxErrorRate: 0.01, maxP95Ms: 2000 };

/** Rejects if the driver has not finished within `ms`, stopping it. */
async function finished(driver: ClientRollout, ms = 30_000): Promise<Rollout> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      driver.stop();
      reject(new Error(`driver did not finish: ${JSON.stringify(driver.current)}`));
    }, ms);
  });
  try {
    return await Promise.race([driver.finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('the driver walks a healthy canary to 100% with ETag-checked alias updates', { timeout: 60_000 }, async () => {
  await withProvider(async (platform, provider) => {
    await twoVersions(platform);
    const load = startLoad(platform, 4);
    const seen: number[] = [];
    const driver = await ClientRollout.start(provider, ENV, FN, { toVersion: 2, steps: [30, 60, 100], intervalMs: 300, gates: GATES }, {
      checkEveryMs: 100,
      onUpdate: (r) => seen.push(r.percent),
    });
    assert.equal((await provider.getAlias(ENV, FN, 'live')).additionalVersionWeight['2'], 0.3);
    const done = await finished(driver);
    const result = await load.stop();
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual([...new Set(seen)], [30, 60, 100]);
    assert.deepEqual(result.failures, []);
    const alias = await provider.getAlias(ENV, FN, 'live');
    assert.deepEqual([alias.versionId, alias.additionalVersionWeight], [2, {}]);
  });
});

test('the driver rolls a failing version back within its step, judged on the platform metrics', { timeout: 60_000 }, async () => {
  await withProvider(async (platform, provider) => {
    await twoVersions(platform, { FAIL_EVERY: '2' });
    const load = startLoad(platform, 4);
    const driver = await ClientRollout.start(provider, ENV, FN, { toVersion: 2, steps: [50, 100], intervalMs: 60_000, gates: GATES }, { checkEveryMs: 100 });
    const done = await finished(driver);
    await load.stop();
    assert.equal(done.status, 'rolledBack');
    assert.equal(done.step, 0);
    assert.match(done.reason ?? '', /^error rate [\d.]+% over \d+ requests > 1% allowed$/);
    const alias = await provider.getAlias(ENV, FN, 'live');
    assert.deepEqual([alias.versionId, alias.additionalVersionWeight], [1, {}]);
  });
});

test('driver actions: pause holds the step, promote finishes at 100%; finished rollouts refuse actions', { timeout: 60_000 }, async () => {
  await withProvider(async (platform, provider) => {
    await twoVersions(platform);
    const driver = await ClientRollout.start(provider, ENV, FN, { toVersion: 2, intervalMs: 50, gates: GATES }, { checkEveryMs: 20 });
    const paused = await driver.act('pause');
    assert.deepEqual([paused.status, paused.percent], ['paused', 10]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([driver.current.status, driver.current.percent], ['paused', 10]);
    const promoted = await driver.act('promote');
    // Promoted by request before any step was judged: 100%, but unverified.
    assert.deepEqual([promoted.status, promoted.percent], ['completedUnverified', 100]);
    assert.equal((await provider.getAlias(ENV, FN, 'live')).versionId, 2);
    await assert.rejects(driver.act('abort'), (e: unknown) => isFlightdeckError(e, 'CONFLICT'));
    assert.equal((await finished(driver)).status, 'completedUnverified');
  });
});

test('the driver refuses a batch release: in-place upgrades need the platform', { timeout: 30_000 }, async () => {
  await withProvider(async (platform, provider) => {
    await twoVersions(platform, {}, { min: 2, max: 2 });
    await assert.rejects(
      ClientRollout.start(provider, ENV, FN, { toVersion: 2, strategy: 'batch' }),
      (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST') && e.details.field === 'strategy',
    );
    await assert.rejects(ClientRollout.start(provider, ENV, FN, { toVersion: 7 }), (e: unknown) => isFlightdeckError(e, 'NOT_FOUND'));
  });
});

test('an alias changed under the driver is not overwritten: the driver sees the conflict and stops', { timeout: 60_000 }, async () => {
  await withProvider(async (platform, provider) => {
    await twoVersions(platform);
    const hotfix = await deployDir(platform, ENV, FN, APP_DIR, appConfig({ RELEASE: '3' }));
    assert.equal(hotfix.version.id, 3);
    const driver = await ClientRollout.start(provider, ENV, FN, { toVersion: 2, steps: [10, 50, 100], intervalMs: 60_000, gates: GATES }, { checkEveryMs: 20 });
    try {
      const atStart = await provider.getAlias(ENV, FN, 'live');
      assert.deepEqual([atStart.versionId, atStart.additionalVersionWeight], [1, { '2': 0.1 }]);
      // Someone else points live at the hotfix, with the ETag they read.
      const theirs = await provider.updateAlias(ENV, FN, 'live', { versionId: 3, additionalVersionWeight: {} }, atStart.etag);
      const stopped = await driver.act('continue');
      assert.equal(stopped.status, 'rolledBack', JSON.stringify(stopped));
      assert.match(stopped.reason ?? '', /live was moved to v3 outside the rollout of v2; left as it is/);
      const now = await provider.getAlias(ENV, FN, 'live');
      assert.deepEqual([now.versionId, now.additionalVersionWeight, now.etag], [3, {}, theirs.etag], 'their change stands');
      assert.equal((await finished(driver)).status, 'rolledBack');
    } finally {
      driver.stop();
    }
  });
});
