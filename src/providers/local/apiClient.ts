// HTTP client of the local platform's control API (docs/api.md) over one keep-alive undici Agent.
// Error bodies become FlightdeckError with the platform's code and message. When the platform is
// unreachable or rejects the token, the discovery file is read again once and the call retried:
// the platform may have restarted on another port with a new token.

import type { Readable } from 'node:stream';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
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
}

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export class ApiClient {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });

  constructor(
    private connection: Connection,
    private readonly rediscover: Rediscover,
  ) {}

  get url(): string {
    return this.connection.url;
  }

  /** A JSON call; resolves with the parsed body of a 2xx answer, throws FlightdeckError otherwise. */
  async call<T>(method: Dispatcher.HttpMethod, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const response = await this.send(method, path, options);
    const text = await response.body.text();
    if (response.statusCode >= 400) throw errorFromResponse(response.statusCode, text, method, path);
    return { status: response.statusCode, headers: flatHeaders(response.headers), body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Raw bytes of a 2xx answer. */
  async bytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await this.send('GET', path, { signal });
    if (response.statusCode >= 400) throw errorFromResponse(response.statusCode, await response.body.text(), 'GET', path);
    return new Uint8Array(await response.body.arrayBuffer());
  }

  /** Opens a long-lived response (SSE); the caller reads and closes its body. */
  async stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const response = await this.send('GET', path, { headers: { accept: 'text/event-stream', ...headers }, signal });
    if (response.statusCode >= 400) throw errorFromResponse(response.statusCode, await response.body.text(), 'GET', path);
    return response;
  }

  close(): void {
    void this.agent.close();
  }

  private async send(method: Dispatcher.HttpMethod, path: string, options: CallOptions): Promise<Dispatcher.ResponseData> {
    const first = await this.attempt(method, path, options);
    if (!first.retry) return first.response;
    const fresh = await this.rediscover().catch(() => undefined);
    if (!fresh) return this.giveUp(first);
    this.connection = fresh;
    const second = await this.attempt(method, path, options);
    return second.retry ? this.giveUp(second) : second.response;
  }

  private async attempt(method: Dispatcher.HttpMethod, path: string, options: CallOptions): Promise<Attempt> {
    const { url, token } = this.connection;
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw?.();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.agent.request({ origin: url, path, method, headers, body, signal: options.signal });
      if (response.statusCode !== 401) return { retry: false, response };
      return { retry: true, response, reason: await response.body.text() };
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

type Attempt = { retry: false; response: Dispatcher.ResponseData } | { retry: true; response?: Dispatcher.ResponseData; reason: string };

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return error instanceof undiciErrors.SocketError || (code !== undefined && CONNECTION_ERROR_CODES.has(code));
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

function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
