// Sends all of an alias's traffic to one version: `{environment, function, version, alias?}`.
// Without a version it promotes the alias's canary, or asks.
import { DEFAULT_ALIAS, trafficSplit, type Alias } from '../../model';
import type { FlightdeckContext } from '../context';
import { confirmProtected, confirmUnhealthy, pickAlias, pickVersion, resolveFunction } from '../pick';
import { resolveTargetVersion, targetOf } from './args';
import { updateAliasTraffic } from './traffic';

export async function promoteVersion(ctx: FlightdeckContext, arg: unknown): Promise<Alias> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Promote', ctx.workspace.personalEnvironmentNow);
  const alias = target.alias ? await provider.getAlias(ref.environment, ref.function, target.alias)
    : target.version !== undefined ? await provider.getAlias(ref.environment, ref.function, DEFAULT_ALIAS)
    : await pickAlias(provider, ref, 'Promote: pick an alias');
  const [, canary] = trafficSplit(alias);
  const version = (await resolveTargetVersion(provider, ref, target)) ?? canary?.versionId ?? (await pickVersion(provider, ref, `Version to get 100% of ${alias.name}`, [alias.versionId]));
  await confirmProtected(provider, ref.environment, `Promote v${version} to 100%`, target.confirm);
  await confirmUnhealthy(provider, ref, version, `Promote v${version}`, target.force);
  return updateAliasTraffic(provider, ref, alias.name, () => ({ versionId: version, additionalVersionWeight: {} }));
}
