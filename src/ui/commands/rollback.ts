// Roll back: `live` 100% to the given version, or else to the previous primary (the one an
// active rollout started from, the alias's primary when a canary is on, or the version before).
import { FlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, trafficSplit, type Alias } from '../../model';
import type { Provider } from '../../provider';
import { activeRolloutOn } from '../activeRollout';
import type { FlightdeckContext } from '../context';
import { confirmProtected, resolveFunction, type FunctionTarget } from '../pick';
import { targetOf } from './args';
import { updateAliasTraffic } from './traffic';

export async function rollback(ctx: FlightdeckContext, arg: unknown): Promise<Alias> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Roll back', ctx.workspace.personalEnvironmentNow);
  const aliasName = target.alias ?? DEFAULT_ALIAS;
  const active = activeRolloutOn(await provider.getRollout(ref.environment, ref.function), aliasName);
  const version = target.version ?? active?.fromVersion ?? (await previousPrimary(provider, ref, aliasName));
  await confirmProtected(provider, ref.environment, `Roll back ${ref.function} to v${version}`, target.confirm);
  // A rollout owns the alias while it runs: abort it first, then set the weights.
  if (active) {
    await provider.rolloutAction(ref.environment, ref.function, 'abort');
    const after = await provider.getAlias(ref.environment, ref.function, aliasName);
    if (after.versionId === version && trafficSplit(after).length === 1) return after;
  }
  return updateAliasTraffic(provider, ref, aliasName, () => ({ versionId: version, additionalVersionWeight: {} }));
}

async function previousPrimary(provider: Provider, ref: FunctionTarget, aliasName: string): Promise<number> {
  const alias = await provider.getAlias(ref.environment, ref.function, aliasName);
  if (trafficSplit(alias).length > 1) return alias.versionId;
  const { versions } = await provider.listVersions(ref.environment, ref.function, { before: alias.versionId, limit: 1 });
  const [previous] = versions;
  if (!previous) {
    throw new FlightdeckError('NOT_FOUND', `${ref.environment}/${ref.function} has no version before v${alias.versionId} to roll back to; pass a version.`, { field: 'version' });
  }
  return previous.id;
}
