// A version's metrics window: counts and percentiles over the seconds asked for, a second's slot
// starting from zero when the five-minute ring comes back round to it, and versions no longer
// served dropping out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionMetrics, MAX_WINDOW_MS, VersionWindow } from '../../src/platform/runtime/metrics';

const T = 1_700_000_000_000; // a whole second, in ms

describe('VersionWindow', () => {
  test('counts requests and 5xx answers and reads percentiles within a bucket of the truth', () => {
    const window = new VersionWindow(3);
    for (let i = 1; i <= 100; i++) window.record(i === 100 ? 503 : 200, i, T + 10);
    const summary = window.summary(60_000, T + 500);
    assert.equal(summary.versionId, 3);
    assert.equal(summary.requests, 100);
    assert.equal(summary.errors, 1);
    assert.equal(summary.errorRate, 0.01);
    // Log-linear buckets: within about 6% of the exact 50 / 95 / 99 ms.
    assert.ok(Math.abs(summary.p50Ms - 50) <= 50 * 0.07, `p50 ${summary.p50Ms}`);
    assert.ok(Math.abs(summary.p95Ms - 95) <= 95 * 0.07, `p95 ${summary.p95Ms}`);
    assert.ok(Math.abs(summary.p99Ms - 99) <= 99 * 0.07, `p99 ${summary.p99Ms}`);
  });

  test('a summary covers only the seconds of its window', () => {
    const window = new VersionWindow(1);
    window.record(500, 900, T);
    window.record(200, 2, T + 9_000);
    const recent = window.summary(5_000, T + 9_500);
    assert.deepEqual([recent.requests, recent.errors, recent.p99Ms], [1, 0, recent.p50Ms]);
    assert.ok(recent.p50Ms < 3, `only the 2 ms request is in the last 5 s, p50 ${recent.p50Ms}`);
    assert.equal(window.summary(10_000, T + 9_500).requests, 2);
  });

  test('a second reused when the ring comes round starts from nothing', () => {
    const window = new VersionWindow(1);
    for (let i = 0; i < 50; i++) window.record(500, 1, T);
    const later = T + MAX_WINDOW_MS; // the same slot, five minutes on
    window.record(200, 800, later);
    const summary = window.summary(1_000, later);
    assert.equal(summary.requests, 1);
    assert.equal(summary.errors, 0);
    assert.ok(Math.abs(summary.p50Ms - 800) <= 800 * 0.07, `the old second's 1 ms latencies are gone, p50 ${summary.p50Ms}`);
  });

  test('an empty window reads zero everywhere', () => {
    const summary = new VersionWindow(7).summary(MAX_WINDOW_MS, T);
    assert.deepEqual([summary.requests, summary.errors, summary.errorRate, summary.p50Ms, summary.p99Ms], [0, 0, 0, 0, 0]);
  });
});

describe('FunctionMetrics', () => {
  test('keeps one window per version and drops the ones no longer served', () => {
    const metrics = new FunctionMetrics();
    metrics.window(1).record(200, 5, T);
    metrics.window(2).record(200, 5, T);
    metrics.window(2).record(200, 5, T);
    assert.deepEqual(metrics.summaries(60_000, T).map((s) => [s.versionId, s.requests]), [[1, 1], [2, 2]]);
    assert.deepEqual(metrics.summaries(60_000, T, [2]).map((s) => s.versionId), [2]);
    metrics.retain(new Set([2]));
    assert.deepEqual(metrics.summaries(60_000, T).map((s) => s.versionId), [2]);
  });
});
