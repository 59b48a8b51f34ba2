// Knative Serving objects ↔ the Flightdeck model, pure (no I/O).
//
//   environment  = a Namespace labelled flightdeck.dev/environment (kind, protected as labels;
//                  owner, branch, project as annotations: a branch may hold characters labels refuse)
//   function     = a Knative Service (serving.knative.dev/v1)
//   version N    = the Revision `<fn>-v<N>`, annotated with branch, commit, description, tree hash
//   alias live   = the Service's spec.traffic: untagged entries, primary first, percents ↔ weights
//   other alias  = a traffic tag (one revision, 0%, its own URL)
//   instances    = the revision's pods
// Shapes: Knative Serving API reference, serving.knative.dev/v1 Service, Revision, TrafficTarget
// (https://knative.dev/docs/serving/reference/serving-api/); autoscaling annotations
// (https://knative.dev/docs/serving/autoscaling/).
import { FlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, FUNCTION_DEFAULTS, trafficSplit, type Alias, type AliasUpdate, type Environment, type EnvironmentKind, type FunctionConfig, type Instance, type Version } from '../../model';
import type { NewEnvironment } from '../../provider';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    generation?: number;
  };
  spec?: any;
  status?: any;
};

const P = 'flightdeck.dev';
export const LABEL = {
  environment: `${P}/environment`,
  kind: `${P}/kind`,
  protected: `${P}/protected`,
  managedBy: 'app.kubernetes.io/managed-by',
  version: `${P}/version`,
} as const;
export const ANNOTATION = {
  owner: `${P}/owner`,
  branch: `${P}/branch`,
  project: `${P}/project`,
  commit: `${P}/commit`,
  description: `${P}/description`,
  tree: `${P}/tree`,
  files: `${P}/files`,
  codeSize: `${P}/code-size`,
  runtime: `${P}/runtime`,
  handler: `${P}/handler`,
  command: `${P}/command`,
  rollout: `${P}/rollout`,
  liveDescription: `${P}/live-description`,
} as const;
export const MANAGED_BY = 'flightdeck';
export const KSVC = { group: 'serving.knative.dev', version: 'v1' } as const;
const AUTOSCALING = {
  min: 'autoscaling.knative.dev/min-scale',
  max: 'autoscaling.knative.dev/max-scale',
  retention: 'autoscaling.knative.dev/scale-to-zero-pod-retention-period',
} as const;
export const USER_CONTAINER = 'user-container';

// ---- Environments -----------------------------------------------------------------------------

export function namespaceOf(input: NewEnvironment): KubeObject {
  const annotations: Record<string, string> = {};
  if (input.owner) annotations[ANNOTATION.owner] = input.owner;
  if (input.branch) annotations[ANNOTATION.branch] = input.branch;
  if (input.project) annotations[ANNOTATION.project] = input.project;
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: input.name,
      labels: {
        [LABEL.environment]: 'true',
        [LABEL.kind]: input.kind,
        [LABEL.protected]: String(input.protected ?? input.kind === 'production'),
        [LABEL.managedBy]: MANAGED_BY,
      },
      annotations,
    },
  };
}

export function environmentOf(ns: KubeObject): Environment {
  const labels = ns.metadata?.labels ?? {};
  const annotations = ns.metadata?.annotations ?? {};
  const kind = (['production', 'staging', 'personal'] as EnvironmentKind[]).find((k) => k === labels[LABEL.kind]) ?? 'personal';
  return {
    name: ns.metadata!.name!,
    kind,
    protected: labels[LABEL.protected] === 'true',
    ...(annotations[ANNOTATION.owner] ? { owner: annotations[ANNOTATION.owner] } : {}),
    ...(annotations[ANNOTATION.branch] ? { branch: annotations[ANNOTATION.branch] } : {}),
    ...(annotations[ANNOTATION.project] ? { project: annotations[ANNOTATION.project] } : {}),
    created: timestamp(ns.metadata?.creationTimestamp),
  };
}

// ---- Versions ---------------------------------------------------------------------------------

export function revisionName(fn: string, id: number): string {
  return `${fn}-v${id}`;
}

/** The version number of a Flightdeck-named revision, undefined for any other. */
export function versionIdOf(fn: string, revision: string | undefined): number | undefined {
  const m = revision && /^(.*)-v(\d+)$/.exec(revision);
  return m && m[1] === fn ? Number(m[2]) : undefined;
}

export interface TemplateInput {
  fn: string;
  id: number;
  /** Pinned by digest. */
  image: string;
  config: FunctionConfig;
  tree: string;
  files: number;
  codeSize: number;
  branch?: string;
  commit?: string;
  description?: string;
}

/** spec.template of the Service: the Revision `<fn>-v<N>` to create. */
export function templateOf(input: TemplateInput): KubeObject {
  const { config } = input;
  const annotations: Record<string, string> = {
    [ANNOTATION.tree]: input.tree,
    [ANNOTATION.files]: String(input.files),
    [ANNOTATION.codeSize]: String(input.codeSize),
    [ANNOTATION.runtime]: config.runtime,
    [AUTOSCALING.min]: String(config.instances.min),
    [AUTOSCALING.max]: String(config.instances.max),
    [AUTOSCALING.retention]: `${Math.round(config.instances.idleTimeoutMs / 1000)}s`,
  };
  if (config.handler) annotations[ANNOTATION.handler] = config.handler;
  if (config.command) annotations[ANNOTATION.command] = JSON.stringify(config.command);
  if (input.branch) annotations[ANNOTATION.branch] = input.branch;
  if (input.commit) annotations[ANNOTATION.commit] = input.commit;
  if (input.description) annotations[ANNOTATION.description] = input.description;
  return {
    metadata: {
      name: revisionName(input.fn, input.id),
      labels: { [LABEL.managedBy]: MANAGED_BY, [LABEL.version]: String(input.id) },
      annotations,
    },
    spec: {
      containerConcurrency: config.instances.concurrency,
      // Knative counts whole seconds; a sub-second timeout rounds up rather than to zero.
      timeoutSeconds: Math.ceil(config.timeoutMs / 1000),
      containers: [{
        name: USER_CONTAINER,
        image: input.image,
        env: Object.entries(config.env).map(([name, value]) => ({ name, value })),
      }],
    },
  };
}

/** The config a revision (or a Service template) runs. */
export function configOf(template: KubeObject | undefined): FunctionConfig {
  const a = template?.metadata?.annotations ?? {};
  const spec = template?.spec ?? {};
  const container = spec.containers?.[0] ?? {};
  const d = FUNCTION_DEFAULTS;
  const runtime = a[ANNOTATION.runtime] === 'custom' ? 'custom' : 'nodejs';
  return {
    runtime,
    ...(a[ANNOTATION.handler] ? { handler: a[ANNOTATION.handler] } : {}),
    ...(a[ANNOTATION.command] ? { command: JSON.parse(a[ANNOTATION.command]) as string[] } : {}),
    instances: {
      min: intOr(a[AUTOSCALING.min], d.instances.min),
      max: intOr(a[AUTOSCALING.max], d.instances.max),
      concurrency: spec.containerConcurrency || d.instances.concurrency,
      idleTimeoutMs: a[AUTOSCALING.retention] ? parseInt(a[AUTOSCALING.retention], 10) * 1000 : d.instances.idleTimeoutMs,
    },
    env: Object.fromEntries((container.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? ''])),
    timeoutMs: spec.timeoutSeconds ? spec.timeoutSeconds * 1000 : d.timeoutMs,
  };
}

export function imageOf(template: KubeObject | undefined): string | undefined {
  return template?.spec?.containers?.[0]?.image;
}

export function versionOf(environment: string, fn: string, revision: KubeObject): Version {
  const a = revision.metadata?.annotations ?? {};
  const ready = conditionOf(revision, 'Ready');
  return {
    id: versionIdOf(fn, revision.metadata?.name) ?? 0,
    environment,
    function: fn,
    tree: a[ANNOTATION.tree] ?? '',
    config: configOf(revision),
    ...(a[ANNOTATION.description] ? { description: a[ANNOTATION.description] } : {}),
    ...(a[ANNOTATION.branch] ? { branch: a[ANNOTATION.branch] } : {}),
    ...(a[ANNOTATION.commit] ? { commit: a[ANNOTATION.commit] } : {}),
    created: timestamp(revision.metadata?.creationTimestamp),
    fileCount: intOr(a[ANNOTATION.files], 0),
    codeSize: intOr(a[ANNOTATION.codeSize], 0),
    health: ready?.status === 'True' ? 'healthy' : ready?.status === 'False' ? 'unhealthy' : 'unknown',
    ...(ready?.status === 'False' ? { healthReason: ready.message ?? ready.reason } : {}),
  };
}

export function conditionOf(obj: KubeObject, type: string): { status: string; reason?: string; message?: string } | undefined {
  return (obj.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

// ---- Traffic ↔ aliases ------------------------------------------------------------------------

/**
 * Every version gets the tag `v<N>` (0%), so each revision has its own URL, as Knative gives one
 * only through a tag. These tags are the versions' URLs, not aliases.
 */
export function versionTag(id: number): string {
  return `v${id}`;
}

export function isVersionTag(tag: string | undefined): boolean {
  return tag !== undefined && /^v\d+$/.test(tag);
}

export interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  url?: string;
}

/**
 * The Service's aliases: `live` from the untagged entries of spec.traffic (the first is the
 * primary), one per tag. `etag` is the Service's resourceVersion plus a hash of the traffic
 * block, so a write can tell a controller's status update (retry) from a rival traffic change.
 */
export function aliasesOf(fn: string, service: KubeObject): Alias[] {
  const traffic: TrafficTarget[] = service.spec?.traffic ?? [{ latestRevision: true, percent: 100 }];
  const latest = service.status?.latestReadyRevisionName as string | undefined;
  const idOf = (t: TrafficTarget) => versionIdOf(fn, t.latestRevision ? latest : t.revisionName);
  const etag = etagOf(service);
  const updated = timestamp(service.metadata?.creationTimestamp);
  const weighted = traffic.filter((t) => (t.percent ?? 0) > 0 && idOf(t) !== undefined);
  const aliases: Alias[] = [];
  if (weighted.length > 0) {
    const [primary, ...rest] = weighted;
    const additional: Record<string, number> = {};
    for (const t of rest) additional[String(idOf(t))] = (additional[String(idOf(t))] ?? 0) + (t.percent ?? 0) / 100;
    const description = service.metadata?.annotations?.[ANNOTATION.liveDescription];
    aliases.push({ name: DEFAULT_ALIAS, versionId: idOf(primary)!, additionalVersionWeight: additional, etag, updated, ...(description ? { description } : {}) });
  }
  for (const t of traffic) {
    if (t.tag && !isVersionTag(t.tag) && idOf(t) !== undefined) aliases.push({ name: t.tag, versionId: idOf(t)!, additionalVersionWeight: {}, etag, updated });
  }
  return aliases;
}

export function etagOf(service: KubeObject): string {
  return `${service.metadata?.resourceVersion}/${trafficKey(service)}`;
}

/** What `etag` guards: the traffic block as written. */
export function trafficKey(service: KubeObject): string {
  let h = 0;
  for (const ch of JSON.stringify(service.spec?.traffic ?? null)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(36);
}

/** spec.traffic with `alias` set as asked; tag aliases route to one revision and carry no weight. */
export function trafficWith(fn: string, service: KubeObject, alias: string, update: AliasUpdate): TrafficTarget[] {
  const current: TrafficTarget[] = service.spec?.traffic ?? [];
  const latest = service.status?.latestReadyRevisionName as string | undefined;
  const pinned = current.map((t) => (t.latestRevision ? { ...t, latestRevision: undefined, revisionName: latest } : t));
  const tags = pinned.filter((t) => t.tag);
  if (alias !== DEFAULT_ALIAS) {
    if (isVersionTag(alias)) {
      throw new FlightdeckError('BAD_REQUEST', `${alias} is the tag that gives a version its URL on Knative; name the alias something else (e.g. beta).`, { field: 'alias' });
    }
    const weights = Object.values(update.additionalVersionWeight).filter((w) => w > 0);
    if (weights.length > 0) {
      throw new FlightdeckError('BAD_REQUEST',
        `On Knative, ${alias} is a traffic tag: it routes to one revision through its own URL and carries no weight split. Set weights on ${DEFAULT_ALIAS} (the Service's traffic block) instead.`,
        { field: 'additionalVersionWeight' });
    }
    const others = pinned.filter((t) => t.tag !== alias);
    return [...others, { tag: alias, revisionName: revisionName(fn, update.versionId), percent: 0 }].map(clean);
  }
  return [...liveTargets(fn, update), ...tags.map((t) => ({ ...t, percent: 0 }))].map(clean);
}

/** spec.traffic with the version tag of `id` added (kept as it is when there). */
export function trafficWithVersionTag(fn: string, traffic: TrafficTarget[], id: number): TrafficTarget[] {
  const tag = versionTag(id);
  if (traffic.some((t) => t.tag === tag)) return traffic;
  return [...traffic, { tag, revisionName: revisionName(fn, id), percent: 0 }];
}

/** The untagged entries for a live split: primary first, whole percents only. */
function liveTargets(fn: string, update: AliasUpdate): TrafficTarget[] {
  const split = trafficSplit(update).map((s) => ({ versionId: s.versionId, percent: s.weight * 100 }));
  for (const s of split) {
    if (Math.abs(s.percent - Math.round(s.percent)) > 1e-9) {
      throw new FlightdeckError('BAD_REQUEST',
        `Knative splits traffic in whole percents; ${s.percent.toFixed(2)}% for v${s.versionId} is not one. Pick a whole percentage.`,
        { field: 'additionalVersionWeight' });
    }
  }
  return split.filter((s, i) => i === 0 || Math.round(s.percent) > 0)
    .map((s) => ({ revisionName: revisionName(fn, s.versionId), percent: Math.round(s.percent) }));
}

function clean(t: TrafficTarget): TrafficTarget {
  const out: TrafficTarget = {};
  if (t.tag) out.tag = t.tag;
  if (t.revisionName) out.revisionName = t.revisionName;
  out.percent = t.percent ?? 0;
  return out;
}

/** The URL Knative gives `alias` (status.url for live, the tag's own URL), or undefined. */
export function urlOf(service: KubeObject, alias: string): string | undefined {
  if (alias === DEFAULT_ALIAS) return service.status?.url;
  return (service.status?.traffic ?? []).find((t: TrafficTarget) => t.tag === alias)?.url;
}

// ---- Instances --------------------------------------------------------------------------------

export function instanceOf(fn: string, pod: KubeObject, slot: number): Instance {
  const labels = pod.metadata?.labels ?? {};
  const status = pod.status ?? {};
  const ready = (status.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  const user = (status.containerStatuses ?? []).find((c: { name: string }) => c.name === USER_CONTAINER);
  const crashed = Boolean(user?.state?.waiting?.reason === 'CrashLoopBackOff' || status.phase === 'Failed');
  return {
    id: pod.metadata!.name!,
    slot,
    versionId: versionIdOf(fn, labels['serving.knative.dev/revision']) ?? Number(labels[LABEL.version] ?? 0),
    state: crashed ? 'crashed' : ready ? 'ready' : status.phase === 'Running' || status.phase === 'Pending' ? 'starting' : 'stopping',
    inFlight: 0,
    started: timestamp(pod.metadata?.creationTimestamp),
    restarts: user?.restartCount ?? 0,
  };
}

function intOr(text: string | undefined, fallback: number): number {
  const n = text === undefined ? NaN : parseInt(text, 10);
  return Number.isFinite(n) ? n : fallback;
}

function timestamp(value: string | Date | undefined): string {
  if (value instanceof Date) return value.toISOString();
  return value ?? new Date(0).toISOString();
}
