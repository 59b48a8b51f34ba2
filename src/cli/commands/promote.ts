// `flightdeck promote --env E --function F --version V [--alias A] [--force]`: all of an alias's traffic to V.

import { DEFAULT_ALIAS, describeAlias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, stringOption, TARGET_OPTIONS, type Command } from '../command';
import { versionNumberOption } from '../versionOption';

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'Send 100% of an alias\'s traffic to a version',
  options: {
    ...TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The version to promote: N, vN, latest or previous', required: true },
    alias: { type: 'string', valueName: 'A', description: `Alias to move (default ${DEFAULT_ALIAS})` },
    ...FORCE_OPTION,
  },
  async run(context) {
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const [env, fn, provider] = [context.values.env as string, context.values.function as string, await context.provider()];
    const version = (await versionNumberOption(context.values, provider, env, fn))!;
    await guardUnhealthy(context, provider, env, fn, version, `promote v${version}`);
    const alias = await updateAliasWithRetry(provider, env, fn, aliasName, () => ({ versionId: version, additionalVersionWeight: {} }));
    return { data: { alias }, text: describeAlias(alias) };
  },
};
