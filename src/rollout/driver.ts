// The client-side rollout driver, for providers without a rollout engine
// (capabilities.serverRollouts false): the same pure decisions, run in this process against any
// Provider, moving traffic with ETag-checked alias updates and judging gates on getMetrics.
// Canary only: batch releases upgrade instances in place, which needs the platform itself.
// The rollout lives as long as this object: stopping it (or the process) leaves the alias where
// it is, which is why the CLI and UI prefer server rollouts when the provider has them. With a
// `store` (state kept with the function on the engine), every state is saved there and re-read
// before each turn, so another client can see, pause, resume or abort it, and this one follows.

import { FlightdeckError, isFlightdeckError } from '../errors';
import type { GateReading, Rollout, RolloutSpec } from '../model';
import type { Provider, RolloutAction } from '../provider';
import { createRollout, decideAction, firstStep, gateReadingOf, isActive, planOf, stepWindowMs } from './plan';
import { check, execute, nextCheckIn, type RolloutEffects } from './runner';
import { normaliseSpec, stableVersionOf } from './spec';
import { setTrafficWeight, type AliasAccess } from './traffic';

export type DriverProvider = Pick<Provider, 'getFunction' | 'getVersion' | 'getAlias' | 'updateAlias' | 'getMetrics'>;

/** Where a client-driven rollout's state lives so other clients see it (e.g. an FC alias description). */
export interface RolloutStore {
  /** The function's latest rollout, as another client may have left it; undefined when none. */
  load(environment: string, fn: string): Promise<Rollout | undefined>;
  /**
   * Writes `rollout`, computed from `previous`; PRECONDITION_FAILED when the stored state is no
   * longer `previous` (another client acted meanwhile), so its action is never overwritten.
   */
  save(rollout: Rollout, previous: Rollout): Promise<void>;
}

export interface DriverOptions {
  /** Called with every new state of the rollout; a provider that keeps the state awaits its write. */
  onUpdate?: (rollout: Rollout) => unknown;
  /** How often the gates are read between step ends; default 1 s. */
  checkEveryMs?: number;
  now?: () => number;
  /** Names the rollout; default a time-based id. */
  id?: string;
  store?: RolloutStore;
  /** Said with step 0 (its note), e.g. why the engine's gates may not judge steps this short. */
  firstNote?: (spec: RolloutSpec) => string | undefined;
}

export class ClientRollout {
  /** Resolves with the final state once the rollout succeeded, rolled back or was aborted. */
  readonly finished: Promise<Rollout>;
  private rollout: Rollout;
  private readonly effects: RolloutEffects;
  private readonly now: () => number;
  private readonly checkEveryMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private settle!: (rollout: Rollout) => void;
  private readonly store: RolloutStore | undefined;

  private constructor(provider: DriverProvider, rollout: Rollout, options: DriverOptions) {
    this.rollout = rollout;
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.store = options.store;
    this.finished = new Promise((resolve) => (this.settle = resolve));
    this.effects = providerEffects(provider, async (next) => {
      await this.store?.save(next, this.rollout);
      this.rollout = next;
      await options.onUpdate?.(next);
    });
  }

  /** Drives a rollout found in the store (started by another client), from its current state. */
  static adopt(provider: DriverProvider, rollout: Rollout, options: DriverOptions = {}): ClientRollout {
    const driver = new ClientRollout(provider, rollout, options);
    driver.schedule();
    return driver;
  }

  /** Validates the request, applies step 0 and starts driving. */
  static async start(provider: DriverProvider, environment: string, fn: string, request: unknown, options: DriverOptions = {}): Promise<ClientRollout> {
    const summary = await provider.getFunction(environment, fn);
    const spec = normaliseSpec(request, { instances: summary.config.instances.min });
    if (spec.strategy !== 'canary') {
      throw new FlightdeckError('BAD_REQUEST', 'A batch release upgrades instances in place, which this provider cannot do from the client; use strategy canary.', { field: 'strategy' });
    }
    await provider.getVersion(environment, fn, spec.toVersion);
    const fromVersion = stableVersionOf(await aliasOrUndefined(provider, environment, fn, spec.alias), spec);
    const now = options.now ?? Date.now;
    const id = options.id ?? `c-${now().toString(36)}`;
    const driver = new ClientRollout(provider, createRollout({ id, environment, function: fn, spec, fromVersion }, now()), options);
    await driver.run((r) => execute(driver.effects, r, firstStep(r, options.firstNote?.(spec)), driver.now));
    return driver;
  }

  get current(): Rollout {
    return this.rollout;
  }

  /** pause, resume, continue, promote or abort; CONFLICT when the status does not allow it. */
  act(action: RolloutAction): Promise<Rollout> {
    return this.run((r) => execute(this.effects, r, decideAction(r, action), this.now));
  }

  /** Stops driving, leaving traffic where it is. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Runs one turn after any in progress, then schedules the next look or settles. */
  private run(turn: (rollout: Rollout) => Promise<Rollout>): Promise<Rollout> {
    const result = this.chain.then(async () => {
      const stored = await this.latest();
      // Ended or replaced elsewhere: nothing more to do here.
      if (stored !== this.rollout && !isActive(stored)) {
        this.rollout = stored;
        this.schedule();
        return stored;
      }
      const next = await turn(stored);
      this.rollout = next;
      this.schedule();
      return next;
    });
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** The state to act on: the stored one when another client changed it (paused, aborted, …), else ours. */
  private async latest(): Promise<Rollout> {
    if (!this.store) return this.rollout;
    const stored = await this.store.load(this.rollout.environment, this.rollout.function);
    if (!stored || (stored.id !== this.rollout.id && Date.parse(stored.started) < Date.parse(this.rollout.started))) return this.rollout;
    if (stored.id !== this.rollout.id) return { ...this.rollout, status: 'aborted', ended: stored.started, reason: `replaced by rollout ${stored.id}` };
    if (JSON.stringify(stored) === JSON.stringify(this.rollout)) return this.rollout;
    this.rollout = stored;
    return stored;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!isActive(this.rollout)) {
      this.settle(this.rollout);
      return;
    }
    // With a store another client may resume or abort a paused rollout: keep looking.
    const delay = nextCheckIn(this.rollout, this.now(), this.checkEveryMs) ?? (this.store ? this.checkEveryMs : undefined);
    if (this.stopped || delay === undefined) return;
    this.timer = setTimeout(() => {
      this.run((r) => check(this.effects, r, this.now)).catch(() => {
        // A failed metrics read is retried on the next look; the state is unchanged.
        this.schedule();
      });
    }, delay);
  }
}

function providerEffects(provider: DriverProvider, record: (rollout: Rollout) => Promise<void>): RolloutEffects {
  const aliases: AliasAccess = {
    getAlias: (env, fn, name) => aliasOrUndefined(provider, env, fn, name),
    updateAlias: (env, fn, name, update, etag) => provider.updateAlias(env, fn, name, update, etag),
  };
  return {
    applyStep: (rollout, step) => setTrafficWeight(aliases, rollout, planOf(rollout)[step].percent / 100),
    revert: (rollout) => setTrafficWeight(aliases, rollout, 0),
    readGates: (rollout, now) => readGates(provider, rollout, now),
    readVersion: (rollout) => provider.getVersion(rollout.environment, rollout.function, rollout.spec.toVersion),
    record,
  };
}

/**
 * The new version's figures over the step. An engine that refuses its metrics (getMetrics throws
 * UNAVAILABLE with field `metrics`: no permission, throttled, not reachable) makes the reading
 * ungated, saying why, so the step advances by time; any other failure is retried on the next look.
 */
async function readGates(provider: DriverProvider, rollout: Rollout, now: number): Promise<GateReading> {
  try {
    return gateReadingOf(rollout, await provider.getMetrics(rollout.environment, rollout.function, stepWindowMs(rollout, now)));
  } catch (error) {
    if (!isFlightdeckError(error, 'UNAVAILABLE') || error.details.field !== 'metrics') throw error;
    return { requests: 0, errorRate: 0, p95Ms: 0, ungated: error.message };
  }
}

async function aliasOrUndefined(provider: DriverProvider, env: string, fn: string, name: string) {
  try {
    return await provider.getAlias(env, fn, name);
  } catch (error) {
    if (isFlightdeckError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}
