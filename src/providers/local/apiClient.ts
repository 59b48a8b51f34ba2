// HTTP client of the local platform's control API (docs/api.md) over one keep-alive node:http
// Agent. Not undici: control calls are few and small, and undici's bundled HTTP parser would
// more than double the extension bundle (196 KB → 730 KB); undici serves the gateway instead,
// where its pooling pays. Error bodies become FlightdeckError with the platform's code and message. When the platform is
// unreachable or rejects the token, the discovery file is read again once and the call retried:
// the platform may have restarted on another port with a new token.

import { Agent, request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { FlightdeckError, type ErrorCode } from '../../errors';

export interface Connection {
  url: string;
  token: string;
}

/** Finds the platform again (a fresh read of the discovery file); undefined when none runs. */
export type Rediscover = () => Promise<Connection | undefined>;

export interface CallOptions {
  /** JSON body. */
  json?: unknown;
  /** Raw body, made afresh for each attempt (a stream cannot be sent twice). */
  raw?: () => Readable | Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** How long the whole call (for a stream: until its head arrives) may take; default DEFAULT_CALL_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * No control call waits longer: a deploy includes warm instances coming up on the new code, and
 * the platform refuses (409) an operation that waits more than 30 s for its function's turn.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  constructor(
    private connection: Connection,
    private readonly rediscover: Rediscover,
  ) {}

  get url(): string {
    return this.connection.url;
  }

  /** A JSON call; resolves with the parsed body of a 2xx answer, throws FlightdeckError otherwise. */
  call<T>(method: HttpMethod, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    return this.timed(method, path, options, async (signal) => {
      const response = await this.send(method, path, { ...options, signal });
      const text = (await readAll(response)).toString('utf8');
      const status = response.statusCode ?? 0;
      if (status >= 400) throw errorFromResponse(status, text, method, path);
      return { status, headers: flatHeaders(response.headers), body: (text ? JSON.parse(text) : undefined) as T };
    });
  }

  /** Raw bytes of a 2xx answer. */
  bytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
    return this.timed('GET', path, { signal }, async (timedSignal) => {
      const response = await this.send('GET', path, { signal: timedSignal });
      const body = await readAll(response);
      if ((response.statusCode ?? 0) >= 400) throw errorFromResponse(response.statusCode ?? 0, body.toString('utf8'), 'GET', path);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    });
  }

  /** Opens a long-lived response (SSE); the caller reads it; aborting `signal` closes it. Only opening it is timed. */
  async stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const opened = new AbortController();
    const response = await this.timed('GET', path, { signal: opened.signal }, async (timedSignal) => {
      const onAbort = () => opened.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) opened.abort();
      const answer = await this.send('GET', path, { headers: { accept: 'text/event-stream', ...headers }, signal: timedSignal });
      if ((answer.statusCode ?? 0) >= 400) {
        throw errorFromResponse(answer.statusCode ?? 0, (await readAll(answer)).toString('utf8'), 'GET', path);
      }
      return answer;
    });
    // From here on only the caller's signal ends the stream.
    return response;
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Runs one call under a deadline: the signal given to `work` aborts when the caller's does or
   * when time runs out, and running out becomes a TIMEOUT error that names the call.
   */
  private async timed<T>(method: HttpMethod, path: string, options: CallOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
    try {
      return await work(signal);
    } catch (error) {
      if (deadline.signal.aborted && !options.signal?.aborted) {
        throw new FlightdeckError(
          'TIMEOUT',
          `${method} ${path} got no answer from the Flightdeck platform at ${this.connection.url} within ${timeoutMs / 1000} s; it may be stuck (see platform.log in its state folder).`,
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(method: HttpMethod, path: string, options: CallOptions): Promise<IncomingMessage> {
    const first = await this.attempt(method, path, options);
    if (!first.retry) return first.response;
    const fresh = await this.rediscover().catch(() => undefined);
    if (!fresh) return this.giveUp(first);
    this.connection = fresh;
    const second = await this.attempt(method, path, options);
    return second.retry ? this.giveUp(second) : second.response;
  }

  private async attempt(method: HttpMethod, path: string, options: CallOptions): Promise<Attempt> {
    const { url, token } = this.connection;
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw?.();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await send(this.agent, new URL(path, url), method, headers, body, options.signal);
      if (response.statusCode !== 401) return { retry: false, response };
      return { retry: true, response, reason: (await readAll(response)).toString('utf8') };
    } catch (error) {
      if (options.signal?.aborted) throw new FlightdeckError('CANCELLED', `${method} ${path} was cancelled.`);
      if (isConnectionFailure(error)) return { retry: true, reason: (error as Error).message };
      throw error;
    }
  }

  private giveUp(attempt: Extract<Attempt, { retry: true }>): never {
    if (attempt.response) throw errorFromResponse(401, attempt.reason, 'request', this.connection.url);
    throw new FlightdeckError('PLATFORM_UNREACHABLE',
      `Cannot reach the Flightdeck platform at ${this.connection.url} (${attempt.reason}). Start it with \`flightdeck serve\`, or run any flightdeck command to start one in the background.`);
  }
}

type Attempt = { retry: false; response: IncomingMessage } | { retry: true; response?: IncomingMessage; reason: string };

/** One request; resolves when the response head arrives. */
function send(
  agent: Agent,
  url: URL,
  method: HttpMethod,
  headers: Record<string, string>,
  body: string | Readable | Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers, signal }, resolve);
    req.once('error', reject);
    if (body instanceof Readable) {
      body.once('error', (error) => req.destroy(error));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

/** The whole body; events rather than an async iterator, which cost a call about 0.1 ms more CPU here. */
function readAll(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    response.once('error', reject); // also a connection closed mid-answer (ECONNRESET)
  });
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code !== undefined && CONNECTION_ERROR_CODES.has(code);
}

function errorFromResponse(status: number, text: string, method: string, path: string): FlightdeckError {
  try {
    const { error } = JSON.parse(text) as { error: { code: ErrorCode; message: string; field?: string; missing?: string[] } };
    const { code, message, ...details } = error;
    return new FlightdeckError(code, message, { ...details, status });
  } catch {
    const body = text.trim().slice(0, 200) || 'no body';
    return new FlightdeckError(status === 401 ? 'UNAUTHORIZED' : 'INTERNAL', `${method} ${path} failed with HTTP ${status}: ${body}`, { status });
  }
}

function flatHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
