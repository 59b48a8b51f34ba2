// The platform's event hub: numbers events, keeps the recent ones in a ring for Last-Event-ID
// replay, and fans them out to live subscribers (SSE clients, the rollout engine). Numbers start
// again at 1 on every run, so the id a client sees (`<run>-<seq>`) carries a random id of the run:
// an id from an earlier run can never be mistaken for a position in this one.
import { randomBytes } from 'node:crypto';
import type { PlatformEvent } from '../model';
import type { EmitEvent } from './contracts';

export type EventListener = (event: PlatformEvent) => void;

export class EventHub {
  private seq = 0;
  /** This run of the platform. */
  readonly runId: string;
  private readonly ring: PlatformEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(runId = randomBytes(8).toString('hex'), private readonly ringSize = 1000) {
    this.runId = runId;
  }

  readonly emit: EmitEvent = (partial) => {
    const event = { ...partial, seq: ++this.seq, time: new Date().toISOString() } as PlatformEvent;
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const listener of this.listeners) listener(event);
  };

  /** The event's id on the stream, `<run>-<seq>`. */
  idOf(event: PlatformEvent): string {
    return `${this.runId}-${event.seq}`;
  }

  /**
   * Events after the one a client last saw (its Last-Event-ID) still in the ring. An id of
   * another run (or of no run: a bare number, garbage) gets everything held.
   */
  since(lastEventId: string): PlatformEvent[] {
    const dash = lastEventId.lastIndexOf('-');
    const seq = Number(lastEventId.slice(dash + 1));
    const sameRun = dash > 0 && lastEventId.slice(0, dash) === this.runId && Number.isSafeInteger(seq) && seq <= this.seq;
    const from = sameRun ? seq : 0;
    return this.ring.filter((e) => e.seq > from);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
