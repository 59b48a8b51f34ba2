// The side effects of rollout decisions inside the platform: moving alias weights through the
// same ETag-checked path as the API (which emits alias.updated), and upgrading warm slots in place
// batch by batch through the runtime.

import { isFlightdeckError } from '../../errors';
import { canaryUpdate, type Alias, type AliasUpdate, type GateReading, type Rollout } from '../../model';
import { planOf, stepWindowMs } from '../../rollout/plan';
import type { FunctionRuntime } from '../contracts';

/** What the engine needs of the durable state and control API. */
export interface RolloutHost {
  getAlias(environment: string, fn: string, name: string): Alias | undefined;
  /** The API's alias update: fails with PRECONDITION_FAILED on a stale ETag, emits alias.updated. */
  updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias>;
}

export type RolloutRuntime = Pick<FunctionRuntime, 'upgrade' | 'restart' | 'metrics' | 'instances'>;

/** Alias writes racing ours (a user's update) are re-read and retried this many times. */
const ALIAS_ATTEMPTS = 3;

/** Sends `weight` (0–1) of the rollout's alias to its new version and the rest to its stable one. */
export async function setTrafficWeight(host: RolloutHost, rollout: Rollout, weight: number): Promise<void> {
  const { environment, function: fn, spec } = rollout;
  const update = canaryUpdate(rollout.fromVersion, spec.toVersion, weight);
  for (let attempt = 1; ; attempt++) {
    const alias = host.getAlias(environment, fn, spec.alias);
    if (alias && sameSplit(alias, update)) return;
    try {
      await host.updateAlias(environment, fn, spec.alias, { ...update, description: alias?.description }, alias?.etag);
      return;
    } catch (error) {
      if (!isFlightdeckError(error, 'PRECONDITION_FAILED') || attempt >= ALIAS_ATTEMPTS) throw error;
    }
  }
}

function sameSplit(alias: Alias, update: AliasUpdate): boolean {
  return alias.versionId === update.versionId &&
    JSON.stringify(alias.additionalVersionWeight) === JSON.stringify(update.additionalVersionWeight);
}

/** Applies step `step` of the plan: canary moves traffic; batch upgrades slots, then moves traffic. */
export async function applyStep(host: RolloutHost, runtime: RolloutRuntime, rollout: Rollout, step: number): Promise<void> {
  const target = planOf(rollout)[step];
  if (rollout.spec.strategy === 'batch' && target.upgraded !== undefined) {
    await upgradeSlotsTo(runtime, rollout, target.upgraded);
  }
  await setTrafficWeight(host, rollout, target.percent / 100);
}

/** Traffic back to 100% of the stable version; a batch release also moves its slots back. */
export async function revert(host: RolloutHost, runtime: RolloutRuntime, rollout: Rollout): Promise<void> {
  await setTrafficWeight(host, rollout, 0);
  if (rollout.spec.strategy !== 'batch') return;
  const { environment, function: fn, spec } = rollout;
  if (slotsOn(runtime, rollout, spec.toVersion) === 0) return;
  await runtime.upgrade(environment, fn, rollout.fromVersion, { fromVersion: spec.toVersion, mode: spec.mode });
}

/** Upgrades just enough slots that `upgraded` run the new version; idempotent, so a resumed step redoes only what is missing. */
async function upgradeSlotsTo(runtime: RolloutRuntime, rollout: Rollout, upgraded: number): Promise<void> {
  const { environment, function: fn, spec } = rollout;
  const missing = upgraded - slotsOn(runtime, rollout, spec.toVersion);
  if (missing <= 0) return;
  await runtime.upgrade(environment, fn, spec.toVersion, { slots: missing, fromVersion: rollout.fromVersion, mode: spec.mode });
}

function slotsOn(runtime: RolloutRuntime, rollout: Rollout, versionId: number): number {
  return runtime
    .instances(rollout.environment, rollout.function)
    .filter((i) => i.versionId === versionId && (i.state === 'starting' || i.state === 'ready')).length;
}

/** The new version's figures over the current step. */
export function readGates(runtime: RolloutRuntime, rollout: Rollout, now: number): GateReading {
  const metrics = runtime
    .metrics(rollout.environment, rollout.function, stepWindowMs(rollout, now))
    .find((m) => m.versionId === rollout.spec.toVersion);
  return { requests: metrics?.requests ?? 0, errorRate: metrics?.errorRate ?? 0, p95Ms: metrics?.p95Ms ?? 0 };
}
