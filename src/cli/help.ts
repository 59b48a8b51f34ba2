// Usage text: the overview of all commands and the options of one.

import type { Command, OptionSpec } from './command';

export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['Usage: flightdeck <command> [options]', '', 'Commands:', ...lines, '', 'Run `flightdeck help <command>` for its options.'].join('\n');
}

export function commandUsage(command: Command, options: Record<string, OptionSpec>): string {
  const synopsis = Object.entries(options).map(([name, spec]) => {
    const text = spec.type === 'string' ? `--${name} ${spec.valueName ?? 'VALUE'}` : `--${name}`;
    return spec.required ? text : `[${text}]`;
  });
  if (command.argument) synopsis.unshift(`[${command.argument.name}]`);
  const flags = Object.entries(options).map(([name, spec]) => [spec.type === 'string' ? `--${name} ${spec.valueName ?? 'VALUE'}` : `--${name}`, spec.description]);
  if (command.argument) flags.unshift([command.argument.name, command.argument.description]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    `Usage: flightdeck ${command.name} ${synopsis.join(' ')}`,
    '',
    command.summary,
    '',
    command.argument ? 'Arguments and options:' : 'Options:',
    ...flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
  ].join('\n');
}
