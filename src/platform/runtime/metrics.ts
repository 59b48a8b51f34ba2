// Per-version request metrics over a sliding window: 1-second buckets kept for five minutes, each
// with a request count, a 5xx count and a log-linear latency histogram (8 sub-buckets per power
// of two of microseconds, so a percentile is within ~6% of the true value).
import type { VersionMetrics } from '../../model';

const WINDOW_SECONDS = 300;
const LINEAR_LIMIT = 16;
const SUB_BUCKETS = 8;
const HISTOGRAM_SIZE = LINEAR_LIMIT + (31 - 4) * SUB_BUCKETS;
export const MAX_WINDOW_MS = WINDOW_SECONDS * 1000;

function bucketOf(micros: number): number {
  if (micros < LINEAR_LIMIT) return micros;
  const exponent = 31 - Math.clz32(micros);
  const sub = (micros >>> (exponent - 3)) & (SUB_BUCKETS - 1);
  return Math.min(HISTOGRAM_SIZE - 1, LINEAR_LIMIT + (exponent - 4) * SUB_BUCKETS + sub);
}

/** The middle of a bucket, in microseconds. */
function bucketValue(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const exponent = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 4;
  const sub = (index - LINEAR_LIMIT) % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** (exponent - 3);
  return low + 2 ** (exponent - 4);
}

/** One version's window. */
export class VersionWindow {
  private readonly seconds = new Float64Array(WINDOW_SECONDS).fill(-1);
  private readonly requests = new Uint32Array(WINDOW_SECONDS);
  private readonly errors = new Uint32Array(WINDOW_SECONDS);
  // A second's latency row (about 1 KB) is made when that second sees its first request: a new
  // version's window starts small, and one that serves a request now and then stays small.
  private readonly histograms: (Uint32Array | undefined)[] = new Array(WINDOW_SECONDS);

  constructor(readonly versionId: number) {}

  record(status: number, latencyMs: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % WINDOW_SECONDS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.histograms[slot]?.fill(0);
    }
    this.requests[slot]++;
    if (status >= 500) this.errors[slot]++;
    const row = (this.histograms[slot] ??= new Uint32Array(HISTOGRAM_SIZE));
    row[bucketOf(Math.max(0, Math.round(latencyMs * 1000)))]++;
  }

  summary(windowMs: number, nowMs: number): VersionMetrics {
    const span = Math.max(1, Math.min(WINDOW_SECONDS, Math.ceil(windowMs / 1000)));
    const now = Math.floor(nowMs / 1000);
    const merged = new Float64Array(HISTOGRAM_SIZE);
    let requests = 0;
    let errors = 0;
    for (let second = now - span + 1; second <= now; second++) {
      const slot = second % WINDOW_SECONDS;
      if (this.seconds[slot] !== second) continue;
      requests += this.requests[slot];
      errors += this.errors[slot];
      const row = this.histograms[slot]!;
      for (let i = 0; i < HISTOGRAM_SIZE; i++) merged[i] += row[i];
    }
    return {
      versionId: this.versionId,
      windowMs: span * 1000,
      requests,
      errors,
      errorRate: requests ? errors / requests : 0,
      p50Ms: percentile(merged, requests, 0.5),
      p95Ms: percentile(merged, requests, 0.95),
      p99Ms: percentile(merged, requests, 0.99),
    };
  }
}

function percentile(histogram: Float64Array, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return Math.round(bucketValue(i)) / 1000;
  }
  return 0;
}

/** The windows of one function's versions. */
export class FunctionMetrics {
  private readonly windows = new Map<number, VersionWindow>();

  window(versionId: number): VersionWindow {
    let window = this.windows.get(versionId);
    if (!window) {
      window = new VersionWindow(versionId);
      this.windows.set(versionId, window);
    }
    return window;
  }

  /** Every window's summary, or only those of `versions`. */
  summaries(windowMs: number, nowMs = Date.now(), versions?: readonly number[]): VersionMetrics[] {
    const windows = versions ? versions.flatMap((id) => this.windows.get(id) ?? []) : [...this.windows.values()];
    return windows.sort((a, b) => a.versionId - b.versionId).map((w) => w.summary(windowMs, nowMs));
  }

  /** Frees the windows (up to about 280 KB each) of versions not in `served`. */
  retain(served: ReadonlySet<number>): void {
    for (const versionId of this.windows.keys()) if (!served.has(versionId)) this.windows.delete(versionId);
  }
}
