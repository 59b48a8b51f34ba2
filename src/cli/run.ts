// Runs one CLI invocation: picks the command from the table, parses its options with
// node:util parseArgs, runs it and prints the result. Exit codes: 0 success, 1 failure (the
// error on stderr), 2 bad usage (what is wrong, then the usage).

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isFlightdeckError } from '../errors';
import type { Provider } from '../provider';
import { isProviderKind, PROVIDER_KINDS, type ProviderKind } from '../providers/kinds';
import { UsageError, type Command, type CommandContext, type CommandResult, type OptionSpec } from './command';
import { commandUsage, overview } from './help';

export interface CliEnvironment {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
  signal: AbortSignal;
  /**
   * Connects to the provider: `kind` from --provider, else the provider block of `projectFile`
   * (--config) or of the flightdeck.yaml found from cwd, else the local platform (started when none runs).
   */
  connect(kind: ProviderKind | undefined, projectFile?: string): Promise<Provider>;
}

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  provider: { type: 'string', valueName: 'KIND', description: `Provider: ${PROVIDER_KINDS.join(', ')} (default: flightdeck.yaml's provider block, else local)` },
  help: { type: 'boolean', description: 'Show this help' },
};
const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print machine-readable JSON' },
};

export async function runCli(commands: readonly Command[], cli: CliEnvironment): Promise<number> {
  const [name, ...rest] = cli.argv;
  if (name === undefined) return usageFailure(cli, new UsageError('No command given.'), commands);
  if (name === 'help' || name === '--help' || name === '-h') return help(cli, commands, rest.length > 0 ? rest.join(' ') : undefined);
  // Two-word commands (`rollout start`) are named by their first two words.
  const command = commands.find((c) => c.name === `${name} ${rest[0]}`) ?? commands.find((c) => c.name === name);
  const args = command?.name.includes(' ') ? rest.slice(1) : rest;
  if (!command) return unknownCommand(cli, commands, name, rest[0]);
  let provider: Provider | undefined;
  let context: CommandContext;
  try {
    let kind: ProviderKind | undefined;
    let projectFile: string | undefined;
    context = contextFor(command, args, cli, async () => (provider ??= await cli.connect(kind, projectFile)));
    kind = providerFlag(context.values, command);
    projectFile = typeof context.values.config === 'string' ? resolve(cli.cwd, context.values.config) : undefined;
  } catch (error) {
    return usageFailure(cli, error, commands, command);
  }
  if (context.values.help) {
    cli.stdout(commandUsage(command, optionsOf(command)) + '\n');
    return 0;
  }
  const json = context.values.json === true;
  try {
    const result = await command.run(context);
    if (result) printResult(cli, result, json);
    if (result?.failure && !json) cli.stderr(`flightdeck: ${result.failure.message}\n`);
    return result?.failure?.exitCode ?? 0;
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(cli, error, commands, command);
    printError(cli, error, json);
    return 1;
  } finally {
    provider?.dispose();
  }
}

function contextFor(command: Command, args: string[], cli: CliEnvironment, connect: () => Promise<Provider>): CommandContext {
  const options = optionsOf(command);
  let values: CommandContext['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: Object.fromEntries(Object.entries(options).map(([key, spec]) => [key, { type: spec.type }])),
      strict: true,
      allowPositionals: command.argument !== undefined,
    }) as { values: CommandContext['values']; positionals: string[] });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), command);
  }
  if (positionals.length > 1) throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[1])}: give one ${command.argument?.name}.`, command);
  const empty = Object.keys(options).find((key) => values[key] === '');
  if (empty !== undefined && !values.help) throw new UsageError(`--${empty} needs a value; it was given an empty one.`, command);
  const missing = Object.entries(options).filter(([key, spec]) => spec.required && values[key] === undefined);
  if (missing.length > 0 && !values.help) {
    throw new UsageError(`Missing required option${missing.length > 1 ? 's' : ''} ${missing.map(([key]) => `--${key}`).join(', ')}.`, command);
  }
  const json = values.json === true;
  return {
    values,
    ...(positionals.length > 0 ? { argument: positionals[0] } : {}),
    cwd: cli.cwd,
    env: cli.env,
    signal: cli.signal,
    print: (text) => cli.stdout(`${text}\n`),
    note: (text) => {
      if (!json) cli.stderr(`${text}\n`);
    },
    provider: connect,
  };
}

function providerFlag(values: CommandContext['values'], command: Command): ProviderKind | undefined {
  const value = values.provider;
  if (typeof value !== 'string') return undefined;
  if (!isProviderKind(value)) throw new UsageError(`--provider must be one of ${PROVIDER_KINDS.join(', ')}, not ${JSON.stringify(value)}.`, command);
  return value;
}

/** Every option a command takes: its own, --json where it prints a result, and the common ones. */
export function optionsOf(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.json === false ? {} : JSON_OPTION), ...COMMON_OPTIONS };
}

function help(cli: CliEnvironment, commands: readonly Command[], name: string | undefined): number {
  if (name === undefined) {
    cli.stdout(overview(commands) + '\n');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  const group = subcommandsOf(commands, name);
  if (!command && group.length > 0) {
    cli.stdout(groupUsage(name, group) + '\n');
    return 0;
  }
  if (!command) return usageFailure(cli, new UsageError(`Unknown command "${name}".`), commands);
  cli.stdout(commandUsage(command, optionsOf(command)) + '\n');
  return 0;
}

/** A first word with no command of its own: the subcommands it starts (`rollout` → `rollout start`, …) or the overview. */
function unknownCommand(cli: CliEnvironment, commands: readonly Command[], name: string, next: string | undefined): number {
  const group = subcommandsOf(commands, name);
  if (group.length === 0) {
    return usageFailure(cli, new UsageError(`Unknown command "${name}". Run \`flightdeck help\` for the list.`), commands);
  }
  if (next === '--help' || next === '-h') {
    cli.stdout(groupUsage(name, group) + '\n');
    return 0;
  }
  const problem = next === undefined ? `"${name}" needs a subcommand.` : `Unknown subcommand "${next}" of ${name}.`;
  if (cli.argv.includes('--json')) return usageFailure(cli, new UsageError(problem), commands);
  cli.stderr(`flightdeck: ${problem}\n\n${groupUsage(name, group)}\n`);
  return 2;
}

function subcommandsOf(commands: readonly Command[], word: string): Command[] {
  return commands.filter((c) => c.name.startsWith(`${word} `));
}

function groupUsage(word: string, subcommands: readonly Command[]): string {
  const width = Math.max(...subcommands.map((c) => c.name.length));
  return [
    `Usage: flightdeck ${word} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`flightdeck help ${word} <subcommand>\` for its options.`,
  ].join('\n');
}

/** Exit 2 with what is wrong and the usage; with --json anywhere on the line, one JSON error instead. */
function usageFailure(cli: CliEnvironment, error: unknown, commands: readonly Command[], command?: Command): number {
  const message = (error as Error).message;
  if (cli.argv.includes('--json')) {
    cli.stderr(`${JSON.stringify({ error: { code: 'USAGE', message, ...(command ? { command: command.name } : {}) } })}\n`);
    return 2;
  }
  const usage = command ? commandUsage(command, optionsOf(command)) : overview(commands);
  cli.stderr(`flightdeck: ${message}\n\n${usage}\n`);
  return 2;
}

function printResult(cli: CliEnvironment, result: CommandResult, json: boolean): void {
  cli.stdout(json ? `${JSON.stringify(result.data, null, 2)}\n` : result.text ? `${result.text}\n` : '');
  if (!json && result.bytes) cli.stdout(result.bytes);
}

function printError(cli: CliEnvironment, error: unknown, json: boolean): void {
  if (json) {
    const body = isFlightdeckError(error) ? error.toJSON() : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    cli.stderr(`${JSON.stringify({ error: body })}\n`);
  } else if (isFlightdeckError(error)) {
    cli.stderr(`flightdeck: ${error.message}\n`);
  } else {
    cli.stderr(`flightdeck: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
}
