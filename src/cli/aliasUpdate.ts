// The CLI's alias update: the shared read-modify-write, retried a few times on 412 because a
// script has no one to ask whether the recomputed change still makes sense.

import { updateAliasWithRetry as updateAlias } from '../aliasUpdate';
import type { Alias, AliasUpdate } from '../model';
import type { Provider } from '../provider';
import { refuseWhileRolloutMoves } from '../trafficGuard';

const ATTEMPTS = 5;

export async function updateAliasWithRetry(
  provider: Provider,
  environment: string,
  fn: string,
  alias: string,
  change: (current: Alias) => AliasUpdate,
): Promise<Alias> {
  await refuseWhileRolloutMoves(provider, environment, fn, alias, 'changing its traffic by hand');
  return updateAlias(provider, { environment, function: fn, alias }, change, { attempts: ATTEMPTS });
}
