// The one polling loop the tests and benchmarks wait with: call `check` until it returns a value
// (not undefined), or fail after the timeout saying what was awaited.
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  everyMs: number;
  /** Treat a throwing `check` as "not yet" (its last error goes into the timeout message). */
  retryErrors?: boolean;
}

export async function poll<T>(what: string, check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (!options.retryErrors) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(options.everyMs);
  }
}
