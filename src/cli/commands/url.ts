// `flightdeck url --env E --function F [--alias A | --version V]`: where a function is served.

import { numberOption, stringOption, TARGET_OPTIONS, UsageError, type Command } from '../command';

export const urlCommand: Command = {
  name: 'url',
  summary: "Print a function's URL (the live alias, another alias, or one version)",
  options: {
    ...TARGET_OPTIONS,
    alias: { type: 'string', valueName: 'A', description: 'Serve through this alias' },
    version: { type: 'string', valueName: 'V', description: 'Serve exactly this version' },
  },
  async run(context) {
    const alias = stringOption(context.values, 'alias');
    const version = numberOption(context.values, 'version', 1, Number.MAX_SAFE_INTEGER);
    if (alias !== undefined && version !== undefined) throw new UsageError('Give --alias or --version, not both.');
    const url = await (await context.provider()).functionUrl(context.values.env as string, context.values.function as string, { alias, version });
    return { data: { url }, text: url };
  },
};
