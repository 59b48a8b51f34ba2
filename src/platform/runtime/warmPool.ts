// Spare Node.js hosts, forked and listening before anyone needs them, so a cold start or a deploy's
// start proof skips node's own boot (about 100 ms of CPU each here). The pool follows demand: a
// burst of takes (a branch environment of ten functions, traffic scaling out) grows it to the
// burst's size, up to `max`, for `holdMs`; then it shrinks back to `size`. Refills come one fork at
// a time once the burst is over, so they never compete with the work they are refilling for. When
// the pool is empty, at most `bootLimit` hosts boot at once (one per core): the others wait their
// turn, since more only share the same cores and every one of them comes up later.
import { Slots } from '../../concurrency';
import type { WarmPoolStatus } from '../contracts';
import { FrameClient } from './frameClient';
import { RuntimeProcess } from './processes';
import type { PidRegistry } from './pids';

export interface WarmPoolOptions {
  /** Spares always kept. */
  size: number;
  /** Most spares kept after a burst. */
  max: number;
  /** How long the pool stays grown after the last burst that needed it. */
  holdMs: number;
  /** Hosts booting at once at most. */
  bootLimit: number;
}

interface Spare {
  process: RuntimeProcess;
  port: Promise<number>;
  listening: boolean;
}

/** A burst is the takes within this long. */
const BURST_WINDOW_MS = 1000;
/** Refilling starts this long after the last take: forking stalls this process's event loop for tens of milliseconds. */
const REFILL_DELAY_MS = 100;

export class WarmPool {
  private readonly spares: Spare[] = [];
  private target: number;
  /** When the takes of the last BURST_WINDOW_MS happened; the last is the latest take. */
  private readonly recentTakes: number[] = [];
  private grownAt = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private shrinkTimer: NodeJS.Timeout | undefined;
  private refilling = false;
  private closed = false;
  /** Hosts booting; a take (and the refill) waits for a slot, and fork() gives it back once the host listens or dies. */
  private readonly boots: Slots;

  constructor(
    private readonly scriptPath: string,
    private readonly options: WarmPoolOptions,
    private readonly pids: PidRegistry,
  ) {
    this.target = options.size;
    this.boots = new Slots(options.bootLimit);
    void this.refill();
  }

  status(): WarmPoolStatus {
    return { ready: this.spares.filter((s) => s.listening && s.process.alive).length, target: this.target };
  }

  /** A listening host: a spare when one is alive, else a fresh fork. Call refillSoon() once it has loaded. */
  async take(fresh = false): Promise<{ process: RuntimeProcess; port: number }> {
    this.noteDemand();
    let chosen = fresh ? undefined : this.nextSpare();
    if (!chosen) {
      await this.boots.take();
      // A spare may have come while this take waited its turn: then the slot goes to the next in line.
      const came = fresh ? undefined : this.nextSpare();
      if (came) this.boots.give();
      chosen = came ?? this.fork();
      // Demand has outrun the pool: boot the next one now, alongside this one, rather than after the burst.
      if (!fresh && this.spares.length < this.target && this.boots.tryTake()) this.spares.push(this.fork());
    }
    try {
      return { process: chosen.process, port: await chosen.port };
    } catch (error) {
      await chosen.process.stop();
      throw error;
    }
  }

  /** Refills once no spare has been taken for a moment, so a burst is not slowed by its own refill. */
  refillSoon(): void {
    if (this.closed) return;
    clearTimeout(this.refillTimer);
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      void this.refill();
    }, REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    // The takes in line boot their hosts now: the platform is stopping and stops them too.
    this.boots.lift();
    clearTimeout(this.refillTimer);
    clearTimeout(this.shrinkTimer);
    await Promise.all(this.spares.splice(0).map((s) => s.process.stop()));
  }

  private noteDemand(): void {
    const now = Date.now();
    this.recentTakes.push(now);
    while (this.recentTakes[0] <= now - BURST_WINDOW_MS) this.recentTakes.shift();
    const wanted = Math.min(this.options.max, this.recentTakes.length);
    if (wanted <= this.options.size || wanted < this.target) return;
    this.target = wanted;
    this.grownAt = now;
    this.scheduleShrink(this.options.holdMs);
  }

  private scheduleShrink(delayMs: number): void {
    clearTimeout(this.shrinkTimer);
    this.shrinkTimer = setTimeout(() => this.shrink(), delayMs);
    this.shrinkTimer.unref();
  }

  private shrink(): void {
    const heldFor = Date.now() - this.grownAt;
    if (heldFor < this.options.holdMs) return this.scheduleShrink(this.options.holdMs - heldFor);
    this.target = this.options.size;
    const extra = this.spares.splice(this.target);
    for (const spare of extra) void spare.process.stop();
  }

  /** Forks spares one at a time up to the target; stops when a burst begins or a spare fails to start. */
  private async refill(): Promise<void> {
    if (this.refilling) return;
    this.refilling = true;
    try {
      for (;;) {
        await this.boots.take();
        const alive = this.spares.filter((s) => s.process.alive);
        this.spares.splice(0, this.spares.length, ...alive);
        if (this.closed || Date.now() - (this.recentTakes.at(-1) ?? 0) < REFILL_DELAY_MS || alive.length >= this.target) {
          this.boots.give();
          return;
        }
        const spare = this.fork();
        this.spares.push(spare);
        // A spare that dies before listening is dropped above; the next take forks afresh.
        if (!(await spare.port.then(() => true, () => false))) return;
      }
    } finally {
      this.refilling = false;
    }
  }

  private nextSpare(): Spare | undefined {
    let spare = this.spares.shift();
    while (spare && !spare.process.alive) spare = this.spares.shift();
    return spare;
  }

  /** Boots a host; the caller holds a boot slot. */
  private fork(): Spare {
    const process = new RuntimeProcess(this.scriptPath, [], this.pids);
    const spare: Spare = { process, port: Promise.resolve(0), listening: false };
    spare.port = process.expect('listening', 15_000, 'starting the Node.js runtime').then((m) => {
      // Connected and its message channel used once now, at rest: a deploy's start then pays for
      // neither (the first call of each costs a host about 0.3 ms of CPU).
      process.frames = m.framePort === undefined ? undefined : new FrameClient(m.framePort).connect();
      process.send({ type: 'prime' });
      spare.listening = true;
      return m.port;
    });
    spare.port
      .catch(() => undefined) // a spare that dies before listening is skipped by take()
      .finally(() => this.boots.give());
    return spare;
  }
}
