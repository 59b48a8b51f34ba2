// Roll back: `live` (or `alias`) 100% to the given version, or else to the one before the current
// one (src/rollout/rollback.ts, shared with `flightdeck rollback`).
import { DEFAULT_ALIAS, type Alias } from '../../model';
import { rollBackTo, rollbackVersion } from '../../rollout/rollback';
import type { FlightdeckContext } from '../context';
import { confirmProtected, resolveFunction } from '../pick';
import { resolveTargetVersion, targetOf } from './args';
import { updateAliasTraffic } from './traffic';

export async function rollback(ctx: FlightdeckContext, arg: unknown): Promise<Alias> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Roll back', ctx.workspace.personalEnvironmentNow);
  const where = { ...ref, alias: target.alias ?? DEFAULT_ALIAS };
  const version = (await resolveTargetVersion(provider, ref, target)) ?? (await rollbackVersion(provider, where));
  await confirmProtected(provider, ref.environment, `Roll back ${ref.function} to v${version}`, target.confirm);
  return rollBackTo(provider, where, version, (change) => updateAliasTraffic(provider, ref, where.alias, change));
}
