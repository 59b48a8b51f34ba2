// The platform's event hub: numbers events, keeps the recent ones in a ring for Last-Event-ID
// replay, and fans them out to live subscribers (SSE clients, the rollout engine).
import type { PlatformEvent } from '../model';
import type { EmitEvent } from './contracts';

export type EventListener = (event: PlatformEvent) => void;

export class EventHub {
  private seq = 0;
  private readonly ring: PlatformEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly ringSize = 1000) {}

  readonly emit: EmitEvent = (partial) => {
    const event = { ...partial, seq: ++this.seq, time: new Date().toISOString() } as PlatformEvent;
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const listener of this.listeners) listener(event);
  };

  /**
   * Events after `lastSeq` still in the ring. An id above anything this run has issued comes
   * from an earlier run of the platform, so the client gets everything held.
   */
  since(lastSeq: number): PlatformEvent[] {
    const from = lastSeq > this.seq ? 0 : lastSeq;
    return this.ring.filter((e) => e.seq > from);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
