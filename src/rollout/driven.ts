// Rollouts for providers without a rollout engine (capabilities.serverRollouts false), behind the
// Provider's startRollout/getRollout/rolloutAction: this process drives the rollouts it starts or
// resumes (src/rollout/driver.ts), and their state lives in the engine (a RolloutStore), so any
// client sees them and can pause, resume, promote or abort them. An action on a rollout another
// client drives is one turn here (move traffic, save the state); that client's driver re-reads
// the state before its next turn and follows. Resume makes this client drive it from then on.

import { FlightdeckError } from '../errors';
import type { Rollout, RolloutSpec } from '../model';
import type { RolloutAction } from '../provider';
import { ClientRollout, type DriverProvider, type RolloutStore } from './driver';
import { isActive } from './plan';

export interface DrivenRolloutsOptions {
  store: RolloutStore;
  /** Every new state of a rollout this process drives or acts on (the provider's event stream). */
  onUpdate(rollout: Rollout): void;
  checkEveryMs?: number;
  /** Refuses specs the engine cannot do (e.g. batch-in-place), with a message saying why. */
  check?(spec: RolloutSpec): void;
  /** Said with step 0 of a rollout started here (DriverOptions.firstNote). */
  firstNote?(spec: RolloutSpec): string | undefined;
}

export class DrivenRollouts {
  private readonly drivers = new Map<string, ClientRollout>();

  constructor(
    private readonly provider: DriverProvider,
    private readonly options: DrivenRolloutsOptions,
  ) {}

  async start(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout> {
    this.options.check?.(spec);
    const current = await this.options.store.load(environment, fn);
    if (current && isActive(current)) {
      throw new FlightdeckError('CONFLICT', `${environment}/${fn} already has an active rollout of v${current.spec.toVersion} (${current.status}); abort or promote it first.`);
    }
    const driver = await ClientRollout.start(this.provider, environment, fn, spec, { ...this.driverOptions(), firstNote: (s) => this.options.firstNote?.(s) });
    this.track(driver);
    return driver.current;
  }

  get(environment: string, fn: string): Promise<Rollout | undefined> {
    return this.options.store.load(environment, fn);
  }

  async act(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    const mine = this.drivers.get(keyOf(environment, fn));
    if (mine) return mine.act(action);
    const stored = await this.options.store.load(environment, fn);
    if (!stored) throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no rollout to ${action}.`);
    const driver = ClientRollout.adopt(this.provider, stored, this.driverOptions());
    try {
      const next = await driver.act(action);
      if (action === 'resume' && isActive(next)) {
        this.track(driver);
        return next;
      }
      driver.stop();
      return next;
    } catch (error) {
      driver.stop();
      throw error;
    }
  }

  /** Stops driving (traffic stays where it is; the stored state says where). */
  dispose(): void {
    for (const driver of this.drivers.values()) driver.stop();
    this.drivers.clear();
  }

  private driverOptions() {
    return { store: this.options.store, onUpdate: (r: Rollout) => this.options.onUpdate(r), checkEveryMs: this.options.checkEveryMs };
  }

  private track(driver: ClientRollout): void {
    const key = keyOf(driver.current.environment, driver.current.function);
    this.drivers.get(key)?.stop();
    this.drivers.set(key, driver);
    void driver.finished.then(() => {
      if (this.drivers.get(key) === driver) this.drivers.delete(key);
    });
  }
}

function keyOf(environment: string, fn: string): string {
  return `${environment}/${fn}`;
}
