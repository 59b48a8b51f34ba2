// `flightdeck url [--env E] [--function F] [--alias A | --version V]`: where a function is served.

import type { Provider, UrlTarget } from '../../provider';
import { stringOption, UsageError, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
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
    await assertServable(provider, environment, fn, { alias, version });
    const url = await provider.functionUrl(environment, fn, { alias, version });
    return { data: { url }, text: url };
  },
};

/** Reads what the URL would serve, so a mistyped name fails (NOT_FOUND) instead of printing a dead URL. */
async function assertServable(provider: Provider, environment: string, fn: string, target: UrlTarget): Promise<void> {
  if (target.version !== undefined) await provider.getVersion(environment, fn, target.version);
  else if (target.alias !== undefined) await provider.getAlias(environment, fn, target.alias);
  else await provider.getFunction(environment, fn);
}
