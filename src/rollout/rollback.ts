// Roll back, as the editor's Roll Back and `flightdeck rollback` do it: an alias 100% to a version,
// by default the one before the current one (the version an active rollout started from, the
// alias's primary while a canary is on, else the newest healthy version before the primary). A rollout owns the
// alias while it runs, so it is aborted first.

import { FlightdeckError } from '../errors';
import { trafficSplit, type Alias } from '../model';
import type { Provider } from '../provider';
import { activeRolloutOn } from './activeRollout';

export interface RollbackTarget {
  environment: string;
  function: string;
  alias: string;
}

/** The version a roll back returns to when none is named. */
export async function rollbackVersion(provider: Provider, target: RollbackTarget): Promise<number> {
  const active = activeRolloutOn(await provider.getRollout(target.environment, target.function), target.alias);
  if (active) return active.fromVersion;
  const alias = await provider.getAlias(target.environment, target.function, target.alias);
  if (trafficSplit(alias).length > 1) return alias.versionId;
  // The newest earlier version that is not unhealthy: one that never started (or crash-loops) would serve nothing.
  let skipped = 0;
  for (let before = alias.versionId; ;) {
    const { versions } = await provider.listVersions(target.environment, target.function, { before, limit: ROLLBACK_PAGE });
    const usable = versions.find((v) => v.health !== 'unhealthy');
    if (usable) return usable.id;
    skipped += versions.length;
    if (versions.length < ROLLBACK_PAGE) break;
    before = versions[versions.length - 1].id;
  }
  const why = skipped > 0 ? ` (the ${skipped} before it are unhealthy: they did not start, or crash-loop)` : '';
  throw new FlightdeckError('NOT_FOUND', `${target.environment}/${target.function} has no version before v${alias.versionId} to roll back to${why}; name a version.`, { field: 'version' });
}

/** Versions read at once while looking back for a healthy one. */
const ROLLBACK_PAGE = 20;

/**
 * Aborts an active rollout of the alias, then sets the alias 100% to `version` through `update`
 * (the caller's read-modify-write: the editor tries once, the CLI retries).
 */
export async function rollBackTo(
  provider: Provider,
  target: RollbackTarget,
  version: number,
  update: (change: () => Pick<Alias, 'versionId' | 'additionalVersionWeight'>) => Promise<Alias>,
): Promise<Alias> {
  if (activeRolloutOn(await provider.getRollout(target.environment, target.function), target.alias)) {
    await provider.rolloutAction(target.environment, target.function, 'abort');
    const after = await provider.getAlias(target.environment, target.function, target.alias);
    if (after.versionId === version && trafficSplit(after).length === 1) return after;
  }
  return update(() => ({ versionId: version, additionalVersionWeight: {} }));
}
