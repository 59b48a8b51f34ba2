// setTrafficWeight, the ETag-checked traffic move shared by the engine and the driver: an alias
// deleted under a rollout is never re-created by the next step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFlightdeckError } from '../../src/errors';
import type { Alias, AliasUpdate, Rollout } from '../../src/model';
import { setTrafficWeight, type AliasAccess } from '../../src/rollout/traffic';

test('a step on a deleted alias is a CONFLICT naming it, and writes nothing', async () => {
  const writes: AliasUpdate[] = [];
  const aliases: AliasAccess = {
    getAlias: (): Alias | undefined => undefined,
    async updateAlias(_env, _fn, name, update) {
      writes.push(update);
      return { name, ...update, additionalVersionWeight: update.additionalVersionWeight ?? {}, etag: 'e1', updated: '' } as Alias;
    },
  };
  const rollout = { environment: 'dev', function: 'api', fromVersion: 1, spec: { toVersion: 2, alias: 'beta' } } as Rollout;
  await assert.rejects(setTrafficWeight(aliases, rollout, 0.25), (error: Error) => {
    assert.ok(isFlightdeckError(error, 'CONFLICT'), error.message);
    assert.match(error.message, /beta was deleted/);
    return true;
  });
  assert.deepEqual(writes, []);
});
