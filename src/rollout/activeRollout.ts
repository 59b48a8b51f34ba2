// Which rollout owns an alias right now: only a running/paused rollout of that same alias does,
// so acting on `beta` never aborts (or rolls back to the start of) a rollout on `live`.
import type { Rollout } from '../model';
import { isActive } from './plan';

export function activeRolloutOn(rollout: Rollout | undefined, aliasName: string): Rollout | undefined {
  return rollout && rollout.spec.alias === aliasName && isActive(rollout) ? rollout : undefined;
}
