// A TEST DOUBLE of a Kubernetes API server with Knative Serving installed: an in-memory store
// behind real HTTP, speaking the wire format the official client (@kubernetes/client-node) speaks.
// It is not Kubernetes. It has the semantics the Knative provider relies on, each from the
// Kubernetes API reference (https://kubernetes.io/docs/reference/using-api/api-concepts/):
// - verbs get, list, create, update (PUT), patch (merge and JSON patch), delete, watch;
// - `metadata.resourceVersion` on every write; a write that names a stale one is 409 Conflict
//   with a `Status` body ("Resource versions" and "Conflicts" in api-concepts);
// - 404 NotFound / 409 AlreadyExists `Status` bodies (Status kind, apimachinery metav1.Status);
// - namespaces, namespace deletion removes what is in it (simplified: no Terminating phase);
// - label selectors `k=v`, `k!=v`, `k`, `!k` ("Labels and Selectors" in concepts/overview);
// - watch streams of `{"type","object"}` lines, resumable from a resourceVersion, 410 Gone
//   (as an ERROR event) when too old ("Efficient detection of changes" in api-concepts);
// - bearer-token authentication (401) and an RBAC switch (403 in the apiserver's wording);
// - a Knative-like reconcile step (https://knative.dev/docs/serving/ and the serving.knative.dev/v1
//   API reference): a Service whose template changes gets a Revision named
//   `spec.template.metadata.name`; once that Revision is Ready, `status.traffic` mirrors
//   `spec.traffic` (latestRevision resolved, tag URLs), `status.url`, `Ready` conditions; pods
//   for revisions that carry traffic or have `autoscaling.knative.dev/min-scale` (scale to zero
//   otherwise); the webhook's checks that the provider could trip (traffic sums to 100, a
//   template change without a name change, template name prefixed with the Service name).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KNATIVE_GROUP = 'serving.knative.dev';
type Obj = Record<string, any>;

interface ResourceKind {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const RESOURCES: ResourceKind[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: KNATIVE_GROUP, version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: KNATIVE_GROUP, version: 'v1', plural: 'revisions', kind: 'Revision', namespaced: true },
];

export interface KubeApiServerOptions {
  /** Bearer token the server accepts; a request without it is 401. */
  token?: string;
  /** false: the serving.knative.dev group is not served (404, as on a cluster without Knative). */
  knativeInstalled?: boolean;
  /** Milliseconds before a new Revision turns Ready (the reconcile runs asynchronously). */
  revisionReadyAfterMs?: number;
  /** Revisions whose image matches never turn Ready (an image pull failure). */
  failingImage?: RegExp;
}

export interface RecordedRequest {
  method: string;
  path: string;
  watch: boolean;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceKind;
  object: Obj;
}

interface Watcher {
  resource: ResourceKind;
  namespace?: string;
  selector: (labels: Record<string, string>) => boolean;
  res: ServerResponse;
}

export class KubeApiServerDouble {
  readonly requests: RecordedRequest[] = [];
  /** Every object as a client's create, update or patch left it (for schema validation). */
  readonly writes: { kind: string; object: Obj }[] = [];
  /** RBAC: answers true for a `verb resource namespace` the caller may not do (403). */
  forbid: (verb: string, plural: string, namespace?: string) => boolean = () => false;
  /** Replace to simulate an expired credential: every request is then 401. */
  token: string;
  private readonly server: Server;
  private readonly objects = new Map<string, Obj>();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly logs = new Map<string, { lines: { time: string; text: string }[]; followers: Set<{ res: ServerResponse; timestamps: boolean }> }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rv = 1;
  private url = '';

  constructor(private readonly options: KubeApiServerOptions = {}) {
    this.token = options.token ?? 'stand-in-token';
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => sendStatus(res, 500, 'InternalError', error.message));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Ends every open watch, as the API server does once a watch's timeout (minutes) passes; clients must watch again. */
  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const w of this.watchers) w.res.end();
    for (const log of this.logs.values()) for (const f of log.followers) f.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * A kubeconfig (YAML) whose context `name` reaches this server with the right token. The
   * stand-in speaks plain HTTP on loopback, which the client allows only with
   * insecure-skip-tls-verify (a real cluster's kubeconfig carries its CA instead).
   */
  kubeconfig(context = 'stand-in', token = this.token): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      'clusters:',
      `- name: ${context}-cluster`,
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${context}-user`,
      '  user:',
      `    token: ${token}`,
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}-cluster`,
      `    user: ${context}-user`,
      '',
    ].join('\n');
  }

  /** Requests counted since the last call (watch connections counted apart). */
  takeRequests(): RecordedRequest[] {
    return this.requests.splice(0);
  }

  /** Reads an object as stored (a copy), or undefined. */
  get(plural: string, namespace: string | undefined, name: string): Obj | undefined {
    const resource = RESOURCES.find((r) => r.plural === plural)!;
    const obj = this.objects.get(keyOf(resource, namespace, name));
    return obj && structuredClone(obj);
  }

  list(plural: string, namespace?: string): Obj[] {
    const resource = RESOURCES.find((r) => r.plural === plural)!;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${resource.plural}/${namespace ?? ''}`))
      .map(([, obj]) => structuredClone(obj));
  }

  /** Writes as another client would (e.g. a teammate's kubectl), through the same conflict rules. */
  update(plural: string, namespace: string | undefined, name: string, change: (obj: Obj) => void): Obj {
    const resource = RESOURCES.find((r) => r.plural === plural)!;
    const current = this.objects.get(keyOf(resource, namespace, name));
    if (!current) throw new Error(`no ${plural} ${namespace}/${name}`);
    const next = structuredClone(current);
    change(next);
    return this.store(resource, next, 'MODIFIED');
  }

  /** A line the pod's user container writes to stdout. */
  writeLog(namespace: string, pod: string, text: string): void {
    const log = this.logOf(namespace, pod);
    const line = { time: new Date().toISOString(), text };
    log.lines.push(line);
    for (const f of log.followers) f.res.write(logText(line, f.timestamps));
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, watch });
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const route = this.route(url.pathname);
    if (!route) return this.notServed(res);
    if ('discovery' in route) return this.discovery(res);
    const { resource, namespace, name, sub } = route;
    const verb = verbOf(req.method ?? 'GET', name, watch);
    if (this.forbid(verb, resource.plural, namespace)) {
      const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
      const group = resource.group ? ` in API group "${resource.group}"` : ' in API group ""';
      return sendStatus(res, 403, 'Forbidden',
        `${qualified(resource)}${name ? ` "${name}"` : ''} is forbidden: User "stand-in-user" cannot ${verb} resource "${resource.plural}"${group}${where}`,
        { name, group: resource.group, kind: resource.plural });
    }
    if (namespace && resource.plural !== 'namespaces' && !this.objects.has(keyOf(RESOURCES[0], undefined, namespace)) && req.method !== 'GET') {
      return sendStatus(res, 404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    }
    const body = await readBody(req);
    if (sub === 'log') return this.podLog(res, namespace!, name!, url.searchParams);
    switch (req.method) {
      case 'GET':
        if (name) return this.getOne(res, resource, namespace, name);
        return watch ? this.watch(req, res, resource, namespace, url.searchParams) : this.listAll(res, resource, namespace, url.searchParams);
      case 'POST':
        return this.create(res, resource, namespace, body);
      case 'PUT':
        return this.replace(res, resource, namespace, name!, body);
      case 'PATCH':
        return this.patch(res, resource, namespace, name!, body, String(req.headers['content-type'] ?? ''));
      case 'DELETE':
        return this.remove(res, resource, namespace, name!);
      default:
        return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
  }

  private route(path: string): { discovery: true } | { resource: ResourceKind; namespace?: string; name?: string; sub?: string } | undefined {
    const knative = this.options.knativeInstalled !== false;
    if (path === `/apis/${KNATIVE_GROUP}/v1` && knative) return { discovery: true };
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const [, group = '', ns, a, b, c] = m;
    if (group === KNATIVE_GROUP && !knative) return undefined;
    // /api/v1/namespaces/{name} is the namespace itself, not a scope.
    if (!group && ns !== undefined && a === undefined) return { resource: RESOURCES[0], name: ns };
    if (!group && ns === undefined && path === '/api/v1/namespaces') return { resource: RESOURCES[0] };
    const resource = RESOURCES.find((r) => r.group === group && r.plural === a);
    if (!resource) return undefined;
    return { resource, namespace: ns, name: b, sub: c };
  }

  /** What an apiserver answers for a group it does not serve. */
  private notServed(res: ServerResponse): void {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  }

  private discovery(res: ServerResponse): void {
    sendJson(res, 200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${KNATIVE_GROUP}/v1`,
      resources: RESOURCES.filter((r) => r.group === KNATIVE_GROUP).map((r) => ({
        name: r.plural, singularName: r.kind.toLowerCase(), namespaced: true, kind: r.kind,
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      })),
    });
  }

  private getOne(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, name: string): void {
    const obj = this.objects.get(keyOf(resource, namespace, name));
    if (!obj) return notFound(res, resource, name);
    sendJson(res, 200, obj);
  }

  private listAll(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, params: URLSearchParams): void {
    const selector = parseSelector(params.get('labelSelector') ?? '');
    const items = this.select(resource, namespace, selector);
    sendJson(res, 200, { apiVersion: apiVersionOf(resource), kind: `${resource.kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
  }

  private select(resource: ResourceKind, namespace: string | undefined, selector: (l: Record<string, string>) => boolean): Obj[] {
    const prefix = namespace === undefined ? `${resource.plural}/` : `${resource.plural}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([key, obj]) => key.startsWith(prefix) && selector(obj.metadata.labels ?? {}))
      .map(([, obj]) => obj);
  }

  private watch(req: IncomingMessage, res: ServerResponse, resource: ResourceKind, namespace: string | undefined, params: URLSearchParams): void {
    const selector = parseSelector(params.get('labelSelector') ?? '');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watcher: Watcher = { resource, namespace, selector, res };
    const from = Number(params.get('resourceVersion') ?? '');
    if (params.has('resourceVersion') && from > 0) {
      const oldest = this.history[0]?.rv ?? this.rv;
      if (from < oldest - 1) {
        res.write(`${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${from} (${oldest})`) })}\n`);
        res.end();
        return;
      }
      for (const event of this.history) if (event.rv > from) this.deliver(watcher, event);
    } else {
      // No resourceVersion: synthetic ADDED for what exists now, then changes.
      for (const obj of this.select(resource, namespace, selector)) res.write(`${JSON.stringify({ type: 'ADDED', object: obj })}\n`);
    }
    this.watchers.add(watcher);
    req.on('close', () => this.watchers.delete(watcher));
  }

  private deliver(w: Watcher, event: WatchEvent): void {
    if (w.resource !== event.resource) return;
    if (w.namespace !== undefined && w.namespace !== event.object.metadata.namespace) return;
    if (!w.selector(event.object.metadata.labels ?? {})) return;
    w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private create(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, body: Obj): void {
    const name = body?.metadata?.name;
    if (typeof name !== 'string' || !name) return sendStatus(res, 422, 'Invalid', `${resource.kind} "" is invalid: metadata.name: Required value`);
    if (this.objects.has(keyOf(resource, namespace, name))) {
      return sendStatus(res, 409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, { name, group: resource.group, kind: resource.plural });
    }
    const invalid = resource.plural === 'services' ? validateKnativeService(body, undefined) : undefined;
    if (invalid) return sendStatus(res, 422, 'Invalid', `admission webhook "validation.webhook.serving.knative.dev" denied the request: ${invalid}`);
    const obj: Obj = {
      ...body,
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: { ...body.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), generation: 1 },
    };
    if (resource.plural === 'namespaces') obj.status = { phase: 'Active' };
    const stored = this.store(resource, obj, 'ADDED');
    this.writes.push({ kind: resource.kind, object: structuredClone(stored) });
    sendJson(res, 201, stored);
    if (resource.plural === 'services') this.reconcileService(namespace!, name);
  }

  private replace(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, name: string, body: Obj): void {
    const current = this.objects.get(keyOf(resource, namespace, name));
    if (!current) return notFound(res, resource, name);
    this.write(res, resource, current, { ...body, status: current.status });
  }

  private patch(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, name: string, body: unknown, contentType: string): void {
    const current = this.objects.get(keyOf(resource, namespace, name));
    if (!current) return notFound(res, resource, name);
    let next: Obj;
    if (contentType.startsWith('application/merge-patch+json')) {
      next = mergePatch(structuredClone(current), body) as Obj;
    } else if (contentType.startsWith('application/json-patch+json')) {
      try {
        next = jsonPatch(structuredClone(current), body as JsonPatchOp[]);
      } catch (error) {
        return sendStatus(res, 422, 'Invalid', (error as Error).message);
      }
    } else {
      return sendStatus(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${contentType})`);
    }
    this.write(res, resource, current, next);
  }

  /** update and patch: resourceVersion precondition, Knative's admission checks, generation. */
  private write(res: ServerResponse, resource: ResourceKind, current: Obj, next: Obj): void {
    const name = current.metadata.name;
    const sent = next.metadata?.resourceVersion;
    if (sent !== undefined && sent !== current.metadata.resourceVersion) {
      return sendStatus(res, 409, 'Conflict',
        `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: resource.group, kind: resource.plural });
    }
    if (resource.plural === 'services') {
      const invalid = validateKnativeService(next, current);
      if (invalid) return sendStatus(res, 422, 'Invalid', `admission webhook "validation.webhook.serving.knative.dev" denied the request: ${invalid}`);
    }
    next.metadata = { ...next.metadata, name, namespace: current.metadata.namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
    next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    const stored = this.store(resource, next, 'MODIFIED');
    this.writes.push({ kind: resource.kind, object: structuredClone(stored) });
    sendJson(res, 200, stored);
    if (resource.plural === 'services' && specChanged) this.reconcileService(current.metadata.namespace, name);
  }

  private remove(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, name: string): void {
    const key = keyOf(resource, namespace, name);
    const obj = this.objects.get(key);
    if (!obj) return notFound(res, resource, name);
    this.drop(resource, key);
    if (resource.plural === 'namespaces') {
      for (const r of RESOURCES.slice(1)) for (const k of [...this.objects.keys()]) if (k.startsWith(`${r.plural}/${name}/`)) this.drop(r, k);
    }
    if (resource.plural === 'services') {
      for (const k of [...this.objects.keys()]) {
        const child = this.objects.get(k)!;
        if (child.metadata.namespace === namespace && child.metadata.labels?.['serving.knative.dev/service'] === name) {
          this.drop(RESOURCES.find((r) => r.kind === child.kind)!, k);
        }
      }
    }
    sendJson(res, 200, resource.plural === 'namespaces' ? { ...obj, status: { phase: 'Terminating' } } : statusBody(200, '', '', 'Success'));
  }

  /** GET …/pods/{name}/log: follow, tailLines, timestamps (RFC 3339 prefix), as the kubelet serves it. */
  private podLog(res: ServerResponse, namespace: string, pod: string, params: URLSearchParams): void {
    if (!this.objects.has(keyOf(RESOURCES[1], namespace, pod))) return notFound(res, RESOURCES[1], pod);
    const log = this.logOf(namespace, pod);
    const timestamps = params.get('timestamps') === 'true';
    const tail = params.has('tailLines') ? Number(params.get('tailLines')) : undefined;
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const line of tail === undefined ? log.lines : log.lines.slice(-tail)) res.write(logText(line, timestamps));
    if (params.get('follow') !== 'true') return void res.end();
    const follower = { res, timestamps };
    log.followers.add(follower);
    res.on('close', () => log.followers.delete(follower));
  }

  private logOf(namespace: string, pod: string) {
    const key = `${namespace}/${pod}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { lines: [], followers: new Set() }));
    return log;
  }

  // ---- Store and events -------------------------------------------------------------------

  private store(resource: ResourceKind, obj: Obj, type: WatchEvent['type']): Obj {
    obj.metadata.resourceVersion = String(++this.rv);
    this.objects.set(keyOf(resource, obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ rv: this.rv, type, resource, object: structuredClone(obj) });
    return obj;
  }

  private drop(resource: ResourceKind, key: string): void {
    const obj = this.objects.get(key)!;
    this.objects.delete(key);
    obj.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', resource, object: obj });
    if (resource.plural === 'pods') {
      const log = this.logs.get(`${obj.metadata.namespace}/${obj.metadata.name}`);
      for (const f of log?.followers ?? []) f.res.end();
      this.logs.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    }
  }

  private emit(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > 1000) this.history.shift();
    for (const w of this.watchers) this.deliver(w, event);
  }

  // ---- The Knative-like reconcile ---------------------------------------------------------

  private reconcileService(namespace: string, name: string): void {
    const service = this.objects.get(keyOf(RESOURCES[2], namespace, name));
    if (!service) return;
    const template = service.spec.template ?? {};
    const revisions = this.select(RESOURCES[3], namespace, (l) => l['serving.knative.dev/service'] === name);
    const revisionName = template.metadata?.name ?? `${name}-${String(revisions.length + 1).padStart(5, '0')}`;
    if (!revisions.some((r) => r.metadata.name === revisionName)) {
      const revision = {
        apiVersion: `${KNATIVE_GROUP}/v1`,
        kind: 'Revision',
        metadata: {
          name: revisionName,
          namespace,
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          generation: 1,
          labels: {
            ...template.metadata?.labels,
            'serving.knative.dev/service': name,
            'serving.knative.dev/configuration': name,
            'serving.knative.dev/configurationGeneration': String(service.metadata.generation),
          },
          annotations: { ...template.metadata?.annotations },
          ownerReferences: [{ apiVersion: `${KNATIVE_GROUP}/v1`, kind: 'Configuration', name, uid: service.metadata.uid, controller: true }],
        },
        spec: template.spec,
        status: { observedGeneration: 1, conditions: [condition('Ready', 'Unknown', 'Deploying')] },
      };
      this.store(RESOURCES[3], revision, 'ADDED');
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.readyRevision(namespace, revisionName);
        this.routeService(namespace, name);
      }, this.options.revisionReadyAfterMs ?? 0);
      this.timers.add(timer);
      this.setServiceStatus(namespace, name, { latestCreatedRevisionName: revisionName });
    }
    this.routeService(namespace, name);
  }

  private readyRevision(namespace: string, name: string): void {
    const key = keyOf(RESOURCES[3], namespace, name);
    const revision = this.objects.get(key);
    if (!revision) return;
    const image: string = revision.spec?.containers?.[0]?.image ?? '';
    const failed = this.options.failingImage?.test(image);
    const next = structuredClone(revision);
    next.status = {
      observedGeneration: 1,
      conditions: failed
        ? [condition('Ready', 'False', 'ContainerMissing', `Unable to fetch image "${image}": failed to resolve image to digest`)]
        : [condition('Ready', 'True'), condition('ContainerHealthy', 'True'), condition('ResourcesAvailable', 'True')],
      containerStatuses: [{ name: revision.spec?.containers?.[0]?.name ?? 'user-container', imageDigest: image.includes('@') ? image : `${image}@sha256:${'0'.repeat(64)}` }],
    };
    this.store(RESOURCES[3], next, 'MODIFIED');
  }

  /** status.traffic mirrors spec.traffic once every named revision is Ready; pods follow traffic. */
  private routeService(namespace: string, name: string): void {
    const service = this.objects.get(keyOf(RESOURCES[2], namespace, name));
    if (!service) return;
    const revisions = new Map(this.select(RESOURCES[3], namespace, (l) => l['serving.knative.dev/service'] === name).map((r) => [r.metadata.name, r]));
    const ready = (n: string) => revisions.get(n)?.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True';
    const readyNames = [...revisions.values()].filter((r) => ready(r.metadata.name)).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    const latestReady = readyNames.at(-1)?.metadata.name;
    const latestCreated: string | undefined = service.status?.latestCreatedRevisionName;
    const host = `${name}.${namespace}.example.com`;
    const spec: Obj[] = service.spec.traffic ?? [{ latestRevision: true, percent: 100 }];
    const missing = spec.map((t) => (t.latestRevision ? latestReady : t.revisionName)).find((n) => !n || !ready(n));
    const createdFailed = latestCreated && revisions.get(latestCreated)?.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'False';
    const status: Obj = {
      observedGeneration: service.metadata.generation,
      latestReadyRevisionName: latestReady,
      latestCreatedRevisionName: latestCreated,
      url: `http://${host}`,
      address: { url: `http://${name}.${namespace}.svc.cluster.local` },
    };
    if (missing !== undefined || !latestReady) {
      const reason = createdFailed ? 'RevisionFailed' : 'RevisionMissing';
      const message = createdFailed
        ? `Revision "${latestCreated}" failed with message: ${revisions.get(latestCreated!)!.status.conditions[0].message}.`
        : `Configuration "${name}" is waiting for a Revision to become ready.`;
      status.traffic = service.status?.traffic;
      status.conditions = [condition('Ready', createdFailed ? 'False' : 'Unknown', reason, message), condition('ConfigurationsReady', createdFailed ? 'False' : 'Unknown', reason, message), condition('RoutesReady', 'Unknown', reason, message)];
    } else {
      status.traffic = spec.map((t) => ({
        ...(t.tag ? { tag: t.tag, url: `http://${t.tag}-${host}` } : {}),
        revisionName: t.latestRevision ? latestReady : t.revisionName,
        latestRevision: Boolean(t.latestRevision),
        percent: t.percent ?? 0,
      }));
      status.conditions = [condition('Ready', 'True'), condition('ConfigurationsReady', 'True'), condition('RoutesReady', 'True')];
    }
    this.setServiceStatus(namespace, name, status);
    this.scalePods(namespace, name, revisions, status.traffic ?? []);
  }

  private setServiceStatus(namespace: string, name: string, status: Obj): void {
    const key = keyOf(RESOURCES[2], namespace, name);
    const service = this.objects.get(key)!;
    const next = { ...structuredClone(service), status: { ...service.status, ...status } };
    if (JSON.stringify(next.status) !== JSON.stringify(service.status)) this.store(RESOURCES[2], next, 'MODIFIED');
  }

  private scalePods(namespace: string, service: string, revisions: Map<string, Obj>, traffic: Obj[]): void {
    for (const [revisionName, revision] of revisions) {
      const minScale = Number(revision.metadata.annotations?.['autoscaling.knative.dev/min-scale'] ?? 0);
      const served = traffic.some((t) => t.revisionName === revisionName && t.percent > 0);
      const want = revision.status?.conditions?.[0]?.status === 'True' ? Math.max(minScale, served ? 1 : 0) : 0;
      const pods = this.select(RESOURCES[1], namespace, (l) => l['serving.knative.dev/revision'] === revisionName);
      for (const pod of pods.slice(want)) this.drop(RESOURCES[1], keyOf(RESOURCES[1], namespace, pod.metadata.name));
      for (let i = pods.length; i < want; i++) this.startPod(namespace, service, revision);
    }
  }

  /** A pod for a revision, as its Deployment's ReplicaSet would make it (the restart verb uses this too). */
  startPod(namespace: string, service: string, revision: Obj): Obj {
    const name = `${revision.metadata.name}-deployment-${randomUUID().slice(0, 5)}`;
    return this.store(RESOURCES[1], {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        labels: { ...revision.metadata.labels, 'serving.knative.dev/revision': revision.metadata.name, 'serving.knative.dev/service': service },
      },
      spec: { containers: [{ name: 'user-container', image: revision.spec?.containers?.[0]?.image }, { name: 'queue-proxy', image: 'queue' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'user-container', ready: true, restartCount: 0 }] },
    }, 'ADDED');
  }

  /** Pods deleted by the provider are replaced (a ReplicaSet keeps its count). */
  replacePodsOf(namespace: string): void {
    for (const service of this.select(RESOURCES[2], namespace, () => true)) this.routeService(namespace, service.metadata.name);
  }
}

// ---- Knative admission (the webhook checks the provider could trip) ---------------------------

function validateKnativeService(next: Obj, current: Obj | undefined): string | undefined {
  const name: string = next.metadata?.name ?? current?.metadata.name;
  const templateName: string | undefined = next.spec?.template?.metadata?.name;
  if (templateName !== undefined && !templateName.startsWith(`${name}-`)) {
    return `expected prefix: ${name}-: spec.template.metadata.name`;
  }
  const traffic: Obj[] | undefined = next.spec?.traffic;
  if (traffic) {
    const sum = traffic.reduce((s, t) => s + (t.percent ?? 0), 0);
    if (sum !== 100) return `Traffic targets sum to ${sum}, want 100: spec.traffic`;
    const tags = traffic.map((t) => t.tag).filter(Boolean);
    if (new Set(tags).size !== tags.length) return 'Multiple definitions for tag: spec.traffic';
  }
  const before = current?.spec?.template;
  if (before && templateName !== undefined && templateName === before.metadata?.name && JSON.stringify(next.spec.template) !== JSON.stringify(before)) {
    return `Saw the following changes without a name change (-old +new): spec.template`;
  }
  return undefined;
}

// ---- Wire helpers -----------------------------------------------------------------------------

function logText(line: { time: string; text: string }, timestamps: boolean): string {
  return timestamps ? `${line.time} ${line.text}\n` : `${line.text}\n`;
}

function keyOf(resource: ResourceKind, namespace: string | undefined, name: string): string {
  return `${resource.plural}/${resource.namespaced ? namespace ?? '' : ''}/${name}`;
}

function apiVersionOf(resource: ResourceKind): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

function qualified(resource: ResourceKind): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function verbOf(method: string, name: string | undefined, watch: boolean): string {
  if (method === 'GET') return watch ? 'watch' : name ? 'get' : 'list';
  return ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();
}

function condition(type: string, status: string, reason?: string, message?: string): Obj {
  return { type, status, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** metav1.Status. */
function statusBody(code: number, reason: string, message: string, status = 'Failure', details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status, message, reason, ...(details ? { details } : {}), code };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: Obj): void {
  sendJson(res, code, statusBody(code, reason, message, 'Failure', details));
}

function notFound(res: ServerResponse, resource: ResourceKind, name: string): void {
  sendStatus(res, 404, 'NotFound', `${qualified(resource)} "${name}" not found`, { name, group: resource.group, kind: resource.plural });
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** `a=b,c!=d,e,!f` (equality-based selectors). */
function parseSelector(text: string): (labels: Record<string, string>) => boolean {
  const terms = text.split(',').map((t) => t.trim()).filter(Boolean).map((term) => {
    const m = /^(!?)([^=!]+?)(?:(!=|==|=)(.*))?$/.exec(term)!;
    const [, not, key, op, value] = m;
    if (!op) return (l: Record<string, string>) => (key in l) !== Boolean(not);
    return op === '!=' ? (l: Record<string, string>) => l[key] !== value : (l: Record<string, string>) => l[key] === value;
  });
  return (labels) => terms.every((t) => t(labels));
}

/** RFC 7386 JSON Merge Patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? (target as Obj) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** RFC 6902 JSON Patch (add, remove, replace, test); a failed test is 422 like the apiserver. */
function jsonPatch(doc: Obj, ops: JsonPatchOp[]): Obj {
  for (const { op, path, value } of ops) {
    const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: any = doc;
    for (const p of parts) {
      parent = parent?.[p];
      if (parent === undefined) throw new Error(`the server rejected our request: path ${path} does not exist`);
    }
    const index = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : last;
    if (op === 'test') {
      if (JSON.stringify(parent[index]) !== JSON.stringify(value)) throw new Error(`the server rejected our request due to an error in our request: testing value ${path} failed`);
    } else if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(index as number, 1);
      else delete parent[index];
    } else if (op === 'add' && Array.isArray(parent)) {
      parent.splice(index as number, 0, value);
    } else {
      parent[index] = value;
    }
  }
  return doc;
}
