// The shape of a CLI command module (src/cli/commands/*.ts) and the helpers they share for
// reading options. A command returns its result as data (printed with --json) and as text.

import type { Provider } from '../provider';

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
  /** One optional argument without a flag (`flightdeck import [s.yaml]`). */
  argument?: { name: string; description: string };
  run(context: CommandContext): Promise<CommandResult | void>;
}

/** Bad usage: exit code 2, with the command's usage. */
export class UsageError extends Error {
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

/** A numeric option within [min, max]; `integer` rejects fractions. */
export function numberOption(values: OptionValues, name: string, min: number, max: number, integer = true): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(text)}.`);
  }
  return value;
}

/** --env and --function, which most commands need. */
export const TARGET_OPTIONS: Record<string, OptionSpec> = {
  env: { type: 'string', valueName: 'NAME', description: 'Environment', required: true },
  function: { type: 'string', valueName: 'NAME', description: 'Function', required: true },
};
