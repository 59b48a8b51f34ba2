// Crash bookkeeping per version: recent crash times, the last reason, and whether the version is
// crash-looping (CRASH_LOOP_COUNT crashes within CRASH_WINDOW_MS), which stops its restarts. A
// loop mark lapses after CRASH_WINDOW_MS (the fault may have been outside the code: a database
// down) or when the function is restarted, so the version gets another try.

export const CRASH_WINDOW_MS = 30_000;
const CRASH_LOOP_COUNT = 5;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export type CrashOutcome = { loop: true; why: string } | { loop: false; restartInMs: number };

export class CrashTracker {
  private readonly recent = new Map<number, { times: number[]; last: string }>();
  private readonly loops = new Map<number, { why: string; since: number }>();

  /** Records a crash; says whether the version now crash-loops or when to restart (100 ms doubling to 5 s). */
  record(versionId: number, reason: string, now = Date.now()): CrashOutcome {
    const times = this.times(versionId, now);
    times.push(now);
    this.recent.set(versionId, { times, last: reason });
    if (times.length >= CRASH_LOOP_COUNT) {
      const why = `crash loop: ${times.length} crashes in ${CRASH_WINDOW_MS / 1000} s; last: ${reason}`;
      this.loops.set(versionId, { why, since: now });
      return { loop: true, why };
    }
    return { loop: false, restartInMs: Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (times.length - 1)) };
  }

  /** Why the version crash-loops, or undefined when it does not (or its mark has lapsed). */
  loopReason(versionId: number, now = Date.now()): string | undefined {
    const loop = this.loops.get(versionId);
    return loop && now - loop.since < CRASH_WINDOW_MS ? loop.why : undefined;
  }

  /** Forgets lapsed loop marks (every mark, with `all`) and their crashes; returns those versions. */
  forgetLoops(all: boolean, now = Date.now()): number[] {
    const forgotten = [...this.loops.keys()].filter((id) => all || this.loopReason(id, now) === undefined);
    for (const id of forgotten) {
      this.loops.delete(id);
      this.recent.delete(id);
    }
    return forgotten;
  }

  /** "crashed 2 time(s) in the last 30 s (last: …)", or undefined without recent crashes. */
  recentSummary(versionId: number, now = Date.now()): string | undefined {
    const count = this.times(versionId, now).length;
    if (count === 0) return undefined;
    return `crashed ${count} time(s) in the last ${CRASH_WINDOW_MS / 1000} s (last: ${this.recent.get(versionId)?.last})`;
  }

  private times(versionId: number, now: number): number[] {
    return (this.recent.get(versionId)?.times ?? []).filter((t) => now - t < CRASH_WINDOW_MS);
  }
}
