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
  /** undefined: a reference figure with no target. */
  pass?: boolean;
}

export class Report {
  readonly rows: Row[] = [];

  add(row: Row): void {
    this.rows.push(row);
    process.stderr.write(`  ${row.section} · ${row.name}: ${row.value}${verdict(row) ? ` (${verdict(row)})` : ''}\n`);
  }

  /** A section that could not be measured, with why. */
  failed(section: string, error: unknown): void {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    this.add({ section, name: 'not measured', value: message.slice(0, 160), figures: {}, target: '', pass: false });
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
  if (row.pass === undefined) return row.target ? '' : 'ref';
  return row.pass ? 'pass' : 'MISS';
}

/** `12.3 ms` with a precision that suits the size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 100 ? Math.round(value) : value.toFixed(Math.abs(value) < 1 ? 2 : 1)} ms`;
}
