// `flightdeck promote [--version V] [--env E] [--function F] [--alias A] [--force]`: all of an
// alias's traffic to V; without --version, to the alias's canary (as the editor's Promote), else
// to the latest version.

import { DEFAULT_ALIAS, describeAlias, trafficSplit } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, stringOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption, versionOption } from '../versionOption';

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'Send 100% of an alias\'s traffic to a version (default its canary, else the latest)',
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The version to promote: N, vN, latest or previous (default the canary, else latest)' },
    alias: { type: 'string', valueName: 'A', description: `Alias to move (default ${DEFAULT_ALIAS})` },
    ...FORCE_OPTION,
  },
  async run(context) {
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const provider = await context.provider();
    const { environment: env, function: fn } = await functionTarget(context);
    const canary = versionOption(context.values) === undefined ? trafficSplit(await provider.getAlias(env, fn, aliasName))[1]?.versionId : undefined;
    const version = (await versionNumberOption(context.values, provider, env, fn, canary ?? 'latest'))!;
    await guardUnhealthy(context, provider, env, fn, version, `promote v${version}`);
    const alias = await updateAliasWithRetry(provider, env, fn, aliasName, () => ({ versionId: version, additionalVersionWeight: {} }));
    return { data: { alias }, text: describeAlias(alias) };
  },
};
