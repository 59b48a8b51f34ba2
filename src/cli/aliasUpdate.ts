// The CLI's alias update: the shared read-modify-write, retried a few times on 412 because a
// script has no one to ask whether the recomputed change still makes sense.

import { updateAliasWithRetry as updateAlias } from '../aliasUpdate';
import type { Alias, AliasUpdate } from '../model';
import type { Provider } from '../provider';

const ATTEMPTS = 5;

export function updateAliasWithRetry(
  provider: Provider,
  environment: string,
  fn: string,
  alias: string,
  change: (current: Alias) => AliasUpdate,
): Promise<Alias> {
  return updateAlias(provider, { environment, function: fn, alias }, change, { attempts: ATTEMPTS });
}
