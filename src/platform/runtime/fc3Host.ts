// Inside a warm Node.js host: one HTTP request turned into the call FC 3.0's built-in Node.js
// runtime makes for an HTTP trigger, and the handler's result turned back into the HTTP answer
// the way FC maps it ("Use an HTTP trigger to invoke a function",
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function).
import { isUtf8 } from 'node:buffer';
import type { Fc3Function } from './fc3';

/** The request as the host received it; `rawHeaders` is the flat name/value list. */
export interface Fc3Request {
  method: string;
  url: string;
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface Fc3Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
}

/** The request struct (event), "Request struct" section of the page above. */
export interface Fc3HttpEvent {
  version: 'v1';
  /** URL-encoded path. */
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  /** Canonical keys (Go's net/http), repeats joined with commas. */
  headers: Record<string, string>;
  /** Decoded names and values, repeats joined with commas. */
  queryParameters: Record<string, string>;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    /** RFC 3339 in whole seconds, e.g. 2023-09-05T06:41:11Z. */
    time: string;
    /** Milliseconds since the epoch, as a string. */
    timeEpoch: string;
  };
}

type Log = (...items: unknown[]) => void;

/**
 * The context object ("Context" for Node.js,
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/context-1-1).
 */
export interface Fc3Context {
  requestId: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { logProject: string; logStore: string; qualifier: string; versionId: string };
  region: string;
  accountId: string;
  logger: { debug: Log; info: Log; warn: Log; error: Log; log: Log };
}

export type Fc3Handler = (event: Buffer, context: Fc3Context, callback: (error?: unknown, result?: unknown) => void) => unknown;

export function fc3Event(request: Fc3Request, fn: Fc3Function, requestId: string, now = Date.now()): Fc3HttpEvent {
  const { url, body } = request;
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const queryParameters: Record<string, string> = {};
  if (q >= 0) {
    for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
      queryParameters[key] = key in queryParameters ? `${queryParameters[key]},${value}` : value;
    }
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = canonicalHeaderKey(request.rawHeaders[i]);
    const value = request.rawHeaders[i + 1];
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const host = headers.Host ?? 'localhost';
  // The body is base64 when it is binary, text otherwise ("body" and "isBase64Encoded" rows).
  const text = isUtf8(body);
  return {
    version: 'v1',
    rawPath,
    body: body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
    headers,
    queryParameters,
    requestContext: {
      accountId: fn.accountId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method,
        path: decodePath(rawPath),
        protocol: 'HTTP/1.1',
        sourceIp: headers['X-Forwarded-For']?.split(',')[0].trim() ?? '127.0.0.1',
        userAgent: headers['User-Agent'] ?? '',
      },
      requestId,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now),
    },
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's textproto.CanonicalMIMEHeaderKey, which FC applies to header keys ("Why does the first
 * letter of the header key become uppercase…",
 * https://www.alibabacloud.com/help/en/functioncompute/fc/why-does-the-first-letter-of-header-key-become-uppercase-when-using-http-trigger-call):
 * the first letter and each letter after a hyphen upper case, the rest lower case; a key with a
 * character outside HTTP's token set stays as it is.
 */
export function canonicalHeaderKey(key: string): string {
  if (!TOKEN.test(key)) return key;
  let out = '';
  let upper = true;
  for (const char of key) {
    out += upper ? char.toUpperCase() : char.toLowerCase();
    upper = char === '-';
  }
  return out;
}

function decodePath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

export function fc3Context(fn: Fc3Function, requestId: string, env: NodeJS.ProcessEnv): Fc3Context {
  const log =
    (level: string, write: Log): Log =>
    (...items) =>
      // FC's log line: time, request id, [level], message.
      write(`${new Date().toISOString()} ${requestId} [${level}]`, ...items);
  return {
    requestId,
    credentials: {
      accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? '',
      accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? '',
      securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN ?? '',
    },
    function: { name: fn.name, handler: fn.handler, memory: fn.memoryMb, timeout: fn.timeoutSeconds },
    service: { logProject: '', logStore: '', qualifier: String(fn.version), versionId: String(fn.version) },
    region: fn.region,
    accountId: fn.accountId,
    logger: {
      debug: log('debug', console.log),
      info: log('info', console.log),
      log: log('info', console.log),
      warn: log('warn', console.error),
      error: log('error', console.error),
    },
  };
}

/**
 * Calls the handler both ways FC's Node.js runtime allows: callback(error, result), or a returned
 * promise (an async handler). A handler that takes no callback and returns a plain value answers
 * with that value.
 */
export function invokeFc3(handler: Fc3Handler, event: Buffer, context: Fc3Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error?: unknown, result?: unknown): void => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    };
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      return callback(error);
    }
    if (isThenable(returned)) returned.then((result) => callback(null, result), (error: unknown) => callback(error ?? new Error('rejected')));
    else if (handler.length < 3) callback(null, returned);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * The result as FC maps it ("Response struct"): an object with a numeric statusCode (returned as
 * an object or as its JSON text) is the response; anything else is the body of a 200 with
 * content-type application/json, byte for byte.
 */
export function fc3Answer(result: unknown): Fc3Answer {
  const struct = responseStruct(result);
  if (!struct) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: resultBytes(result) };
  }
  const { statusCode } = struct;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
    throw new Error(`the handler returned statusCode ${statusCode}; return an integer HTTP status from 100 to 999`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(struct.headers ?? {})) {
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  const { body } = struct;
  let bytes: Buffer | string;
  if (body === undefined || body === null) bytes = '';
  else if (typeof body === 'string') bytes = struct.isBase64Encoded ? Buffer.from(body, 'base64') : body;
  else bytes = resultBytes(body);
  return { status: statusCode, headers, body: bytes };
}

interface ResponseStruct {
  statusCode: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
}

function responseStruct(result: unknown): ResponseStruct | undefined {
  let value = result;
  if (typeof result === 'string' || Buffer.isBuffer(result)) {
    const text = result.toString();
    if (!text.trimStart().startsWith('{')) return undefined;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return undefined;
  return typeof (value as ResponseStruct).statusCode === 'number' ? (value as ResponseStruct) : undefined;
}

/** What FC's runtime sends for a returned value: strings and bytes as they are, anything else as JSON. */
function resultBytes(value: unknown): Buffer | string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return JSON.stringify(value);
}

/** FC's answer to an unhandled error: 500 with the runtime's error body ("errorMessage", "errorType", "stackTrace"). */
export function fc3ErrorAnswer(error: unknown): Fc3Answer {
  const err = error instanceof Error ? error : new Error(String(error));
  const body = { errorMessage: err.message, errorType: err.name, stackTrace: (err.stack ?? '').split('\n').slice(1).map((line) => line.trim()) };
  return {
    status: 500,
    headers: { 'content-type': 'application/json', 'x-fc-error-type': 'UnhandledInvocationError' },
    body: JSON.stringify(body),
  };
}
