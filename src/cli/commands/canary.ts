// `flightdeck canary [--env E] [--function F] --version V --weight PERCENT [--alias A] [--force]`:
// sends a share of an alias's traffic to a version, the rest staying on the alias's primary, and
// says what the new split replaced (`v3's 10% → v5's 30%`).

import { FlightdeckError } from '../../errors';
import { canaryProblem, canaryUpdate, DEFAULT_ALIAS, describeAlias, describeSplitChange, type Alias } from '../../model';
import { updateAliasWithRetry } from '../aliasUpdate';
import { FORCE_OPTION, guardUnhealthy, numberOption, stringOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption } from '../versionOption';

export const canaryCommand: Command = {
  name: 'canary',
  summary: "Send PERCENT of an alias's traffic to a version",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The canary version: N, vN, latest or previous', required: true },
    weight: { type: 'string', valueName: 'PERCENT', description: 'Its share of traffic, 0–100 (decimals allowed, e.g. 0.5)', required: true },
    alias: { type: 'string', valueName: 'A', description: `Alias to split (default ${DEFAULT_ALIAS})` },
    ...FORCE_OPTION,
  },
  async run(context) {
    const percent = numberOption(context.values, 'weight', 0, 100, false)!;
    const aliasName = stringOption(context.values, 'alias') ?? DEFAULT_ALIAS;
    const provider = await context.provider();
    const { environment: env, function: fn } = await functionTarget(context);
    const version = (await versionNumberOption(context.values, provider, env, fn))!;
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
