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
    reconcile: (rollout) => keepBatchSlots(runtime, rollout),
  };
}

/**
 * On every look, a batch release tops its upgraded slots up to the current batch: after a
 * platform restart the slots start empty and only become upgradable once ready, and the runtime
 * may move a slot between versions to serve queued requests.
 */
async function keepBatchSlots(runtime: RolloutRuntime, rollout: Rollout): Promise<void> {
  const upgraded = rollout.step >= 0 ? planOf(rollout)[rollout.step].upgraded : undefined;
  if (rollout.spec.strategy === 'batch' && upgraded !== undefined) await upgradeSlotsTo(runtime, rollout, upgraded);
}

/**
 * Canary moves traffic. Batch upgrades the step's slots, then gives the new version their share.
 * The last batch goes the other way round (all traffic first, then the remaining old slots), so
 * no request for the old version is left queued while its last slots drain: at instances.max the
 * runtime would move an idle new slot back to serve it. For the same reason every batch step tops
 * up the upgraded slots after moving traffic.
 */
async function applyStep(aliases: AliasAccess, runtime: RolloutRuntime, rollout: Rollout, step: number): Promise<void> {
  const target = planOf(rollout)[step];
  if (rollout.spec.strategy !== 'batch' || target.upgraded === undefined) {
    await setTrafficWeight(aliases, rollout, target.percent / 100);
    return;
  }
  const last = target.percent === 100;
  if (!last) await upgradeSlotsTo(runtime, rollout, target.upgraded);
  await setTrafficWeight(aliases, rollout, target.percent / 100);
  await (last ? upgradeRemaining(runtime, rollout) : upgradeSlotsTo(runtime, rollout, target.upgraded));
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

/**
 * The last batch leaves nothing on the old version, however many slots it has by now: while
 * traffic was split the runtime may have started more of them (it keeps instances.min of the
 * alias's primary, and `recreate` frees slots it refills).
 */
async function upgradeRemaining(runtime: RolloutRuntime, rollout: Rollout): Promise<void> {
  const { environment, function: fn, spec } = rollout;
  if (slotsOn(runtime, rollout, rollout.fromVersion) === 0) return;
  await runtime.upgrade(environment, fn, spec.toVersion, { fromVersion: rollout.fromVersion, mode: spec.mode });
}

function slotsOn(runtime: RolloutRuntime, rollout: Rollout, versionId: number): number {
  return runtime
    .instances(rollout.environment, rollout.function)
    .filter((i) => i.versionId === versionId && (i.state === 'starting' || i.state === 'ready')).length;
}

function readGates(runtime: RolloutRuntime, rollout: Rollout, now: number): GateReading {
  return gateReadingOf(rollout, runtime.metrics(rollout.environment, rollout.function, stepWindowMs(rollout, now)));
}
