// What `flightdeck <TAB>` offers: the hidden `flightdeck __complete WORD…` prints the candidates
// for the last (partial) word, one a line; the shell scripts of `flightdeck completion bash|zsh`
// call it and filter by the prefix. Environment names come from a running platform (none is
// started for a TAB), function names from the project's flightdeck.yaml.

import type { Command } from './command';
import { PROVIDER_KINDS } from '../providers/kinds';
import { optionsOf } from './run';

/** Values some options take, offered as they are. */
const OPTION_VALUES: Record<string, readonly string[]> = {
  version: ['latest', 'previous'],
  kind: ['personal', 'staging', 'production'],
  ci: ['github', 'gitlab'],
  strategy: ['canary', 'batch'],
  mode: ['inPlace', 'recreate'],
  provider: PROVIDER_KINDS,
  method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
};

export interface CompletionSources {
  environments(): Promise<string[]>;
  functions(): Promise<string[]>;
}

/**
 * Candidates for the last of `words`. A value may follow its flag as the next word, or after `=`:
 * zsh passes `--env=dev-a` as one word (the candidates then carry the `--env=`), bash as three
 * (`--env`, `=`, `dev-a`: `=` breaks its words).
 */
export async function completeWords(commands: readonly Command[], words: string[], sources: CompletionSources): Promise<string[]> {
  const typed = words.slice(0, -1);
  const current = words.at(-1) ?? '';
  const [first, second] = typed;
  if (typed.length === 0) return unique([...commands.map((c) => c.name.split(' ')[0]), 'help']);
  if (first === 'help') return typed.length === 1 ? unique(commands.map((c) => c.name.split(' ')[0])) : [];
  const group = commands.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0 && typed.length === 1) return group.map((c) => c.name.split(' ')[1]);
  const command = commands.find((c) => c.name === `${first} ${second}`) ?? commands.find((c) => c.name === first);
  if (!command) return [];
  const options = optionsOf(command);
  const takesValue = (flag: string | undefined) => flag?.startsWith('--') === true && options[flag.slice(2)]?.type === 'string';
  const joined = /^(--[^=]+)=/.exec(current);
  if (joined && takesValue(joined[1])) return (await valuesOf(joined[1].slice(2), sources)).map((value) => `${joined[1]}=${value}`);
  const previous = typed.at(-1) === '=' ? typed.at(-2) : typed.at(-1);
  if (takesValue(previous)) return valuesOf(previous!.slice(2), sources);
  const used = new Set(typed.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=')[0]));
  const flags = Object.keys(options).filter((name) => !used.has(name)).map((name) => `--${name}`);
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
