// `flightdeck promote --env E --function F --version V [--alias A] [--force]`: all of an alias's traffic to V.

import { DEFAULT_ALIAS, describeAlias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, numberOption, stringOption, TARGET_OPTIONS, type Command } from '../command';

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'Send 100% of an alias\'s traffic to a version',
  options: {
    ...TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The version to promote', required: true },
    alias: { type: 'string', valueName: 'A', description: `Alias to move (default ${DEFAULT_ALIAS})` },
    ...FORCE_OPTION,
  },
  async run(context) {
    const version = numberOption(context.values, 'version', 1, Number.MAX_SAFE_INTEGER)!;
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const env = context.values.env as string;
    const fn = context.values.function as string;
    const provider = await context.provider();
    await guardUnhealthy(context, provider, env, fn, version, `promote v${version}`);
    const alias = await updateAliasWithRetry(provider, env, fn, aliasName, () => ({ versionId: version, additionalVersionWeight: {} }));
    return { data: { alias }, text: describeAlias(alias) };
  },
};
