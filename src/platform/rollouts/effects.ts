// The side effects of rollout decisions inside the platform: alias weights through the state's
// ETag-checked alias path (which emits alias.updated), warm slots upgraded in place batch by
// batch through the runtime, and gate figures from the runtime's metrics.

import type { GateReading, Rollout, Version } from '../../model';
import { gateReadingOf, planOf, stepWindowMs } from '../../rollout/plan';
import type { RolloutEffects } from '../../rollout/runner';
import { setTrafficWeight, type AliasAccess } from '../../rollout/traffic';
import type { FunctionRuntime } from '../contracts';

export type RolloutRuntime = Pick<FunctionRuntime, 'upgrade' | 'restart' | 'metrics' | 'instances'>;

export function platformEffects(
  aliases: AliasAccess & { getVersion(environment: string, fn: string, id: number): Version | undefined },
  runtime: RolloutRuntime,
  record: (rollout: Rollout) => Promise<void>,
): RolloutEffects {
  return {
    applyStep: (rollout, step) => applyStep(aliases, runtime, rollout, step),
    revert: (rollout) => revert(aliases, runtime, rollout),
    readGates: (rollout, now) => readGates(runtime, rollout, now),
    readVersion: (rollout) => aliases.getVersion(rollout.environment, rollout.function, rollout.spec.toVersion),
    record,
  };
}

/**
 * Canary moves traffic. Batch moves the step's slots and their share of traffic in the order that
 * never leaves a version without a slot while it gets traffic: slots first, so the new version is
 * warm when its traffic comes; for the last batch, which takes the old version's last slots,
 * traffic first. The runtime keeps each version's share of instances.min from then on (after a
 * platform restart it starts them split by the alias weights).
 */
async function applyStep(aliases: AliasAccess, runtime: RolloutRuntime, rollout: Rollout, step: number): Promise<void> {
  const target = planOf(rollout)[step];
  const weight = target.percent / 100;
  if (rollout.spec.strategy !== 'batch' || target.upgraded === undefined) return setTrafficWeight(aliases, rollout, weight);
  if (target.percent === 100) {
    await setTrafficWeight(aliases, rollout, weight);
    return upgradeSlotsTo(runtime, rollout, target.upgraded);
  }
  await upgradeSlotsTo(runtime, rollout, target.upgraded);
  await setTrafficWeight(aliases, rollout, weight);
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
  // Only the version judged: the cost of a check does not grow with the function's history.
  return gateReadingOf(rollout, runtime.metrics(rollout.environment, rollout.function, stepWindowMs(rollout, now), [rollout.spec.toVersion]));
}
