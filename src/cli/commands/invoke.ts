// `flightdeck invoke [--env E] [--function F] [--data TEXT|@file] [--alias A | --version V]
// [--path /p] [--method M]`: one request through the gateway, as a client would send it. Prints
// the status, the version that served it and the body; exits 1 when the answer is a 5xx.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlightdeckError } from '../../errors';
import { stringOption, UsageError, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { servedUrl } from '../servedUrl';
import { versionNumberOption, versionOption } from '../versionOption';

const VERSION_HEADER = 'x-flightdeck-version';
/** The methods a function's HTTP trigger takes. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'Call a function once and print the status, serving version and body',
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    data: { type: 'string', valueName: 'TEXT|@FILE', description: 'Request body (POST unless --method says otherwise); @file reads a file' },
    alias: { type: 'string', valueName: 'A', description: 'Through this alias (default live)' },
    version: { type: 'string', valueName: 'V', description: 'Exactly this version: N, vN, latest or previous' },
    path: { type: 'string', valueName: '/PATH', description: 'Path and query after the function URL (default /)' },
    method: { type: 'string', valueName: 'M', description: 'HTTP method (default GET, or POST with --data)' },
  },
  async run(context) {
    const alias = stringOption(context.values, 'alias');
    if (alias !== undefined && versionOption(context.values) !== undefined) throw new UsageError('Give --alias or --version, not both.');
    const path = stringOption(context.values, 'path') ?? '/';
    if (!path.startsWith('/')) throw new UsageError(`--path must start with /, not ${JSON.stringify(path)}.`);
    // URLs resolve dot segments: /../../other-env/fn would call another environment's function.
    const segments = path.split(/[?#]/)[0].split('/').map((segment) => segment.replace(/%2e/gi, '.'));
    if (segments.some((segment) => segment === '.' || segment === '..')) {
      throw new UsageError(`--path ${JSON.stringify(path)} has a . or .. segment, which would leave the function's URL; give the path under it.`);
    }
    const body = requestBody(context.cwd, stringOption(context.values, 'data'));
    const method = (stringOption(context.values, 'method') ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
    if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, not ${JSON.stringify(stringOption(context.values, 'method'))}.`);
    if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
      throw new UsageError(`A ${method} request has no body: leave out --data, or send it with --method POST, PUT or PATCH.`);
    }
    const provider = await context.provider();
    const ref = await functionTarget(context);
    const version = await versionNumberOption(context.values, provider, ref.environment, ref.function);
    const base = await servedUrl(provider, ref.environment, ref.function, { alias, version });
    const url = base.replace(/\/$/, '') + path;
    const response = await fetch(url, { method, body, signal: context.signal }).catch((error: Error) => {
      throw new FlightdeckError('UNAVAILABLE', `Could not reach ${url}: ${error.message}`);
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = utf8(bytes);
    const served = Number(response.headers.get(VERSION_HEADER)) || undefined;
    // Bytes that are not UTF-8 (an image, a gzip) go to JSON as base64, as gateways' events carry them.
    const result = { status: response.status, version: served, url, ...(text === undefined ? { body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true } : { body: text }) };
    const head = `${response.status} ${response.statusText} from v${served ?? '?'}`;
    // A server error is the function's answer all the same (printed, --json alike), and fails the command.
    const failure = response.status >= 500 ? { exitCode: 1, message: `${ref.environment}/${ref.function} answered ${response.status}.` } : undefined;
    return { data: result, ...(text === undefined ? { text: head, bytes } : { text: `${head}\n${text}` }), ...(failure ? { failure } : {}) };
  },
};

function requestBody(cwd: string, data: string | undefined): Buffer | string | undefined {
  if (data === undefined || !data.startsWith('@')) return data;
  const file = resolve(cwd, data.slice(1));
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`--data ${data}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}
