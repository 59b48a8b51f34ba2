// The one results table: each row a figure with its target and verdict, printed as text and
// written as JSON (test-results/bench.json) so runs can be compared.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Row {
  section: string;
  name: string;
  /** The figure as shown, e.g. "212 ms" or "p50 3.1 / p99 9.8 ms". */
  value: string;
  /** Raw numbers behind `value`, for the JSON. */
  figures: Record<string, number | string>;
  /** e.g. "≤ 300 ms"; empty for reference rows. */
  target: string;
  /** undefined: a reference figure with no target, or a row with `skipped`. */
  pass?: boolean;
  /** Why a row with a target has no figure (e.g. nginx not installed); required for such a row. */
  skipped?: string;
}

export class Report {
  readonly rows: Row[] = [];

  add(row: Row): void {
    if (row.target && row.pass === undefined && !row.skipped) {
      throw new Error(`bench row "${row.name}" has a target (${row.target}) but neither a verdict nor why it was skipped`);
    }
    this.rows.push(row);
    process.stderr.write(`  ${row.section} · ${row.name}: ${row.value}${verdict(row) ? ` (${verdict(row)})` : ''}\n`);
  }

  /** A section that could not be measured, with why. */
  failed(section: string, error: unknown): void {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    this.add({ section, name: 'not measured', value: message.slice(0, 160), figures: {}, target: '', pass: false });
  }

  /** Rows that missed their target or could not be measured: any of them makes the run fail. */
  misses(): Row[] {
    return this.rows.filter((r) => r.pass === false);
  }

  /** The run's one-line verdict, for the end of the output. */
  summary(): string {
    const misses = this.misses();
    const skipped = this.rows.filter((r) => r.skipped);
    const skippedText = skipped.length ? `; skipped: ${skipped.map((r) => `${r.section} · ${r.name} (${r.skipped})`).join('; ')}` : '';
    if (misses.length === 0) return `all targets met${skippedText}`;
    return `${misses.length} row(s) missed their target: ${misses.map((r) => `${r.section} · ${r.name}`).join('; ')}${skippedText}`;
  }

  table(): string {
    const header = ['section', 'measure', 'value', 'target', 'result'];
    const lines = this.rows.map((r) => [r.section, r.name, r.value, r.target, verdict(r)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format)].join('\n');
  }

  writeJson(file: string, meta: Record<string, unknown>): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...meta, rows: this.rows }, null, 2)}\n`);
  }
}

function verdict(row: Row): string {
  if (row.skipped) return `skipped: ${row.skipped}`;
  if (row.pass === undefined) return 'ref';
  return row.pass ? 'pass' : 'MISS';
}

/** `12.3 ms` with a precision that suits the size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 100 ? Math.round(value) : value.toFixed(Math.abs(value) < 1 ? 2 : 1)} ms`;
}
