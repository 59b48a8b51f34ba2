// Which rollout owns an alias right now: only a running/paused rollout of that same alias does,
// so acting on `beta` never aborts (or rolls back to the start of) a rollout on `live`.
import { DEFAULT_ALIAS, type Alias, type LiveChange, type Rollout } from '../model';
import { isActive } from './plan';

export function activeRolloutOn(rollout: Rollout | undefined, aliasName: string): Rollout | undefined {
  return rollout && rollout.spec.alias === aliasName && isActive(rollout) ? rollout : undefined;
}

/**
 * What a deploy of `versionId` does to `live` where the client moves it (FC, Knative): moved on a
 * first deploy (`current` absent), held in production or while a rollout moves live, kept when live
 * already sends everything to it, else moved. The rollout is read only when it decides.
 */
export async function plannedLiveChange(
  current: Pick<Alias, 'versionId' | 'additionalVersionWeight'> | undefined,
  versionId: number,
  production: boolean,
  rollout: () => Promise<Rollout | undefined>,
): Promise<LiveChange> {
  if (!current) return { outcome: 'moved' };
  const previousVersion = current.versionId;
  if (production) return { outcome: 'held', previousVersion, reason: 'production' };
  const moving = activeRolloutOn(await rollout(), DEFAULT_ALIAS);
  if (moving) return { outcome: 'held', previousVersion, reason: 'rollout', rollout: moving.id };
  if (previousVersion === versionId && Object.keys(current.additionalVersionWeight).length === 0) return { outcome: 'kept', previousVersion };
  return { outcome: 'moved', previousVersion };
}
