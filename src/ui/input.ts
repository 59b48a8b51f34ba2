// What people type into prompts, checked as they type. No vscode here, so it is unit-tested.

/** A typed percentage, `10`, `2.5` or `25%`; NaN when it is not a number. */
export function parsePercent(text: string): number {
  const trimmed = text.trim().replace(/%$/, '').trim();
  return trimmed === '' ? NaN : Number(trimmed);
}

/** What is wrong with a typed canary weight, or undefined when it is a percentage from 0 to 100. */
export function weightProblem(text: string): string | undefined {
  const value = parsePercent(text);
  if (!Number.isFinite(value)) return `'${text.trim()}' is not a number: type a percentage from 0 to 100, e.g. 10 or 2.5`;
  if (value < 0 || value > 100) return `${value}% is out of range: type a percentage from 0 to 100`;
  return undefined;
}
