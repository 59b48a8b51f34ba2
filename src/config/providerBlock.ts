// flightdeck.yaml's `provider:` block: which engine the project's environments live on, and where.
//
//   provider:
//     kind: fc3            # local (default), fc3, knative
//     region: cn-hangzhou
//     accountId: "1234567890123456"
//
// Read with the project file (problems at their line and column), and on its own by the CLI and
// the editor to choose a provider before anything else of the project is needed.

import { readFileSync } from 'node:fs';
import { FlightdeckError } from '../errors';
import type { Node } from 'yaml';
import { isMap, isScalar, newLineCounter, parseDocument } from './yaml';
import { PROVIDER_KINDS, PROVIDER_OPTION_KEYS, isProviderKind, type ProviderSelection } from '../providers/kinds';
import { YamlReader, type Located, type Problem } from './yamlReader';

const ALL_KEYS = ['kind', ...new Set(Object.values(PROVIDER_OPTION_KEYS).flat())];

/** Options that are URLs, each with an example for the message when it is not one. */
const URL_EXAMPLES: Record<string, string> = {
  endpoint: 'https://1234.cn-hangzhou.fc.aliyuncs.com',
  cloudMonitorEndpoint: 'https://metrics.cn-hangzhou.aliyuncs.com',
  slsEndpoint: 'https://cn-hangzhou.log.aliyuncs.com',
  prometheus: 'http://prometheus.monitoring:9090',
};

/** Reads the block at `at`; problems go to the reader. */
export function readProviderBlock(reader: YamlReader, at: Located): ProviderSelection | undefined {
  const entries = reader.map(at, ALL_KEYS);
  if (!entries) return undefined;
  const kindEntry = reader.required(entries, 'kind', at, `one of ${PROVIDER_KINDS.join(', ')}`);
  if (!kindEntry) return undefined;
  const kind = reader.scalar(kindEntry);
  if (!isProviderKind(kind)) {
    reader.report(kindEntry, `\`${kindEntry.path}\` must be one of ${PROVIDER_KINDS.join(', ')}, not ${JSON.stringify(kind ?? null)}.`);
    return undefined;
  }
  const options: Record<string, string> = {};
  let valid = true;
  for (const entry of entries.values()) {
    if (entry.key === 'kind') continue;
    if (!PROVIDER_OPTION_KEYS[kind].includes(entry.key)) {
      const fits = PROVIDER_OPTION_KEYS[kind];
      reader.report({ ...entry, node: entry.anchor }, `\`${entry.path}\` does not apply to kind ${kind}${fits.length ? `; it takes ${fits.join(', ')}` : ''}.`);
      valid = false;
      continue;
    }
    const value = reader.scalar(entry);
    // Account ids are long numbers: YAML reads them as numbers, which is what people write.
    if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isSafeInteger(value))) {
      options[entry.key] = String(value);
    } else {
      reader.report(entry, `\`${entry.path}\` must be a string${entry.key === 'accountId' ? ' (quote a long account id)' : ''}.`);
      valid = false;
    }
  }
  for (const [key, example] of Object.entries(URL_EXAMPLES)) {
    if (options[key] !== undefined && !/^https?:\/\/[^\s/]+/.test(options[key])) {
      reader.report(entries.get(key)!, `\`provider.${key}\` must be an http(s) URL, e.g. ${example}.`);
      valid = false;
    }
  }
  return valid ? { kind, options } : undefined;
}

export interface ParsedProviderBlock {
  /** Undefined when the file has no `provider:` block (or it has problems). */
  selection?: ProviderSelection;
  problems: Problem[];
}

/** Only the `provider:` block of a flightdeck.yaml's text, ignoring the rest of the file. */
export function parseProviderBlock(text: string): ParsedProviderBlock {
  const lines = newLineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const reader = new YamlReader(doc, lines);
  const root = doc.contents;
  // A broken file is the project reader's to report; here it just has no provider block.
  if (doc.errors.length > 0 || !isMap(root)) return { problems: [] };
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'provider');
  if (!pair) return { problems: [] };
  const selection = readProviderBlock(reader, { node: pair.value as Node | null, anchor: pair.key as Node, path: 'provider' });
  return { selection, problems: reader.problems };
}

/** The `provider:` block of a flightdeck.yaml on disk; CONFIG_INVALID (with line:column) when it is wrong. */
export function loadProviderBlock(file: string): ProviderSelection | undefined {
  const { selection, problems } = parseProviderBlock(readFileSync(file, 'utf8'));
  if (problems.length > 0) {
    const list = problems.map((p) => `  ${file}:${p.line}:${p.column}: ${p.message}`).join('\n');
    throw new FlightdeckError('CONFIG_INVALID', `${file} has ${problems.length} problem(s) in its provider block:\n${list}`, {
      file, line: problems[0].line, column: problems[0].column, field: problems[0].path,
    });
  }
  return selection;
}
