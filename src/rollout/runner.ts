// One turn of a rollout, shared by the platform engine and the client-side driver: run a
// decision's effect, record the next state, and when to look again. Any failure to apply a step
// rolls the release back; the only difference between the two callers is the effects.

import type { GateReading, Rollout, Version } from '../model';
import { decide, remainingMs, transition, unhealthyDuring, type Decision } from './plan';

export interface RolloutEffects {
  /** Moves traffic (and, for a batch release, slots) to step `step` of the plan. */
  applyStep(rollout: Rollout, step: number): Promise<void>;
  /** Traffic (and slots) back to the stable version. */
  revert(rollout: Rollout): Promise<void>;
  /** The new version's figures over the current step. */
  readGates(rollout: Rollout, now: number): Promise<GateReading> | GateReading;
  /** The new version as it is now (for its health), or undefined when it cannot be read. */
  readVersion(rollout: Rollout): Promise<Version | undefined> | Version | undefined;
  /** Persists and announces a new state. */
  record(rollout: Rollout): Promise<void>;
}

/** Runs the decision's effect and records the resulting state, which it returns. */
export async function execute(effects: RolloutEffects, rollout: Rollout, decision: Decision, now: () => number): Promise<Rollout> {
  let next: Rollout;
  try {
    await perform(effects, rollout, decision);
    next = transition(rollout, decision, now());
  } catch (error) {
    next = transition(rollout, await failure(effects, rollout, decision, error), now());
  }
  if (next !== rollout && JSON.stringify(next) !== JSON.stringify(rollout)) await effects.record(next);
  return next;
}

/** A timer's look at an active rollout: read the gates and act on the decision. */
export async function check(effects: RolloutEffects, rollout: Rollout, now: () => number): Promise<Rollout> {
  const at = now();
  const trouble = unhealthyDuring(rollout, await effects.readVersion(rollout));
  if (trouble) return execute(effects, rollout, { kind: 'rollBack', status: 'rolledBack', reason: trouble }, now);
  return execute(effects, rollout, decide(rollout, await effects.readGates(rollout, at), at), now);
}

/** Re-applies the recorded step after a restart, keeping its start time (the remaining interval). */
export async function reapply(effects: RolloutEffects, rollout: Rollout, now: () => number): Promise<Rollout> {
  try {
    await effects.applyStep(rollout, rollout.step);
    return rollout;
  } catch (error) {
    const back = await failure(effects, rollout, { kind: 'advance', step: rollout.step, percent: rollout.percent }, error);
    const next = transition(rollout, back, now());
    await effects.record(next);
    return next;
  }
}

/** When to look at the rollout next (ms), or undefined when only an action can move it. */
export function nextCheckIn(rollout: Rollout, now: number, checkEveryMs: number): number | undefined {
  if (rollout.status === 'waiting') return checkEveryMs;
  if (rollout.status !== 'running') return undefined;
  return Math.min(checkEveryMs, remainingMs(rollout, now));
}

function perform(effects: RolloutEffects, rollout: Rollout, decision: Decision): Promise<void> {
  if (decision.kind === 'advance' || decision.kind === 'succeed') return effects.applyStep(rollout, decision.step);
  if (decision.kind === 'rollBack') return effects.revert(rollout);
  return Promise.resolve();
}

/** The rollback a failed effect turns into; a failed rollback says so too. */
async function failure(effects: RolloutEffects, rollout: Rollout, decision: Decision, error: unknown): Promise<Decision> {
  const what = decision.kind === 'rollBack' ? 'moving traffic back' : `applying step ${stepNumber(decision)}`;
  let reason = `${what} failed: ${messageOf(error)}`;
  if (decision.kind !== 'rollBack') {
    try {
      await effects.revert(rollout);
    } catch (again) {
      reason += `; moving traffic back to v${rollout.fromVersion} failed too: ${messageOf(again)}`;
    }
  }
  return { kind: 'rollBack', status: 'rolledBack', reason };
}

function stepNumber(decision: Decision): string {
  return 'step' in decision ? String(decision.step + 1) : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
