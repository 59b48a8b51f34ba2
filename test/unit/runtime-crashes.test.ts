// CrashTracker with explicit clock readings: when a version starts crash-looping, and that the
// mark lapses after the crash window or when forgotten on a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CRASH_WINDOW_MS, CrashTracker } from '../../src/platform/runtime/crashes';

function loopAt(tracker: CrashTracker, versionId: number, now: number): void {
  for (let i = 0; i < 5; i++) tracker.record(versionId, `exit ${i}`, now);
}

test('the fifth crash within the window marks a crash loop that lapses after the window', () => {
  const tracker = new CrashTracker();
  loopAt(tracker, 1, 1000);
  assert.match(tracker.loopReason(1, 1001) ?? '', /crash loop: 5 crashes/);
  assert.equal(tracker.loopReason(1, 1000 + CRASH_WINDOW_MS), undefined);
  assert.deepEqual(tracker.forgetLoops(false, 1001), [], 'a live mark is kept');
  assert.deepEqual(tracker.forgetLoops(false, 1000 + CRASH_WINDOW_MS), [1]);
  assert.deepEqual(tracker.record(1, 'again', 2000 + CRASH_WINDOW_MS), { loop: false, restartInMs: 100 }, 'old crashes are forgotten too');
});

test('forgetting all marks (a restart) clears live ones at once', () => {
  const tracker = new CrashTracker();
  loopAt(tracker, 2, 1000);
  assert.deepEqual(tracker.forgetLoops(true, 1001), [2]);
  assert.equal(tracker.loopReason(2, 1002), undefined);
  assert.equal(tracker.recentSummary(2, 1002), undefined);
});
