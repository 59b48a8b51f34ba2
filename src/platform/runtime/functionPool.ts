// One function's instances: numbered slots, each running one version in a real process. Dispatch,
// queueing, scale-out, scale-to-zero, crash restarts with backoff, crash-loop detection, and the
// in-place moves that upgrades and restarts are made of.
import { Pool } from 'undici';
import { FlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, provisionedSplit, type Alias, type InstanceLimits, type Instance, type InstanceState, type StartCheck, type Version } from '../../model';
import type { EmitEvent, StateView, UpgradeOptions } from '../contracts';
import { CrashTracker } from './crashes';
import type { FrameClient } from './frameClient';
import type { Launched, Launcher } from './launcher';
import { FunctionLogs } from './logs';
import { FunctionMetrics } from './metrics';
import type { RuntimeProcess } from './processes';
import { WeightedPicker } from './swrr';
import { describeUserOutput } from './userError';

/**
 * Idle upstream connections are kept this long unless the instance's Keep-Alive header says
 * otherwise (the Node.js host says 65 s); short, so a custom server that silently closes idle
 * sockets is not sent a request on a dead one.
 */
const UPSTREAM_KEEP_ALIVE_MS = 4000;
/** How many times a moving slot first serves requests queued for its old version. */
const STRANDED_ROUNDS = 10;
/** Used when the function's config is gone (deleted while traffic still arrives). */
const FALLBACK_LIMITS: InstanceLimits = { min: 0, max: 1, concurrency: 1, idleTimeoutMs: 60_000 };

export interface PoolContext {
  state: StateView;
  emit: EmitEvent;
  launcher: Launcher;
  queueTimeoutMs: number;
  /** Overrides every function's instances.idleTimeoutMs when set. */
  idleTimeoutMs?: number;
}

export interface Slot {
  readonly number: number;
  instanceId: string;
  versionId: number;
  state: InstanceState;
  process?: RuntimeProcess;
  /** Frames for a Node.js host, HTTP for a custom command. */
  upstream?: FrameClient | Pool;
  port?: number;
  /** The running version's code folder, to tell its crashes in its own terms. */
  codeDir?: string;
  inFlight: number;
  started: string;
  restarts: number;
  lastUsed: number;
  /** The version this slot is being moved to; it counts as pending capacity for that version. */
  next?: number;
  /** Everyone waiting for the slot's requests to finish (an upgrade, a restart, a retire). */
  drainWaiters: (() => void)[];
  restartTimer?: NodeJS.Timeout;
  /** Started as a deploy's start proof and kept: the next upgrade to its version counts it as moved. */
  proven?: boolean;
}

/**
 * Where the latest upgrade put slots. An upgrade runs ahead of the traffic that follows it (a
 * batch release moves slots, then weights), so until the alias next changes those slots are kept
 * for their version even though the alias does not send it their share yet.
 */
interface Placement {
  aliasEtag: string | undefined;
  versionId: number;
  slots: number;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: FlightdeckError): void;
  timer: NodeJS.Timeout;
}

export class FunctionPool {
  readonly logs = new FunctionLogs();
  readonly metrics = new FunctionMetrics();
  private readonly slots: Slot[] = [];
  private readonly waiters = new Map<number, Waiter[]>();
  private waiting = 0;
  private readonly crashes = new CrashTracker();
  /** Versions are immutable, so their lookups are cached. */
  private readonly versions = new Map<number, Version>();
  private readonly pickers = new Map<string, WeightedPicker>();
  /** Process starts under way; upgrades and restarts wait for them so no starting slot is skipped. */
  private readonly launches = new Set<Promise<boolean>>();
  /** Start proofs under way, by version: no slot shows them, yet their working folders are in use. */
  private readonly proving = new Map<number, number>();
  private placement: Placement | undefined;
  /** Slot moves under way: an upgrade also waits for those already heading to its version. */
  private readonly moves = new Map<Slot, { toVersion: number; done: Promise<boolean> }>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Versions recorded healthy this run (they started and answered without a 5xx). */
  private readonly healthy = new Set<number>();
  /** Versions this pool marked unhealthy for crash-looping (not for a failed start check): the mark lapses with the loop. */
  private readonly loopMarked = new Set<number>();
  private instanceCount = 0;
  private stopped = false;

  constructor(
    private readonly ctx: PoolContext,
    readonly environment: string,
    readonly fn: string,
  ) {}

  // ---- routing --------------------------------------------------------------------------------

  version(id: number): Version | undefined {
    let version = this.versions.get(id);
    if (!version) {
      version = this.ctx.state.getVersion(this.environment, this.fn, id);
      if (version) this.versions.set(id, version);
    }
    return version;
  }

  /** The version for one request through `alias`: smooth weighted round-robin, or sticky. */
  pick(alias: Alias, stickyKey: string | undefined): number {
    let picker = this.pickers.get(alias.name);
    if (!picker || picker.etag !== alias.etag) {
      picker = new WeightedPicker(alias);
      this.pickers.set(alias.name, picker);
    }
    return stickyKey === undefined ? picker.next() : picker.sticky(stickyKey);
  }

  // ---- dispatch -------------------------------------------------------------------------------

  /** A slot of the version with a free request place: now when one is ready, else once one is. */
  acquire(versionId: number): Slot | Promise<Slot> {
    const slot = this.leastLoaded(versionId, this.limits().concurrency);
    if (slot) {
      slot.inFlight++;
      return slot;
    }
    this.forgetCrashLoops(false);
    const loop = this.crashes.loopReason(versionId);
    if (loop !== undefined) return Promise.reject(this.crashLoopError(versionId, loop));
    if (this.stopped) return Promise.reject(this.stoppedError());
    return this.enqueue(versionId);
  }

  /** A version that answered a request without a 5xx started and served: it is healthy. */
  served(versionId: number, status: number): void {
    if (status >= 500 || this.healthy.has(versionId)) return;
    this.healthy.add(versionId);
    this.ctx.state.setVersionHealth(this.environment, this.fn, versionId, 'healthy');
  }

  /** Why the version crash-loops (it gets no instance), or undefined. */
  crashLoop(versionId: number): string | undefined {
    return this.crashes.loopReason(versionId);
  }

  /**
   * Proves the version starts before traffic moves to it: one instance is started the way the
   * gateway would start it (handler loaded, or command listening and answering healthPath
   * within the start timeout). With `keep` (traffic moves there next) it stays as an instance of
   * the version when instances.max leaves room: a process start is the dearest part of a deploy,
   * and the first request or the upgrade that follows need not pay it again. Else it stops. A
   * failure is noted in the version's logs.
   */
  async proveStart(versionId: number, keep: boolean): Promise<StartCheck> {
    const version = this.version(versionId);
    if (!version) throw new FlightdeckError('NOT_FOUND', `${this.fn} in ${this.environment} has no version ${versionId}`, { field: 'version' });
    const { config } = version;
    const how = config.runtime === 'custom'
      ? config.healthPath ? `command answered ${config.healthPath}` : 'command listened on $PORT'
      : `handler ${config.handler} loaded`;
    let instance = `${this.fn}-start-check-${++this.instanceCount}`;
    const sink = (stream: 'stdout' | 'stderr', text: string) => this.logs.add({ time: new Date().toISOString(), versionId, instance, stream, text });
    this.proving.set(versionId, (this.proving.get(versionId) ?? 0) + 1);
    try {
      const launched = await this.ctx.launcher.launch({ environment: this.environment, fn: this.fn, version, fresh: false, sink });
      const kept = keep ? this.keepProven(versionId, launched) : undefined;
      if (kept) instance = kept.instanceId;
      else await launched.process.stop();
      return { started: true, how };
    } catch (error) {
      const reason = (error as Error).message;
      sink('stderr', `[flightdeck] v${versionId} did not start: ${reason}`);
      return { started: false, how, reason };
    } finally {
      const left = this.proving.get(versionId)! - 1;
      if (left === 0) this.proving.delete(versionId);
      else this.proving.set(versionId, left);
    }
  }

  release(slot: Slot): void {
    slot.proven = false;
    slot.inFlight--;
    slot.lastUsed = Date.now();
    if (this.waiting > 0) this.reassign(slot);
    if (slot.inFlight === 0) wakeDrainWaiters(slot);
  }

  private leastLoaded(versionId: number, concurrency: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.state === 'ready' && slot.versionId === versionId && slot.inFlight < concurrency) {
        if (!best || slot.inFlight < best.inFlight) best = slot;
      }
    }
    return best;
  }

  private enqueue(versionId: number): Promise<Slot> {
    return new Promise((resolve, reject) => {
      let queue = this.waiters.get(versionId);
      if (!queue) {
        queue = [];
        this.waiters.set(versionId, queue);
      }
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => this.expire(versionId, waiter), this.ctx.queueTimeoutMs),
      };
      queue.push(waiter);
      this.waiting++;
      this.scaleFor(versionId);
    });
  }

  private expire(versionId: number, waiter: Waiter): void {
    if (!this.dequeue(versionId, waiter)) return;
    const { max, concurrency } = this.limits();
    const busy = this.slots.filter((s) => s.versionId === versionId).length;
    const crashed = this.crashes.recentSummary(versionId);
    const why = crashed
      ? `its instances ${crashed}; see the function's logs.`
      : `${busy} instance(s) of it, ${this.slots.length} of instances.max ${max} in use, concurrency ${concurrency} each. ` +
        'Raise instances.max or instances.concurrency in flightdeck.yaml, or make the function answer faster.';
    waiter.reject(
      new FlightdeckError('UNAVAILABLE', `No instance of ${this.fn} version ${versionId} could take this request within ${this.ctx.queueTimeoutMs} ms: ${why}`),
    );
  }

  private dequeue(versionId: number, waiter: Waiter): boolean {
    const queue = this.waiters.get(versionId);
    const index = queue ? queue.indexOf(waiter) : -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.waiters.delete(versionId);
    this.waiting--;
    clearTimeout(waiter.timer);
    return true;
  }

  private serveWaiters(versionId: number): void {
    const queue = this.waiters.get(versionId);
    if (!queue?.length) return;
    const { concurrency } = this.limits();
    while (queue.length) {
      const slot = this.leastLoaded(versionId, concurrency);
      if (!slot) return;
      const waiter = queue.shift() as Waiter;
      this.waiting--;
      clearTimeout(waiter.timer);
      slot.inFlight++;
      waiter.resolve(slot);
    }
    // Every deploy is a new version: an emptied queue must not stay behind for each.
    this.waiters.delete(versionId);
  }

  private rejectWaiters(versionId: number | undefined, error: FlightdeckError): void {
    for (const [id, queue] of this.waiters) {
      if (versionId !== undefined && id !== versionId) continue;
      this.waiters.delete(id);
      for (const waiter of queue.splice(0)) {
        this.waiting--;
        clearTimeout(waiter.timer);
        waiter.reject(error);
      }
    }
  }

  /** A freed place goes to a waiter of its version; an idle slot may be moved to another version's waiters. */
  private reassign(slot: Slot): void {
    if (slot.state !== 'ready') return;
    this.serveWaiters(slot.versionId);
    if (slot.inFlight > 0 || this.waiters.get(slot.versionId)?.length) return;
    for (const [versionId, queue] of this.waiters) if (queue.length) this.scaleFor(versionId);
  }

  /**
   * Starts as many slots as the version's waiters need beyond pending capacity; at instances.max,
   * moves idle slots that their version can spare (see `reserved`) instead.
   */
  private scaleFor(versionId: number): void {
    const { max, concurrency } = this.limits();
    const demand = this.waiters.get(versionId)?.length ?? 0;
    let pending = this.slots.filter((s) => this.isPendingFor(s, versionId)).length;
    let reserve: Map<number, number> | undefined;
    while (demand > pending * concurrency) {
      if (this.slots.length < max) {
        void this.startSlot(versionId, false);
      } else {
        reserve ??= this.reserved();
        const idle = this.slots.find((s) => s.versionId !== versionId && this.isSpare(s, reserve!)) ?? this.rescueFor(versionId);
        if (!idle) return;
        void this.moveSlot(idle, versionId, false);
      }
      pending++;
    }
  }

  /**
   * A version with waiters and no slot at all (instances.max 1 with a canary, or requests queued
   * for a version the alias just left) may take any idle slot, except one an upgrade just placed.
   */
  private rescueFor(versionId: number): Slot | undefined {
    if (this.countOn(versionId) > 0) return undefined;
    const placed = this.currentPlacement()?.versionId;
    return this.slots.find((s) => s.versionId !== versionId && s.versionId !== placed && this.isIdle(s));
  }

  private isPendingFor(slot: Slot, versionId: number): boolean {
    if (slot.next !== undefined) return slot.next === versionId;
    return slot.versionId === versionId && (slot.state === 'starting' || slot.state === 'crashed');
  }

  /** Ready, serving nothing, not moving, and no request of its version waiting. */
  private isIdle(slot: Slot): boolean {
    return slot.state === 'ready' && slot.inFlight === 0 && slot.next === undefined && !this.waiters.get(slot.versionId)?.length;
  }

  /** An idle slot whose version has more slots than it keeps. */
  private isSpare(slot: Slot, reserve: Map<number, number>): boolean {
    return this.isIdle(slot) && this.countOn(slot.versionId) > (reserve.get(slot.versionId) ?? 0);
  }

  /** Slots running, starting or being moved to the version. */
  private countOn(versionId: number): number {
    return this.slots.filter((s) => (s.next ?? s.versionId) === versionId).length;
  }

  /**
   * How many slots each version keeps when others need room: its share of instances.min under
   * the live alias (provisionedSplit), or what the latest upgrade placed on it while that holds.
   */
  private reserved(live = this.liveAlias()): Map<number, number> {
    const reserve = live ? provisionedSplit(live, this.limits().min) : new Map<number, number>();
    const placed = this.currentPlacement(live);
    if (placed) reserve.set(placed.versionId, Math.max(reserve.get(placed.versionId) ?? 0, placed.slots));
    return reserve;
  }

  /** The latest upgrade's placement, until the alias changes after it. */
  private currentPlacement(live = this.liveAlias()): Placement | undefined {
    return this.placement && this.placement.aliasEtag === live?.etag ? this.placement : undefined;
  }

  private liveAlias(): Alias | undefined {
    return this.ctx.state.getAlias(this.environment, this.fn, DEFAULT_ALIAS);
  }

  // ---- slot lifecycle -------------------------------------------------------------------------

  private startSlot(versionId: number, fresh: boolean): Promise<boolean> {
    return this.launch(this.newSlot(versionId), fresh);
  }

  /** A starting slot under the lowest free number. */
  private newSlot(versionId: number): Slot {
    let number = 0;
    while (this.slots.some((s) => s.number === number)) number++;
    const slot: Slot = {
      number,
      instanceId: '',
      versionId,
      state: 'starting',
      inFlight: 0,
      started: new Date().toISOString(),
      restarts: 0,
      lastUsed: Date.now(),
      drainWaiters: [],
    };
    this.slots.push(slot);
    return slot;
  }

  /** Starts a process for the slot's version; on failure the slot crashes (and may be retried). */
  private launch(slot: Slot, fresh: boolean): Promise<boolean> {
    const launching = this.startProcess(slot, fresh);
    this.launches.add(launching);
    void launching.finally(() => this.launches.delete(launching));
    return launching;
  }

  private async startProcess(slot: Slot, fresh: boolean): Promise<boolean> {
    const instanceId = `${this.fn}-${slot.number}-${++this.instanceCount}`;
    const versionId = slot.versionId;
    slot.instanceId = instanceId;
    slot.state = 'starting';
    const current = (): boolean => !this.stopped && this.slots.includes(slot) && slot.instanceId === instanceId;
    try {
      const version = this.version(versionId);
      if (!version) throw new FlightdeckError('NOT_FOUND', `version ${versionId} of ${this.fn} no longer exists`);
      const launched = await this.ctx.launcher.launch({
        environment: this.environment,
        fn: this.fn,
        version,
        fresh,
        sink: (stream, text) => this.logs.add({ time: new Date().toISOString(), versionId, instance: instanceId, stream, text }),
      });
      if (!current()) {
        await launched.process.stop();
        return false;
      }
      this.attach(slot, launched);
      return true;
    } catch (error) {
      if (current()) this.onCrash(slot, error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** The slot serves through the launched process from now on. */
  private attach(slot: Slot, launched: Launched): void {
    slot.process = launched.process;
    slot.port = launched.port;
    slot.codeDir = launched.codeDir;
    slot.upstream =
      launched.process.frames ??
      new Pool(`http://127.0.0.1:${launched.port}`, { pipelining: 1, keepAliveTimeout: UPSTREAM_KEEP_ALIVE_MS });
    slot.state = 'ready';
    slot.started = new Date().toISOString();
    slot.lastUsed = Date.now();
    void launched.process.exited.then(() => this.onExit(slot, launched.process));
    this.emitInstance('instance.up', slot);
    this.ensureIdleSweep();
    if (this.waiting > 0) this.reassign(slot);
  }

  /** A new slot for a start proof's instance, when instances.max leaves room for one. */
  private keepProven(versionId: number, launched: Launched): Slot | undefined {
    if (this.stopped || this.slots.length >= this.limits().max) return undefined;
    const slot = this.newSlot(versionId);
    slot.instanceId = `${this.fn}-${slot.number}-${++this.instanceCount}`;
    slot.proven = true;
    this.attach(slot, launched);
    return slot;
  }

  private onExit(slot: Slot, process: RuntimeProcess): void {
    if (process.stopping || slot.process !== process) return;
    slot.process = undefined;
    slot.upstream?.destroy().catch(() => undefined); // in-flight requests answer 502
    slot.upstream = undefined;
    slot.state = 'crashed';
    this.emitInstance('instance.down', slot);
    const output = slot.codeDir === undefined ? undefined : describeUserOutput(process.stderrTail, slot.codeDir);
    this.onCrash(slot, `instance ${slot.instanceId} ${process.exitHow()}${output ? `: ${output}` : ''}`);
  }

  private onCrash(slot: Slot, reason: string): void {
    const versionId = slot.versionId;
    this.note(slot, `[flightdeck] ${reason}`);
    const outcome = this.crashes.record(versionId, reason);
    if (outcome.loop) {
      this.healthy.delete(versionId);
      // A version already unhealthy (its start check failed) keeps that verdict and its reason.
      if (this.ctx.state.getVersion(this.environment, this.fn, versionId)?.health !== 'unhealthy') { // the record, not the cached copy
        this.loopMarked.add(versionId);
        this.ctx.state.setVersionHealth(this.environment, this.fn, versionId, 'unhealthy', outcome.why);
      }
      void this.removeSlot(slot);
      this.rejectWaiters(versionId, this.crashLoopError(versionId, outcome.why));
      return;
    }
    slot.state = 'crashed';
    slot.restarts++;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (slot.state === 'crashed' && this.slots.includes(slot)) void this.launch(slot, false);
    }, outcome.restartInMs);
  }

  /** Moves the slot once any move it is already making has finished, so two moves never share a slot. */
  private moveSlot(slot: Slot, toVersion: number, fresh: boolean): Promise<boolean> {
    const earlier = this.moves.get(slot)?.done;
    const done = earlier ? earlier.then(() => this.relocateIfKept(slot, toVersion, fresh)) : this.relocate(slot, toVersion, fresh);
    this.moves.set(slot, { toVersion, done });
    void done.finally(() => {
      if (this.moves.get(slot)?.done === done) this.moves.delete(slot);
    });
    return done;
  }

  private relocateIfKept(slot: Slot, toVersion: number, fresh: boolean): Promise<boolean> {
    if (this.stopped || !this.slots.includes(slot)) return Promise.resolve(false);
    return this.relocate(slot, toVersion, fresh);
  }

  /** In place: stop routing to the slot, let its requests finish, then run `toVersion` in it. */
  private async relocate(slot: Slot, toVersion: number, fresh: boolean): Promise<boolean> {
    const fromVersion = slot.versionId;
    slot.next = toVersion;
    slot.proven = false;
    if (slot.state === 'ready') slot.state = 'draining';
    await this.drained(slot);
    for (let round = 0; round < STRANDED_ROUNDS && fromVersion !== toVersion && this.isStranded(fromVersion, slot); round++) {
      // Requests queued for the old version would have no instance left: serve them here first.
      slot.state = 'ready';
      this.serveWaiters(fromVersion);
      slot.state = 'draining';
      await this.drained(slot);
    }
    if (this.stopped || !this.slots.includes(slot)) return false;
    clearTimeout(slot.restartTimer);
    await this.stopProcess(slot);
    slot.versionId = toVersion;
    slot.next = undefined;
    return this.launch(slot, fresh);
  }

  /** Waiters of the version that no slot but `leaving` could serve. */
  private isStranded(versionId: number, leaving: Slot): boolean {
    if (!this.waiters.get(versionId)?.length || leaving.process === undefined) return false;
    return !this.slots.some(
      (s) => s !== leaving && ((s.state === 'ready' && s.next === undefined && s.versionId === versionId) || this.isPendingFor(s, versionId)),
    );
  }

  private drained(slot: Slot): Promise<void> {
    if (slot.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => slot.drainWaiters.push(resolve));
  }

  private async stopProcess(slot: Slot): Promise<void> {
    const { process, upstream } = slot;
    slot.process = undefined;
    slot.upstream = undefined;
    if (process) {
      slot.state = 'stopping';
      this.emitInstance('instance.down', slot);
      await process.stop();
    }
    await upstream?.destroy().catch(() => undefined);
  }

  private removeSlot(slot: Slot): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    clearTimeout(slot.restartTimer);
    wakeDrainWaiters(slot);
    return this.stopProcess(slot);
  }

  /** Drain, then stop and free the slot. */
  private async retire(slot: Slot): Promise<void> {
    if (slot.state === 'ready') slot.state = 'draining';
    await this.drained(slot);
    await this.removeSlot(slot);
  }

  // ---- scaling and control --------------------------------------------------------------------

  /**
   * Gives every version the live alias serves its share of instances.min (split by weight): first
   * reuses slots of versions it no longer serves (in place, after their requests finish), then
   * starts slots up to instances.max, then moves idle slots other versions can spare.
   */
  async ensureMinimum(): Promise<void> {
    this.forgetUnserved();
    const live = this.liveAlias();
    if (!live) return;
    const { min, max } = this.limits();
    const reserve = this.reserved(live);
    this.forgetCrashLoops(false);
    const work: Promise<boolean>[] = [];
    for (const [versionId, share] of provisionedSplit(live, min)) {
      if (this.crashes.loopReason(versionId) !== undefined) continue;
      for (let have = this.countOn(versionId); have < share; have++) {
        const reuse = this.slots.find((s) => this.isLeftBehind(s, reserve)) ??
          (this.slots.length < max ? undefined : this.slots.find((s) => s.versionId !== versionId && this.isSpare(s, reserve)));
        if (!reuse && this.slots.length >= max) break;
        work.push(reuse ? this.moveSlot(reuse, versionId, false) : this.startSlot(versionId, false));
      }
    }
    await Promise.all(work);
  }

  /**
   * Drops what the pool keeps per version for versions no alias or rollout serves any more (and
   * no slot runs): their metrics windows, cached records and health marks (one served again is
   * marked healthy again, an unchanged write). Runs on every alias change and deploy.
   */
  private forgetUnserved(): void {
    const kept = this.ctx.state.servedVersions(this.environment, this.fn);
    for (const slot of this.slots) kept.add(slot.versionId);
    this.metrics.retain(kept);
    for (const versionId of this.versions.keys()) if (!kept.has(versionId)) this.versions.delete(versionId);
    for (const versionId of this.healthy) if (!kept.has(versionId)) this.healthy.delete(versionId);
  }

  /** A ready slot of a version the alias no longer serves and no upgrade just placed. */
  private isLeftBehind(slot: Slot, reserve: Map<number, number>): boolean {
    return slot.state === 'ready' && slot.next === undefined && !reserve.has(slot.versionId);
  }

  async upgrade(toVersion: number, options: UpgradeOptions): Promise<number> {
    if (!this.version(toVersion)) {
      throw new FlightdeckError('NOT_FOUND', `${this.fn} in ${this.environment} has no version ${toVersion}`, { field: 'toVersion' });
    }
    await this.startsSettled();
    const candidates = this.slots
      .filter((s) => s.state === 'ready' && s.next === undefined)
      .filter((s) => (options.fromVersion !== undefined ? s.versionId === options.fromVersion : s.versionId !== toVersion))
      .sort((a, b) => a.number - b.number)
      .slice(0, options.slots ?? Infinity);
    // A start proof's instance that has served nothing is no capacity to keep: it retires rather
    // than moves. Each one kept on toVersion stands in for one slot to move: that slot retires
    // instead of starting the version a second time.
    const unused = candidates.filter((s) => s.proven);
    const moving = candidates.filter((s) => !s.proven);
    const standIns = options.mode === 'recreate' ? [] : this.slots.filter((s) => s.proven && s.versionId === toVersion && s.state === 'ready').slice(0, moving.length);
    standIns.forEach((s) => (s.proven = false));
    const replaced = moving.splice(moving.length - standIns.length, standIns.length);
    const retiring = [...unused, ...replaced];
    this.placement = { aliasEtag: this.liveAlias()?.etag, versionId: toVersion, slots: this.countOn(toVersion) + moving.length };
    const underway = [...this.moves.values()].filter((m) => m.toVersion === toVersion).map((m) => m.done);
    const upgraded = options.mode === 'recreate' ? this.recreate(moving, toVersion) : this.moveAll(moving, toVersion);
    const [count] = await Promise.all([upgraded, Promise.all(underway), Promise.all(retiring.map((s) => this.retire(s)))]);
    return count + replaced.length;
  }

  private async moveAll(slots: Slot[], toVersion: number): Promise<number> {
    const moved = await Promise.all(slots.map((s) => this.moveSlot(s, toVersion, false)));
    return moved.filter(Boolean).length;
  }

  /** The comparison path: fresh processes in new slots first, then the old slots drain and stop. */
  private async recreate(old: Slot[], toVersion: number): Promise<number> {
    const started = await Promise.all(old.map(() => this.startSlot(toVersion, true)));
    await Promise.all(old.map((s) => this.retire(s)));
    return started.filter(Boolean).length;
  }

  async restart(batches: number): Promise<void> {
    this.forgetCrashLoops(true);
    await this.startsSettled();
    // Each batch is chosen when it starts, among the slots there at the start that are still
    // ready and not being moved by anyone else.
    const initial = new Set(this.slots.filter((s) => s.state === 'ready' && s.next === undefined));
    const size = Math.max(1, Math.ceil(initial.size / Math.max(1, Math.floor(batches))));
    for (;;) {
      const batch = this.slots
        .filter((s) => initial.has(s) && s.state === 'ready' && s.next === undefined)
        .sort((a, b) => a.number - b.number)
        .slice(0, size);
      if (batch.length === 0) break;
      batch.forEach((s) => initial.delete(s));
      await Promise.all(batch.map((s) => this.moveSlot(s, s.versionId, false)));
    }
    // Warm slots of a version that was crash-looping come back only now.
    await this.ensureMinimum();
  }

  private async startsSettled(): Promise<void> {
    while (this.launches.size) await Promise.all(this.launches);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    // Its followers' streams end: a reader that reconnects hears the function is gone (or finds its successor).
    this.logs.end();
    this.rejectWaiters(undefined, this.stoppedError());
    await Promise.all([...this.slots].map((s) => this.removeSlot(s)));
  }

  versionsInUse(): Set<number> {
    return new Set([...this.slots.map((s) => s.versionId), ...this.proving.keys()]);
  }

  instances(): Instance[] {
    return [...this.slots].sort((a, b) => a.number - b.number).map((s) => this.snapshot(s));
  }

  private ensureIdleSweep(): void {
    if (this.idleTimer) return;
    const interval = Math.min(1000, Math.max(20, this.idleTimeoutMs() / 4));
    this.idleTimer = setInterval(() => this.stopIdle(), interval);
    this.idleTimer.unref();
  }

  /**
   * Scale down: slots idle for the idle timeout stop unless their version keeps them (its share of
   * instances.min); a version left below its share (e.g. after serving requests stranded on an
   * old version) is then topped up.
   */
  private stopIdle(): void {
    if (this.slots.length === 0) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
      return;
    }
    const idleMs = this.idleTimeoutMs();
    const now = Date.now();
    const reserve = this.reserved();
    const expired = this.slots.filter((s) => now - s.lastUsed >= idleMs && this.isSpare(s, reserve));
    for (const slot of expired.sort((a, b) => b.number - a.number)) {
      if (this.isSpare(slot, reserve)) void this.removeSlot(slot);
    }
    if (expired.length > 0) void this.ensureMinimum();
  }

  private limits(): InstanceLimits {
    return this.ctx.state.functionConfig(this.environment, this.fn)?.instances ?? FALLBACK_LIMITS;
  }

  private idleTimeoutMs(): number {
    return this.ctx.idleTimeoutMs ?? this.limits().idleTimeoutMs;
  }

  private snapshot(slot: Slot): Instance {
    return {
      id: slot.instanceId,
      slot: slot.number,
      versionId: slot.versionId,
      state: slot.state,
      pid: slot.process?.pid,
      port: slot.process ? slot.port : undefined,
      inFlight: slot.inFlight,
      started: slot.started,
      restarts: slot.restarts,
    };
  }

  private emitInstance(type: 'instance.up' | 'instance.down', slot: Slot): void {
    this.ctx.emit({ type, environment: this.environment, function: this.fn, versionId: slot.versionId, instance: this.snapshot(slot) });
  }

  /** A platform-made line in the version's logs (crashes, failed starts). */
  private note(slot: Slot, text: string): void {
    this.logs.add({ time: new Date().toISOString(), versionId: slot.versionId, instance: slot.instanceId, stream: 'stderr', text });
  }

  /** Lets crash-looping versions try again (lapsed marks, or all of them): their health is unknown again. */
  /**
   * Lapsed crash loops: the version may be tried again, so the unhealthy mark the loop gave it
   * goes. Only that one: a version whose start check failed stays unhealthy until a start proves
   * otherwise, or a roll back would send traffic to code that never started.
   */
  private forgetCrashLoops(all: boolean): void {
    for (const versionId of this.crashes.forgetLoops(all)) {
      this.healthy.delete(versionId);
      if (!this.loopMarked.delete(versionId)) continue;
      this.ctx.state.setVersionHealth(this.environment, this.fn, versionId, 'unknown');
    }
  }

  private crashLoopError(versionId: number, why: string): FlightdeckError {
    return new FlightdeckError(
      'UNAVAILABLE',
      `Version ${versionId} of ${this.fn} is crash-looping and gets no traffic (${why}). ` +
        'Fix the code and deploy a new version, or point the alias at a healthy version.',
    );
  }

  private stoppedError(): FlightdeckError {
    return new FlightdeckError('UNAVAILABLE', `${this.fn} in ${this.environment} was stopped while this request waited for an instance.`);
  }
}

function wakeDrainWaiters(slot: Slot): void {
  for (const wake of slot.drainWaiters.splice(0)) wake();
}
