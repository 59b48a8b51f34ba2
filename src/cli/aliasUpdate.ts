// Read-modify-write of an alias that never loses a concurrent change: read it with its ETag,
// compute the update from what was read, send it with If-Match, and on 412 start over.

import { FlightdeckError, isFlightdeckError } from '../errors';
import type { Alias, AliasUpdate } from '../model';
import type { Provider } from '../provider';

const ATTEMPTS = 5;

export async function updateAliasWithRetry(
  provider: Provider,
  environment: string,
  fn: string,
  alias: string,
  change: (current: Alias) => AliasUpdate,
): Promise<Alias> {
  for (let attempt = 1; ; attempt++) {
    const current = await provider.getAlias(environment, fn, alias);
    try {
      return await provider.updateAlias(environment, fn, alias, change(current), current.etag);
    } catch (error) {
      if (!isFlightdeckError(error, 'PRECONDITION_FAILED')) throw error;
      if (attempt >= ATTEMPTS) {
        throw new FlightdeckError('PRECONDITION_FAILED',
          `Alias ${alias} of ${environment}/${fn} kept changing while updating it (${ATTEMPTS} attempts); try again.`);
      }
    }
  }
}
