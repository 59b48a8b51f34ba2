// Read-modify-write of an alias that never loses a concurrent change: read it with its ETag,
// compute the update from what was read, send it with If-Match, and on 412 start over until
// `attempts` runs out. Shared by the CLI (which retries), the UI (which asks the user again) and
// the rollout engine and driver (which move traffic step by step).

import { FlightdeckError, isFlightdeckError } from './errors';
import type { Alias, AliasUpdate } from './model';

/**
 * Reading and writing aliases: a Provider, or the platform's own state (which answers undefined
 * for a missing alias, synchronously).
 */
export interface AliasAccess {
  getAlias(environment: string, fn: string, name: string): Alias | undefined | Promise<Alias | undefined>;
  /** Fails with PRECONDITION_FAILED on a stale ETag. */
  updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias>;
}

export interface AliasRef {
  environment: string;
  function: string;
  alias: string;
}

export interface AliasUpdateOptions {
  /** Writes tried before giving up on an alias that keeps changing underneath. */
  attempts: number;
  /** The error for an alias that is not there (a write without an ETag would create it). */
  onMissing?: (ref: AliasRef) => FlightdeckError;
}

/**
 * `change` computes the update from the alias just read; it answers undefined when the alias is
 * already as wanted (nothing is written) and may throw to refuse.
 */
export async function updateAliasWithRetry(
  access: AliasAccess,
  ref: AliasRef,
  change: (current: Alias) => AliasUpdate | undefined,
  options: AliasUpdateOptions,
): Promise<Alias> {
  for (let attempt = 1; ; attempt++) {
    const current = await access.getAlias(ref.environment, ref.function, ref.alias);
    if (!current) throw (options.onMissing ?? notFound)(ref);
    const update = change(current);
    if (!update) return current;
    try {
      return await access.updateAlias(ref.environment, ref.function, ref.alias, update, current.etag);
    } catch (error) {
      if (!isFlightdeckError(error, 'PRECONDITION_FAILED')) throw error;
      if (attempt >= options.attempts) throw keptChanging(ref, options.attempts);
    }
  }
}

function notFound(ref: AliasRef): FlightdeckError {
  return new FlightdeckError('NOT_FOUND', `Function ${ref.environment}/${ref.function} has no alias ${ref.alias}.`, { field: 'alias' });
}

function keptChanging(ref: AliasRef, attempts: number): FlightdeckError {
  const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
  return new FlightdeckError('PRECONDITION_FAILED',
    `Alias ${ref.alias} of ${ref.environment}/${ref.function} changed while updating it${tries}; look at it again and retry.`);
}
