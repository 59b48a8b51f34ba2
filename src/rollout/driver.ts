// The client-side rollout driver, for providers without a rollout engine
// (capabilities.serverRollouts false): the same pure decisions, run in this process against any
// Provider, moving traffic with ETag-checked alias updates and judging gates on getMetrics.
// Canary only: batch releases upgrade instances in place, which needs the platform itself.
// The rollout lives as long as this object: stopping it (or the process) leaves the alias where
// it is, which is why the CLI and UI prefer server rollouts when the provider has them.

import { FlightdeckError, isFlightdeckError } from '../errors';
import type { GateReading, Rollout } from '../model';
import type { Provider, RolloutAction } from '../provider';
import { createRollout, decideAction, firstStep, gateReadingOf, isActive, planOf, stepWindowMs } from './plan';
import { check, execute, nextCheckIn, type RolloutEffects } from './runner';
import { normaliseSpec, stableVersionOf } from './spec';
import { setTrafficWeight, type AliasAccess } from './traffic';

export type DriverProvider = Pick<Provider, 'getFunction' | 'getVersion' | 'getAlias' | 'updateAlias' | 'getMetrics'>;

export interface DriverOptions {
  /** Called with every new state of the rollout; a provider that keeps the state awaits its write. */
  onUpdate?: (rollout: Rollout) => unknown;
  /** How often the gates are read between step ends; default 1 s. */
  checkEveryMs?: number;
  now?: () => number;
  /** Names the rollout; default a time-based id. */
  id?: string;
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

  private constructor(provider: DriverProvider, rollout: Rollout, options: DriverOptions) {
    this.rollout = rollout;
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.finished = new Promise((resolve) => (this.settle = resolve));
    this.effects = providerEffects(provider, async (next) => {
      this.rollout = next;
      await options.onUpdate?.(next);
    });
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
    await driver.run((r) => execute(driver.effects, r, firstStep(r), driver.now));
    return driver;
  }

  /** Drives on a rollout whose state was kept elsewhere (another client started it, or this one before a restart). */
  static resume(provider: DriverProvider, rollout: Rollout, options: DriverOptions = {}): ClientRollout {
    const driver = new ClientRollout(provider, rollout, options);
    driver.schedule();
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
      const next = await turn(this.rollout);
      this.rollout = next;
      this.schedule();
      return next;
    });
    this.chain = result.catch(() => undefined);
    return result;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!isActive(this.rollout)) {
      this.settle(this.rollout);
      return;
    }
    const delay = nextCheckIn(this.rollout, this.now(), this.checkEveryMs);
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
    record,
  };
}

async function readGates(provider: DriverProvider, rollout: Rollout, now: number): Promise<GateReading> {
  return gateReadingOf(rollout, await provider.getMetrics(rollout.environment, rollout.function, stepWindowMs(rollout, now)));
}

async function aliasOrUndefined(provider: DriverProvider, env: string, fn: string, name: string) {
  try {
    return await provider.getAlias(env, fn, name);
  } catch (error) {
    if (isFlightdeckError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}
