// The side effects of rollout decisions inside the platform: alias weights through the state's
// ETag-checked alias path (which emits alias.updated), warm slots upgraded in place batch by
// batch through the runtime, and gate figures from the runtime's metrics.

import type { GateReading, Rollout } from '../../model';
import { gateReadingOf, planOf, stepWindowMs } from '../../rollout/plan';
import type { RolloutEffects } from '../../rollout/runner';
import { setTrafficWeight, type AliasAccess } from '../../rollout/traffic';
import type { FunctionRuntime } from '../contracts';

export type RolloutRuntime = Pick<FunctionRuntime, 'upgrade' | 'restart' | 'metrics' | 'instances'>;

export function platformEffects(
  aliases: AliasAccess,
  runtime: RolloutRuntime,
  record: (rollout: Rollout) => Promise<void>,
): RolloutEffects {
  return {
    applyStep: (rollout, step) => applyStep(aliases, runtime, rollout, step),
    revert: (rollout) => revert(aliases, runtime, rollout),
    readGates: (rollout, now) => readGates(runtime, rollout, now),
    record,
  };
}

/**
 * Canary moves traffic. Batch upgrades slots first, then gives the new version their share, then
 * tops up: while traffic was still split, the runtime may have moved an idle slot back to serve
 * the old version's queued requests (at instances.max it rebalances slots between versions).
 */
async function applyStep(aliases: AliasAccess, runtime: RolloutRuntime, rollout: Rollout, step: number): Promise<void> {
  const target = planOf(rollout)[step];
  const batch = rollout.spec.strategy === 'batch' && target.upgraded !== undefined;
  if (batch) await upgradeSlotsTo(runtime, rollout, target.upgraded!);
  await setTrafficWeight(aliases, rollout, target.percent / 100);
  if (batch) await upgradeSlotsTo(runtime, rollout, target.upgraded!);
}

/** Traffic back to 100% of the stable version first, then a batch release's slots. */
async function revert(aliases: AliasAccess, runtime: RolloutRuntime, rollout: Rollout): Promise<void> {
  await setTrafficWeight(aliases, rollout, 0);
  const { environment, function: fn, spec } = rollout;
  if (spec.strategy !== 'batch' || slotsOn(runtime, rollout, spec.toVersion) === 0) return;
  await runtime.upgrade(environment, fn, rollout.fromVersion, { fromVersion: spec.toVersion, mode: spec.mode });
}

/** Upgrades just enough slots that `upgraded` run the new version: a resumed step redoes only what is missing. */
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

function readGates(runtime: RolloutRuntime, rollout: Rollout, now: number): GateReading {
  return gateReadingOf(rollout, runtime.metrics(rollout.environment, rollout.function, stepWindowMs(rollout, now)));
}
