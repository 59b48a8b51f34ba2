// The `rollout:` block of a function in flightdeck.yaml: defaults for releasing its new versions.
// Shaped like the rollout engine's partial request (src/rollout/spec.ts) so it passes straight in.

import type { RolloutGates, RolloutStrategy } from '../model';
import { parsePreset, PRESET_EXAMPLES } from '../rollout/presets';
import type { RolloutRequest } from '../rollout/spec';
import { parseDuration } from './duration';
import type { Located, YamlReader } from './yamlReader';

/** The engine's partial request without what only a release itself knows (alias, version, mode). */
export type RolloutDefaults = Omit<RolloutRequest, 'alias' | 'toVersion' | 'mode'>;

export const ROLLOUT_KEYS = [
  'preset', 'steps', 'interval', 'maxErrorRate', 'maxP95', 'minRequests', 'strategy', 'batches', 'manual',
] as const;

const STRATEGIES: readonly RolloutStrategy[] = ['canary', 'batch'];

export function readRolloutDefaults(reader: YamlReader, at: Located): RolloutDefaults | undefined {
  const entries = reader.map(at, ROLLOUT_KEYS);
  if (!entries) return undefined;
  const rollout: RolloutDefaults = {};
  const gates: Partial<RolloutGates> = {};
  for (const entry of entries.values()) {
    switch (entry.key) {
      case 'preset': rollout.preset = readPreset(reader, entry); break;
      case 'steps': rollout.steps = readSteps(reader, entry); break;
      case 'interval': rollout.intervalMs = readDuration(reader, entry); break;
      case 'maxErrorRate': gates.maxErrorRate = reader.number(entry, 0, 1); break;
      case 'maxP95': gates.maxP95Ms = readDuration(reader, entry); break;
      case 'minRequests': gates.minRequests = reader.integer(entry, 0); break;
      case 'strategy': rollout.strategy = readStrategy(reader, entry); break;
      case 'batches': rollout.batches = reader.integer(entry, 1); break;
      case 'manual': rollout.manual = reader.boolean(entry); break;
    }
  }
  if (Object.keys(gates).length > 0) rollout.gates = gates;
  return rollout;
}

/** A duration (`30s`, `5m`, or whole milliseconds) of at least `minMs`; reports anything else. */
export function readDuration(reader: YamlReader, at: Located, minMs = 0, maxMs = Number.MAX_SAFE_INTEGER): number | undefined {
  const ms = parseDuration(reader.scalar(at));
  if (ms === undefined) {
    reader.report(at, `\`${at.path}\` must be a duration like 500ms, 30s, 5m or 7d (or a whole number of milliseconds).`);
  } else if (ms < minMs) {
    reader.report(at, `\`${at.path}\` must be at least ${minMs}ms.`);
    return undefined;
  } else if (ms > maxMs) {
    reader.report(at, `\`${at.path}\` must be at most ${maxMs / 60_000}m.`);
    return undefined;
  }
  return ms;
}

function readPreset(reader: YamlReader, at: Located): string | undefined {
  const name = reader.string(at);
  if (name === undefined) return undefined;
  if (parsePreset(name)) return name;
  reader.report(at, `Unknown rollout preset \`${name}\`. Use one like ${PRESET_EXAMPLES.join(', ')}.`);
  return undefined;
}

function readStrategy(reader: YamlReader, at: Located): RolloutStrategy | undefined {
  const value = reader.scalar(at);
  if (STRATEGIES.includes(value as RolloutStrategy)) return value as RolloutStrategy;
  reader.report(at, `\`${at.path}\` must be one of ${STRATEGIES.join(', ')}.`);
  return undefined;
}

function readSteps(reader: YamlReader, at: Located): number[] | undefined {
  const items = reader.sequence(at, 'percentages ending at 100, e.g. [10, 50, 100]');
  if (!items) return undefined;
  const steps = items.map((item) => reader.integer(item, 1, 100));
  if (steps.some((step) => step === undefined)) return undefined;
  const valid = steps as number[];
  const descending = valid.findIndex((step, i) => i > 0 && step <= valid[i - 1]);
  if (descending > 0) {
    reader.report(items[descending], `\`${at.path}\` must increase: ${valid[descending]} is not above ${valid[descending - 1]}.`);
    return undefined;
  }
  if (valid[valid.length - 1] !== 100) {
    reader.report(at, `\`${at.path}\` must end at 100 so the new version ends with all traffic.`);
    return undefined;
  }
  return valid;
}
