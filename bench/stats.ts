// Order statistics over samples (milliseconds or any unit): nearest-rank percentiles, no interpolation.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Elapsed milliseconds since `start` (a performance.now() reading), to 0.01 ms. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** Runs `once` `times` times in a row and returns each result. */
export async function repeat<T>(times: number, once: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await once(i));
  return results;
}
