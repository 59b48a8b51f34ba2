// Read-modify-write of an alias that never loses a concurrent change: read it with its ETag,
// compute the update from what was read, send it with If-Match, and on 412 start over until
// `attempts` runs out. Shared by the CLI (which retries) and the UI (which asks the user again).

import { FlightdeckError, isFlightdeckError } from './errors';
import type { Alias, AliasUpdate } from './model';
import type { Provider } from './provider';

export interface AliasRef {
  environment: string;
  function: string;
  alias: string;
}

export async function updateAliasWithRetry(
  provider: Provider,
  ref: AliasRef,
  change: (current: Alias) => AliasUpdate,
  attempts: number,
): Promise<Alias> {
  for (let attempt = 1; ; attempt++) {
    const current = await provider.getAlias(ref.environment, ref.function, ref.alias);
    try {
      return await provider.updateAlias(ref.environment, ref.function, ref.alias, change(current), current.etag);
    } catch (error) {
      if (!isFlightdeckError(error, 'PRECONDITION_FAILED')) throw error;
      if (attempt >= attempts) throw keptChanging(ref, attempts);
    }
  }
}

function keptChanging(ref: AliasRef, attempts: number): FlightdeckError {
  const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
  return new FlightdeckError('PRECONDITION_FAILED',
    `Alias ${ref.alias} of ${ref.environment}/${ref.function} changed while updating it${tries}; look at it again and retry.`);
}
