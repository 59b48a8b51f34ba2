// A minimal EventSource over fetch for tests: reads a platform's SSE stream (events or followed
// logs), keeps every message and comment, and waits for one that matches.
import type { PlatformEvent } from '../../src/model';
import type { TestPlatform } from './platform';

export interface SseMessage {
  id?: string;
  event?: string;
  data: PlatformEvent & Record<string, any>;
}

/** A minimal EventSource over fetch: collects messages and waits for one that matches. */
export class EventStream {
  readonly messages: SseMessage[] = [];
  /** Comment lines (keep-alives) seen so far. */
  comments = 0;
  private readonly abort = new AbortController();
  private wake: () => void = () => undefined;
  readonly opened: Promise<Response>;

  constructor(platform: TestPlatform, lastEventId?: string, path = '/v1/events') {
    this.opened = fetch(`${platform.url}${path}`, {
      headers: { authorization: `Bearer ${platform.token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: this.abort.signal,
    });
    void this.opened.then((res) => this.read(res)).catch(() => undefined);
  }

  private async read(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        this.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  private parse(block: string): void {
    const message: Partial<SseMessage> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const [field, ...rest] = line.split(': ');
      const value = rest.join(': ');
      if (field === 'id') message.id = value;
      if (field === 'event') message.event = value;
      if (field === 'data') message.data = JSON.parse(value);
    }
    if (message.data) {
      this.messages.push(message as SseMessage);
      this.wake();
    }
  }

  async waitFor(predicate: (m: SseMessage) => boolean, what: string, timeoutMs = 10_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} event within ${timeoutMs} ms; got ${this.messages.map((m) => m.event).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

export interface RestartWaves {
  /** instance.down events of the function (a slot stopping). */
  downs: number;
  /** instance.up events of the function (a slot serving again). */
  ups: number;
  /** The most slots down at one moment, in event order. */
  mostDownAtOnce: number;
}

/** Replays `fn`'s instance events in order, counting the slots that are down between their down and up. */
export function restartWaves(messages: readonly SseMessage[], fn: string): RestartWaves {
  const down = new Set<number>();
  const waves: RestartWaves = { downs: 0, ups: 0, mostDownAtOnce: 0 };
  for (const { data } of messages) {
    if (data.function !== fn || !data.instance) continue;
    if (data.type === 'instance.down') {
      waves.downs++;
      down.add(data.instance.slot);
      waves.mostDownAtOnce = Math.max(waves.mostDownAtOnce, down.size);
    } else if (data.type === 'instance.up') {
      waves.ups++;
      down.delete(data.instance.slot);
    }
  }
  return waves;
}
