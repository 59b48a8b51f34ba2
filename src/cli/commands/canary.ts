// `flightdeck canary PERCENT [--version V] [--env E] [--function F] [--alias A] [--force]`:
// sends a share of an alias's traffic to a version (default the latest), the rest staying on the
// alias's primary, and says what the new split replaced (`v3's 10% → v5's 30%`). The share may
// also come as --weight PERCENT.

import { FlightdeckError } from '../../errors';
import { canaryProblem, canaryUpdate, DEFAULT_ALIAS, describeAlias, describeSplitChange, type Alias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, numberOption, stringOption, UsageError, type Command, type CommandContext } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption } from '../versionOption';

export const canaryCommand: Command = {
  name: 'canary',
  summary: "Send PERCENT of an alias's traffic to a version (default the latest)",
  argument: { name: 'PERCENT', description: 'The version\'s share of traffic, 0–100 (decimals allowed, e.g. 0.5), or use --weight' },
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The canary version: N, vN, latest or previous (default latest)' },
    weight: { type: 'string', valueName: 'PERCENT', description: 'Its share of traffic, 0–100 (decimals allowed, e.g. 0.5)' },
    alias: { type: 'string', valueName: 'A', description: `Alias to split (default ${DEFAULT_ALIAS})` },
    ...FORCE_OPTION,
  },
  async run(context) {
    const percent = canaryPercent(context);
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const provider = await context.provider();
    const { environment: env, function: fn } = await functionTarget(context);
    const version = (await versionNumberOption(context.values, provider, env, fn, 'latest'))!;
    if (percent > 0) await guardUnhealthy(context, provider, env, fn, version, `send ${percent}% to v${version}`);
    let before: Alias | undefined;
    const alias = await updateAliasWithRetry(provider, env, fn, aliasName, (current) => {
      const problem = canaryProblem(current, version, percent / 100);
      if (problem) throw new FlightdeckError('BAD_REQUEST', problem, { field: 'version' });
      before = current;
      return canaryUpdate(current.versionId, version, percent / 100);
    });
    return { data: { alias }, text: `${aliasName}: ${describeSplitChange(before!, alias)} (${describeAlias(alias)})` };
  },
};

/** The share, as the argument (`canary 10`) or --weight; both only when they agree. */
function canaryPercent(context: CommandContext): number {
  const flag = numberOption(context.values, 'weight', 0, 100, false);
  const argument = numberOption({ percent: context.argument }, 'percent', 0, 100, false, 'PERCENT');
  if (argument !== undefined && flag !== undefined && argument !== flag) {
    throw new UsageError(`Two shares given: ${context.argument} and --weight ${stringOption(context.values, 'weight')}; give one.`);
  }
  const percent = argument ?? flag;
  if (percent === undefined) throw new UsageError('Give the share of traffic: flightdeck canary 10 (or --weight 10).');
  return percent;
}
