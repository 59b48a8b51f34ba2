// `flightdeck rollback [--env E] [--function F] [--alias A] [--version V]`: the alias 100% back to
// the version before the current one (or V), like the editor's Roll Back; an active rollout of
// the alias is aborted first.

import { DEFAULT_ALIAS, describeAlias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, stringOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption } from '../versionOption';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Send all traffic back to the version before the current one (or --version)',
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    alias: { type: 'string', valueName: 'A', description: `Alias to move (default ${DEFAULT_ALIAS})` },
    version: { type: 'string', valueName: 'V', description: 'Roll back to this version: N, vN or previous (default: the newest healthy one before)' },
    ...FORCE_OPTION,
  },
  async run(context) {
    const provider = await context.provider();
    const [ref, { rollBackTo, rollbackVersion }] = await Promise.all([functionTarget(context), import('../../rollout/rollback')]);
    const target = { ...ref, alias: stringOption(context.values, 'alias') ?? DEFAULT_ALIAS };
    const named = await versionNumberOption(context.values, provider, ref.environment, ref.function);
    if (named !== undefined) await guardUnhealthy(context, provider, ref.environment, ref.function, named, `roll back to v${named}`);
    const version = named ?? (await rollbackVersion(provider, target));
    const alias = await rollBackTo(provider, target, version, (change) => updateAliasWithRetry(provider, ref.environment, ref.function, target.alias, change));
    return { data: { alias }, text: `${ref.environment}/${ref.function}: ${describeAlias(alias)}` };
  },
};
