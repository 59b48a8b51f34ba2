// Sends a share of an alias's traffic to a canary version:
// `{environment, function, version, weight, alias?}` with weight in percent, or quick picks.
import { FlightdeckError } from '../../errors';
import { canaryProblem, canaryUpdate, DEFAULT_ALIAS, type Alias } from '../../model';
import type { FlightdeckContext } from '../context';
import { weightProblem } from '../input';
import { confirmProtected, confirmUnhealthy, pickAlias, pickVersion, pickWeightPercent, resolveFunction } from '../pick';
import { argsOf, numberArg, resolveTargetVersion, targetOf } from './args';
import { updateAliasTraffic } from './traffic';

export async function setCanaryWeight(ctx: FlightdeckContext, arg: unknown): Promise<Alias> {
  const target = targetOf(arg);
  const typedWeight = numberArg(argsOf(arg), 'weight');
  if (typedWeight !== undefined) {
    const problem = weightProblem(String(typedWeight));
    if (problem) throw new FlightdeckError('BAD_REQUEST', `weight: ${problem}`, { field: 'weight' });
  }
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Set canary weight', ctx.workspace.personalEnvironmentNow);
  const alias =
    target.alias ?? (target.version !== undefined ? DEFAULT_ALIAS : (await pickAlias(provider, ref, 'Set canary weight: pick an alias')).name);
  const primary = (await provider.getAlias(ref.environment, ref.function, alias)).versionId;
  const canary = (await resolveTargetVersion(provider, ref, target)) ?? (await pickVersion(provider, ref, `Canary version for ${alias} (now v${primary})`, [primary]));
  const weight = typedWeight ?? (await pickWeightPercent(canary));
  const refused = canaryProblem(await provider.getAlias(ref.environment, ref.function, alias), canary, weight / 100);
  if (refused) throw new FlightdeckError('BAD_REQUEST', refused, { field: 'version' });
  await confirmProtected(provider, ref.environment, `Send ${weight}% to v${canary}`, target.confirm);
  if (weight > 0) await confirmUnhealthy(provider, ref, canary, `Send ${weight}% to v${canary}`, target.force);
  return updateAliasTraffic(provider, ref, alias, (current) => {
    const problem = canaryProblem(current, canary, weight / 100);
    if (problem) throw new FlightdeckError('BAD_REQUEST', problem, { field: 'version' });
    return canaryUpdate(current.versionId, canary, weight / 100);
  });
}
