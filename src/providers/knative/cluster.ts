// The cluster connection: the user's own kubeconfig through the official client
// (@kubernetes/client-node), and one translation of what goes wrong into a FlightdeckError that
// says which of these it is: no kubeconfig or context, the API server unreachable, credentials
// expired or refused (401), missing RBAC (403, with the apiserver's own sentence), Knative
// Serving not installed (the serving.knative.dev group not served), a resourceVersion conflict.
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Log,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { KSVC, type KubeObject } from './mapping';

export interface ClusterOptions {
  /** A kubeconfig file; default `$KUBECONFIG`, else ~/.kube/config (the client's own rules). */
  kubeconfig?: string;
  /** A context of that kubeconfig; default its current-context. */
  context?: string;
}

export type Plural = 'services' | 'revisions';

export class Cluster {
  readonly config: KubeConfig;
  readonly context: string;
  readonly server: string;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly watcher: Watch;
  readonly logs: Log;
  /** API calls made (watches and log streams included), for the benchmark's round-trip rows. */
  calls = 0;
  private knativeChecked = false;

  constructor(options: ClusterOptions = {}) {
    const config = new KubeConfig();
    try {
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
      else config.loadFromDefault();
    } catch (error) {
      throw new FlightdeckError('BAD_REQUEST', `Cannot read the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}`);
    }
    if (options.context) {
      if (!config.getContextObject(options.context)) {
        const known = config.getContexts().map((c) => c.name).join(', ') || 'none';
        throw new FlightdeckError('BAD_REQUEST', `The kubeconfig has no context "${options.context}" (it has: ${known}).`, { field: 'context' });
      }
      config.setCurrentContext(options.context);
    }
    const cluster = config.getCurrentCluster();
    if (!config.getCurrentContext() || !cluster) {
      throw new FlightdeckError('BAD_REQUEST',
        'No Kubernetes context: set KUBECONFIG or write ~/.kube/config (e.g. with your cloud CLI), or name a context in flightdeck.yaml (provider: { kind: knative, context: NAME }).');
    }
    this.config = config;
    this.context = config.getCurrentContext();
    this.server = cluster.server;
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(config);
    this.logs = new Log(config);
  }

  /** Runs one API call, translating its failure. */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    this.calls++;
    try {
      return await request();
    } catch (error) {
      throw this.translate(error, what);
    }
  }

  /** Makes sure Knative Serving answers before the first Knative call (once per provider). */
  async ensureKnative(): Promise<void> {
    if (this.knativeChecked) return;
    await this.call('find Knative Serving', () => this.custom.getAPIResources({ group: KSVC.group, version: KSVC.version }));
    this.knativeChecked = true;
  }

  getKnative(plural: Plural, namespace: string, name: string): Promise<KubeObject> {
    return this.call(`read ${plural} ${namespace}/${name}`, () =>
      this.custom.getNamespacedCustomObject({ ...KSVC, plural, namespace, name })) as Promise<KubeObject>;
  }

  async listKnative(plural: Plural, namespace: string, labelSelector?: string): Promise<KubeObject[]> {
    const list = (await this.call(`list ${plural} in ${namespace}`, () =>
      this.custom.listNamespacedCustomObject({ ...KSVC, plural, namespace, labelSelector }))) as { items: KubeObject[] };
    return list.items;
  }

  createKnative(plural: Plural, namespace: string, body: KubeObject): Promise<KubeObject> {
    return this.call(`create ${plural} ${namespace}/${body.metadata?.name}`, () =>
      this.custom.createNamespacedCustomObject({ ...KSVC, plural, namespace, body })) as Promise<KubeObject>;
  }

  /** JSON merge patch (RFC 7386); a `metadata.resourceVersion` in it makes the write conditional. */
  mergePatchKnative(plural: Plural, namespace: string, name: string, body: object): Promise<KubeObject> {
    return this.call(`update ${plural} ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObject({ ...KSVC, plural, namespace, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as Promise<KubeObject>;
  }

  /** JSON Patch (RFC 6902); a failing `test` op makes the apiserver refuse the whole patch (422). */
  jsonPatchKnative(plural: Plural, namespace: string, name: string, body: object[]): Promise<KubeObject> {
    return this.call(`update ${plural} ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObject({ ...KSVC, plural, namespace, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))) as Promise<KubeObject>;
  }

  /** Turns a client failure into one clear FlightdeckError. */
  translate(error: unknown, what: string): FlightdeckError {
    if (isFlightdeckError(error)) return error;
    const where = `the cluster ${this.server} (context "${this.context}")`;
    if (error instanceof ApiException) {
      const status = statusOf(error.body);
      const message = status?.message ?? String(error.message);
      switch (error.code) {
        case 401:
          return new FlightdeckError('UNAUTHORIZED',
            `${where} refused the credentials (401 Unauthorized) while trying to ${what}: they are expired or revoked. Log in again (refresh the kubeconfig's token, e.g. with your cloud CLI) and retry.`,
            { status: 401 });
        case 403:
          return new FlightdeckError('UNAUTHORIZED',
            `Missing RBAC permission on ${where} to ${what}: ${message}. Ask a cluster admin for a Role granting it (Flightdeck needs get/list/watch/create/patch/delete on namespaces, pods, pods/log and services/revisions.serving.knative.dev).`,
            { status: 403 });
        case 404:
          if (!status) {
            return new FlightdeckError('UNAVAILABLE',
              `Knative Serving is not installed on ${where}: it does not serve the ${KSVC.group}/${KSVC.version} API. Install Knative Serving (https://knative.dev/docs/install/) or pick another context.`,
              { status: 404 });
          }
          return new FlightdeckError('NOT_FOUND', `Cannot ${what}: ${message}.`);
        case 409:
          return status?.reason === 'Conflict'
            ? new FlightdeckError('PRECONDITION_FAILED', `Cannot ${what}: it changed meanwhile (${message}).`)
            : new FlightdeckError('CONFLICT', `Cannot ${what}: ${message}.`);
        case 400:
        case 422:
          return new FlightdeckError('BAD_REQUEST', `The cluster refused to ${what}: ${message}`);
        default:
          return new FlightdeckError('UNAVAILABLE', `Cannot ${what} on ${where}: ${error.code} ${message}`, { status: error.code });
      }
    }
    const code = (error as { code?: string }).code;
    const text = (error as Error)?.message ?? String(error);
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(text)) {
      return new FlightdeckError('PLATFORM_UNREACHABLE', `Cannot reach ${where} to ${what}: ${code ?? text}. Is the cluster up and the context right?`);
    }
    return new FlightdeckError('INTERNAL', `Cannot ${what} on ${where}: ${text}`);
  }
}

function statusOf(body: unknown): { message?: string; reason?: string } | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && (value as { kind?: string }).kind === 'Status' ? (value as { message?: string; reason?: string }) : undefined;
}
