// One gateway request forwarded to one instance through undici's dispatcher: bodies stream both
// ways with backpressure, hop-by-hop headers stay behind, and every answer names its version and
// instance. Failures become gateway answers: 504 when the function is slower than its timeoutMs,
// 502 when the instance goes away mid-request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { FunctionPool, Slot } from './functionPool';
import type { VersionWindow } from './metrics';

export const VERSION_HEADER = 'x-flightdeck-version';
export const INSTANCE_HEADER = 'x-flightdeck-instance';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Recorded (not sent) when the client hangs up first: not the function's error. */
const CLIENT_CLOSED = 499;
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

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
    if (HOP_BY_HOP.has(name)) {
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
}

/** Sends the request to the slot's instance; the slot is released when the exchange ends. */
export function forward(exchange: Exchange, slot: Slot): void {
  const { req } = exchange;
  const handler = new ProxyHandler(exchange, slot);
  if (!slot.upstream) return handler.onResponseError(undefined, new Error('instance stopped'));
  slot.upstream.dispatch(
    {
      path: exchange.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: exchange.headers.forward,
      body: exchange.headers.hasBody ? req : null,
      headersTimeout: exchange.timeoutMs,
      bodyTimeout: exchange.timeoutMs,
    },
    handler,
  );
}

class ProxyHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;
  private status = 0;
  private readonly instanceId: string;

  constructor(
    private readonly exchange: Exchange,
    private readonly slot: Slot,
  ) {
    this.instanceId = slot.instanceId;
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
    headers[VERSION_HEADER] = String(this.slot.versionId);
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
    if (this.done) return;
    const { res } = this.exchange;
    const slot = this.slot;
    const code = (error as { code?: string }).code ?? '';
    const status = TIMEOUT_ERRORS.has(code) ? 504 : 502;
    const text =
      status === 504
        ? `${this.exchange.pool.fn} version ${slot.versionId} did not answer within its timeoutMs (${this.exchange.timeoutMs} ms); raise timeoutMs in flightdeck.yaml or make it faster.`
        : `Instance ${this.instanceId} of ${this.exchange.pool.fn} version ${slot.versionId} stopped or dropped the connection while handling this request (${error.message}); see the function's logs.`;
    if (res.destroyed) return this.finish(CLIENT_CLOSED);
    sendText(res, status, text, { [VERSION_HEADER]: String(slot.versionId), [INSTANCE_HEADER]: this.instanceId });
    this.finish(status);
  }

  private finish(status: number): void {
    if (this.done) return;
    this.done = true;
    const { pool, window, started } = this.exchange;
    pool.release(this.slot);
    window.record(status, performance.now() - started, Date.now());
  }
}
