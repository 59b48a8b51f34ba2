// Runs inside a warm Node.js runtime process: listens on a loopback port straight away (so a cold
// start only pays for loading the user's code), then on `load` becomes one function version and
// turns each request (HTTP on its port, or a frame from the gateway) into a handler(event, context)
// call.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { FromChildMessage, LoadMessage, PrimeMessage } from './protocol';
import { signalGroup } from './groups';
import { frameServer, type HostReply, type HostRequest } from './frameHost';
import { FrameClient } from './frameClient';
import { HOP_BY_HOP, SEPARATOR } from './frames';
import { fc3Answer, fc3Context, fc3ErrorAnswer, fc3Event, invokeFc3, type Fc3Handler } from './fc3Host';
import { describeUserError } from './userError';

export interface FunctionEvent {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
  isBase64Encoded: boolean;
}

export interface FunctionContext {
  requestId: string;
  functionName: string;
  environment: string;
  version: number;
}

interface FunctionResult {
  statusCode: number;
  headers?: Record<string, string | string[]>;
  body?: unknown;
  isBase64Encoded?: boolean;
}

type Handler = (event: FunctionEvent, context: FunctionContext) => unknown;

interface LoadedFunction {
  handler: Handler;
  message: LoadMessage;
}

const MODULE_EXTENSIONS = ['.js', '.cjs', '.mjs'];

// esbuild would turn a literal import() into require(); ES modules need the real loader.
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

export function runFunctionHost(): void {
  let loaded: LoadedFunction | undefined;
  // Answers the host's own priming request; gone before the platform hears the host listens.
  let primer: LoadedFunction | undefined = PRIMER;
  const server = createServer((req, res) => {
    if (loaded) serve(loaded, req, res);
    else sendReply(res, notLoaded());
  });
  server.keepAliveTimeout = 65_000;
  // The gateway's lean path: frames over a persistent socket, no HTTP parsing on either side.
  const frames = frameServer((request) => {
    const fn = loaded ?? primer;
    return (fn ? call(fn, request) : Promise.resolve(notLoaded())).then(toHostReply);
  });
  const port = (s: { address(): unknown }): number => (s.address() as AddressInfo).port;
  let listening = 0;
  const announce = (): void => {
    if (++listening < 2) return;
    primeLoading();
    void prime(port(frames)).finally(() => {
      primer = undefined;
      send({ type: 'listening', port: port(server), framePort: port(frames) });
    });
  };
  server.listen(0, '127.0.0.1', announce);
  frames.listen(0, '127.0.0.1', announce);
  // The platform owns this process: when its IPC channel goes (even after kill -9), go too, with
  // every process the function started (this process leads their group).
  process.on('disconnect', () => {
    signalGroup(process.pid, 'SIGKILL');
    process.exit(0);
  });
  process.on('message', (message: LoadMessage | PrimeMessage) => {
    // A prime has done its work by arriving (protocol.ts).
    if (message.type !== 'load' || loaded) return;
    loadFunction(message).then(
      (handler) => {
        loaded = { handler, message };
        send({ type: 'loaded' });
      },
      (error: unknown) => send({ type: 'failed', message: describeUserError(error, message.codeDir) }),
    );
  });
}

const PRIMER: LoadedFunction = {
  handler: (event) => ({ statusCode: 200, headers: { 'x-primed': event.query.q ?? '' }, body: event.body }),
  message: { type: 'load', codeDir: '', handler: 'primer.handler', env: {}, functionName: 'primer', environment: 'primer', version: 0 },
};

/**
 * Sends one request through this host's own frame socket and waits for its answer. V8 compiles a
 * function on its first call: done here, while the host is a spare, a deployed function's first
 * request no longer pays about 6 ms of CPU for the compiling of the request path it walks.
 */
async function prime(framePort: number): Promise<void> {
  const client = new FrameClient(framePort);
  // Priming is an optimisation: a host that cannot prime still serves, so a failure just ends it.
  await new Promise<void>((resolve) => client.open({ answered: () => resolve(), failed: () => resolve() }, ['POST', '/?q=1', 'content-type', 'text/plain'].join(SEPARATOR), true));
  await client.destroy();
}

/**
 * Walks the first steps of a load (a chdir, looking for a handler's file) once while the host is a
 * spare: their first call compiles them, about 0.3 ms of CPU a deploy's start then skips. To `/`,
 * which always exists (the folder the platform was started in may be gone); a load changes to the
 * function's own folder anyway.
 */
function primeLoading(): void {
  process.chdir('/');
  handlerFile(__dirname, 'flightdeck-primer');
}

/** The handler's module file: `base` with the first of MODULE_EXTENSIONS that exists. */
function handlerFile(codeDir: string, base: string): string | undefined {
  return MODULE_EXTENSIONS.map((ext) => join(codeDir, base + ext)).find((f) => existsSync(f));
}

async function loadFunction(message: LoadMessage): Promise<Handler> {
  process.chdir(message.codeDir);
  Object.assign(process.env, message.env);
  const dot = message.handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler "${message.handler}" must be <file>.<export>, e.g. index.handler`);
  const base = message.handler.slice(0, dot);
  const exportName = message.handler.slice(dot + 1);
  const file = handlerFile(message.codeDir, base);
  if (!file) throw new Error(`handler "${message.handler}": no ${base}.js, ${base}.cjs or ${base}.mjs in the code`);
  const mod = await loadModule(file);
  const handler = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') {
    throw new Error(`handler "${message.handler}": ${base} does not export a function named "${exportName}"`);
  }
  return handler as Handler;
}

async function loadModule(file: string): Promise<Record<string, unknown>> {
  if (file.endsWith('.mjs')) return (await importModule(pathToFileURL(file).href)) as Record<string, unknown>;
  try {
    return require(file) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    return (await importModule(pathToFileURL(file).href)) as Record<string, unknown>;
  }
}

function serve(fn: LoadedFunction, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
    void call(fn, request).then((reply) => sendReply(res, reply));
  });
}

/** The handler's result for one request; a handler that throws or returns nonsense is a 500. */
async function call(fn: LoadedFunction, request: HostRequest): Promise<Reply> {
  if (fn.message.fc3) return callFc3(fn, request);
  const context: FunctionContext = {
    requestId: randomUUID(),
    functionName: fn.message.functionName,
    environment: fn.message.environment,
    version: fn.message.version,
  };
  try {
    return toReply(await fn.handler(toEvent(request), context));
  } catch (error) {
    console.error(`handler ${fn.message.handler} failed (request ${context.requestId}): ${errorText(error)}`);
    return textReply(500, `The function's handler threw an error (request ${context.requestId}); see its logs.`);
  }
}

/** FC 3.0's built-in Node.js runtime's call for an HTTP trigger (see fc3Host.ts). */
async function callFc3(fn: LoadedFunction, request: HostRequest): Promise<Reply> {
  const meta = fn.message.fc3!;
  const requestId = randomUUID();
  try {
    const event = Buffer.from(JSON.stringify(fc3Event(request, meta, requestId)));
    const result = await invokeFc3(fn.handler as unknown as Fc3Handler, event, fc3Context(meta, requestId, process.env));
    return fc3Answer(result);
  } catch (error) {
    console.error(`${new Date().toISOString()} ${requestId} [error] handler ${fn.message.handler} failed: ${errorText(error)}`);
    return fc3ErrorAnswer(error);
  }
}

function toEvent(request: HostRequest): FunctionEvent {
  const { url, body } = request;
  const q = url.indexOf('?');
  const query: Record<string, string> = {};
  if (q >= 0) {
    for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
      query[key] = key in query ? `${query[key]},${value}` : value;
    }
  }
  const text = isUtf8(body);
  return {
    method: request.method,
    path: q >= 0 ? url.slice(0, q) : url,
    query,
    headers: request.headers,
    body: body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
}

function toReply(result: unknown): Reply {
  if (typeof result === 'string') return textReply(200, result);
  if (result === undefined || result === null) return { status: 204, headers: {}, body: '' };
  if (!isFunctionResult(result)) return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  const { statusCode } = result;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
    throw new Error(`the handler returned statusCode ${statusCode}; return an integer HTTP status from 100 to 999`);
  }
  const headers = { ...result.headers };
  let body: Buffer | string;
  if (result.body === undefined || result.body === null) body = '';
  else if (typeof result.body === 'string') body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  else {
    body = JSON.stringify(result.body);
    headers['content-type'] ??= 'application/json';
  }
  return { status: statusCode, headers, body };
}

/** For the gateway's frame socket: flat headers (the gateway adds content-length). */
function toHostReply(reply: Reply): HostReply {
  const headers: string[] = [];
  for (const [name, value] of Object.entries(reply.headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'content-length') continue;
    if (Array.isArray(value)) for (const item of value) headers.push(lower, String(item));
    else headers.push(lower, String(value));
  }
  return { status: reply.status, headers, body: reply.body };
}

function isFunctionResult(value: unknown): value is FunctionResult {
  return typeof value === 'object' && value !== null && typeof (value as FunctionResult).statusCode === 'number';
}

function sendReply(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers).end(reply.body);
}

function notLoaded(): Reply {
  return textReply(503, 'This runtime process has not loaded a function yet.');
}

function textReply(status: number, text: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

function send(message: FromChildMessage): void {
  process.send?.(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
