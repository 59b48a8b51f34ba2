// `flightdeck url [--env E] [--function F] [--alias A | --version V]`: where a function is served.

import { stringOption, UsageError, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { servedUrl } from '../servedUrl';
import { versionNumberOption, versionOption } from '../versionOption';

export const urlCommand: Command = {
  name: 'url',
  summary: "Print a function's URL (the live alias, another alias, or one version)",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    alias: { type: 'string', valueName: 'A', description: 'Serve through this alias' },
    version: { type: 'string', valueName: 'V', description: 'Serve exactly this version: N, vN, latest or previous' },
  },
  async run(context) {
    const alias = stringOption(context.values, 'alias');
    if (alias !== undefined && versionOption(context.values) !== undefined) throw new UsageError('Give --alias or --version, not both.');
    const provider = await context.provider();
    const { environment, function: fn } = await functionTarget(context);
    const version = await versionNumberOption(context.values, provider, environment, fn);
    const url = await servedUrl(provider, environment, fn, { alias, version });
    return { data: { url }, text: url };
  },
};

