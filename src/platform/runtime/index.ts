// The platform's function runtime: real function processes in numbered slots per function, the
// /fn gateway in front of them, metrics and logs. createRuntime wires the parts; nothing here is
// module-level state, so a test can run several runtimes side by side.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { EmitEvent, FunctionRuntime, StateView } from '../contracts';
import { FunctionPool, type PoolContext } from './functionPool';
import { Gateway } from './gateway';
import { Launcher } from './launcher';
import { PidRegistry } from './pids';
import { WarmPool } from './warmPool';

export interface RuntimeOptions {
  /** The platform's state folder; function pids are recorded there. */
  home: string;
  /** Overrides every function's instances.idleTimeoutMs. */
  idleTimeoutMs?: number;
  /** How long a request may wait for an instance before a 503 (default 10 s). */
  queueTimeoutMs?: number;
  /** Node.js runtime processes always kept forked and listening for cold starts (default 1). */
  warmPool?: number;
  /** Most spares kept after a burst of cold starts (default 16; 0 when warmPool is 0). */
  warmPoolMax?: number;
  /** How long the pool stays grown after a burst (default 10 minutes). */
  warmPoolHoldMs?: number;
  /** Path of runtime-node.js (default: next to this bundle, in dist/). */
  runtimeScript?: string;
}

const DEFAULT_QUEUE_TIMEOUT_MS = 10_000;
const DEFAULT_WARM_POOL = 1;
const DEFAULT_WARM_POOL_MAX = 16;
const DEFAULT_WARM_POOL_HOLD_MS = 10 * 60_000;

/** The pools of every function that has seen traffic or instances, by environment then name. */
class PoolDirectory {
  private readonly byEnvironment = new Map<string, Map<string, FunctionPool>>();

  constructor(private readonly context: PoolContext) {}

  get(environment: string, fn: string): FunctionPool | undefined {
    return this.byEnvironment.get(environment)?.get(fn);
  }

  getOrCreate(environment: string, fn: string): FunctionPool {
    let functions = this.byEnvironment.get(environment);
    if (!functions) {
      functions = new Map();
      this.byEnvironment.set(environment, functions);
    }
    let pool = functions.get(fn);
    if (!pool) {
      pool = new FunctionPool(this.context, environment, fn);
      functions.set(fn, pool);
    }
    return pool;
  }

  async stop(environment: string, fn?: string): Promise<void> {
    const functions = this.byEnvironment.get(environment);
    if (!functions) return;
    const names = fn === undefined ? [...functions.keys()] : [fn];
    const pools = names.map((name) => functions.get(name)).filter((p): p is FunctionPool => p !== undefined);
    for (const name of names) functions.delete(name);
    if (functions.size === 0) this.byEnvironment.delete(environment);
    await Promise.all(pools.map((p) => p.stop()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.byEnvironment.keys()].map((env) => this.stop(env)));
  }
}

export function createRuntime(state: StateView, emit: EmitEvent, options: RuntimeOptions): FunctionRuntime {
  const scriptPath = options.runtimeScript ?? join(__dirname, 'runtime-node.js');
  const pids = new PidRegistry(options.home);
  const size = options.warmPool ?? DEFAULT_WARM_POOL;
  const warmPool = new WarmPool(scriptPath, {
    size,
    // No spares asked for means none, also after a burst.
    max: Math.max(size, options.warmPoolMax ?? (size === 0 ? 0 : DEFAULT_WARM_POOL_MAX)),
    holdMs: options.warmPoolHoldMs ?? DEFAULT_WARM_POOL_HOLD_MS,
    bootLimit: availableParallelism(),
  }, pids);
  const pools = new PoolDirectory({
    state,
    emit,
    launcher: new Launcher(state, warmPool, scriptPath, pids),
    queueTimeoutMs: options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  const gateway = new Gateway(state, (env, fn) => pools.getOrCreate(env, fn));

  return {
    handleGateway: (req, res) => gateway.handle(req, res),
    warmPool: () => warmPool.status(),
    instances: (env, fn) => pools.get(env, fn)?.instances() ?? [],
    versionsInUse: (env, fn) => pools.get(env, fn)?.versionsInUse() ?? new Set(),
    metrics: (env, fn, windowMs, versions) => pools.get(env, fn)?.metrics.summaries(windowMs, Date.now(), versions) ?? [],
    logs: (env, fn, logOptions) => pools.get(env, fn)?.logs.tail(logOptions) ?? [],
    followLogs: (env, fn, version, onLine, onEnd) => pools.getOrCreate(env, fn).logs.follow(version, onLine, onEnd),
    upgrade: (env, fn, toVersion, upgradeOptions = {}) => pools.getOrCreate(env, fn).upgrade(toVersion, upgradeOptions),
    proveStart: (env, fn, versionId, keep) => pools.getOrCreate(env, fn).proveStart(versionId, keep),
    restart: async (env, fn, batches) => pools.get(env, fn)?.restart(batches),
    ensureMinimum: (env, fn) => pools.getOrCreate(env, fn).ensureMinimum(),
    stopFunction: (env, fn) => pools.stop(env, fn),
    stopEnvironment: (env) => pools.stop(env),
    close: async () => {
      await Promise.all([pools.stopAll(), warmPool.close()]);
      await pids.flushed();
    },
  };
}
