// Rollouts on Knative run client-side (src/rollout/driver.ts); their state lives on the Service
// as the flightdeck.dev/rollout annotation, with the id of the client driving it, so any client
// sees it, and one that acts on it (resume, pause, abort…) takes the driving over: the previous
// driver sees the new owner before its next traffic move or state write and stops.
import { randomUUID } from 'node:crypto';
import { FlightdeckError } from '../../errors';
import type { Rollout, RolloutSpec } from '../../model';
import type { RolloutAction } from '../../provider';
import { ClientRollout, type DriverProvider } from '../../rollout/driver';
import { isActive } from '../../rollout/plan';
import { ANNOTATION, aliasesOf, type KubeObject } from './mapping';

interface StoredRollout {
  rollout: Rollout;
  /** The client driving it. */
  owner: string;
}

/** What the rollouts need of the provider: the driver's reads and writes, and the Service. */
export interface RolloutHost extends DriverProvider {
  readService(environment: string, fn: string): Promise<KubeObject>;
  /**
   * Replaces the rollout annotation only if it still holds `previous` (a JSON Patch `test`), so
   * the controller's status writes never conflict with it but another client's rollout write does.
   */
  replaceRolloutAnnotation(environment: string, fn: string, previous: string, next: string): Promise<void>;
  /** Merge-patches annotations, guarded by the resourceVersion read. */
  annotateService(environment: string, fn: string, resourceVersion: string | undefined, annotations: Record<string, string | null>): Promise<void>;
  /** A note on every state when the gates cannot be read (no Prometheus): the rollout is ungated. */
  readonly ungatedNote: string | undefined;
}

export function storedRollout(service: KubeObject): StoredRollout | undefined {
  const text = service.metadata?.annotations?.[ANNOTATION.rollout];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as StoredRollout;
  } catch {
    return undefined;
  }
}

export class KnativeRollouts {
  /** This client, as the owner recorded on the rollouts it drives. */
  readonly clientId = randomUUID();
  private readonly drivers = new Map<string, ClientRollout>();
  /** The annotation this client last wrote per function, to replace it without reading first. */
  private readonly written = new Map<string, string>();

  constructor(private readonly host: RolloutHost) {}

  async start(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout> {
    if (spec.strategy === 'batch') {
      throw new FlightdeckError('BAD_REQUEST',
        'Knative has no batch release: a Revision\'s pods are never upgraded in place (a new Revision gets new pods). Use strategy canary, which moves the traffic split step by step; `restart` recycles pods in batches.',
        { field: 'strategy' });
    }
    const current = await this.get(environment, fn);
    if (current && isActive(current)) {
      throw new FlightdeckError('CONFLICT', `${environment}/${fn} already has an active rollout of v${current.spec.toVersion} (${current.status}); abort it first.`);
    }
    const key = `${environment}/${fn}`;
    this.drivers.get(key)?.stop();
    this.drivers.delete(key);
    const driver = await ClientRollout.start(this.guarded(key), environment, fn, spec, {
      onUpdate: (rollout) => this.record(key, rollout),
      id: `k-${Date.now().toString(36)}`,
    });
    this.drivers.set(key, driver);
    await this.record(key, driver.current, true);
    void driver.finished.then(() => this.drivers.get(key) === driver && this.drivers.delete(key));
    return this.noted(driver.current);
  }

  async get(environment: string, fn: string): Promise<Rollout | undefined> {
    const stored = storedRollout(await this.host.readService(environment, fn));
    return stored && this.noted(stored.rollout);
  }

  /**
   * Acts through this client's driver while the stored rollout is still its own; otherwise takes
   * the stored rollout over (an active one is driven from here on) and acts on it.
   */
  async act(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    const key = `${environment}/${fn}`;
    const stored = storedRollout(await this.host.readService(environment, fn));
    if (!stored) throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no rollout.`);
    let driver = this.drivers.get(key);
    if (!driver || stored.owner !== this.clientId || stored.rollout.id !== driver.current.id) {
      driver?.stop();
      driver = ClientRollout.adopt(this.guarded(key), stored.rollout, { onUpdate: (rollout) => this.record(key, rollout) });
      this.drivers.set(key, driver);
      if (isActive(stored.rollout)) await this.record(key, driver.current, true);
    }
    return this.noted(await driver.act(action));
  }

  stopAll(): void {
    for (const driver of this.drivers.values()) driver.stop();
    this.drivers.clear();
  }

  private noted(rollout: Rollout): Rollout {
    const note = this.host.ungatedNote;
    if (!note || rollout.reason || rollout.note?.startsWith(note)) return rollout;
    return { ...rollout, note: rollout.note ? `${note}; ${rollout.note}` : note };
  }

  /**
   * Writes the state as this client's, unless another client took the rollout over (then this
   * one stops); `takeOver` writes it as this client's all the same.
   */
  private async record(key: string, rollout: Rollout, takeOver = false): Promise<void> {
    const [environment, fn] = key.split('/');
    const value = JSON.stringify({ rollout: this.noted(rollout), owner: this.clientId } satisfies StoredRollout);
    const previous = this.written.get(key);
    if (previous !== undefined && !takeOver) {
      try {
        await this.host.replaceRolloutAnnotation(environment, fn, previous, value);
        this.written.set(key, value);
        return;
      } catch {
        // Changed by someone else (or gone): read it and decide below.
      }
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const service = await this.host.readService(environment, fn);
      if (!takeOver && !this.stillMine(key, service, rollout)) return;
      try {
        await this.host.annotateService(environment, fn, service.metadata?.resourceVersion, { [ANNOTATION.rollout]: value });
        this.written.set(key, value);
        return;
      } catch (error) {
        if ((error as FlightdeckError).code !== 'PRECONDITION_FAILED') throw error;
      }
    }
    throw new FlightdeckError('PRECONDITION_FAILED', `The Service of ${key} kept changing; the rollout state was not written.`);
  }

  /** False (and this client's driver stopped) when the stored rollout belongs to another client now. */
  private stillMine(key: string, service: KubeObject, rollout: Rollout): boolean {
    const stored = storedRollout(service);
    if (!stored || stored.owner === this.clientId || stored.rollout.id !== rollout.id) return true;
    const driver = this.drivers.get(key);
    if (driver?.current.id === rollout.id) {
      driver.stop();
      this.drivers.delete(key);
    }
    return false;
  }

  /** The driver's view of the provider: before a traffic move, make sure the rollout is still ours. */
  private guarded(key: string): DriverProvider {
    const host = this.host;
    return {
      getFunction: (e, f) => host.getFunction(e, f),
      getVersion: (e, f, id) => host.getVersion(e, f, id),
      getMetrics: (e, f, w) => host.getMetrics(e, f, w),
      updateAlias: (e, f, n, u, etag) => host.updateAlias(e, f, n, u, etag),
      getAlias: async (e, f, n) => {
        const service = await host.readService(e, f);
        const stored = storedRollout(service);
        const driver = this.drivers.get(key);
        if (driver && stored && stored.owner !== this.clientId && stored.rollout.id === driver.current.id) {
          driver.stop();
          this.drivers.delete(key);
          throw new FlightdeckError('CONFLICT', `The rollout of ${key} is driven by another client now; this one stopped.`);
        }
        const alias = aliasesOf(f, service).find((a) => a.name === n);
        if (!alias) throw new FlightdeckError('NOT_FOUND', `Function ${e}/${f} has no alias ${n}.`, { field: 'alias' });
        return alias;
      },
    };
  }
}
