// Input checks for the control API. Each failure is a BAD_REQUEST naming the field and saying
// what a good value looks like; nothing here touches state.
import { createHash } from 'node:crypto';
import { FlightdeckError } from '../errors';
import {
  ENVIRONMENT_KINDS,
  EVENT_STYLES,
  FUNCTION_DEFAULTS,
  MAX_TIMEOUT_MS,
  MEMORY_MB_RANGE,
  type AliasUpdate,
  type EnvironmentKind,
  type EventStyle,
  type FunctionConfig,
  type InstanceLimits,
  type ManifestEntry,
} from '../model';
import type { NewEnvironment } from '../provider';
import { isDnsLabel } from '../config/names';

/** Never all digits: `/fn/env/fn:12/` means version 12, not an alias. */
const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HANDLER = /^[^\s]+\.[A-Za-z_$][\w$]*$/;


function bad(field: string, message: string): FlightdeckError {
  return new FlightdeckError('BAD_REQUEST', message, { field });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) throw bad(field, `${field} must be a JSON object.`);
  return value;
}

export function checkDnsName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isDnsLabel(value)) {
    throw bad(
      field,
      `${field} ${JSON.stringify(value)} is not DNS-safe: use 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
    );
  }
  return value;
}

export function checkAliasName(value: unknown, field = 'alias'): string {
  if (typeof value !== 'string' || !ALIAS_NAME.test(value)) {
    throw bad(field, `Alias name ${JSON.stringify(value)} is invalid: use a lowercase letter, then up to 62 lowercase letters, digits, '-' or '_'.`);
  }
  return value;
}

export function checkSha256(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SHA256.test(value)) {
    throw bad(field, `${field} must be a sha256 digest: 64 lowercase hex characters.`);
  }
  return value;
}

/** Most bytes a deploy may carry inline in `blobs` (decoded); larger code is uploaded blob by blob first. */
export const MAX_INLINE_BLOB_BYTES = 1024 * 1024;

/** A deploy's `blobs`: sha256 → the file's bytes in base64, each checked against its digest. */
export function checkInlineBlobs(value: unknown): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  if (value === undefined || value === null) return blobs;
  if (!isRecord(value)) throw bad('blobs', 'blobs must be a JSON object of sha256 → the file\'s bytes in base64.');
  let total = 0;
  for (const [sha256, encoded] of Object.entries(value)) {
    const field = `blobs.${sha256.slice(0, 12)}`;
    checkSha256(sha256, field);
    if (typeof encoded !== 'string') throw bad(field, `${field} must be the file's bytes in base64.`);
    const bytes = Buffer.from(encoded, 'base64');
    total += bytes.length;
    if (total > MAX_INLINE_BLOB_BYTES) {
      throw new FlightdeckError('PAYLOAD_TOO_LARGE', `The blobs sent inline come to over ${MAX_INLINE_BLOB_BYTES} bytes; upload larger files with PUT /v1/blobs/<sha256> and leave them out of blobs.`, { field: 'blobs' });
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== sha256) {
      throw bad(field, `${field}: the bytes sent hash to ${digest}, not ${sha256}; send each file under its own sha256 (did it change during the deploy? deploy again).`);
    }
    blobs.set(sha256, bytes);
  }
  return blobs;
}

export function optionalString(body: Record<string, unknown>, key: string, field = key): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(field, `${field} must be a string.`);
  return value;
}

export function checkNewEnvironment(raw: unknown): NewEnvironment {
  const body = requireObject(raw, 'body');
  const kind = body.kind;
  if (typeof kind !== 'string' || !ENVIRONMENT_KINDS.includes(kind as EnvironmentKind)) {
    throw bad('kind', `kind must be one of ${ENVIRONMENT_KINDS.join(', ')}.`);
  }
  if (body.protected !== undefined && typeof body.protected !== 'boolean') {
    throw bad('protected', 'protected must be true or false.');
  }
  return {
    name: checkDnsName(body.name, 'name'),
    kind: kind as EnvironmentKind,
    protected: body.protected === true,
    owner: optionalString(body, 'owner'),
    branch: optionalString(body, 'branch'),
    project: optionalString(body, 'project'),
  };
}

/** A relative POSIX path that stays inside the code tree. */
export function checkManifestPath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw bad(field, `${field}: a file path must be a non-empty string.`);
  const shown = JSON.stringify(value);
  if (value.includes('\0')) throw bad(field, `Path ${shown} contains a NUL character.`);
  if (value.includes('\\')) throw bad(field, `Path ${shown} contains a backslash; use '/' between folders.`);
  if (value.startsWith('/')) throw bad(field, `Path ${shown} is absolute; paths must be relative to the function's folder.`);
  for (const segment of value.split('/')) {
    if (segment === '') throw bad(field, `Path ${shown} has an empty segment ('//' or a trailing '/').`);
    if (segment === '.' || segment === '..') throw bad(field, `Path ${shown} has a '${segment}' segment; paths may not leave or re-enter folders.`);
  }
  return value;
}

function checkNonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw bad(field, `${field} must be a whole number ≥ 0.`);
  }
  return value;
}

export function checkManifestEntry(raw: unknown, field: string): ManifestEntry {
  const entry = requireObject(raw, field);
  const mode = entry.mode === undefined ? 0o644 : checkNonNegativeInteger(entry.mode, `${field}.mode`);
  if (mode > 0o777) throw bad(`${field}.mode`, `${field}.mode must be permission bits (0–0o777).`);
  return {
    path: checkManifestPath(entry.path, `${field}.path`),
    sha256: checkSha256(entry.sha256, `${field}.sha256`),
    size: checkNonNegativeInteger(entry.size, `${field}.size`),
    mode,
  };
}

export function checkManifestList(raw: unknown, field: string): ManifestEntry[] {
  if (!Array.isArray(raw)) throw bad(field, `${field} must be an array of manifest entries.`);
  return raw.map((entry, i) => checkManifestEntry(entry, `${field}[${i}]`));
}

/** No two entries with one path, and no path that is both a file and a folder. */
export function checkTreeShape(entries: readonly ManifestEntry[]): void {
  const files = new Set<string>();
  for (const { path } of entries) {
    if (files.has(path)) throw bad('files', `Path ${JSON.stringify(path)} appears twice in the manifest.`);
    files.add(path);
  }
  for (const { path } of entries) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/');
      if (files.has(folder)) {
        throw bad('files', `Path ${JSON.stringify(folder)} is a file, but ${JSON.stringify(path)} needs it to be a folder.`);
      }
    }
  }
}

function integerIn(value: unknown, field: string, min: number, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw bad(field, `${field} must be a whole number ${range}.`);
  }
  return value;
}

/** Omitted settings take flightdeck.yaml's defaults, so API clients and the CLI get the same function. */
function checkInstances(raw: unknown): InstanceLimits {
  const defaults = FUNCTION_DEFAULTS.instances;
  const body = raw === undefined ? {} : requireObject(raw, 'config.instances');
  const min = integerIn(body.min, 'config.instances.min', 0, defaults.min);
  const max = integerIn(body.max, 'config.instances.max', 1, Math.max(min, defaults.max));
  if (min > max) throw bad('config.instances.min', `config.instances.min (${min}) exceeds config.instances.max (${max}).`);
  return {
    min,
    max,
    concurrency: integerIn(body.concurrency, 'config.instances.concurrency', 1, defaults.concurrency),
    idleTimeoutMs: integerIn(body.idleTimeoutMs, 'config.instances.idleTimeoutMs', 0, defaults.idleTimeoutMs),
  };
}

function checkEnvVars(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  const body = requireObject(raw, 'config.env');
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(body).sort()) {
    if (!ENV_VAR.test(key)) throw bad(`config.env.${key}`, `Environment variable name ${JSON.stringify(key)} is invalid: use letters, digits and '_', not starting with a digit.`);
    if (typeof body[key] !== 'string') throw bad(`config.env.${key}`, `config.env.${key} must be a string.`);
    sorted[key] = body[key] as string;
  }
  return sorted;
}

type EntryPoint = Pick<FunctionConfig, 'runtime' | 'handler' | 'command'>;

function checkEntryPoint(body: Record<string, unknown>): EntryPoint {
  if (body.runtime === 'nodejs') {
    const handler = body.handler ?? 'index.handler';
    if (typeof handler !== 'string' || !HANDLER.test(handler)) {
      throw bad('config.handler', 'config.handler must look like <file>.<export>, e.g. index.handler.');
    }
    return { runtime: 'nodejs', handler };
  }
  if (body.runtime === 'custom') {
    const command = body.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string' && part !== '')) {
      throw bad('config.command', 'config.command must be a non-empty array of strings (the program and its arguments).');
    }
    return { runtime: 'custom', command: [...(command as string[])] };
  }
  throw bad('config.runtime', 'config.runtime must be "nodejs" or "custom".');
}

/**
 * A complete config with defaults filled in and keys in one fixed order, so two deploys of the
 * same settings compare equal as JSON.
 */
export function normaliseConfig(raw: unknown): FunctionConfig {
  const body = requireObject(raw, 'config');
  return {
    ...checkEntryPoint(body),
    instances: checkInstances(body.instances),
    env: checkEnvVars(body.env),
    timeoutMs: integerIn(body.timeoutMs, 'config.timeoutMs', 1, FUNCTION_DEFAULTS.timeoutMs, MAX_TIMEOUT_MS),
    ...checkCallingConvention(body),
    ...checkStartSettings(body),
  };
}

/** The optional `events` and `memoryMb`, present in the result only when given. */
function checkCallingConvention(body: Record<string, unknown>): Pick<FunctionConfig, 'events' | 'memoryMb'> {
  const checked: Pick<FunctionConfig, 'events' | 'memoryMb'> = {};
  if (body.events !== undefined) {
    if (!EVENT_STYLES.includes(body.events as EventStyle)) {
      throw bad('config.events', `config.events must be ${EVENT_STYLES.map((s) => JSON.stringify(s)).join(' or ')}, or left out.`);
    }
    checked.events = body.events as EventStyle;
  }
  if (body.memoryMb !== undefined) {
    checked.memoryMb = integerIn(body.memoryMb, 'config.memoryMb', MEMORY_MB_RANGE.min, 0, MEMORY_MB_RANGE.max);
  }
  return checked;
}

/** healthPath (custom only, an absolute path) and startTimeoutMs; left out when not set, so older configs compare equal. */
function checkStartSettings(body: Record<string, unknown>): Pick<FunctionConfig, 'healthPath' | 'startTimeoutMs'> {
  const out: Pick<FunctionConfig, 'healthPath' | 'startTimeoutMs'> = {};
  if (body.healthPath !== undefined) {
    if (body.runtime !== 'custom') throw bad('config.healthPath', 'config.healthPath applies to runtime custom only (a nodejs handler is checked by loading it).');
    if (typeof body.healthPath !== 'string' || !/^\/[^\s]*$/.test(body.healthPath)) {
      throw bad('config.healthPath', 'config.healthPath must be a path starting with /, e.g. /healthz.');
    }
    out.healthPath = body.healthPath;
  }
  if (body.startTimeoutMs !== undefined) out.startTimeoutMs = integerIn(body.startTimeoutMs, 'config.startTimeoutMs', 1, 0, MAX_TIMEOUT_MS);
  return out;
}

/** Alias updates: the primary and every weighted key an existing version, weights 0–1 summing ≤ 1. */
export function checkAliasUpdate(raw: unknown, versionExists: (id: number) => boolean): AliasUpdate {
  const body = requireObject(raw, 'body');
  const versionId = body.versionId;
  if (typeof versionId !== 'number' || !Number.isSafeInteger(versionId) || !versionExists(versionId)) {
    throw bad('versionId', `versionId ${JSON.stringify(versionId)} is not an existing version of this function.`);
  }
  const weights = body.additionalVersionWeight === undefined ? {} : body.additionalVersionWeight;
  if (!isRecord(weights)) throw bad('additionalVersionWeight', 'additionalVersionWeight must be an object of version id → weight.');
  const checked: Record<string, number> = {};
  let sum = 0;
  for (const [key, weight] of Object.entries(weights)) {
    const field = `additionalVersionWeight.${key}`;
    if (!/^[1-9]\d*$/.test(key) || !versionExists(Number(key))) {
      throw bad(field, `${field}: ${JSON.stringify(key)} is not an existing version of this function.`);
    }
    if (Number(key) === versionId) throw bad(field, `${field}: version ${key} is already the primary (versionId); list other versions only.`);
    if (typeof weight !== 'number' || !Number.isFinite(weight)) throw bad(field, `${field} must be a number between 0 and 1.`);
    if (weight < 0 || weight > 1) throw bad(field, `${field} is ${weight}; a weight must be between 0 and 1.`);
    checked[key] = weight;
    sum += weight;
  }
  // A tolerance for sums like 0.1 + 0.2 that land a hair above a legitimate total.
  if (sum > 1 + 1e-9) throw bad('additionalVersionWeight', `additionalVersionWeight sums to ${sum}; the weights must sum to at most 1.`);
  const description = optionalString(body, 'description');
  return { versionId, additionalVersionWeight: checked, ...(description !== undefined ? { description } : {}) };
}

/** A query parameter that must be a whole number when present. */
export function queryInteger(query: URLSearchParams, name: string, min: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw bad(name, `Query parameter ${name} must be a whole number ≥ ${min}.`);
  return value;
}

export function pathInteger(text: string, field: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw bad(field, `${field} must be a positive whole number, not ${JSON.stringify(text)}.`);
  return Number(text);
}
