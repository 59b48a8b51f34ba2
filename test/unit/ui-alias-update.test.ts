// What Roll Back acts on and how alias weights are moved: the shared read-modify-write against the
// real bundled platform (a concurrent change between read and write is a real 412), and the rule
// that only a rollout of the same alias owns it. Build first.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { updateAliasWithRetry } from '../../src/aliasUpdate';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';
import type { FunctionConfig, Rollout } from '../../src/model';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { activeRolloutOn } from '../../src/rollout/activeRollout';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const CONFIG: FunctionConfig = {
  runtime: 'nodejs',
  handler: 'index.handler',
  instances: { min: 0, max: 1, concurrency: 8, idleTimeoutMs: 60_000 },
  env: {},
  timeoutMs: 10_000,
};

function liveRollout(status: Rollout['status']): Rollout {
  return {
    id: 'r1', environment: 'dev', function: 'api', fromVersion: 1, status, step: 0, totalSteps: 2, percent: 50,
    spec: { strategy: 'canary', alias: 'live', toVersion: 2, steps: [50, 100], intervalMs: 1000, gates: { maxErrorRate: 0.01, maxP95Ms: 500, minRequests: 1 } },
    stepStarted: '2026-01-01T00:00:00.000Z', started: '2026-01-01T00:00:00.000Z',
  };
}

describe('Roll Back only takes over a rollout of the alias it rolls back', () => {
  it('a running rollout on live owns live, not beta', () => {
    const rollout = liveRollout('running');
    assert.equal(activeRolloutOn(rollout, 'live'), rollout);
    assert.equal(activeRolloutOn(rollout, 'beta'), undefined);
  });
  it('a finished rollout or none owns nothing', () => {
    assert.equal(activeRolloutOn(liveRollout('succeeded'), 'live'), undefined);
    assert.equal(activeRolloutOn(undefined, 'live'), undefined);
  });
});

describe('updateAliasWithRetry against the real platform', () => {
  let work: string;
  let platform: TestPlatform;
  let provider: LocalProvider;
  const ref = { environment: 'dev', function: 'api', alias: 'live' };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'flightdeck-alias-update-'));
    platform = await startPlatform();
    provider = new LocalProvider({ home: platform.home, connection: platform });
    await provider.createEnvironment({ name: 'dev', kind: 'personal', owner: 'jane', branch: 'main' });
    for (const body of ['one', 'two']) {
      writeFileSync(join(work, 'index.js'), `exports.handler = async () => ({ statusCode: 200, body: "${body}" });`);
      await provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(work) });
    }
  });
  after(async () => {
    provider.dispose();
    await platform.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(platform.home, { recursive: true, force: true });
  });

  /** The real provider, except that someone else moves the alias right after its first read. */
  function racedProvider(canaryWeight: number): LocalProvider {
    let raced = false;
    const racing = Object.create(provider) as LocalProvider;
    racing.getAlias = async (environment, fn, alias) => {
      const read = await provider.getAlias(environment, fn, alias);
      if (!raced) {
        raced = true;
        await provider.updateAlias(environment, fn, alias, { versionId: 1, additionalVersionWeight: { 2: canaryWeight } });
      }
      return read;
    };
    return racing;
  }

  it('with one attempt, fails with PRECONDITION_FAILED naming the alias instead of overwriting', async () => {
    await assert.rejects(updateAliasWithRetry(racedProvider(0.3), ref, () => ({ versionId: 2, additionalVersionWeight: {} }), { attempts: 1 }), (error: unknown) => {
      assert.ok(isFlightdeckError(error, 'PRECONDITION_FAILED'));
      assert.match(error.message, /Alias live of dev\/api changed while updating it; look/);
      return true;
    });
    assert.deepEqual((await provider.getAlias('dev', 'api', 'live')).additionalVersionWeight, { 2: 0.3 });
  });

  it('with more attempts, rereads and recomputes the change from what is there now', async () => {
    const seen: number[] = [];
    const updated = await updateAliasWithRetry(racedProvider(0.4), ref, (current) => {
      seen.push(current.additionalVersionWeight[2] ?? 0);
      return { versionId: current.versionId, additionalVersionWeight: { 2: 0.5 } };
    }, { attempts: 2 });
    assert.equal(seen.length, 2);
    assert.equal(seen[1], 0.4);
    assert.deepEqual([updated.versionId, updated.additionalVersionWeight], [1, { 2: 0.5 }]);
  });
});
