// How a rollout request (CLI flags, or what the Start Rollout command picked) merges over the
// function's flightdeck.yaml `rollout:` defaults: one function for both, checked through
// normaliseSpec so the spec that would be started is what is pinned down.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { mergeRequest, normaliseSpec } from '../../src/rollout/spec';

const FILE_DEFAULTS = { strategy: 'canary' as const, steps: [20, 100], intervalMs: 1_000, gates: { maxErrorRate: 0.2 } };

function specOf(request: Parameters<typeof mergeRequest>[1]) {
  return normaliseSpec(mergeRequest(FILE_DEFAULTS, { ...request, toVersion: 2 }), { instances: 0 });
}

describe('mergeRequest', () => {
  it('a chosen preset beats the file\'s steps and interval', () => {
    const spec = specOf({ preset: 'Canary10Percent5Minutes' });
    assert.deepEqual([spec.steps, spec.intervalMs], [[10, 100], 300_000]);
  });
  it('without a preset the file\'s steps and interval stay, and given fields win one by one', () => {
    const spec = specOf({ intervalMs: 5_000 });
    assert.deepEqual([spec.steps, spec.intervalMs], [[20, 100], 5_000]);
  });
  it('gates merge gate by gate', () => {
    assert.deepEqual(specOf({ gates: { minRequests: 3 } }).gates, { maxErrorRate: 0.2, maxP95Ms: 500, minRequests: 3 });
  });
  it('leaves the defaults it was given untouched', () => {
    specOf({ preset: 'Canary10Percent5Minutes' });
    assert.deepEqual(FILE_DEFAULTS.steps, [20, 100]);
  });
});
