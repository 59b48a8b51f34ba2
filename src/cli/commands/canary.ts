// `flightdeck canary --env E --function F --version V --weight PERCENT [--alias A]`: sends a
// share of an alias's traffic to a version, the rest staying on the alias's primary.

import { canaryUpdate, DEFAULT_ALIAS, describeAlias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { numberOption, stringOption, TARGET_OPTIONS, type Command } from '../command';
import { versionNumberOption } from '../versionOption';

export const canaryCommand: Command = {
  name: 'canary',
  summary: "Send PERCENT of an alias's traffic to a version",
  options: {
    ...TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The canary version: N, vN, latest or previous', required: true },
    weight: { type: 'string', valueName: 'PERCENT', description: 'Its share of traffic, 0–100', required: true },
    alias: { type: 'string', valueName: 'A', description: `Alias to split (default ${DEFAULT_ALIAS})` },
  },
  async run(context) {
    const percent = numberOption(context.values, 'weight', 0, 100, false)!;
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const [env, fn, provider] = [context.values.env as string, context.values.function as string, await context.provider()];
    const version = (await versionNumberOption(context.values, provider, env, fn))!;
    const alias = await updateAliasWithRetry(provider, env, fn, aliasName,
      (current) => canaryUpdate(current.versionId, version, percent / 100));
    return { data: { alias }, text: describeAlias(alias) };
  },
};
