// Durations as flightdeck.yaml writes them: `500ms`, `30s`, `1.5h`, `7d`, or a bare whole number of
// milliseconds, as whole milliseconds (the platform takes integers). Returns undefined for anything
// else so the caller can say which key is wrong.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

/** A duration as parseDuration reads it, in the largest unit that divides it: `7d`, `36h`, `90m`. */
export function formatDuration(ms: number): string {
  const [unit, size] = Object.entries(UNIT_MS).reverse().find(([, size]) => ms % size === 0 && ms >= size) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}
