// The Provider over Knative Serving on the user's own Kubernetes cluster, through the official
// client (@kubernetes/client-node) and the kubeconfig the user already has. Mapping in
// ./mapping.ts; connection and error wording in ./cluster.ts; rollouts in ./rollouts.ts.
//
//   const provider = new KnativeProvider({ context: 'prod-eu', prometheusUrl: 'http://prom:9090' });
import type { V1Namespace } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { canonicalManifest } from '../../codeTree';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, type Alias, type AliasUpdate, type Environment, type FunctionSummary, type Instance, type LiveChange, type ManifestEntry, type PlatformEvent, type Rollout, type RolloutSpec, type StartCheck, type Version, type VersionMetrics } from '../../model';
import { plannedLiveChange } from '../../rollout/activeRollout';
import type {
  DeployOptions,
  DeployRequest,
  DeployResult,
  FollowLogsOptions,
  LogLine,
  NewEnvironment,
  Provider,
  ProviderCapabilities,
  RolloutAction,
  Subscription,
  UrlTarget,
  VersionPage,
} from '../../provider';
import { Cluster, type ClusterOptions } from './cluster';
import { KnativeEvents } from './events';
import { pinnedImage, type ImageOptions } from './image';
import {
  ANNOTATION,
  LABEL,
  MANAGED_BY,
  USER_CONTAINER,
  aliasesOf,
  conditionOf,
  configOf,
  environmentOf,
  etagOf,
  imageOf,
  instanceOf,
  namespaceOf,
  revisionName,
  templateOf,
  trafficKey,
  trafficWith,
  trafficWithVersionTag,
  versionTag,
  urlOf,
  versionIdOf,
  versionOf,
  type KubeObject,
} from './mapping';
import { PrometheusMetrics } from './metrics';
import { KnativeRollouts, storedRollout } from './rollouts';

export interface KnativeProviderOptions extends ClusterOptions {
  /** Prometheus scraping Knative's queue-proxy; without it rollouts advance by time, ungated. */
  prometheusUrl?: string;
  /** How long a deploy waits for its Revision to be Ready; default 5 minutes. */
  readyTimeoutMs?: number;
  /** Image reference resolution (tests point it at a loopback registry). */
  imageScheme?: ImageOptions['scheme'];
}

const ENVIRONMENT_SELECTOR = `${LABEL.environment}=true`;
const FUNCTION_SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`;
/** Conditional writes retried when only the controller's status (not the traffic) changed. */
const STATUS_RACE_ATTEMPTS = 5;

/** How long a follow's watch waits before starting again once the API server ended it. */
const WATCH_RESTART_MS = 1000;

export class KnativeProvider implements Provider {
  readonly kind = 'knative';
  readonly capabilities: ProviderCapabilities = { serverRollouts: false };
  readonly cluster: Cluster;
  private readonly metrics: PrometheusMetrics | undefined;
  private readonly rollouts: KnativeRollouts;
  private readonly subscriptions = new Set<Subscription>();
  /** The Service each function was last read as: an alias update with its etag writes without reading again. */
  private readonly lastRead = new Map<string, KubeObject>();

  constructor(private readonly options: KnativeProviderOptions = {}) {
    this.cluster = new Cluster(options);
    this.metrics = options.prometheusUrl ? new PrometheusMetrics(options.prometheusUrl) : undefined;
    this.rollouts = new KnativeRollouts(this);
  }

  get label(): string {
    return `Knative (${this.cluster.context})`;
  }

  get ungatedNote(): string | undefined {
    return this.metrics ? undefined : 'ungated: no Prometheus URL is configured, so steps advance by time alone';
  }

  // ---- Environments -----------------------------------------------------------------------

  async listEnvironments(): Promise<Environment[]> {
    const list = await this.cluster.call('list Flightdeck namespaces', () => this.cluster.core.listNamespace({ labelSelector: ENVIRONMENT_SELECTOR }));
    return list.items.map((ns) => environmentOf(ns as KubeObject)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async createEnvironment(input: NewEnvironment): Promise<Environment> {
    const body = namespaceOf(input);
    try {
      return environmentOf(await this.cluster.call(`create namespace ${input.name}`, () => this.cluster.core.createNamespace({ body: body as V1Namespace })) as KubeObject);
    } catch (error) {
      if (isFlightdeckError(error, 'CONFLICT')) throw new FlightdeckError('CONFLICT', `Environment ${input.name} already exists (namespace ${input.name}).`, { field: 'name' });
      throw error;
    }
  }

  async deleteEnvironment(name: string, confirm?: string): Promise<void> {
    const environment = await this.environment(name);
    if (environment.protected && confirm !== name) {
      throw new FlightdeckError('CONFLICT', `Environment ${name} is protected: confirm by passing its name to delete it (and its namespace).`, { field: 'confirm' });
    }
    await this.cluster.call(`delete namespace ${name}`, () => this.cluster.core.deleteNamespace({ name }));
  }

  private async environment(name: string): Promise<Environment> {
    const ns = (await this.cluster.call(`read namespace ${name}`, () => this.cluster.core.readNamespace({ name }))) as KubeObject;
    if (ns.metadata?.labels?.[LABEL.environment] !== 'true') {
      throw new FlightdeckError('NOT_FOUND', `Namespace ${name} is not a Flightdeck environment (it has no ${LABEL.environment}=true label).`);
    }
    return environmentOf(ns);
  }

  // ---- Functions --------------------------------------------------------------------------

  async listFunctions(environment: string): Promise<FunctionSummary[]> {
    await this.cluster.ensureKnative();
    const [services, revisions, pods] = await Promise.all([
      this.cluster.listKnative('services', environment, FUNCTION_SELECTOR),
      this.cluster.listKnative('revisions', environment, FUNCTION_SELECTOR),
      this.pods(environment),
    ]);
    return services.map((service) => this.summary(environment, service, revisions, pods)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async getFunction(environment: string, fn: string): Promise<FunctionSummary> {
    const [service, revisions, pods] = await Promise.all([
      this.readService(environment, fn),
      this.revisions(environment, fn),
      this.pods(environment, fn),
    ]);
    return this.summary(environment, service, revisions, pods);
  }

  private summary(environment: string, service: KubeObject, revisions: KubeObject[], pods: KubeObject[]): FunctionSummary {
    const fn = service.metadata!.name!;
    const ids = revisions.filter((r) => r.metadata?.labels?.['serving.knative.dev/service'] === fn).map((r) => versionIdOf(fn, r.metadata?.name) ?? 0);
    const mine = pods.filter((p) => p.metadata?.labels?.['serving.knative.dev/service'] === fn);
    const stored = service.metadata?.annotations?.[ANNOTATION.rollout];
    return {
      environment,
      name: fn,
      config: configOf(service.spec?.template),
      ...(ids.length ? { latestVersion: Math.max(...ids) } : {}),
      aliases: aliasesOf(fn, service),
      instances: mine.map((p, i) => instanceOf(fn, p, i)),
      url: service.status?.url ?? '',
      ...(stored ? { rollout: (JSON.parse(stored) as { rollout: Rollout }).rollout } : {}),
    };
  }

  /** The Service of a function; NOT_FOUND names the function when it is absent. */
  async readService(environment: string, fn: string): Promise<KubeObject> {
    await this.cluster.ensureKnative();
    try {
      const service = await this.cluster.getKnative('services', environment, fn);
      this.lastRead.set(`${environment}/${fn}`, service);
      return service;
    } catch (error) {
      if (isFlightdeckError(error, 'NOT_FOUND')) throw new FlightdeckError('NOT_FOUND', `No function ${fn} in environment ${environment} (no Knative Service ${environment}/${fn}).`);
      throw error;
    }
  }

  async annotateService(environment: string, fn: string, resourceVersion: string | undefined, annotations: Record<string, string | null>): Promise<void> {
    await this.cluster.mergePatchKnative('services', environment, fn, { metadata: { resourceVersion, annotations } });
  }

  async replaceRolloutAnnotation(environment: string, fn: string, previous: string, next: string): Promise<void> {
    const path = `/metadata/annotations/${ANNOTATION.rollout.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    await this.cluster.jsonPatchKnative('services', environment, fn, [{ op: 'test', path, value: previous }, { op: 'replace', path, value: next }]);
  }

  private revisions(environment: string, fn: string): Promise<KubeObject[]> {
    return this.cluster.listKnative('revisions', environment, `serving.knative.dev/service=${fn},${FUNCTION_SELECTOR}`);
  }

  private async pods(environment: string, fn?: string): Promise<KubeObject[]> {
    const labelSelector = fn ? `serving.knative.dev/service=${fn}` : 'serving.knative.dev/service';
    const list = await this.cluster.call(`list pods in ${environment}`, () => this.cluster.core.listNamespacedPod({ namespace: environment, labelSelector }));
    return list.items as KubeObject[];
  }

  // ---- Deploy -----------------------------------------------------------------------------

  /**
   * Pins the image, writes the template of Revision `<fn>-v<N>` (traffic untouched), waits for
   * Knative to call it Ready, then, outside production, moves `live` to it.
   */
  async deploy(environment: string, fn: string, request: DeployRequest, options: DeployOptions = {}): Promise<DeployResult> {
    const progress = options.onProgress ?? (() => undefined);
    const env = await this.environment(environment);
    progress('pinning the image', 0.05);
    const image = await pinnedImage(fn, request.image, { cwd: request.code.root, signal: options.signal, scheme: this.options.imageScheme });
    const tree = canonicalManifest(request.code.entries);
    await this.cluster.ensureKnative();
    // A function new to a just-created environment has no Service yet: no lookup (a wrong hint gets 409 below).
    const service = options.newFunction
      ? undefined
      : await this.cluster.getKnative('services', environment, fn).catch((error) => {
          if (isFlightdeckError(error, 'NOT_FOUND')) return undefined;
          throw error;
        });
    const revisions = service ? await this.revisions(environment, fn) : [];
    const latest = revisions.map((r) => ({ r, id: versionIdOf(fn, r.metadata?.name) ?? 0 })).sort((a, b) => b.id - a.id)[0];
    const id = (latest?.id ?? 0) + 1;
    const template = templateOf({
      fn, id, image, config: request.config, tree: tree.hash, files: tree.entries.length,
      codeSize: tree.entries.reduce((sum, e) => sum + e.size, 0),
      branch: request.branch, commit: request.commit, description: request.description,
    });
    const url = () => this.functionUrl(environment, fn);
    if (latest && sameRevision(latest.r, template)) {
      // Unchanged, but outside production live still ends on the deployed code (it may have been moved elsewhere).
      const current = aliasesOf(fn, service!).find((a) => a.name === DEFAULT_ALIAS);
      const change = await liveChange(service!, latest.id, env.kind === 'production', current);
      const live = change.outcome === 'moved' ? (await this.route(environment, fn, latest.id, env.kind === 'production', true)).live : change;
      const start: StartCheck = { started: true, how: `revision ${latest.r.metadata?.name} was published before` };
      return { version: versionOf(environment, fn, latest.r), unchanged: true, url: await url(), bytesSent: 0, filesSent: 0, start, live };
    }
    progress(`creating revision ${template.metadata!.name}`, 0.3);
    let written: KubeObject;
    if (!service) {
      try {
        written = await this.cluster.createKnative('services', environment, {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          metadata: { name: fn, namespace: environment, labels: { [LABEL.managedBy]: MANAGED_BY } },
          spec: { template, traffic: [{ revisionName: template.metadata!.name, percent: 100 }] },
        });
      } catch (error) {
        if (options.newFunction && isFlightdeckError(error, 'CONFLICT')) return this.deploy(environment, fn, request, { ...options, newFunction: false });
        throw error;
      }
    } else {
      // Traffic is written explicitly (never latestRevision), so a new template moves none.
      const traffic = service.spec?.traffic?.some((t: { latestRevision?: boolean }) => t.latestRevision)
        ? trafficWith(fn, service, DEFAULT_ALIAS, aliasesOf(fn, service).find((a) => a.name === DEFAULT_ALIAS)!)
        : undefined;
      written = await this.cluster.mergePatchKnative('services', environment, fn, { spec: { template, ...(traffic ? { traffic } : {}) } });
    }
    progress('waiting for Knative to call the revision Ready', 0.5);
    const { revision, start } = await this.waitForRevision(environment, fn, template.metadata!.name!, written.metadata?.resourceVersion, options.signal);
    if (!start.started) {
      // Published (the Revision is history) but never routed to; live stays where it was.
      const current = service ? aliasesOf(fn, await this.readService(environment, fn)).find((a) => a.name === DEFAULT_ALIAS) : undefined;
      const live: LiveChange = { outcome: 'held', reason: 'notStarted', ...(current ? { previousVersion: current.versionId } : {}) };
      return { version: versionOf(environment, fn, revision), unchanged: false, url: await url(), bytesSent: 0, filesSent: 0, start, live };
    }
    progress(env.kind === 'production' ? `giving v${id} its URL` : `moving ${DEFAULT_ALIAS} to v${id}`, 0.9);
    const { routed, live } = await this.route(environment, fn, id, env.kind === 'production', Boolean(service));
    return { version: versionOf(environment, fn, revision), unchanged: false, url: urlOf(routed, DEFAULT_ALIAS) ?? (await url()), bytesSent: 0, filesSent: 0, start, live };
  }

  /** What a deploy of version `id` does to live: held in production or while a rollout moves it. */
  /** Waits on a watch of the function's revisions until `name` is Ready (or failed). */
  private async waitForRevision(environment: string, fn: string, name: string, resourceVersion: string | undefined, signal?: AbortSignal): Promise<{ revision: KubeObject; start: StartCheck }> {
    const timeoutMs = this.options.readyTimeoutMs ?? 5 * 60_000;
    const path = `/apis/serving.knative.dev/v1/namespaces/${environment}/revisions`;
    const how = `Knative called revision ${name} Ready`;
    return new Promise<{ revision: KubeObject; start: StartCheck }>((resolve, reject) => {
      let controller: AbortController | undefined;
      let last: KubeObject | undefined;
      // A revision that never gets Ready is published (history) but did not start: an answer, not an error.
      const finish = (error: Error | undefined, revision?: KubeObject, reason?: string) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        controller?.abort();
        if (error) reject(error);
        else resolve({ revision: revision!, start: reason === undefined ? { started: true, how } : { started: false, how, reason } });
      };
      const onAbort = () => finish(new FlightdeckError('CANCELLED', 'Deploy cancelled.'));
      const timer = setTimeout(() => {
        const why = `revision ${name} was not Ready after ${Math.round(timeoutMs / 1000)} s${last ? ` (${conditionOf(last, 'Ready')?.message ?? 'no message'})` : ''}; look at \`kubectl describe revision ${name} -n ${environment}\``;
        if (last) finish(undefined, last, why);
        else finish(new FlightdeckError('UNAVAILABLE', `${why[0].toUpperCase()}${why.slice(1)}.`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort);
      const onObject = (_type: string, revision: KubeObject) => {
        if (revision.metadata?.name !== name) return;
        last = revision;
        const ready = conditionOf(revision, 'Ready');
        if (ready?.status === 'True') finish(undefined, revision);
        if (ready?.status === 'False') finish(undefined, revision, `revision ${name} failed: ${ready.message ?? ready.reason}`);
      };
      this.cluster.calls++;
      this.cluster.watcher
        .watch(path, { labelSelector: `serving.knative.dev/service=${fn}`, resourceVersion }, onObject, (error) => {
          if (error && (error as Error).name !== 'AbortError') finish(this.cluster.translate(error, `watch revision ${name}`));
        })
        .then((c) => (controller = c), (error) => finish(this.cluster.translate(error, `watch revision ${name}`)));
    });
  }

  /**
   * Once the revision is Ready: its version tag `v<N>` (its own URL) and, outside production,
   * `live` moved to it, in one write guarded by the resourceVersion just read (re-read on 409).
   */
  private async route(environment: string, fn: string, id: number, production: boolean, existed: boolean): Promise<{ routed: KubeObject; live: LiveChange }> {
    for (let attempt = 1; ; attempt++) {
      const service = await this.readService(environment, fn);
      const current = aliasesOf(fn, service).find((a) => a.name === DEFAULT_ALIAS);
      // A Service this deploy created already sends live to the revision: that is the move.
      const live = await liveChange(service, id, production, existed ? current : undefined);
      const base = trafficWith(fn, service, DEFAULT_ALIAS, live.outcome === 'moved' || !current ? { versionId: id, additionalVersionWeight: {} } : current);
      try {
        const routed = await this.cluster.mergePatchKnative('services', environment, fn, {
          metadata: { resourceVersion: service.metadata?.resourceVersion },
          spec: { traffic: trafficWithVersionTag(fn, base, id) },
        });
        return { routed, live };
      } catch (error) {
        if (!isFlightdeckError(error, 'PRECONDITION_FAILED') || attempt >= STATUS_RACE_ATTEMPTS) throw error;
      }
    }
  }

  // ---- Versions ---------------------------------------------------------------------------

  async listVersions(environment: string, fn: string, page: { limit?: number; before?: number } = {}): Promise<VersionPage> {
    await this.readService(environment, fn);
    const all = (await this.revisions(environment, fn))
      .map((r) => versionOf(environment, fn, r))
      .filter((v) => v.id > 0 && (page.before === undefined || v.id < page.before))
      .sort((a, b) => b.id - a.id);
    const limit = page.limit ?? 50;
    const versions = all.slice(0, limit);
    return { versions, ...(all.length > limit ? { nextBefore: versions.at(-1)!.id } : {}) };
  }

  async getVersion(environment: string, fn: string, id: number): Promise<Version> {
    await this.cluster.ensureKnative();
    try {
      return versionOf(environment, fn, await this.cluster.getKnative('revisions', environment, revisionName(fn, id)));
    } catch (error) {
      if (isFlightdeckError(error, 'NOT_FOUND')) throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no version ${id} (no Revision ${revisionName(fn, id)}).`, { field: 'version' });
      throw error;
    }
  }

  async listVersionFiles(): Promise<ManifestEntry[]> {
    throw imagesOnly();
  }

  async readVersionFile(): Promise<Uint8Array> {
    throw imagesOnly();
  }

  // ---- Aliases ----------------------------------------------------------------------------

  async listAliases(environment: string, fn: string): Promise<Alias[]> {
    return aliasesOf(fn, await this.readService(environment, fn));
  }

  async getAlias(environment: string, fn: string, name: string): Promise<Alias> {
    const alias = (await this.listAliases(environment, fn)).find((a) => a.name === name);
    if (!alias) throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no alias ${name}.`, { field: 'alias' });
    return alias;
  }

  /**
   * live → spec.traffic's untagged entries; any other name → a tag. The write is a merge patch
   * carrying the resourceVersion of the read: when the Service changed meanwhile but its traffic
   * did not (the controller wrote status), it is re-read and retried; a changed traffic block is
   * PRECONDITION_FAILED, never a lost update.
   */
  async updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias> {
    const wantedTraffic = etag?.split('/')[1];
    const cached = this.lastRead.get(`${environment}/${fn}`);
    for (let attempt = 1; ; attempt++) {
      // The Service this etag came from, if it was read here (a stale one makes the write 409).
      const service = attempt === 1 && cached && etag !== undefined && etagOf(cached) === etag ? cached : await this.readService(environment, fn);
      if (etag !== undefined && trafficKey(service) !== wantedTraffic) throw stale(name, environment, fn);
      const traffic = trafficWith(fn, service, name, update);
      const annotations = name === DEFAULT_ALIAS && update.description !== undefined ? { annotations: { [ANNOTATION.liveDescription]: update.description } } : {};
      const unknown = traffic.find((t) => versionIdOf(fn, t.revisionName) === undefined);
      if (unknown) throw new FlightdeckError('BAD_REQUEST', `Traffic target ${unknown.revisionName} is not a Flightdeck version.`);
      const routed = new Set((service.spec?.traffic ?? []).map((t: { revisionName?: string }) => t.revisionName));
      await this.requireVersions(environment, fn, traffic.filter((t) => !routed.has(t.revisionName)).map((t) => versionIdOf(fn, t.revisionName)!));
      try {
        const written = await this.cluster.mergePatchKnative('services', environment, fn, {
          metadata: { resourceVersion: service.metadata?.resourceVersion, ...annotations },
          spec: { traffic },
        });
        this.lastRead.set(`${environment}/${fn}`, written);
        const alias = aliasesOf(fn, written).find((a) => a.name === name);
        return alias ?? { name, versionId: update.versionId, additionalVersionWeight: {}, etag: etagOf(written), updated: new Date().toISOString() };
      } catch (error) {
        if (!isFlightdeckError(error, 'PRECONDITION_FAILED') || attempt >= STATUS_RACE_ATTEMPTS) throw error;
      }
    }
  }

  /** Versions not routed yet must exist: Knative would otherwise keep the route failing. */
  private async requireVersions(environment: string, fn: string, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const known = new Set((await this.revisions(environment, fn)).map((r) => versionIdOf(fn, r.metadata?.name)));
    const missing = ids.find((id) => !known.has(id));
    if (missing !== undefined) throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no version ${missing}.`, { field: 'versionId' });
  }

  // ---- Instances, metrics, logs -----------------------------------------------------------

  async listInstances(environment: string, fn: string): Promise<Instance[]> {
    await this.readService(environment, fn);
    return (await this.pods(environment, fn)).map((p, i) => instanceOf(fn, p, i));
  }

  async getMetrics(environment: string, fn: string, windowMs = 60_000): Promise<VersionMetrics[]> {
    if (!this.metrics) return [];
    return this.metrics.read(environment, fn, windowMs, (revision) => versionIdOf(fn, revision));
  }

  async readLogs(environment: string, fn: string, options: { version?: number; tail?: number } = {}): Promise<LogLine[]> {
    const pods = (await this.pods(environment, fn)).filter((p) => options.version === undefined || instanceOf(fn, p, 0).versionId === options.version);
    const lines = await Promise.all(pods.map(async (pod) => {
      const text = await this.cluster.call(`read the log of pod ${pod.metadata?.name}`, () =>
        this.cluster.core.readNamespacedPodLog({ namespace: environment, name: pod.metadata!.name!, container: USER_CONTAINER, tailLines: options.tail, timestamps: true }));
      return String(text).split('\n').filter(Boolean).map((line) => logLine(fn, pod, line));
    }));
    const all = lines.flat().sort((a, b) => a.time.localeCompare(b.time));
    return options.tail ? all.slice(-options.tail) : all;
  }

  /** Follows every pod of the function (and those that start later) until closed. */
  followLogs(environment: string, fn: string, options: FollowLogsOptions, onLine: (line: LogLine) => void): Subscription {
    const followed = new Map<string, AbortController | undefined>();
    let closed = false;
    const follow = (pod: KubeObject) => {
      const name = pod.metadata!.name!;
      if (closed || followed.has(name)) return;
      if (options.version !== undefined && instanceOf(fn, pod, 0).versionId !== options.version) return;
      followed.set(name, undefined);
      let rest = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          const parts = (rest + chunk.toString()).split('\n');
          rest = parts.pop() ?? '';
          for (const part of parts) if (part) onLine(logLine(fn, pod, part));
          done();
        },
      });
      this.cluster.calls++;
      this.cluster.logs.log(environment, name, USER_CONTAINER, sink, { follow: true, timestamps: true })
        .then((controller) => (closed ? controller.abort() : followed.set(name, controller)), () => followed.delete(name));
    };
    const pods = this.watchPods(environment, fn, (type, pod) => {
      if (type === 'DELETED') {
        followed.get(pod.metadata!.name!)?.abort();
        followed.delete(pod.metadata!.name!);
      } else {
        follow(pod);
      }
    });
    // Gone now, or later: the Service deleted (with its namespace, too) ends the follow. Read once
    // the watch is (re)started, so a deletion between two watches is not missed.
    const stillThere = () => this.readService(environment, fn).catch((error) => {
      if (!closed && isFlightdeckError(error, 'NOT_FOUND')) options.onGone?.(error);
    });
    const service = this.watch(`/apis/serving.knative.dev/v1/namespaces/${environment}/services`, { fieldSelector: `metadata.name=${fn}` }, (type, object) => {
      if (type === 'DELETED' && object.metadata?.name === fn && !closed) {
        options.onGone?.(new FlightdeckError('NOT_FOUND', `Knative Service ${fn} in namespace ${environment} was deleted.`, { field: 'function' }));
      }
    }, stillThere);
    void stillThere();
    return {
      close: () => {
        closed = true;
        pods.close();
        service.close();
        for (const controller of followed.values()) controller?.abort();
      },
    };
  }

  private watchPods(environment: string, fn: string, onPod: (type: string, pod: KubeObject) => void): Subscription {
    return this.watch(`/api/v1/namespaces/${environment}/pods`, { labelSelector: `serving.knative.dev/service=${fn}` }, onPod);
  }

  /**
   * A watch that starts again, WATCH_RESTART_MS after the API server ends it (it does after its
   * request timeout, minutes) or refuses it, until closed; `onRestart` runs at each new start.
   */
  private watch(path: string, query: Record<string, string>, onObject: (type: string, object: KubeObject) => void, onRestart?: () => void): Subscription {
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    let runs = 0;
    const start = () => {
      if (closed) return;
      const run = ++runs;
      // A watch may report its end more than once (an error, then the end): one restart per run.
      const ended = () => {
        if (closed || run !== runs) return;
        runs++;
        timer = setTimeout(() => {
          start();
          onRestart?.();
        }, WATCH_RESTART_MS);
      };
      this.cluster.calls++;
      this.cluster.watcher
        .watch(path, query, (type, object) => onObject(type, object as KubeObject), ended)
        .then((c) => (closed ? c.abort() : (controller = c)), ended);
    };
    start();
    return {
      close: () => {
        closed = true;
        clearTimeout(timer);
        controller?.abort();
      },
    };
  }

  // ---- Events -----------------------------------------------------------------------------

  subscribe(onEvent: (event: PlatformEvent) => void, onConnection?: (connected: boolean) => void): Subscription {
    const events = new KnativeEvents(this.cluster, onEvent, onConnection);
    events.start();
    const subscription = { close: () => (events.close(), this.subscriptions.delete(subscription)) };
    this.subscriptions.add(subscription);
    return subscription;
  }

  // ---- URLs, rollouts, restart ------------------------------------------------------------

  async functionUrl(environment: string, fn: string, target: UrlTarget = {}): Promise<string> {
    const service = await this.readService(environment, fn);
    if (target.version !== undefined) {
      const url = urlOf(service, versionTag(target.version));
      if (url) return url;
      await this.getVersion(environment, fn, target.version);
      throw new FlightdeckError('NOT_FOUND',
        `v${target.version} of ${environment}/${fn} has no URL yet: Knative routes its tag ${versionTag(target.version)} once the revision is Ready.`,
        { field: 'version' });
    }
    const alias = target.alias ?? DEFAULT_ALIAS;
    const url = urlOf(service, alias);
    if (!url) throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no URL for ${alias} yet (Knative has not routed it).`, { field: 'alias' });
    return url;
  }

  startRollout(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout> {
    return this.rollouts.start(environment, fn, spec);
  }

  getRollout(environment: string, fn: string): Promise<Rollout | undefined> {
    return this.rollouts.get(environment, fn);
  }

  rolloutAction(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    return this.rollouts.act(environment, fn, action);
  }

  /**
   * Recycles the function's pods in batches: deletes a batch, waits until the Deployment has
   * replaced them (as many Ready pods as before), then the next.
   */
  async restart(environment: string, fn: string, options: { batches?: number } = {}): Promise<void> {
    const pods = await this.pods(environment, fn);
    if (pods.length === 0) return;
    const batches = Math.max(1, Math.min(options.batches ?? 2, pods.length));
    const size = Math.ceil(pods.length / batches);
    for (let i = 0; i < pods.length; i += size) {
      const batch = pods.slice(i, i + size);
      await Promise.all(batch.map((pod) => this.cluster.call(`delete pod ${pod.metadata?.name}`, () =>
        this.cluster.core.deleteNamespacedPod({ namespace: environment, name: pod.metadata!.name! }))));
      const gone = new Set(batch.map((p) => p.metadata!.name!));
      await this.untilPods(environment, fn, (now) =>
        now.every((p) => !gone.has(p.metadata!.name!)) && now.filter((p) => instanceOf(fn, p, 0).state === 'ready').length >= pods.length);
    }
  }

  private async untilPods(environment: string, fn: string, done: (pods: KubeObject[]) => boolean): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 5 * 60_000);
    let delay = 50;
    while (!done(await this.pods(environment, fn))) {
      if (Date.now() > deadline) throw new FlightdeckError('UNAVAILABLE', `The pods of ${environment}/${fn} were not replaced in time; look at \`kubectl get pods -n ${environment}\`.`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  dispose(): void {
    this.rollouts.stopAll();
    for (const subscription of [...this.subscriptions]) subscription.close();
  }
}

function sameRevision(revision: KubeObject, template: KubeObject): boolean {
  const a = revision.metadata?.annotations ?? {};
  const t = template.metadata?.annotations ?? {};
  return a[ANNOTATION.tree] === t[ANNOTATION.tree] && imageOf(revision) === imageOf(template) &&
    JSON.stringify(configOf(revision)) === JSON.stringify(configOf(template));
}

function stale(alias: string, environment: string, fn: string): FlightdeckError {
  return new FlightdeckError('PRECONDITION_FAILED', `Alias ${alias} of ${environment}/${fn} changed since it was read (the Service's traffic block); look at it again and retry.`);
}

function imagesOnly(): FlightdeckError {
  return new FlightdeckError('BAD_REQUEST',
    'Knative keeps container images, not source files: a version\'s files cannot be listed or compared here. Compare the versions\' commits with git instead (each version records its branch and commit).');
}

/** `2024-05-01T10:00:00.123456789Z text` (timestamps=true) → a LogLine. */
function logLine(fn: string, pod: KubeObject, raw: string): LogLine {
  const m = /^(\d{4}-\d\d-\d\dT\S+Z) (.*)$/.exec(raw);
  return {
    time: m ? new Date(m[1]).toISOString() : new Date().toISOString(),
    versionId: instanceOf(fn, pod, 0).versionId,
    instance: pod.metadata!.name!,
    stream: 'stdout',
    text: m ? m[2] : raw,
  };
}

/** What a deploy does to live, judged on the Service just read: its rollout annotation is there, no second read. */
function liveChange(service: KubeObject, id: number, production: boolean, current: Alias | undefined): Promise<LiveChange> {
  return plannedLiveChange(current, id, production, async () => storedRollout(service)?.rollout);
}
