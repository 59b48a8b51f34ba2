// One gateway request forwarded to one instance, over the frame socket of a Node.js host or
// through undici's dispatcher to a custom command: hop-by-hop headers stay behind, and every
// answer names its version and instance. Failures become gateway answers: 504 when the function is slower than its timeoutMs,
// 502 when the instance goes away mid-request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { FunctionPool, Slot } from './functionPool';
import { FrameClient, type FrameCall } from './frameClient';
import { HOP_BY_HOP, SEPARATOR, type FramedResponse } from './frames';
import type { VersionWindow } from './metrics';
import { fc3RequestHeaders, type Fc3Function } from './fc3';

export const VERSION_HEADER = 'x-flightdeck-version';
export const INSTANCE_HEADER = 'x-flightdeck-instance';

/** Recorded (not sent) when the client hangs up first: not the function's error. */
const CLIENT_CLOSED = 499;
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** undici refusing the request itself (a header it will not send): the client's fault, not the instance's. */
const REQUEST_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** What the gateway needs from the request's headers, read in one pass over rawHeaders. */
export interface RequestHeaders {
  /** Flat name/value list for the upstream request. */
  forward: string[];
  stickyKey: string | undefined;
  hasBody: boolean;
}

const STICKY_HEADER = 'x-flightdeck-sticky';
const STICKY_COOKIE = 'flightdeck-sticky=';

export function readHeaders(raw: string[]): RequestHeaders {
  const forward: string[] = [];
  let stickyKey: string | undefined;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    // Node's server already answered `Expect: 100-continue` to the client; undici refuses it.
    if (HOP_BY_HOP.has(name) || name === 'expect') {
      if (name === 'transfer-encoding') hasBody = true;
      continue;
    }
    if (name === 'content-length') hasBody = raw[i + 1] !== '0';
    else if (name === STICKY_HEADER) stickyKey = raw[i + 1];
    else if (name === 'cookie' && stickyKey === undefined) stickyKey = cookieValue(raw[i + 1]);
    forward.push(raw[i], raw[i + 1]);
  }
  return { forward, stickyKey, hasBody };
}

function cookieValue(cookie: string): string | undefined {
  const start = cookie.indexOf(STICKY_COOKIE);
  if (start < 0 || (start > 0 && cookie[start - 1] !== ' ' && cookie[start - 1] !== ';')) return undefined;
  const from = start + STICKY_COOKIE.length;
  const end = cookie.indexOf(';', from);
  return cookie.slice(from, end < 0 ? undefined : end);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text + '\n');
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  pool: FunctionPool;
  window: VersionWindow;
  /** performance.now() when the gateway got the request. */
  started: number;
  path: string;
  headers: RequestHeaders;
  timeoutMs: number;
  /** A custom runtime written for FC 3.0 gets FC's request headers; qualifier is the alias or version asked for. */
  fc3?: { fn: Fc3Function; qualifier: string };
}

/** Sends the request to the slot's instance; the slot is released when the exchange ends. */
export function forward(exchange: Exchange, slot: Slot): void {
  const { upstream } = slot;
  if (upstream instanceof FrameClient) return new FramedCall(exchange, slot, upstream).start();
  const handler = new ProxyHandler(exchange, slot);
  if (!upstream) return handler.onResponseError(undefined, new Error('instance stopped'));
  upstream.dispatch(
    {
      path: exchange.path,
      method: exchange.req.method as Dispatcher.HttpMethod,
      headers: exchange.fc3 ? [...exchange.headers.forward, ...fc3RequestHeaders(exchange.fc3.fn, randomUUID(), exchange.fc3.qualifier)] : exchange.headers.forward,
      body: exchange.headers.hasBody ? exchange.req : null,
      headersTimeout: exchange.timeoutMs,
      bodyTimeout: exchange.timeoutMs,
    },
    handler,
  );
}

/** How one exchange ends, exactly once: the slot is freed and the outcome recorded. */
abstract class Forwarded {
  protected done = false;
  /** The slot's version and instance when the request went out (a slot moves on later). */
  protected readonly versionId: number;
  protected readonly instanceId: string;

  constructor(
    protected readonly exchange: Exchange,
    private readonly slot: Slot,
  ) {
    this.versionId = slot.versionId;
    this.instanceId = slot.instanceId;
  }

  protected timedOut(): void {
    const { pool, timeoutMs } = this.exchange;
    this.fail(504, `${pool.fn} version ${this.versionId} did not answer within its timeout of ${timeoutMs} ms; raise \`timeout\` for it in flightdeck.yaml (e.g. timeout: 60s) or make it faster.`);
  }

  /** `what` completes "Instance … of … version …". */
  protected dropped(what: string): void {
    this.fail(502, `Instance ${this.instanceId} of ${this.exchange.pool.fn} version ${this.versionId} ${what}; see the function's logs.`);
  }

  protected refused(error: Error): void {
    this.fail(400, `The gateway cannot forward this request to ${this.exchange.pool.fn} (${error.message}); drop or fix that header.`);
  }

  /** Answers the failure, unless the client is already gone. */
  private fail(status: 400 | 502 | 504, text: string): void {
    if (this.done) return;
    const { res } = this.exchange;
    if (res.destroyed) return this.finish(CLIENT_CLOSED);
    sendText(res, status, text, { [VERSION_HEADER]: String(this.versionId), [INSTANCE_HEADER]: this.instanceId });
    this.finish(status);
  }

  protected finish(status: number): void {
    if (this.done) return;
    this.done = true;
    const { pool, window, started } = this.exchange;
    pool.release(this.slot);
    pool.served(this.versionId, status);
    window.record(status, performance.now() - started, Date.now());
  }
}

/** Over HTTP (custom commands): bodies stream both ways with backpressure. */
class ProxyHandler extends Forwarded implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;

  constructor(exchange: Exchange, slot: Slot) {
    super(exchange, slot);
    exchange.res.once('close', () => {
      if (!this.done) this.controller?.abort(new Error('client went away'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.exchange.res.destroyed) controller.abort(new Error('client went away'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    for (const name of HOP_BY_HOP) if (name in headers) delete headers[name];
    headers[VERSION_HEADER] = String(this.versionId);
    headers[INSTANCE_HEADER] = this.instanceId;
    this.exchange.res.writeHead(statusCode, headers as Record<string, string | string[]>);
    this.status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Backpressure: a slow client pauses the upstream read; most responses never get here.
    if (!this.exchange.res.write(chunk)) {
      controller.pause();
      this.exchange.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.exchange.res.end();
    this.finish(this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    const code = (error as { code?: string }).code ?? '';
    if (TIMEOUT_ERRORS.has(code)) this.timedOut();
    else if (REQUEST_ERRORS.has(code)) this.refused(error);
    else this.dropped(`stopped or dropped the connection while handling this request (${error.message})`);
  }
}

/**
 * Over the frame socket (Node.js hosts): the request body streams out as frames (paused while the
 * socket is full); the answer comes back whole, as the handler made it.
 */
class FramedCall extends Forwarded implements FrameCall {
  private id = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    exchange: Exchange,
    slot: Slot,
    private readonly client: FrameClient,
  ) {
    super(exchange, slot);
  }

  start(): void {
    const { req, res, headers, timeoutMs } = this.exchange;
    res.once('close', () => {
      if (this.done) return;
      clearTimeout(this.timer);
      this.client.cancel(this.id);
      this.finish(CLIENT_CLOSED);
    });
    this.timer = setTimeout(() => {
      this.client.cancel(this.id);
      this.timedOut();
    }, timeoutMs);
    const head = `${req.method}${SEPARATOR}${this.exchange.path}${SEPARATOR}${headers.forward.join(SEPARATOR)}`;
    this.id = this.client.open(this, head, !headers.hasBody);
    if (this.done || !headers.hasBody) return;
    req.on('data', (chunk: Buffer) => {
      if (!this.done && !this.client.body(this.id, chunk)) {
        req.pause();
        this.client.whenDrained(() => req.resume());
      }
    });
    req.once('end', () => {
      if (!this.done) this.client.end(this.id);
    });
  }

  answered(response: FramedResponse): void {
    clearTimeout(this.timer);
    const { res } = this.exchange;
    const { status, headers, body } = response;
    headers.push(VERSION_HEADER, String(this.versionId), INSTANCE_HEADER, this.instanceId);
    if (status >= 200 && status !== 204 && status !== 304) headers.push('content-length', String(body.length));
    try {
      res.writeHead(status, headers);
    } catch (error) {
      return this.dropped(`answered with a response HTTP cannot carry (${(error as Error).message})`);
    }
    res.end(body);
    this.finish(status);
  }

  failed(error: Error): void {
    clearTimeout(this.timer);
    this.dropped(`stopped or dropped the connection while handling this request (${error.message})`);
  }
}
