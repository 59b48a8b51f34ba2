// What `flightdeck <TAB>` offers: the hidden `flightdeck __complete WORD…` prints the candidates
// for the last (partial) word, one a line; the shell scripts of `flightdeck completion bash|zsh`
// call it and filter by the prefix. Environment names come from a running platform (none is
// started for a TAB), function names from the project's flightdeck.yaml.

import type { Command } from './command';

/** Values some options take, offered as they are. */
const OPTION_VALUES: Record<string, readonly string[]> = {
  version: ['latest', 'previous'],
  kind: ['personal', 'staging', 'production'],
  ci: ['github', 'gitlab'],
  strategy: ['canary', 'batch'],
  mode: ['inPlace', 'recreate'],
};

export interface CompletionSources {
  environments(): Promise<string[]>;
  functions(): Promise<string[]>;
}

export async function completeWords(commands: readonly Command[], words: string[], sources: CompletionSources): Promise<string[]> {
  const typed = words.slice(0, -1);
  const [first, second] = typed;
  if (typed.length === 0) return unique([...commands.map((c) => c.name.split(' ')[0]), 'help']);
  if (first === 'help') return typed.length === 1 ? unique(commands.map((c) => c.name.split(' ')[0])) : [];
  const group = commands.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0 && typed.length === 1) return group.map((c) => c.name.split(' ')[1]);
  const command = commands.find((c) => c.name === `${first} ${second}`) ?? commands.find((c) => c.name === first);
  if (!command) return [];
  const previous = typed.at(-1)!;
  const option = previous.startsWith('--') ? command.options[previous.slice(2)] : undefined;
  if (option?.type === 'string') return valuesOf(previous.slice(2), sources);
  const used = new Set(typed.filter((w) => w.startsWith('--')).map((w) => w.slice(2)));
  const flags = [...Object.keys(command.options), 'help', ...(command.json === false ? [] : ['json'])].filter((name) => !used.has(name)).map((name) => `--${name}`);
  // Right after the command's words, its argument: environment names where it takes one.
  const argumentNext = typed.length === command.name.split(' ').length && command.argument?.environment === true;
  return argumentNext ? [...(await sources.environments().catch(() => [])), ...flags] : flags;
}

async function valuesOf(option: string, sources: CompletionSources): Promise<string[]> {
  if (option === 'env' || option === 'confirm') return sources.environments().catch(() => []);
  if (option === 'function') return sources.functions().catch(() => []);
  return [...(OPTION_VALUES[option] ?? [])];
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
