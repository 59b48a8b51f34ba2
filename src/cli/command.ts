// The shape of a CLI command module (src/cli/commands/*.ts) and the helpers they share for
// reading options. A command returns its result as data (printed with --json) and as text.

import type { Provider } from '../provider';
import { unhealthyRefusal, unhealthyVersion } from '../trafficGuard';

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in usage, e.g. NAME for `--env NAME`. */
  valueName?: string;
  required?: boolean;
}

export interface CommandResult {
  /** Machine-readable result, printed as JSON with --json. */
  data: unknown;
  /** For people. */
  text: string;
  /** Bytes written as they are after `text` (not with --json): a binary answer. */
  bytes?: Uint8Array;
  /**
   * A result that is still a failure: the exit code (1: a deployed version did not start; 3: a
   * rollout completed unverified) and what went wrong, on stderr (the result still prints).
   */
  failure?: { exitCode: number; message: string };
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandContext {
  values: OptionValues;
  /** The command's `argument`, when given. */
  argument?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Writes to stdout now, for commands that run on (serve); others return their result. */
  print(text: string): void;
  /** Progress and notes for people, on stderr (silent with --json). */
  note(text: string): void;
  /** The provider, connecting (and starting the local platform) on first use. */
  provider(): Promise<Provider>;
}

export interface Command {
  name: string;
  /** One line for `flightdeck help`. */
  summary: string;
  options: Record<string, OptionSpec>;
  /** Commands that print no JSON (serve) leave this false. */
  json?: boolean;
  /** One optional argument without a flag (`flightdeck import [s.yaml]`); `environment`: TAB offers environment names. */
  argument?: { name: string; description: string; environment?: boolean };
  run(context: CommandContext): Promise<CommandResult | void>;
}

/** Marks UsageErrors across the CLI's bundles (each has its own copy of the class), as FlightdeckError does. */
const USAGE_BRAND = Symbol.for('flightdeck.UsageError');

/** Bad usage: exit code 2, with the command's usage. */
export class UsageError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[USAGE_BRAND] === true;
  }

  readonly [USAGE_BRAND] = true;

  constructor(message: string, readonly command?: Command) {
    super(message);
    this.name = 'UsageError';
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option the command cannot do without (declared `required`, checked before run). */
export function requiredOption(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`Missing required option --${name}.`);
  return value;
}

/** Plain decimal notation only: `0x10`, `1e3`, ` 5` and `+5` are not numbers a person meant. */
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$|^\.\d+$/;

/**
 * A numeric option within [min, max], written in plain decimals; `integer` rejects fractions.
 * `label` names the value in the message: the flag, or an argument's name (`PERCENT`).
 */
export function numberOption(values: OptionValues, name: string, min: number, max: number, integer = true, label = `--${name}`): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(integer ? WHOLE : DECIMAL).test(text) || !Number.isSafeInteger(Math.trunc(value)) || value < min || value > max) {
    throw new UsageError(`${label} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (plain decimal digits), not ${JSON.stringify(text)}.`);
  }
  return value;
}

/** --force: send traffic to a version marked unhealthy. */
export const FORCE_OPTION: Record<string, OptionSpec> = {
  force: { type: 'boolean', description: 'Send traffic to the version even when it is marked unhealthy' },
};

/** Refuses to move traffic to an unhealthy version unless --force was given (then it says so). */
export async function guardUnhealthy(context: CommandContext, provider: Provider, env: string, fn: string, version: number, action: string): Promise<void> {
  const sick = await unhealthyVersion(provider, env, fn, version);
  if (!sick) return;
  if (context.values.force !== true) throw unhealthyRefusal(sick, action);
  context.note(`Warning: v${version} is unhealthy (${sick.healthReason ?? 'no reason recorded'}); --force given, so going ahead.`);
}
