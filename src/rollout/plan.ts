// The rollout state machine, pure: no I/O, no timers, time passed in as `now` (ms since epoch).
// The platform engine and the client-side driver both run it; they only differ in how they move
// traffic and read metrics.
//
// Design:
// - A plan is a list of steps. Canary: each step is a traffic percentage. Batch: each step is a
//   batch of instances upgraded in place; the new version's traffic share follows its share of
//   upgraded instances. Step 0 is applied when the rollout starts; reaching the last step (100%)
//   is success.
// - Gates judge the new version's metrics over the current step only. No verdict before
//   `minRequests`: a failing reading with fewer requests just keeps waiting. When the interval
//   ends without enough requests, the few it had are judged all the same: failing figures roll
//   back (a quiet but broken version must not slip through), passing or absent ones advance
//   and say so in `note` (a quiet function must not block a release forever).
// - A failing reading rolls back at once, mid-step, so a bad version is out within one step.
// - Manual batch releases wait (`waiting`) after every batch but the last until Continue.
// - Pause freezes the rollout; resume restarts the current step's interval, so the gates judge
//   fresh traffic rather than a window that includes the pause.

import { FlightdeckError } from '../errors';
import { formatPercent, type GateReading, type Rollout, type RolloutSpec, type RolloutStatus, type Version, type VersionMetrics } from '../model';
import type { RolloutAction } from '../provider';

export interface PlanStep {
  /** The new version's share of traffic once the step is applied, 0–100. */
  percent: number;
  /** batch: instances running the new version once the step is applied. */
  upgraded?: number;
}

/** The steps of a rollout. `instances` is the batch release's instance count (instances.min). */
export function planSteps(spec: RolloutSpec, instances = 0): PlanStep[] {
  if (spec.strategy === 'canary') return (spec.steps ?? [100]).map((percent) => ({ percent }));
  let upgraded = 0;
  return batchSizes(instances, spec.batches ?? 1).map((size) => {
    upgraded += size;
    return { upgraded, percent: shareOf(upgraded, instances) };
  });
}

/** Splits `instances` into `batches` sizes, larger batches first: 5 in 2 → [3, 2]. */
export function batchSizes(instances: number, batches: number): number[] {
  const base = Math.floor(instances / batches);
  const extra = instances % batches;
  return Array.from({ length: batches }, (_, i) => base + (i < extra ? 1 : 0));
}

function shareOf(upgraded: number, instances: number): number {
  return Math.round((upgraded / instances) * 1000) / 10;
}

export function planOf(rollout: Pick<Rollout, 'spec' | 'instances'>): PlanStep[] {
  return planSteps(rollout.spec, rollout.instances);
}

export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'waiting'];

export function isActive(rollout: Pick<Rollout, 'status'>): boolean {
  return ACTIVE_STATUSES.includes(rollout.status);
}

// ---- Decisions ------------------------------------------------------------------------------

/** What to do next. `advance` and `succeed` apply step `step`; `rollBack` returns to fromVersion. */
export type Decision =
  | { kind: 'wait'; reading?: GateReading; until?: number }
  | { kind: 'waitForContinue'; reading?: GateReading }
  /** `verified`: the step being left had enough requests (minRequests) for the gates to judge it. */
  /** `ungated`: why the step being left could not be judged (the engine's metrics were not readable). */
  | { kind: 'advance'; step: number; percent: number; note?: string; verified?: boolean; ungated?: string }
  | { kind: 'succeed'; step: number; percent: number; note?: string; verified?: boolean; ungated?: string }
  | { kind: 'rollBack'; status: 'rolledBack' | 'aborted'; reason: string; reading?: GateReading }
  | { kind: 'pause' }
  | { kind: 'resume' };

/** The next move of an active rollout given the new version's figures over the current step. */
export function decide(rollout: Rollout, reading: GateReading | undefined, now: number): Decision {
  if (rollout.status !== 'running' && rollout.status !== 'waiting') return { kind: 'wait', reading };
  const failure = reading && gateFailure(rollout.spec, reading);
  if (failure) return { kind: 'rollBack', status: 'rolledBack', reason: failure, reading };
  if (rollout.status === 'waiting') return { kind: 'waitForContinue', reading };
  if (isManualBatch(rollout)) return { kind: 'waitForContinue', reading };
  const until = Date.parse(rollout.stepStarted) + rollout.spec.intervalMs;
  if (now < until) return { kind: 'wait', reading, until };
  const quietFailure = reading && reading.requests > 0 ? gateFailure(rollout.spec, reading, 1) : undefined;
  if (quietFailure) {
    const reason = `${quietFailure} (only ${reading?.requests} of the ${rollout.spec.gates.minRequests} requests wanted came in the interval)`;
    return { kind: 'rollBack', status: 'rolledBack', reason, reading };
  }
  // A passing reading earlier in the step (kept in `rollout.reading`) is a verdict too: metrics
  // windows are whole seconds, so the last look may see fewer requests than the step had.
  const verified = judged(rollout.spec, reading) || judged(rollout.spec, rollout.reading);
  return stepTo(rollout, rollout.step + 1, quietNote(rollout.spec, reading), verified, reading?.ungated);
}

/** True when the reading had enough requests for a verdict (a failing one has rolled back already). */
function judged(spec: RolloutSpec, reading: GateReading | undefined): boolean {
  return reading !== undefined && !reading.ungated && reading.requests >= Math.max(1, spec.gates.minRequests);
}

/** Why the reading fails a gate, with the figures; undefined while it passes or has fewer than `minRequests`. */
export function gateFailure(spec: RolloutSpec, reading: GateReading, minRequests = spec.gates.minRequests): string | undefined {
  const { maxErrorRate, maxP95Ms } = spec.gates;
  if (reading.requests < minRequests || reading.requests === 0) return undefined;
  const over = `over ${reading.requests} request${reading.requests === 1 ? '' : 's'}`;
  if (reading.errorRate > maxErrorRate) {
    return `error rate ${formatPercent(reading.errorRate)} ${over} > ${formatPercent(maxErrorRate)} allowed`;
  }
  if (reading.p95Ms > maxP95Ms) return `p95 ${Math.round(reading.p95Ms)} ms ${over} > ${maxP95Ms} ms allowed`;
  return undefined;
}

function quietNote(spec: RolloutSpec, reading: GateReading | undefined): string | undefined {
  if (reading?.ungated) return `ungated: ${reading.ungated}; the step advanced by time`;
  const requests = reading?.requests ?? 0;
  if (requests >= spec.gates.minRequests) return undefined;
  return `advanced without a verdict: ${requests} of ${spec.gates.minRequests} requests in the interval`;
}

function isManualBatch(rollout: Rollout): boolean {
  return rollout.spec.strategy === 'batch' && rollout.spec.manual === true;
}

function stepTo(rollout: Rollout, step: number, note?: string, verified = false, ungated?: string): Decision {
  const plan = planOf(rollout);
  const last = plan.length - 1;
  const target = Math.min(step, last);
  const percent = plan[target].percent;
  return { kind: target === last ? 'succeed' : 'advance', step: target, percent, note, verified, ...(ungated ? { ungated } : {}) };
}

/**
 * Why the rollout must roll back because its new version turned unhealthy (it crash-loops) after
 * the rollout started, whatever the traffic; undefined otherwise. A version already marked
 * unhealthy when a forced rollout started only counts once it is marked again.
 */
export function unhealthyDuring(rollout: Rollout, version: Version | undefined): string | undefined {
  if (!version || version.health !== 'unhealthy' || !isActive(rollout) || rollout.status === 'paused') return undefined;
  if (version.healthUpdated !== undefined && version.healthUpdated < rollout.started) return undefined;
  return `v${version.id} is unhealthy: ${version.healthReason ?? 'it does not start'}`;
}

/** What a user's action asks for; CONFLICT when it makes no sense in the rollout's status. */
export function decideAction(rollout: Rollout, action: RolloutAction): Decision {
  if (!isActive(rollout)) {
    throw new FlightdeckError('CONFLICT', `the rollout of v${rollout.spec.toVersion} already ${describeEnd(rollout.status)}; start a new one to ${action}`);
  }
  switch (action) {
    case 'pause':
      if (rollout.status === 'paused') throw conflict(rollout, action, 'it is already paused');
      return { kind: 'pause' };
    case 'resume':
      if (rollout.status !== 'paused') throw conflict(rollout, action, `it is ${rollout.status}, not paused`);
      return { kind: 'resume' };
    case 'continue':
      if (rollout.status === 'paused') throw conflict(rollout, action, 'it is paused; resume it first');
      return stepTo(rollout, rollout.step + 1, 'continued by request', judged(rollout.spec, rollout.reading));
    case 'promote':
      return stepTo(rollout, planOf(rollout).length - 1, 'promoted to 100% by request', judged(rollout.spec, rollout.reading));
    case 'abort':
      return { kind: 'rollBack', status: 'aborted', reason: `aborted by request at ${rollout.percent}%; traffic back to v${rollout.fromVersion}` };
  }
}

function conflict(rollout: Rollout, action: RolloutAction, why: string): FlightdeckError {
  return new FlightdeckError('CONFLICT', `cannot ${action} the rollout of v${rollout.spec.toVersion}: ${why}`);
}

function describeEnd(status: RolloutStatus): string {
  return status === 'rolledBack' ? 'rolled back' : status;
}

// ---- Transitions ----------------------------------------------------------------------------

export interface NewRollout {
  id: string;
  environment: string;
  function: string;
  spec: RolloutSpec;
  fromVersion: number;
  /** batch: instances.min of the function. */
  instances?: number;
}

/** A rollout before step 0 is applied: `transition(r, firstStep(r), now)` applies it. */
export function createRollout(input: NewRollout, now: number): Rollout {
  const plan = planSteps(input.spec, input.instances);
  const started = new Date(now).toISOString();
  return {
    ...input,
    status: 'running',
    step: -1,
    totalSteps: plan.length,
    percent: 0,
    stepStarted: started,
    started,
  };
}

/** The decision that applies step 0 of a rollout just created. */
export function firstStep(rollout: Rollout, note?: string): Decision {
  return stepTo(rollout, 0, note);
}

/** The rollout after `decision` took effect at `now` (the caller has moved traffic already). */
export function transition(rollout: Rollout, decision: Decision, now: number): Rollout {
  const at = new Date(now).toISOString();
  switch (decision.kind) {
    case 'wait':
      return decision.reading ? { ...rollout, reading: decision.reading } : rollout;
    case 'waitForContinue':
      return { ...rollout, status: 'waiting', ...(decision.reading ? { reading: decision.reading } : {}) };
    case 'advance':
    case 'succeed': {
      const verifiedSteps = (rollout.verifiedSteps ?? 0) + (decision.verified ? 1 : 0);
      const next: Rollout = { ...rollout, step: decision.step, percent: decision.percent, stepStarted: at, reading: undefined, note: decision.note, verifiedSteps };
      // Ungated is said of the latest step only.
      if (decision.ungated) next.ungated = decision.ungated;
      else delete next.ungated;
      if (decision.kind === 'succeed') {
        // 100% without one judged step: nothing proved the version, so it must not read as success
        // (unless minRequests 0 asked for no proof from traffic, and the metrics could be read).
        if (verifiedSteps === 0 && (rollout.spec.gates.minRequests > 0 || decision.ungated)) {
          const note = decision.ungated
            ? `completed unverified, ungated: ${decision.ungated}; steps advanced by time`
            : `completed unverified: no step had the ${rollout.spec.gates.minRequests} requests the gates need to judge v${rollout.spec.toVersion}`;
          return { ...next, status: 'completedUnverified', ended: at, note };
        }
        return { ...next, status: 'succeeded', ended: at };
      }
      return { ...next, status: isManualBatch(rollout) ? 'waiting' : 'running' };
    }
    case 'rollBack':
      return {
        ...rollout,
        status: decision.status,
        percent: 0,
        reason: decision.reason,
        ended: at,
        ...(decision.reading ? { reading: decision.reading } : {}),
      };
    case 'pause':
      return { ...rollout, status: 'paused' };
    case 'resume':
      return { ...rollout, status: 'running', stepStarted: at, reading: undefined };
  }
}

/**
 * The reading window for the current step: metrics since the step started, rounded out to the
 * whole second it started in (metrics are kept per second; a window that cut that second off
 * would miss the step's first requests and leave a short step unjudged).
 */
export function stepWindowMs(rollout: Rollout, now: number): number {
  return Math.max(1, now - Math.floor(Date.parse(rollout.stepStarted) / 1000) * 1000);
}

/** The rollout's new version's figures among per-version metrics (zeros when it served nothing). */
export function gateReadingOf(rollout: Rollout, metrics: VersionMetrics[]): GateReading {
  const mine = metrics.find((m) => m.versionId === rollout.spec.toVersion);
  return { requests: mine?.requests ?? 0, errorRate: mine?.errorRate ?? 0, p95Ms: mine?.p95Ms ?? 0 };
}

/** How long until the current step's interval ends (0 when it has). */
export function remainingMs(rollout: Rollout, now: number): number {
  return Math.max(0, Date.parse(rollout.stepStarted) + rollout.spec.intervalMs - now);
}

/** One line for people: `v13 canary step 2/4 at 25% · running · 3.1% errors over 40 requests`. */
export function describeRollout(rollout: Rollout): string {
  const { spec } = rollout;
  const parts = [
    `v${spec.toVersion} ${spec.strategy} ${spec.strategy === 'batch' ? 'batch' : 'step'} ${Math.max(rollout.step + 1, 0)}/${rollout.totalSteps} at ${rollout.percent}%`,
    rollout.status === 'completedUnverified' ? 'completed-unverified' : rollout.status,
  ];
  if (rollout.reading) {
    const r = rollout.reading;
    parts.push(`${formatPercent(r.errorRate)} errors, p95 ${Math.round(r.p95Ms)} ms over ${r.requests} requests`);
  }
  if (rollout.reason) parts.push(rollout.reason);
  else if (rollout.note) parts.push(rollout.note);
  return parts.join(' · ');
}
