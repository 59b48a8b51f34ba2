// The load generator: `concurrency` request loops over one undici Pool with as many keep-alive
// connections, either for a fixed duration (throughput and latency) or until stopped (steady
// load during a rollout, recording which version answered each request and when).
import { Pool } from 'undici';
import { percentile } from './stats';

export interface Target {
  /** e.g. http://127.0.0.1:7431 */
  origin: string;
  path: string;
}

export interface ThroughputResult {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** One response seen under steady load. */
export interface Answer {
  /** performance.now() when the response ended. */
  at: number;
  status: number;
  version: string;
}

export interface SteadyLoad {
  answers: Answer[];
  /** Requests that failed outright (no HTTP answer). */
  transportErrors: string[];
  stop(): Promise<void>;
}

/** Sends requests from `concurrency` loops for `durationMs` and reports rate and latency. */
export async function measureThroughput(target: Target, concurrency: number, durationMs: number): Promise<ThroughputResult> {
  const pool = new Pool(target.origin, { connections: concurrency, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const { statusCode, body } = await pool.request({ method: 'GET', path: target.path });
        await body.dump();
        if (statusCode !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - sent);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    await pool.close();
  }
  const elapsed = performance.now() - start;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: Math.round((latencies.length / elapsed) * 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Starts `concurrency` loops that run until stop(), recording every answer. */
export function startSteadyLoad(target: Target, concurrency: number): SteadyLoad {
  const pool = new Pool(target.origin, { connections: concurrency, keepAliveTimeout: 30_000 });
  const answers: Answer[] = [];
  const transportErrors: string[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const { statusCode, headers, body } = await pool.request({ method: 'GET', path: target.path });
        await body.dump();
        answers.push({ at: performance.now(), status: statusCode, version: String(headers['x-flightdeck-version'] ?? 'none') });
      } catch (error) {
        transportErrors.push((error as Error).message);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const loops = Promise.all(Array.from({ length: concurrency }, loop));
  let stopped: Promise<void> | undefined;
  return {
    answers,
    transportErrors,
    // Idempotent: a finally block may stop a load that was already stopped.
    stop() {
      running = false;
      stopped ??= loops.then(() => pool.close());
      return stopped;
    },
  };
}

/** One GET; resolves with the status and the version header once the body has been read. */
export async function getOnce(pool: Pool, path: string): Promise<{ status: number; version: string }> {
  const { statusCode, headers, body } = await pool.request({ method: 'GET', path });
  await body.dump();
  return { status: statusCode, version: String(headers['x-flightdeck-version'] ?? 'none') };
}
