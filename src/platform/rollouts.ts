// The server-side rollout engine: one active rollout per function, driven by timers in the
// platform process, every state change persisted (so a restarted platform resumes where it was)
// and emitted as `rollout.updated`. The decisions are the pure ones of src/rollout/plan.ts; the
// effects (alias weights, in-place upgrades) are in ./rollouts/effects.ts.

import { randomBytes } from 'node:crypto';
import { FlightdeckError } from '../errors';
import type { Alias, FunctionConfig, Rollout, StartCheck, Version } from '../model';
import type { RolloutAction } from '../provider';
import { createRollout, decideAction, firstStep, isActive, type Decision } from '../rollout/plan';
import { check, execute, nextCheckIn, reapply, type RolloutEffects } from '../rollout/runner';
import { normaliseSpec, stableVersionOf } from '../rollout/spec';
import type { AliasAccess } from '../rollout/traffic';
import type { EmitEvent } from './contracts';
import { FunctionOperations } from './functionOps';
import { platformEffects, type RolloutRuntime } from './rollouts/effects';
import { requireObject } from './validate';

/** What the engine reads and writes of the durable state. */
export interface RolloutStore extends AliasAccess {
  getAlias(environment: string, fn: string, name: string): Alias | undefined;
  functionConfig(environment: string, fn: string): FunctionConfig | undefined;
  getVersion(environment: string, fn: string, id: number): Version | undefined;
  /** A function's rollout records, oldest first. */
  rollouts(environment: string, fn: string): Rollout[];
  /** Every function's latest rollout record, to resume active ones on start. */
  latestRollouts(): Rollout[];
  saveRollout(rollout: Rollout): Promise<void>;
  /** Proves the version starts (and records its health), as a deploy does before moving live. */
  proveStart(environment: string, fn: string, id: number): Promise<StartCheck>;
}

export interface RolloutEngineOptions {
  store: RolloutStore;
  runtime: RolloutRuntime;
  emit: EmitEvent;
  /** The platform's one ordering of operations per function (shared with deploys and alias changes). */
  operations?: FunctionOperations;
  now?: () => number;
  /** How often an active rollout reads its gates between step ends; default 50 ms. */
  checkEveryMs?: number;
}

/**
 * Gates are read this often while a step is judged, so a failing version is rolled back within
 * a few requests of minRequests. A read is an in-memory metrics summary; nothing runs for
 * functions without an active rollout.
 */
const DEFAULT_CHECK_MS = 50;
/** A state that differs only in its latest reading is saved and announced at most this often. */
const READING_SAVE_MS = 1000;

export class RolloutEngine {
  private readonly store: RolloutStore;
  private readonly runtime: RolloutRuntime;
  private readonly emit: EmitEvent;
  private readonly effects: RolloutEffects;
  private readonly now: () => number;
  private readonly checkEveryMs: number;
  /** Per function: the order its operations run in, so a timer tick, an action, a deploy and a restart never interleave. */
  private readonly operations: FunctionOperations;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each active rollout was last saved. */
  private readonly savedAt = new Map<string, number>();
  private closed = false;

  constructor(options: RolloutEngineOptions) {
    this.store = options.store;
    this.runtime = options.runtime;
    this.emit = options.emit;
    this.operations = options.operations ?? new FunctionOperations();
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_MS;
    this.effects = platformEffects(this.store, this.runtime, (rollout) => this.record(rollout));
  }

  /**
   * Picks up the rollouts that were active when the platform stopped, each where it was. One that
   * cannot resume is logged and the others still resume; this never rejects.
   */
  async resume(log: (message: string) => void): Promise<void> {
    for (const rollout of this.store.latestRollouts().filter(isActive)) {
      await this.serial(rollout.environment, rollout.function, 'rollout resume', () => this.resumeOne(rollout)).catch((error: Error) =>
        log(`could not resume rollout ${rollout.id} of ${keyOf(rollout.environment, rollout.function)}: ${error.message}`),
      );
    }
  }

  /** The active rollout of the function, else its last one. */
  get(environment: string, fn: string): Rollout | undefined {
    return this.store.rollouts(environment, fn).at(-1);
  }

  /** Starts a rollout from a partial spec (API body or CLI request); CONFLICT while one is active. */
  start(environment: string, fn: string, body: unknown): Promise<Rollout> {
    return this.serial(environment, fn, 'rollout start', async () => {
      const config = this.requireFunction(environment, fn);
      const active = this.get(environment, fn);
      if (active && isActive(active)) {
        throw new FlightdeckError(
          'CONFLICT',
          `A rollout of v${active.spec.toVersion} is ${active.status} on ${environment}/${fn}; abort or promote it before starting another.`,
        );
      }
      const spec = normaliseSpec(body, { instances: config.instances.min });
      this.requireVersion(environment, fn, spec.toVersion);
      const start = await this.store.proveStart(environment, fn, spec.toVersion);
      if (!start.started) {
        throw new FlightdeckError(
          'NOT_STARTED',
          `v${spec.toVersion} of ${environment}/${fn} does not start, so no rollout began and no traffic moved: ${start.reason}. Fix the code and deploy a new version.`,
          { field: 'toVersion', version: spec.toVersion },
        );
      }
      const fromVersion = stableVersionOf(this.store.getAlias(environment, fn, spec.alias), spec);
      const instances = spec.strategy === 'batch' ? config.instances.min : undefined;
      const id = `r-${randomBytes(6).toString('hex')}`;
      const rollout = createRollout({ id, environment, function: fn, spec, fromVersion, instances }, this.now());
      await this.record(rollout);
      return this.execute(rollout, firstStep(rollout));
    });
  }

  /** pause, resume, continue, promote or abort the function's active rollout. */
  act(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    return this.serial(environment, fn, `rollout ${action}`, async () => {
      const rollout = this.get(environment, fn);
      if (!rollout) throw new FlightdeckError('NOT_FOUND', `No rollout on ${environment}/${fn}; start one with rollout start.`);
      return this.execute(rollout, decideAction(rollout, action));
    });
  }

  /**
   * Restarts the function's instances in place, `batches` at a time, in the function's turn. Its
   * checks run at once (so a refusal comes before the first await) and again in its turn.
   */
  async restart(environment: string, fn: string, body: unknown): Promise<void> {
    const config = this.requireFunction(environment, fn);
    const batches = restartBatches(body, Math.max(config.instances.min, this.runtime.instances(environment, fn).length));
    this.refuseDuringBatchRelease(environment, fn);
    return this.serial(environment, fn, 'restart', async () => {
      this.refuseDuringBatchRelease(environment, fn);
      await this.runtime.restart(environment, fn, batches);
    });
  }

  private refuseDuringBatchRelease(environment: string, fn: string): void {
    const active = this.get(environment, fn);
    if (active && isActive(active) && active.spec.strategy === 'batch') {
      throw new FlightdeckError('CONFLICT', `A batch release of v${active.spec.toVersion} is upgrading ${environment}/${fn}; restart after it ends.`);
    }
  }

  /** Stops every timer; records stay on disk for the next start. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- internals ----

  private async resumeOne(saved: Rollout): Promise<void> {
    if (!this.store.functionConfig(saved.environment, saved.function)) return;
    // The process may have died between moving traffic and saving, and instances restart empty:
    // re-apply the recorded step, keeping its start time so it runs only its remaining interval.
    const current = saved.step < 0 ? await this.execute(saved, firstStep(saved)) : await reapply(this.effects, saved, this.now);
    this.schedule(current);
  }

  private async execute(rollout: Rollout, decision: Decision): Promise<Rollout> {
    const next = await execute(this.effects, rollout, decision, this.now);
    this.schedule(next);
    return next;
  }

  private schedule(rollout: Rollout): void {
    const key = keyOf(rollout.environment, rollout.function);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const delay = nextCheckIn(rollout, this.now(), this.checkEveryMs);
    if (this.closed || delay === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.serial(rollout.environment, rollout.function, 'rollout step', () => this.check(rollout)).catch((error) => {
        // e.g. the state could not be saved: nothing changed, so look again later.
        console.error(`rollout ${rollout.id}: ${(error as Error).message}`);
        this.schedule(this.get(rollout.environment, rollout.function) ?? rollout);
      });
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** A timer tick: read the gates over the current step and act on the decision. */
  private async check(scheduled: Rollout): Promise<void> {
    if (this.closed) return;
    const rollout = this.get(scheduled.environment, scheduled.function);
    if (!rollout || rollout.id !== scheduled.id || !isActive(rollout)) return;
    if (!this.store.functionConfig(rollout.environment, rollout.function)) return;
    this.schedule(await check(this.effects, rollout, this.now));
  }

  private async record(rollout: Rollout): Promise<void> {
    const now = this.now();
    const saved = this.get(rollout.environment, rollout.function);
    const recent = now - (this.savedAt.get(rollout.id) ?? -Infinity) < READING_SAVE_MS;
    if (recent && saved?.id === rollout.id && sameBesidesReading(saved, rollout)) return;
    await this.store.saveRollout(rollout);
    this.emit({ type: 'rollout.updated', environment: rollout.environment, function: rollout.function, rollout });
    // Stamped once saved and announced (the announcement takes its own clock reading): a slow save
    // must not bring the next one closer than READING_SAVE_MS, nor a millisecond ticking over in between.
    if (isActive(rollout)) this.savedAt.set(rollout.id, this.now());
    else this.savedAt.delete(rollout.id);
  }

  private requireFunction(environment: string, fn: string): FunctionConfig {
    const config = this.store.functionConfig(environment, fn);
    if (!config) throw new FlightdeckError('NOT_FOUND', `Function ${JSON.stringify(fn)} does not exist in ${JSON.stringify(environment)}; deploy it first.`);
    return config;
  }

  private requireVersion(environment: string, fn: string, id: number): void {
    if (!this.store.getVersion(environment, fn, id)) {
      throw new FlightdeckError('NOT_FOUND', `Version ${id} of ${fn} does not exist in ${environment}; deploy it first.`, { field: 'toVersion' });
    }
  }

  private serial<T>(environment: string, fn: string, what: string, task: () => Promise<T>): Promise<T> {
    return this.operations.run(environment, fn, what, task);
  }
}

function sameBesidesReading(a: Rollout, b: Rollout): boolean {
  return JSON.stringify({ ...a, reading: undefined }) === JSON.stringify({ ...b, reading: undefined });
}

function keyOf(environment: string, fn: string): string {
  return `${environment}/${fn}`;
}

/** `{ batches? }` of a restart: 1 to the function's instances (provisioned or running; at least 1). */
export function restartBatches(body: unknown, instances: number): number {
  const batches = body === undefined ? undefined : requireObject(body, 'body').batches;
  if (batches === undefined) return Math.min(2, Math.max(1, instances));
  const limit = Math.max(1, instances);
  if (typeof batches !== 'number' || !Number.isInteger(batches) || batches < 1 || batches > limit) {
    throw new FlightdeckError('BAD_REQUEST', `batches must be a whole number from 1 to ${limit} (the function's instances); got ${JSON.stringify(batches)}`, { field: 'batches' });
  }
  return batches;
}
