// flightdeck.yaml: the project file. `parseProjectFile` collects every problem with its line and
// column (the editor shows them all at once); `loadProjectFile` reads from disk and throws
// CONFIG_INVALID listing them. Paths in the result are absolute; durations are milliseconds.
//
//   project: shop
//   functions: { api: { runtime: nodejs, code: ./api, handler: index.handler, … } }
//   environments: { production: { kind: production, protected: true } }
//   personal: { name: "{user}-{branch}", ttl: 7d }

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { newLineCounter, parseDocument } from './yaml';
import { FlightdeckError } from '../errors';
import { ENVIRONMENT_KINDS, EVENT_STYLES, FUNCTION_DEFAULTS, MAX_TIMEOUT_MS, MEMORY_MB_RANGE, type EnvironmentKind, type EventStyle, type FunctionConfig, type InstanceLimits, type RuntimeKind } from '../model';
import type { ImageSource } from '../provider';
import type { ProviderSelection } from '../providers/kinds';
import { isDnsLabel, PROJECT_FILE_NAME } from './names';
import { readProviderBlock } from './providerBlock';
import { readDuration, readRolloutDefaults, type RolloutDefaults } from './rolloutDefaults';
import { YamlReader, type Located, type MapEntry, type Problem } from './yamlReader';

export type { Problem } from './yamlReader';
export type { RolloutDefaults } from './rolloutDefaults';

export { PROJECT_FILE_NAME };

export interface ProjectFunction {
  name: string;
  config: FunctionConfig;
  /** Absolute folder holding the function's code. */
  code: string;
  /** Gitignore-style patterns of files not to upload. */
  ignore: string[];
  rollout?: RolloutDefaults;
  /** The container image it runs on engines that run images (Knative); the local platform runs `code`. */
  image?: ImageSource;
  /** 1-based line of the function's key, for code lenses. */
  line: number;
}

export interface DeclaredEnvironment {
  name: string;
  kind: EnvironmentKind;
  protected: boolean;
}

export interface ProjectConfig {
  /** Absolute path of the flightdeck.yaml. */
  file: string;
  project: string;
  functions: ProjectFunction[];
  environments: DeclaredEnvironment[];
  personal: PersonalSettings;
  /** The `provider:` block: where the environments live; absent means the local platform. */
  provider?: ProviderSelection;
}

export interface PersonalSettings {
  /** Name template of a branch's personal environment. */
  name: string;
  /** `personal.ttl`: idle longer than this (no deploy, no request), a personal environment is stale. */
  ttlMs?: number;
}

export interface ParsedProjectFile {
  /** Present only when there are no problems. */
  project?: ProjectConfig;
  problems: Problem[];
}

export const PROJECT_KEYS = ['project', 'functions', 'environments', 'personal', 'provider'] as const;
export const FUNCTION_KEYS = ['runtime', 'code', 'handler', 'command', 'healthPath', 'events', 'memory', 'image', 'build', 'instances', 'timeout', 'startTimeout', 'env', 'ignore', 'rollout'] as const;
export const INSTANCE_KEYS = ['min', 'max', 'concurrency', 'idleTimeout'] as const;
export const ENVIRONMENT_KEYS = ['kind', 'protected'] as const;
export const PERSONAL_KEYS = ['name', 'ttl'] as const;
export const RUNTIMES: readonly RuntimeKind[] = ['nodejs', 'custom'];

export const DEFAULT_INSTANCES: Readonly<InstanceLimits> = FUNCTION_DEFAULTS.instances;
export const DEFAULT_TIMEOUT_MS = FUNCTION_DEFAULTS.timeoutMs;
/** The platform refuses a timeout under 1 ms (`timeout: 0s` would never let a request run). */
const MIN_TIMEOUT_MS = 1;
/** A TTL under a minute would call an environment stale while it is being deployed. */
const MIN_TTL_MS = 60_000;
export const DEFAULT_PERSONAL_NAME = '{user}-{branch}';

const HANDLER = /^[^.\s]+(\.[^.\s]+)*\.[A-Za-z_$][\w$]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParseOptions {
  /** The provider the project deploys to: `knative` runs images, so every function needs `image:` or `build:`. */
  provider?: string;
  /**
   * false: a code folder that does not exist is no problem (default true). Only a deploy reads
   * the code; deleting or pruning environments, a URL or logs must work before a build made it.
   */
  requireCode?: boolean;
}

/** Engines that run container images rather than the code folder. */
const IMAGE_PROVIDERS = new Set(['knative']);
/** `registry/name[:tag][@sha256:…]`, as `docker pull` takes it. */
const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

export function parseProjectFile(text: string, filePath: string, options: ParseOptions = {}): ParsedProjectFile {
  const lines = newLineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const reader = new YamlReader(doc, lines);
  for (const error of doc.errors) {
    reader.reportRange([error.pos[0], error.pos[1]], '', `YAML syntax error: ${firstLine(error.message)}`);
  }
  if (doc.errors.length > 0) return { problems: reader.problems };

  const root: Located = { node: doc.contents as Located['node'], anchor: null, path: '' };
  const project = readProject(reader, root, resolve(filePath), options);
  if (reader.problems.length === 0) return { project, problems: [] };
  return { problems: [...reader.problems].sort((a, b) => a.line - b.line || a.column - b.column) };
}

/** Reads and parses a flightdeck.yaml; NO_PROJECT when absent, CONFIG_INVALID listing every problem. */
export function loadProjectFile(filePath: string, options: ParseOptions = {}): ProjectConfig {
  let file = resolve(filePath);
  if (!existsSync(file)) {
    throw new FlightdeckError('NO_PROJECT', `No ${PROJECT_FILE_NAME} at ${file}. Create one, or pass --config PATH.`, { file });
  }
  // A folder names the project file inside it.
  if (statSync(file).isDirectory()) {
    const inside = join(file, PROJECT_FILE_NAME);
    if (!existsSync(inside)) throw new FlightdeckError('NO_PROJECT', `${file} is a folder without a ${PROJECT_FILE_NAME}; pass the project file or its folder.`, { file });
    file = inside;
  }
  const { project, problems } = parseProjectFile(readFileSync(file, 'utf8'), file, options);
  if (project) return project;
  const [first] = problems;
  const list = problems.map((p) => `  ${file}:${p.line}:${p.column}: ${p.message}`).join('\n');
  throw new FlightdeckError('CONFIG_INVALID', `${file} has ${problems.length} problem(s):\n${list}`, {
    file,
    line: first.line,
    column: first.column,
    field: first.path || undefined,
  });
}

function readProject(reader: YamlReader, root: Located, file: string, options: ParseOptions): ProjectConfig | undefined {
  const entries = reader.map(root, PROJECT_KEYS);
  if (!entries) return undefined;
  const projectEntry = reader.required(entries, 'project', root, 'the project name, e.g. `project: shop`');
  const functionsEntry = reader.required(entries, 'functions', root, 'at least one function to deploy');
  const project = projectEntry && readName(reader, projectEntry, 'project name');
  const provider = entries.get('provider') && readProviderBlock(reader, entries.get('provider')!);
  // The engine deployed to decides whether functions need an image: a flag beats the block.
  const deployTarget = { ...options, provider: options.provider ?? provider?.kind };
  const functions = functionsEntry && readFunctions(reader, functionsEntry, dirname(file), deployTarget);
  const environments = optional(entries, 'environments', [], (e) => readEnvironments(reader, e));
  const personal = optional(entries, 'personal', { name: DEFAULT_PERSONAL_NAME }, (e) => readPersonal(reader, e));
  if (project === undefined || functions === undefined || environments === undefined || personal === undefined) return undefined;
  if (entries.has('provider') && provider === undefined) return undefined;
  return { file, project, functions, environments, personal, ...(provider ? { provider } : {}) };
}

function readFunctions(reader: YamlReader, at: Located, baseDir: string, options: ParseOptions): ProjectFunction[] | undefined {
  const entries = reader.map(at);
  if (!entries) return undefined;
  if (entries.size === 0) reader.report(at, '`functions` is empty: declare at least one function, e.g. `api: { runtime: nodejs, code: ./api, handler: index.handler }`.');
  const functions = [...entries.values()].map((entry) => readFunction(reader, entry, baseDir, options));
  return functions.every((f) => f !== undefined) ? (functions as ProjectFunction[]) : undefined;
}

function readFunction(reader: YamlReader, at: MapEntry, baseDir: string, options: ParseOptions): ProjectFunction | undefined {
  const name = readName(reader, { ...at, node: at.anchor }, 'function name');
  const entries = reader.map(at, FUNCTION_KEYS);
  if (!entries) return undefined;
  const runtimeEntry = reader.required(entries, 'runtime', at, `one of ${RUNTIMES.join(', ')}`);
  const codeEntry = reader.required(entries, 'code', at, 'the folder holding the code, relative to flightdeck.yaml, e.g. `./api`');
  const runtime = runtimeEntry && readRuntime(reader, runtimeEntry);
  const code = codeEntry && readCodeFolder(reader, codeEntry, baseDir, options.requireCode ?? true);
  const entrypoint = runtime && readEntrypoint(reader, entries, at, runtime);
  const instances = optional(entries, 'instances', { ...DEFAULT_INSTANCES }, (e) => readInstances(reader, e));
  const timeoutMs = optional(entries, 'timeout', DEFAULT_TIMEOUT_MS, (e) => readDuration(reader, e, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS));
  const start = readStartSettings(reader, entries, runtime);
  const env = optional(entries, 'env', {}, (e) => readEnv(reader, e));
  const ignore = optional(entries, 'ignore', [], (e) => readStrings(reader, e, 'gitignore-style patterns'));
  const rollout = optional(entries, 'rollout', undefined, (e) => readRolloutDefaults(reader, e));
  const events = optional(entries, 'events', undefined, (e) => readEvents(reader, e));
  const memoryMb = optional(entries, 'memory', undefined, (e) => reader.integer(e, MEMORY_MB_RANGE.min, MEMORY_MB_RANGE.max));
  const image = readImage(reader, entries, at, options.provider);
  if (rollout?.strategy === 'batch' && instances && instances.min < 1) {
    reader.report(entries.get('rollout')!, `A batch rollout upgrades provisioned instances: set \`${at.path}.instances.min\` to at least 1, or use strategy canary.`);
  }
  if ([name, runtime, code, entrypoint, instances, timeoutMs, start, env, ignore].includes(undefined) || image === null) return undefined;
  const invalid = (key: string, value: unknown): boolean => entries.has(key) && value === undefined;
  if (invalid('rollout', rollout) || invalid('events', events) || invalid('memory', memoryMb)) return undefined;
  const config: FunctionConfig = {
    runtime: runtime!,
    ...entrypoint,
    instances: instances!,
    env: env!,
    timeoutMs: timeoutMs!,
    ...start,
    ...(events ? { events } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
  };
  const line = reader.lineOf(at.anchor);
  return { name: name!, config, code: code!, ignore: ignore!, line, ...(rollout ? { rollout } : {}), ...(image ? { image } : {}) };
}

/**
 * `image: registry/name@sha256:…` or `build: <command that pushes an image and prints it>`; one
 * of them is required on a provider that runs images. undefined: neither; null: a problem.
 */
function readImage(reader: YamlReader, entries: Map<string, MapEntry>, fn: MapEntry, provider: string | undefined): ImageSource | undefined | null {
  const imageEntry = entries.get('image');
  const buildEntry = entries.get('build');
  if (imageEntry && buildEntry) {
    reader.report(buildEntry, `Give \`${fn.path}\` either \`image\` or \`build\`, not both: \`build\` prints the image it pushed.`);
    return null;
  }
  if (imageEntry) {
    const image = reader.string(imageEntry);
    if (image === undefined) return null;
    if (!IMAGE_REFERENCE.test(image)) {
      reader.report(imageEntry, `\`${imageEntry.path}\` must be an image reference, e.g. registry.example.com/team/api@sha256:<digest> or registry.example.com/team/api:1.2.`);
      return null;
    }
    return { image };
  }
  if (buildEntry) {
    const build = reader.string(buildEntry);
    if (build === undefined) return null;
    if (!build.trim()) {
      reader.report(buildEntry, `\`${buildEntry.path}\` must be a command that builds and pushes an image and prints its reference, e.g. \`ko build --bare .\`.`);
      return null;
    }
    return { build };
  }
  if (provider && IMAGE_PROVIDERS.has(provider)) {
    reader.report({ ...fn, node: fn.anchor },
      `Function ${fn.key} runs on ${provider}, which runs container images: add \`image: <registry>/<name>@sha256:<digest>\` or \`build: <command that builds, pushes and prints the image>\` (e.g. \`ko build --bare .\`) under ${fn.key}.`);
    return null;
  }
  return undefined;
}

function readRuntime(reader: YamlReader, at: Located): RuntimeKind | undefined {
  const value = reader.scalar(at);
  if (RUNTIMES.includes(value as RuntimeKind)) return value as RuntimeKind;
  reader.report(at, `\`${at.path}\` must be one of ${RUNTIMES.join(', ')}, not ${JSON.stringify(value ?? null)}.`);
  return undefined;
}

function readEvents(reader: YamlReader, at: Located): EventStyle | undefined {
  const value = reader.scalar(at);
  if (EVENT_STYLES.includes(value as EventStyle)) return value as EventStyle;
  reader.report(at, `\`${at.path}\` must be ${EVENT_STYLES.join(' or ')} (call the function as Function Compute 3.0 does), not ${JSON.stringify(value ?? null)}; leave it out for Flightdeck's own handler model.`);
  return undefined;
}

/** nodejs needs `handler: file.export`; custom needs `command: [program, args…]`. */
function readEntrypoint(
  reader: YamlReader,
  entries: Map<string, MapEntry>,
  fn: Located,
  runtime: RuntimeKind,
): Pick<FunctionConfig, 'handler' | 'command'> | undefined {
  const [wanted, unwanted] = runtime === 'nodejs' ? ['handler', 'command'] : ['command', 'handler'];
  if (entries.has(unwanted)) {
    reader.report(entries.get(unwanted)!, `\`${unwanted}\` does not apply to runtime ${runtime}: use \`${wanted}\` instead.`);
  }
  if (runtime === 'nodejs') {
    const entry = reader.required(entries, 'handler', fn, 'the exported function to call, as `<file>.<export>`, e.g. `index.handler`');
    const handler = entry && reader.string(entry);
    if (entry && handler !== undefined && !HANDLER.test(handler)) {
      reader.report(entry, `\`${entry.path}\` must be \`<file>.<export>\`, e.g. \`index.handler\` for exports.handler in index.js.`);
      return undefined;
    }
    return handler === undefined ? undefined : { handler };
  }
  const entry = reader.required(entries, 'command', fn, 'the program to run, as a list, e.g. `[node, server.js]`; it must serve HTTP on $PORT');
  const command = entry && readStrings(reader, entry, 'strings, e.g. [node, server.js]');
  if (entry && command && command.length === 0) {
    reader.report(entry, `\`${entry.path}\` must name a program to run, e.g. [node, server.js].`);
    return undefined;
  }
  return command === undefined ? undefined : { command };
}

/** `healthPath` (custom: must answer 2xx/3xx before the version counts as started) and `startTimeout`. */
function readStartSettings(
  reader: YamlReader,
  entries: Map<string, MapEntry>,
  runtime: RuntimeKind | undefined,
): Pick<FunctionConfig, 'healthPath' | 'startTimeoutMs'> | undefined {
  const out: Pick<FunctionConfig, 'healthPath' | 'startTimeoutMs'> = {};
  const health = entries.get('healthPath');
  if (health) {
    const path = reader.string(health);
    if (runtime === 'nodejs') {
      reader.report(health, `\`${health.path}\` applies to runtime custom only; a nodejs handler is checked by loading it.`);
      return undefined;
    }
    if (path === undefined || !/^\/\S*$/.test(path)) {
      if (path !== undefined) reader.report(health, `\`${health.path}\` must be a path starting with /, e.g. /healthz.`);
      return undefined;
    }
    out.healthPath = path;
  }
  const timeout = entries.get('startTimeout');
  if (timeout) {
    const ms = readDuration(reader, timeout, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
    if (ms === undefined) return undefined;
    out.startTimeoutMs = ms;
  }
  return out;
}

function readCodeFolder(reader: YamlReader, at: Located, baseDir: string, mustExist: boolean): string | undefined {
  const relative = reader.string(at);
  if (relative === undefined) return undefined;
  const folder = resolve(baseDir, relative);
  if (mustExist && (!existsSync(folder) || !statSync(folder).isDirectory())) {
    reader.report(at, `Code folder \`${relative}\` does not exist (looked for ${folder}). Create it or fix \`${at.path}\`.`);
    return undefined;
  }
  return folder;
}

function readInstances(reader: YamlReader, at: Located): InstanceLimits | undefined {
  const entries = reader.map(at, INSTANCE_KEYS);
  if (!entries) return undefined;
  const min = optional(entries, 'min', DEFAULT_INSTANCES.min, (e) => reader.integer(e, 0, 1000));
  const max = optional(entries, 'max', DEFAULT_INSTANCES.max, (e) => reader.integer(e, 1, 1000));
  const concurrency = optional(entries, 'concurrency', DEFAULT_INSTANCES.concurrency, (e) => reader.integer(e, 1, 10_000));
  const idleTimeoutMs = optional(entries, 'idleTimeout', DEFAULT_INSTANCES.idleTimeoutMs, (e) => readDuration(reader, e));
  if (min === undefined || max === undefined || concurrency === undefined || idleTimeoutMs === undefined) return undefined;
  if (min > max) {
    reader.report(entries.get('min') ?? entries.get('max') ?? at, `\`${at.path}.min\` (${min}) must not exceed \`${at.path}.max\` (${max}).`);
    return undefined;
  }
  return { min, max, concurrency, idleTimeoutMs };
}

function readEnv(reader: YamlReader, at: Located): Record<string, string> | undefined {
  const entries = reader.map(at);
  if (!entries) return undefined;
  const env: Record<string, string> = {};
  let valid = true;
  for (const entry of entries.values()) {
    const value = reader.scalar(entry);
    if (!ENV_NAME.test(entry.key)) {
      reader.report({ ...entry, node: entry.anchor }, `Environment variable name \`${entry.key}\` must be letters, digits and _ and not start with a digit.`);
      valid = false;
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      env[entry.key] = String(value);
    } else {
      reader.report(entry, `\`${entry.path}\` must be a string, number or boolean (quote it to be sure).`);
      valid = false;
    }
  }
  return valid ? env : undefined;
}

function readEnvironments(reader: YamlReader, at: Located): DeclaredEnvironment[] | undefined {
  const entries = reader.map(at);
  if (!entries) return undefined;
  const environments = [...entries.values()].map((entry) => readEnvironment(reader, entry));
  return environments.every((e) => e !== undefined) ? (environments as DeclaredEnvironment[]) : undefined;
}

function readEnvironment(reader: YamlReader, at: MapEntry): DeclaredEnvironment | undefined {
  const name = readName(reader, { ...at, node: at.anchor }, 'environment name');
  const entries = reader.map(at, ENVIRONMENT_KEYS);
  if (!entries) return undefined;
  const kindEntry = reader.required(entries, 'kind', at, `one of ${ENVIRONMENT_KINDS.join(', ')}`);
  let kind: EnvironmentKind | undefined;
  if (kindEntry) {
    const value = reader.scalar(kindEntry);
    if (ENVIRONMENT_KINDS.includes(value as EnvironmentKind)) kind = value as EnvironmentKind;
    else reader.report(kindEntry, `\`${kindEntry.path}\` must be one of ${ENVIRONMENT_KINDS.join(', ')}.`);
  }
  const isProtected = optional(entries, 'protected', kind === 'production', (e) => reader.boolean(e));
  if (name === undefined || kind === undefined || isProtected === undefined) return undefined;
  return { name, kind, protected: isProtected };
}

function readPersonal(reader: YamlReader, at: Located): PersonalSettings | undefined {
  const entries = reader.map(at, PERSONAL_KEYS);
  if (!entries) return undefined;
  const name = optional(entries, 'name', DEFAULT_PERSONAL_NAME, (entry) => readNameTemplate(reader, entry));
  const ttlMs = optional(entries, 'ttl', undefined, (entry) => readDuration(reader, entry, MIN_TTL_MS));
  if (name === undefined || (entries.has('ttl') && ttlMs === undefined)) return undefined;
  return ttlMs === undefined ? { name } : { name, ttlMs };
}

function readNameTemplate(reader: YamlReader, entry: MapEntry): string | undefined {
  const template = reader.string(entry);
  if (template !== undefined && !template.includes('{branch}')) {
    reader.report(entry, `\`${entry.path}\` must contain {branch} so each branch gets its own environment, e.g. "{user}-{branch}".`);
    return undefined;
  }
  return template;
}

function readStrings(reader: YamlReader, at: Located, what: string): string[] | undefined {
  const items = reader.sequence(at, what);
  if (!items) return undefined;
  const strings = items.map((item) => reader.string(item));
  return strings.every((s) => s !== undefined) ? (strings as string[]) : undefined;
}

/** A DNS-safe name, read from a key or a value. */
function readName(reader: YamlReader, at: Located, what: string): string | undefined {
  const value = reader.scalar(at);
  const name = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  if (name !== undefined && isDnsLabel(name)) return name;
  reader.report(at, `Invalid ${what} ${JSON.stringify(value ?? '')}: use lowercase letters, digits and dashes (a DNS label, at most 63 characters, no leading or trailing dash).`);
  return undefined;
}

/** The value read from `key` when the mapping has it, else the default. */
function optional<T>(entries: Map<string, MapEntry>, key: string, fallback: T, read: (entry: MapEntry) => T | undefined): T | undefined {
  const entry = entries.get(key);
  return entry ? read(entry) : fallback;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
