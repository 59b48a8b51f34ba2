// The one domain model shared by every layer: platform, providers, rollout logic, CLI and UI.
// Plain data (JSON-serialisable) plus a few pure helpers over it. No I/O here.

export type EnvironmentKind = 'production' | 'staging' | 'personal';
export const ENVIRONMENT_KINDS: readonly EnvironmentKind[] = ['production', 'staging', 'personal'];

export interface Environment {
  name: string;
  kind: EnvironmentKind;
  /** Protected environments need an explicit confirmation to delete. */
  protected: boolean;
  owner?: string;
  branch?: string;
  /**
   * The project (flightdeck.yaml's `project:`) that made it. One platform or cloud account holds
   * many projects' environments: env prune and the editor's stale marks judge only their own.
   */
  project?: string;
  /** ISO 8601. */
  created: string;
  /** ISO 8601 of the latest deploy into it (a published version or an unchanged redeploy). */
  lastDeploy?: string;
  /** ISO 8601 of the latest gateway request to any of its functions (saved at most every few seconds). */
  lastRequest?: string;
}

/** The latest activity of an environment (deploy or request), else its creation: what idleness counts from. */
export function lastActivity(env: Pick<Environment, 'created' | 'lastDeploy' | 'lastRequest'>): string {
  return [env.created, env.lastDeploy, env.lastRequest].filter((t): t is string => t !== undefined).sort().at(-1)!;
}

/**
 * Whether the environment is `project`'s: it records that project, or none (made before
 * environments recorded their project, so it may be anyone's).
 */
export function belongsToProject(env: Pick<Environment, 'project'>, project: string | undefined): boolean {
  return env.project === undefined || env.project === project;
}

export type RuntimeKind = 'nodejs' | 'custom';

/**
 * How a function is called. Absent: Flightdeck's own handler model (a parsed event object) or
 * plain HTTP on $PORT. `fc3`: Alibaba Cloud Function Compute 3.0's conventions, so code written
 * for FC runs unchanged (see src/platform/runtime/fc3.ts).
 */
export type EventStyle = 'fc3';
export const EVENT_STYLES: readonly EventStyle[] = ['fc3'];

export interface InstanceLimits {
  /** Instances kept warm even when idle (0 = scale to zero). */
  min: number;
  max: number;
  /** In-flight requests one instance takes before another starts. */
  concurrency: number;
  /** Idle time before an instance above `min` stops. */
  idleTimeoutMs: number;
}

/**
 * What a function gets for the settings flightdeck.yaml or an API body leaves out; the project
 * file reader and the platform's input checks both use these.
 */
export const FUNCTION_DEFAULTS: Readonly<{ instances: Readonly<InstanceLimits>; timeoutMs: number }> = {
  instances: { min: 0, max: 4, concurrency: 16, idleTimeoutMs: 5 * 60_000 },
  timeoutMs: 30_000,
};

/** The longest timeoutMs a function may have (1 h); the platform refuses more. */
export const MAX_TIMEOUT_MS = 60 * 60_000;

/** The memory sizes a function may declare, in MB (FC 3.0's memorySize range). */
export const MEMORY_MB_RANGE = { min: 64, max: 32_768 } as const;

/** What a version runs: everything from flightdeck.yaml the platform needs. */
export interface FunctionConfig {
  runtime: RuntimeKind;
  /** nodejs: `<file>.<export>`, e.g. `index.handler`. */
  handler?: string;
  /** custom: argv of a program serving HTTP on $PORT. */
  command?: string[];
  instances: InstanceLimits;
  env: Record<string, string>;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Calling convention; absent means Flightdeck's own. */
  events?: EventStyle;
  /** Declared memory size in MB, reported to the function (FC's memorySize); not enforced locally. */
  memoryMb?: number;
  /** custom: a path that must answer 2xx/3xx before the version counts as started (e.g. `/healthz`). */
  healthPath?: string;
  /** How long a new instance may take to start (load its handler, listen, answer healthPath); default 15 s. */
  startTimeoutMs?: number;
}

/** The start timeout when a function sets none. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;

/** One file of a function's code, as sent in an upload manifest. */
export interface ManifestEntry {
  /** POSIX relative path, no `..`, no leading `/`. */
  path: string;
  sha256: string;
  size: number;
  /** Unix permission bits, e.g. 0o644 or 0o755. */
  mode: number;
}

export type VersionHealth = 'unknown' | 'healthy' | 'unhealthy';

/** An immutable snapshot of code + config, numbered 1, 2, 3 … per function per environment. */
export interface Version {
  id: number;
  environment: string;
  function: string;
  /** Content hash of the code tree (sha256 of the canonical manifest). */
  tree: string;
  config: FunctionConfig;
  description?: string;
  branch?: string;
  commit?: string;
  created: string;
  fileCount: number;
  codeSize: number;
  health: VersionHealth;
  /**
   * Why the version is unhealthy (it did not start, or crash-loops), in the function's own terms
   * (`index.js:3: SyntaxError: …`), never the engine's internal paths.
   */
  healthReason?: string;
  /** When `health` last changed (ISO 8601); a rollout only rolls back for a change during it. */
  healthUpdated?: string;
}

/**
 * Proof that a version can take traffic, which a deploy (and a rollout start) gets before any
 * alias moves to it. Each provider uses its engine's own readiness: the local platform starts an
 * instance (a nodejs handler loads and exports its function; a custom command listens on $PORT
 * and answers `healthPath`), Knative waits for the revision's `Ready` condition, FC invokes the
 * new version.
 */
export interface StartCheck {
  started: boolean;
  /** How it was proved, for people: `handler index.handler loaded`, `revision Ready`. */
  how: string;
  /** When it did not start: why, with the function's own file:line. */
  reason?: string;
}

/** What a deploy did to the default alias (`live`), so every client can say it plainly. */
export interface LiveChange {
  /** `moved`: live now sends everything to the deployed version; `kept`: it already did; `held`: live did not move. */
  outcome: 'moved' | 'kept' | 'held';
  /** live's primary before the deploy (absent on a function's first deploy). */
  previousVersion?: number;
  /** Why live was held: production deploys move no traffic, a rollout moves live, or the version did not start. */
  reason?: 'production' | 'rollout' | 'notStarted';
  /** The rollout moving live, when `reason` is `rollout`. */
  rollout?: string;
}

export const DEFAULT_ALIAS = 'live';

/** Function Compute / Lambda alias semantics: the primary gets what the others leave. */
export interface Alias {
  name: string;
  versionId: number;
  /** Version id (as a string key) → weight in [0, 1]. */
  additionalVersionWeight: Record<string, number>;
  description?: string;
  /** Opaque; send it back as If-Match to update. */
  etag: string;
  updated: string;
}

export type AliasUpdate = Pick<Alias, 'versionId' | 'additionalVersionWeight'> & { description?: string };

export type InstanceState = 'starting' | 'ready' | 'draining' | 'stopping' | 'crashed';

export interface Instance {
  id: string;
  /** Stable slot number; an in-place upgrade keeps the slot and changes the version. */
  slot: number;
  versionId: number;
  state: InstanceState;
  pid?: number;
  port?: number;
  inFlight: number;
  started: string;
  restarts: number;
}

export interface VersionMetrics {
  versionId: number;
  windowMs: number;
  requests: number;
  /** 5xx responses, including gateway-made 502/503/504. */
  errors: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface FunctionSummary {
  environment: string;
  name: string;
  config: FunctionConfig;
  latestVersion?: number;
  aliases: Alias[];
  instances: Instance[];
  /** Stable URL served by the default alias. */
  url: string;
  rollout?: Rollout;
}

// ---- Rollouts -------------------------------------------------------------------------------

export type RolloutStrategy = 'canary' | 'batch';
export type RolloutStatus =
  | 'running'
  | 'paused'
  | 'waiting' // batch, manual: waiting for Continue
  | 'succeeded'
  /** Reached 100% without one step having had enough requests (minRequests) to judge the version. */
  | 'completedUnverified'
  | 'rolledBack'
  | 'aborted';

export interface RolloutGates {
  /** Highest acceptable 5xx rate of the new version over a step, 0–1. */
  maxErrorRate: number;
  /** Highest acceptable p95 latency of the new version over a step. */
  maxP95Ms: number;
  /** Requests the new version must have served in a step before it is judged. */
  minRequests: number;
}

export interface RolloutSpec {
  strategy: RolloutStrategy;
  alias: string;
  /** The version being rolled out. */
  toVersion: number;
  /** canary: traffic percentages per step, ending at 100. */
  steps?: number[];
  /** canary: time each step runs before it is judged; batch: wait between batches (auto). */
  intervalMs: number;
  gates: RolloutGates;
  /** batch: number of batches. */
  batches?: number;
  /** batch: wait for Continue between batches instead of intervalMs. */
  manual?: boolean;
  /** batch: `inPlace` upgrades existing slots; `recreate` starts new ones and stops the old. */
  mode?: 'inPlace' | 'recreate';
}

export interface GateReading {
  requests: number;
  errorRate: number;
  p95Ms: number;
  /** Why the engine's metrics could not be read (refused, throttled, unreachable): the step is ungated. */
  ungated?: string;
}

export interface Rollout {
  id: string;
  environment: string;
  function: string;
  spec: RolloutSpec;
  /** The version that had 100% when the rollout started; rollback returns to it. */
  fromVersion: number;
  status: RolloutStatus;
  /** Index into the plan's steps (canary) or batches (batch), 0-based. */
  step: number;
  totalSteps: number;
  /** Current share of traffic on toVersion, 0–100. */
  percent: number;
  stepStarted: string;
  started: string;
  ended?: string;
  /** Latest gate figures of the new version. */
  reading?: GateReading;
  /** Why it rolled back or was aborted, with the figures. */
  reason?: string;
  /** Why the latest step moved on, e.g. without a verdict because too few requests came in. */
  note?: string;
  /** batch: the instance count (instances.min) the batches were planned for. */
  instances?: number;
  /** Steps the gates judged with at least minRequests requests; none at the end means completedUnverified. */
  verifiedSteps?: number;
  /** Why the gates of the latest step could not be read: it advanced by time, ungated. */
  ungated?: string;
}

// ---- Events ---------------------------------------------------------------------------------

export type PlatformEventType =
  | 'environment.created'
  | 'environment.deleted'
  | 'function.updated'
  | 'code.updated'
  | 'version.published'
  | 'version.health'
  | 'alias.updated'
  | 'instance.up'
  | 'instance.down'
  | 'rollout.updated'
  | 'platform.started';

export interface PlatformEvent {
  /** Monotonic per platform run; SSE `id`. */
  seq: number;
  type: PlatformEventType;
  time: string;
  environment?: string;
  function?: string;
  versionId?: number;
  alias?: Alias;
  instance?: Instance;
  rollout?: Rollout;
  version?: Version;
}

// ---- Pure helpers ---------------------------------------------------------------------------

export interface TrafficShare {
  versionId: number;
  /** 0–1. */
  weight: number;
}

/** The alias's traffic split, primary first, then additional versions by descending weight. */
export function trafficSplit(alias: Pick<Alias, 'versionId' | 'additionalVersionWeight'>): TrafficShare[] {
  const extra = Object.entries(alias.additionalVersionWeight)
    .map(([id, weight]) => ({ versionId: Number(id), weight }))
    .filter((s) => s.weight > 0 && s.versionId !== alias.versionId)
    .sort((a, b) => b.weight - a.weight || b.versionId - a.versionId);
  const rest = extra.reduce((sum, s) => sum + s.weight, 0);
  return [{ versionId: alias.versionId, weight: Math.max(0, 1 - rest) }, ...extra];
}

/**
 * Weight as a percentage for display, with the fewest decimals (up to 4) that read within 0.5% of
 * the value: `10%`, `33.3%`, and a small or large share never reads `0%` or `100%` (`0.001%`).
 */
export function formatPercent(weight: number): string {
  const pct = weight * 100;
  let text = pct.toFixed(0);
  for (let digits = 1; digits <= 4 && !readsAs(Number(text), pct); digits++) text = pct.toFixed(digits);
  return `${Number(text)}%`;
}

function readsAs(shown: number, pct: number): boolean {
  if ((shown === 0 || shown === 100) && Math.abs(shown - pct) > 1e-9) return false;
  return Math.abs(shown - pct) <= Math.abs(pct) * 0.005 + 1e-9;
}

/** `live → v12 90% · v13 10%` */
export function describeAlias(alias: Pick<Alias, 'name' | 'versionId' | 'additionalVersionWeight'>): string {
  const parts = trafficSplit(alias).map((s) => `v${s.versionId} ${formatPercent(s.weight)}`);
  return `${alias.name} → ${parts.join(' · ')}`;
}

/**
 * Why a canary weight cannot go to `version` on this alias, or undefined: the primary already
 * gets what the others leave, so a weight for it between 0 and 100% means nothing.
 */
export function canaryProblem(alias: Pick<Alias, 'name' | 'versionId' | 'additionalVersionWeight'>, version: number, weight: number): string | undefined {
  if (version !== alias.versionId || weight <= 0 || weight >= 1) return undefined;
  return (
    `v${version} is ${alias.name}'s primary: it gets what the other versions leave (now ${formatPercent(trafficSplit(alias)[0].weight)}), ` +
    `so it takes no canary weight. Give another version the weight, or promote one.`
  );
}

/** What an alias change replaced: `v3's 10% → v5's 30%`, `v5 10% → 30%`, `v5 gets 30%`, `canary removed`. */
export function describeSplitChange(
  before: Pick<Alias, 'versionId' | 'additionalVersionWeight'>,
  after: Pick<Alias, 'versionId' | 'additionalVersionWeight'>,
): string {
  const extras = (alias: typeof before) => trafficSplit(alias).slice(1);
  const was = extras(before);
  const now = extras(after);
  const list = (shares: TrafficShare[], possessive: boolean) =>
    shares.map((s) => `v${s.versionId}${possessive ? "'s" : ''} ${formatPercent(s.weight)}`).join(' + ');
  if (was.length === 0 && now.length === 0) return before.versionId === after.versionId ? 'unchanged' : `v${before.versionId} → v${after.versionId}`;
  const primary = before.versionId === after.versionId ? '' : `primary v${before.versionId} → v${after.versionId}; `;
  if (was.length === 0) return `${primary}v${now.map((s) => s.versionId).join(', v')} gets ${now.map((s) => formatPercent(s.weight)).join(' + ')}`;
  if (now.length === 0) return `${primary}canary ${list(was, false)} removed`;
  const same = was.length === 1 && now.length === 1 && was[0].versionId === now[0].versionId;
  if (same) return `${primary}v${now[0].versionId} ${formatPercent(was[0].weight)} → ${formatPercent(now[0].weight)}`;
  return `${primary}${list(was, true)} → ${list(now, true)}`;
}

/** An alias update that sends `weight` (0–1) to `canary` and the rest to `primary`. */
export function canaryUpdate(primary: number, canary: number, weight: number): AliasUpdate {
  if (canary === primary || weight <= 0) return { versionId: primary, additionalVersionWeight: {} };
  if (weight >= 1) return { versionId: canary, additionalVersionWeight: {} };
  return { versionId: primary, additionalVersionWeight: { [String(canary)]: weight } };
}

/**
 * How many of `min` provisioned instances each version the alias serves keeps: split by weight
 * (largest remainder, the primary first on ties), and every served version keeps at least one
 * while `min` allows, so a small canary is not left to cold starts.
 */
export function provisionedSplit(alias: Pick<Alias, 'versionId' | 'additionalVersionWeight'>, min: number): Map<number, number> {
  const shares = trafficSplit(alias).filter((s) => s.weight > 0);
  // The epsilon keeps 0.3 × 10 = 2.9999… from losing an instance to floating point.
  const exact = shares.map((s) => s.weight * min + 1e-9);
  const counts = exact.map(Math.floor);
  let left = min - counts.reduce((sum, n) => sum + n, 0);
  const byRemainder = shares.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  counts.forEach((count, i) => {
    const richest = counts.indexOf(Math.max(...counts));
    if (count === 0 && counts[richest] > 1) {
      counts[richest]--;
      counts[i]++;
    }
  });
  return new Map(shares.map((s, i) => [s.versionId, counts[i]]));
}

/** What a garbage collection of the local platform's state folder freed, or would free (dry run). */
export interface GarbageReport {
  dryRun: boolean;
  /** Versions pruned past their environment kind's retention. */
  versions: number;
  pruned: { environment: string; function: string; versions: number[] }[];
  blobs: { count: number; bytes: number };
  trees: { count: number; bytes: number };
  /** Working folders of versions that are gone or that nothing serves or runs. */
  codeFolders: { count: number; bytes: number };
  freedBytes: number;
}
