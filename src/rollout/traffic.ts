// Moving a rollout's traffic: the alias's new-version weight, written with the ETag just read so
// a concurrent alias change is never lost (it is re-read and the write retried). Used by the
// platform engine (state's alias path) and the client-side driver (a Provider).

import { updateAliasWithRetry, type AliasAccess } from '../aliasUpdate';
import { FlightdeckError } from '../errors';
import { canaryUpdate, type Alias, type AliasUpdate, type Rollout } from '../model';

export type { AliasAccess } from '../aliasUpdate';

/** Alias writes racing ours are re-read and retried this many times. */
const ALIAS_ATTEMPTS = 3;

/** Sends `weight` (0–1) of the rollout's alias to its new version and the rest to its stable one. */
export async function setTrafficWeight(aliases: AliasAccess, rollout: Rollout, weight: number): Promise<void> {
  const { environment, function: fn, spec } = rollout;
  const update = canaryUpdate(rollout.fromVersion, spec.toVersion, weight);
  await updateAliasWithRetry(aliases, { environment, function: fn, alias: spec.alias }, (alias) => {
    if (sameSplit(alias, update)) return undefined;
    if (alias.versionId !== rollout.fromVersion && alias.versionId !== spec.toVersion) {
      // Someone moved the alias outside the rollout (a deploy, `promote`): theirs wins.
      throw new FlightdeckError(
        'CONFLICT',
        `${spec.alias} was moved to v${alias.versionId} outside the rollout of v${spec.toVersion}; left as it is`,
        { field: 'alias' },
      );
    }
    return withDescription(update, alias);
  }, {
    attempts: ALIAS_ATTEMPTS,
    // Deleted under the rollout: writing without an ETag would re-create it.
    onMissing: () => new FlightdeckError('CONFLICT', `${spec.alias} was deleted during the rollout of v${spec.toVersion}; not re-created`, { field: 'alias' }),
  });
}

function withDescription(update: AliasUpdate, alias: Alias): AliasUpdate {
  return alias.description === undefined ? update : { ...update, description: alias.description };
}

function sameSplit(alias: Alias, update: AliasUpdate): boolean {
  return alias.versionId === update.versionId &&
    JSON.stringify(alias.additionalVersionWeight) === JSON.stringify(update.additionalVersionWeight);
}
