// How Flightdeck's model maps onto FC 3.0's resources, FC-native wherever FC has the concept:
// - environment = the functions named `<env>--<fn>`, tagged with the environment's labels;
// - version = an FC version, whose description carries branch@commit, the text and a
//   fingerprint of code + config (so an unchanged redeploy publishes nothing);
// - alias = an FC alias, additionalVersionWeight as is; the ETag is a hash of what the alias
//   says, checked just before UpdateAlias (FC 3.0's UpdateAlias takes no If-Match);
// - a client-driven rollout's state = a line in the description of the alias it moves.
// Pure: no I/O.

import { createHash } from 'node:crypto';
import { FlightdeckError } from '../../errors';
import { FUNCTION_DEFAULTS, type Alias, type Environment, type EnvironmentKind, type FunctionConfig, type ManifestEntry, type Rollout, type RolloutStatus } from '../../model';

export const NAME_SEPARATOR = '--';

export const TAGS = {
  environment: 'flightdeck-environment',
  kind: 'flightdeck-kind',
  owner: 'flightdeck-owner',
  branch: 'flightdeck-branch',
  project: 'flightdeck-project',
  protected: 'flightdeck-protected',
  created: 'flightdeck-created',
} as const;

export interface FcTag {
  key?: string;
  value?: string;
}

export function fcFunctionName(environment: string, fn: string): string {
  return `${environment}${NAME_SEPARATOR}${fn}`;
}

/** The Flightdeck function name of an FC function of `environment`, or undefined if it is not one. */
export function flightdeckFunctionName(environment: string, fcName: string): string | undefined {
  const prefix = `${environment}${NAME_SEPARATOR}`;
  return fcName.startsWith(prefix) ? fcName.slice(prefix.length) : undefined;
}

export function environmentTags(environment: Environment): FcTag[] {
  const tags: FcTag[] = [
    { key: TAGS.environment, value: environment.name },
    { key: TAGS.kind, value: environment.kind },
    { key: TAGS.protected, value: String(environment.protected) },
    { key: TAGS.created, value: environment.created },
  ];
  if (environment.owner) tags.push({ key: TAGS.owner, value: environment.owner });
  // Tag values cannot hold every branch name character FC refuses (e.g. none here), so kept as is.
  if (environment.branch) tags.push({ key: TAGS.branch, value: environment.branch });
  if (environment.project) tags.push({ key: TAGS.project, value: environment.project });
  return tags;
}

/** The environment a function's tags describe, or undefined for functions Flightdeck did not make. */
export function environmentOfTags(tags: readonly FcTag[] | undefined): Environment | undefined {
  const get = (key: string) => tags?.find((t) => t.key === key)?.value;
  const name = get(TAGS.environment);
  const kind = get(TAGS.kind) as EnvironmentKind | undefined;
  if (!name || !kind) return undefined;
  const env: Environment = { name, kind, protected: get(TAGS.protected) === 'true', created: get(TAGS.created) ?? '' };
  const owner = get(TAGS.owner);
  const branch = get(TAGS.branch);
  const project = get(TAGS.project);
  return { ...env, ...(owner ? { owner } : {}), ...(branch ? { branch } : {}), ...(project ? { project } : {}) };
}

// ---- Function configuration -----------------------------------------------------------------

/** FC's Node.js runtime the `nodejs` functions run on. */
export const NODE_RUNTIME = 'nodejs20';
export const CUSTOM_RUNTIME = 'custom.debian10';
/** FC's default port for custom runtimes (customRuntimeConfig.port); $PORT says it too. */
export const CUSTOM_PORT = 9000;
/** FC takes at most 200 concurrent requests per instance (instanceConcurrency). */
export const MAX_INSTANCE_CONCURRENCY = 200;
/** memorySize when flightdeck.yaml declares no `memory:` (FC's own default). */
export const MEMORY_MB = 512;

/** The fields of CreateFunctionInput/UpdateFunctionInput a FunctionConfig sets. */
export function fcFunctionInput(config: FunctionConfig): Record<string, unknown> {
  if (config.instances.concurrency > MAX_INSTANCE_CONCURRENCY) {
    throw new FlightdeckError('BAD_REQUEST', `instances.concurrency is ${config.instances.concurrency}, but FC takes at most ${MAX_INSTANCE_CONCURRENCY} concurrent requests per instance; lower it.`, { field: 'instances.concurrency' });
  }
  const common = {
    memorySize: config.memoryMb ?? MEMORY_MB,
    timeout: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    instanceConcurrency: config.instances.concurrency,
  };
  if (config.runtime === 'nodejs') {
    return { ...common, runtime: NODE_RUNTIME, handler: config.handler, environmentVariables: { ...config.env } };
  }
  const [command, ...args] = config.command ?? [];
  return {
    ...common,
    runtime: CUSTOM_RUNTIME,
    // FC requires a handler even for custom runtimes; it is not used.
    handler: 'index.handler',
    customRuntimeConfig: { command: [command], args, port: CUSTOM_PORT },
    environmentVariables: { PORT: String(CUSTOM_PORT), ...config.env },
  };
}

export interface FcFunctionShape {
  runtime?: string;
  handler?: string;
  timeout?: number;
  memorySize?: number;
  instanceConcurrency?: number;
  environmentVariables?: Record<string, string>;
  customRuntimeConfig?: { command?: string[]; args?: string[] };
}

export function configOfFunction(fn: FcFunctionShape): FunctionConfig {
  const instances = { ...FUNCTION_DEFAULTS.instances, concurrency: fn.instanceConcurrency ?? FUNCTION_DEFAULTS.instances.concurrency };
  const timeoutMs = (fn.timeout ?? FUNCTION_DEFAULTS.timeoutMs / 1000) * 1000;
  const env = { ...(fn.environmentVariables ?? {}) };
  // The default size reads back as no `memory:`, as flightdeck.yaml left it.
  const memory = fn.memorySize !== undefined && fn.memorySize !== MEMORY_MB ? { memoryMb: fn.memorySize } : {};
  if (fn.runtime?.startsWith('custom')) {
    delete env.PORT;
    const command = [...(fn.customRuntimeConfig?.command ?? []), ...(fn.customRuntimeConfig?.args ?? [])];
    return { runtime: 'custom', command, instances, env, timeoutMs, ...memory };
  }
  return { runtime: 'nodejs', handler: fn.handler, instances, env, timeoutMs, ...memory };
}

/** What decides whether a deploy is new: the files and the config (hex sha256). */
export function fingerprintOf(entries: readonly ManifestEntry[], config: FunctionConfig): string {
  const files = [...entries].sort((a, b) => (a.path < b.path ? -1 : 1)).map((e) => [e.path, e.sha256, e.mode]);
  return createHash('sha256').update(JSON.stringify({ files, config })).digest('hex');
}

// ---- Version descriptions -------------------------------------------------------------------

export interface VersionMeta {
  branch?: string;
  commit?: string;
  text?: string;
  /** First 16 hex digits of the fingerprint. */
  fingerprint?: string;
  fileCount?: number;
}

/** `feature/x@1a2b3c4: fix login [fd 0123456789abcdef 3]` — people read it in FC's console too. */
export function versionDescription(meta: VersionMeta): string {
  const origin = meta.branch || meta.commit ? `${meta.branch ?? ''}@${meta.commit ?? ''}` : '';
  const head = [origin, meta.text].filter(Boolean).join(': ');
  return `${head} [fd ${meta.fingerprint?.slice(0, 16) ?? ''} ${meta.fileCount ?? 0}]`.trim();
}

const DESCRIPTION = /^(?:(?<branch>[^@\s:]*)@(?<commit>[^:\s]*)(?::\s)?)?(?<text>.*?)\s*\[fd (?<fp>[0-9a-f]{16}) (?<n>\d+)\]$/s;

export function parseVersionDescription(description: string | undefined): VersionMeta {
  const match = DESCRIPTION.exec(description ?? '');
  if (!match?.groups) return { text: description || undefined };
  const { branch, commit, text, fp, n } = match.groups;
  return { branch: branch || undefined, commit: commit || undefined, text: text || undefined, fingerprint: fp, fileCount: Number(n) };
}

// ---- Aliases ----------------------------------------------------------------------------------

export interface FcAlias {
  aliasName?: string;
  versionId?: string;
  additionalVersionWeight?: Record<string, number>;
  description?: string;
  lastModifiedTime?: string;
}

const ROLLOUT_MARK = '\n#flightdeck-rollout ';

/** The people's part and the rollout state of an FC alias description. */
export function splitAliasDescription(description: string | undefined): { text?: string; rollout?: string } {
  const at = description?.indexOf(ROLLOUT_MARK) ?? -1;
  if (!description || at < 0) return { text: description || undefined };
  return { text: description.slice(0, at) || undefined, rollout: description.slice(at + ROLLOUT_MARK.length) };
}

export function joinAliasDescription(text: string | undefined, rollout: string | undefined): string {
  return `${text ?? ''}${rollout ? `${ROLLOUT_MARK}${rollout}` : ''}`;
}

export function aliasOf(fc: FcAlias): Alias {
  const weights = Object.fromEntries(Object.entries(fc.additionalVersionWeight ?? {}).filter(([, w]) => w > 0));
  const { text } = splitAliasDescription(fc.description);
  const alias: Alias = {
    name: fc.aliasName ?? '',
    versionId: Number(fc.versionId),
    additionalVersionWeight: weights,
    etag: etagOf(fc),
    updated: fc.lastModifiedTime ?? '',
  };
  return text === undefined ? alias : { ...alias, description: text };
}

/** FC keeps no ETag on aliases: a hash of everything the alias says stands in for one. */
export function etagOf(fc: FcAlias): string {
  const body = JSON.stringify([fc.versionId, fc.additionalVersionWeight ?? {}, fc.description ?? '', fc.lastModifiedTime ?? '']);
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
}

// ---- Rollout state ----------------------------------------------------------------------------

const STATUS_CODES: Record<RolloutStatus, string> = { running: 'R', paused: 'P', waiting: 'W', succeeded: 'S', completedUnverified: 'U', rolledBack: 'B', aborted: 'A' };
const MAX_TEXT = 90;

/** Compact JSON of a rollout for an alias description (FC limits description lengths). */
export function encodeRollout(rollout: Rollout): string {
  const { spec } = rollout;
  const seconds = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);
  return JSON.stringify({
    i: rollout.id,
    v: spec.toVersion,
    f: rollout.fromVersion,
    s: rollout.step,
    t: STATUS_CODES[rollout.status],
    p: rollout.percent,
    st: spec.steps,
    iv: spec.intervalMs,
    g: [spec.gates.maxErrorRate, spec.gates.maxP95Ms, spec.gates.minRequests],
    a: seconds(rollout.started),
    b: seconds(rollout.stepStarted),
    e: seconds(rollout.ended),
    r: rollout.reason?.slice(0, MAX_TEXT),
    n: rollout.note?.slice(0, MAX_TEXT),
    // What the gates saw: another client (or this one's next turn) must judge with the same figures.
    vs: rollout.verifiedSteps,
    rd: rollout.reading && [rollout.reading.requests, Math.round(rollout.reading.errorRate * 1e4) / 1e4, Math.round(rollout.reading.p95Ms)],
    u: rollout.ungated?.slice(0, MAX_TEXT),
  });
}

export function decodeRollout(text: string, environment: string, fn: string, alias: string): Rollout | undefined {
  let c: Record<string, any>;
  try {
    c = JSON.parse(text);
  } catch {
    return undefined;
  }
  const status = (Object.keys(STATUS_CODES) as RolloutStatus[]).find((s) => STATUS_CODES[s] === c.t);
  if (!status || typeof c.i !== 'string') return undefined;
  const iso = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000).toISOString());
  const rollout: Rollout = {
    id: c.i,
    environment,
    function: fn,
    spec: {
      strategy: 'canary',
      alias,
      toVersion: c.v,
      steps: c.st,
      intervalMs: c.iv,
      gates: { maxErrorRate: c.g[0], maxP95Ms: c.g[1], minRequests: c.g[2] },
    },
    fromVersion: c.f,
    status,
    step: c.s,
    totalSteps: (c.st as number[]).length,
    percent: c.p,
    started: iso(c.a)!,
    stepStarted: iso(c.b)!,
  };
  return {
    ...rollout,
    ...(c.e !== undefined ? { ended: iso(c.e) } : {}),
    ...(c.r ? { reason: c.r } : {}),
    ...(c.n ? { note: c.n } : {}),
    ...(typeof c.vs === 'number' ? { verifiedSteps: c.vs } : {}),
    ...(Array.isArray(c.rd) ? { reading: { requests: c.rd[0], errorRate: c.rd[1], p95Ms: c.rd[2] } } : {}),
    ...(c.u ? { ungated: c.u } : {}),
  };
}
