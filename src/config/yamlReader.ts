// Typed reads of a parsed YAML document that never throw: each wrong value becomes a Problem at
// the node's own line and column (for the editor's Problems panel), and the read returns
// undefined so validation goes on and every problem is collected in one pass.

import type { Document, LineCounter, Node, Pair, Scalar } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from './yaml';
import { closestKey } from './names';

export interface Problem {
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  endColumn: number;
  /** Dotted key path, e.g. `functions.api.instances.max`; empty for the document itself. */
  path: string;
}

/** A value node with where it sits: `anchor` is the key that introduced it, for missing values. */
export interface Located {
  node: Node | null;
  anchor: Node | null;
  path: string;
}

export interface MapEntry extends Located {
  key: string;
}

export function childPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

export class YamlReader {
  readonly problems: Problem[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Reports at the node, else at its anchor (the key), else at the start of the file. */
  report(at: Pick<Located, 'node' | 'anchor' | 'path'>, message: string): void {
    const range = rangeOf(at.node) ?? rangeOf(at.anchor) ?? [0, 0];
    this.reportRange(range, at.path, message);
  }

  reportRange([start, end]: [number, number], path: string, message: string): void {
    const from = this.lines.linePos(start);
    const to = this.lines.linePos(Math.max(start, end));
    this.problems.push({ message, line: from.line, column: from.col, endLine: to.line, endColumn: to.col, path });
  }

  /** 1-based line where a node starts (1 when it has no position). */
  lineOf(node: Node | null): number {
    const range = rangeOf(node);
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  /** The entries of a mapping; unknown keys are reported with the closest known key. */
  map(at: Located, knownKeys?: readonly string[]): Map<string, MapEntry> | undefined {
    const node = this.resolve(at.node);
    if (!isMap(node)) {
      this.report(at, `${describe(at.path)} must be a mapping of keys to values${foundText(node)}.`);
      return undefined;
    }
    const entries = new Map<string, MapEntry>();
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const path = childPath(at.path, key ?? '?');
      if (key === undefined) {
        this.report({ node: keyNode, anchor: node, path }, `Keys under ${describe(at.path)} must be plain names.`);
        continue;
      }
      if (knownKeys && !knownKeys.includes(key)) {
        const hint = closestKey(key, knownKeys);
        const fix = hint ? `Did you mean \`${hint}\`?` : `Known keys: ${knownKeys.join(', ')}.`;
        this.report({ node: keyNode, anchor: null, path }, `Unknown key \`${key}\` under ${describe(at.path)}. ${fix}`);
        continue;
      }
      entries.set(key, { key, node: pair.value as Node | null, anchor: keyNode, path });
    }
    return entries;
  }

  /** A required key: reports it missing at the mapping's own key. */
  required(entries: Map<string, MapEntry>, key: string, parent: Located, what: string): MapEntry | undefined {
    const entry = entries.get(key);
    if (!entry) {
      this.report({ node: parent.anchor ?? parent.node, anchor: null, path: childPath(parent.path, key) },
        `Missing required key \`${key}\` under ${describe(parent.path)}: ${what}.`);
    }
    return entry;
  }

  string(at: Located): string | undefined {
    const value = this.scalar(at);
    if (typeof value === 'string' && value.length > 0) return value;
    this.report(at, `\`${at.path}\` must be a non-empty string${foundText(this.resolve(at.node))}.`);
    return undefined;
  }

  boolean(at: Located): boolean | undefined {
    const value = this.scalar(at);
    if (typeof value === 'boolean') return value;
    this.report(at, `\`${at.path}\` must be true or false${foundText(this.resolve(at.node))}.`);
    return undefined;
  }

  /** A whole number in [min, max]. */
  integer(at: Located, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.scalar(at);
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    this.report(at, `\`${at.path}\` must be a whole number ${range}${foundText(this.resolve(at.node))}.`);
    return undefined;
  }

  /** A number in [min, max]. */
  number(at: Located, min: number, max: number): number | undefined {
    const value = this.scalar(at);
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    this.report(at, `\`${at.path}\` must be a number between ${min} and ${max}${foundText(this.resolve(at.node))}.`);
    return undefined;
  }

  /** Scalar value of a node, or undefined for collections and missing values. */
  scalar(at: Located): unknown {
    const node = this.resolve(at.node);
    return isScalar(node) ? (node as Scalar).value : undefined;
  }

  /** Items of a sequence of scalars, each with its location; reports a non-sequence. */
  sequence(at: Located, what: string): Located[] | undefined {
    const node = this.resolve(at.node);
    if (!isSeq(node)) {
      this.report(at, `\`${at.path}\` must be a list of ${what}${foundText(node)}.`);
      return undefined;
    }
    return node.items.map((item, index) => ({ node: item as Node | null, anchor: node, path: `${at.path}[${index}]` }));
  }

  private resolve(node: Node | null): Node | null {
    return isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? null) : node;
  }
}

function rangeOf(node: Node | null): [number, number] | undefined {
  return node?.range ? [node.range[0], node.range[1]] : undefined;
}

function describe(path: string): string {
  return path ? `\`${path}\`` : 'the top level';
}

function foundText(node: Node | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return ', but it is empty';
  if (isMap(node)) return ', not a mapping';
  if (isSeq(node)) return ', not a list';
  if (isScalar(node)) return `, not ${JSON.stringify(node.value)}`;
  return '';
}
