// A Server-Sent Events subscription that survives the platform going away: it reconnects with
// backoff, resumes with Last-Event-ID, and reports the connection going down and coming back.

import { isFlightdeckError, type FlightdeckError } from '../../errors';
import type { Subscription } from '../../provider';
import type { ApiClient } from './apiClient';

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  onConnection?(connected: boolean): void;
  /** The platform refused the stream for good (e.g. 404: the function or version was deleted); no retry follows. */
  onGone?(error: FlightdeckError): void;
}

/** Client errors that asking again cannot fix; 401 (token renewed on restart), 408 and 429 can be. */
function isPermanent(error: unknown): error is FlightdeckError {
  const status = isFlightdeckError(error) ? error.details.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && ![401, 408, 429].includes(status);
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

export function followSse(client: ApiClient, path: string, handlers: SseHandlers): Subscription {
  const controller = new AbortController();
  void run(client, path, handlers, controller.signal);
  return { close: () => controller.abort() };
}

async function run(client: ApiClient, path: string, handlers: SseHandlers, signal: AbortSignal): Promise<void> {
  let lastEventId: string | undefined;
  let connected: boolean | undefined;
  const report = (now: boolean) => {
    if (connected !== now) handlers.onConnection?.(now);
    connected = now;
  };
  let delay = FIRST_RETRY_MS;
  while (!signal.aborted) {
    try {
      const response = await client.stream(path, lastEventId ? { 'last-event-id': lastEventId } : {}, signal);
      report(true);
      delay = FIRST_RETRY_MS;
      await readMessages(response, (message) => {
        if (message.id !== undefined) lastEventId = message.id;
        handlers.onMessage(message);
      });
    } catch (error) {
      if (isPermanent(error) && !signal.aborted) {
        handlers.onGone?.(error);
        return;
      }
      // Down, refused, 5xx or cut off: fall through to the backoff and try again.
    }
    if (signal.aborted) return;
    report(false);
    // Loaded here, on a retry: a CLI call whose stream never drops does not load it.
    const { setTimeout: sleep } = await import('node:timers/promises');
    await sleep(delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

/** Parses the event stream (`id:`, `event:`, `data:` lines; a blank line ends a message). */
async function readMessages(body: AsyncIterable<Buffer | string>, onMessage: (message: SseMessage) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let message: Partial<SseMessage> & { data?: string } = {};
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (message.data !== undefined) onMessage({ id: message.id, event: message.event ?? 'message', data: message.data });
        message = {};
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
        else if (field === 'id') message.id = value;
        else if (field === 'event') message.event = value;
      }
    }
  }
}
