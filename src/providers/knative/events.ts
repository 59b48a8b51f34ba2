// The event stream on Knative: informers (list, then watch from its resourceVersion; the
// client's ListWatch) on Flightdeck namespaces, Services, Revisions and Pods across the cluster,
// turned into the same PlatformEvents the local platform sends, so the views stay live without
// polling. A watch that fails reports the connection down and is restarted with backoff.
import { makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { DEFAULT_ALIAS, type PlatformEvent, type PlatformEventType } from '../../model';
import type { Cluster } from './cluster';
import { LABEL, MANAGED_BY, aliasesOf, conditionOf, instanceOf, versionIdOf, versionOf, type KubeObject } from './mapping';
import { storedRollout } from './rollouts';

type Kind = 'namespace' | 'service' | 'revision' | 'pod';

const RETRY_MS = [500, 1000, 2000, 5000];

export class KnativeEvents {
  private readonly informers: Informer<KubernetesObject>[] = [];
  private readonly last = new Map<string, KubeObject>();
  private readonly down = new Set<Kind>();
  private seq = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly cluster: Cluster,
    private readonly onEvent: (event: PlatformEvent) => void,
    private readonly onConnection?: (connected: boolean) => void,
  ) {}

  start(): void {
    const { core, custom, config } = this.cluster;
    const knative = (plural: 'services' | 'revisions') => () =>
      custom.listClusterCustomObject({ group: 'serving.knative.dev', version: 'v1', plural, labelSelector: `${LABEL.managedBy}=${MANAGED_BY}` }) as never;
    this.watch('namespace', makeInformer(config, '/api/v1/namespaces', () => core.listNamespace({ labelSelector: `${LABEL.environment}=true` }) as never, `${LABEL.environment}=true`));
    this.watch('service', makeInformer(config, '/apis/serving.knative.dev/v1/services', knative('services'), `${LABEL.managedBy}=${MANAGED_BY}`));
    this.watch('revision', makeInformer(config, '/apis/serving.knative.dev/v1/revisions', knative('revisions'), `${LABEL.managedBy}=${MANAGED_BY}`));
    this.watch('pod', makeInformer(config, '/api/v1/pods', () => core.listPodForAllNamespaces({ labelSelector: `${LABEL.managedBy}=${MANAGED_BY}` }) as never, `${LABEL.managedBy}=${MANAGED_BY}`));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const informer of this.informers) void informer.stop();
  }

  private watch(kind: Kind, informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>): void {
    this.informers.push(informer);
    let attempt = 0;
    const run = () => {
      if (this.closed) return;
      this.cluster.calls += 2;
      informer.start().then(() => {
        attempt = 0;
        if (this.down.delete(kind) && this.down.size === 0) this.onConnection?.(true);
      }, () => undefined);
    };
    informer.on('error', () => {
      if (this.closed) return;
      if (this.down.size === 0) this.onConnection?.(false);
      this.down.add(kind);
      const timer = setTimeout(() => (this.timers.delete(timer), run()), RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
      this.timers.add(timer);
    });
    // The first list only fills the cache: what exists already is not news.
    void informer.start().then(() => {
      informer.on('add', (obj) => this.changed(kind, 'added', obj as KubeObject));
      informer.on('update', (obj) => this.changed(kind, 'updated', obj as KubeObject));
      informer.on('delete', (obj) => this.changed(kind, 'deleted', obj as KubeObject));
      for (const obj of informer.list()) this.last.set(keyOf(kind, obj as KubeObject), obj as KubeObject);
    }, () => undefined);
    this.cluster.calls += 2;
  }

  private changed(kind: Kind, change: 'added' | 'updated' | 'deleted', obj: KubeObject): void {
    const key = keyOf(kind, obj);
    const before = this.last.get(key);
    if (change === 'deleted') this.last.delete(key);
    else this.last.set(key, obj);
    for (const event of this.eventsOf(kind, change, obj, before)) this.onEvent({ seq: ++this.seq, time: new Date().toISOString(), ...event });
  }

  private eventsOf(kind: Kind, change: string, obj: KubeObject, before: KubeObject | undefined): Omit<PlatformEvent, 'seq' | 'time'>[] {
    const environment = kind === 'namespace' ? obj.metadata?.name : obj.metadata?.namespace;
    const fn = kind === 'service' ? obj.metadata?.name : obj.metadata?.labels?.['serving.knative.dev/service'];
    const base = { environment, function: fn };
    const event = (type: PlatformEventType, extra: Partial<PlatformEvent> = {}) => ({ type, ...base, ...extra });
    switch (kind) {
      case 'namespace':
        if (change === 'added') return [{ type: 'environment.created', environment }];
        return change === 'deleted' ? [{ type: 'environment.deleted', environment }] : [];
      case 'service': {
        if (change !== 'updated' || !before) return [event('function.updated')];
        const events = [];
        const live = aliasesOf(fn!, obj).find((a) => a.name === DEFAULT_ALIAS);
        if (JSON.stringify(obj.status?.traffic) !== JSON.stringify(before.status?.traffic) || JSON.stringify(obj.spec?.traffic) !== JSON.stringify(before.spec?.traffic)) {
          events.push(event('alias.updated', live ? { alias: live } : {}));
        }
        const rollout = storedRollout(obj)?.rollout;
        if (rollout && JSON.stringify(rollout) !== JSON.stringify(storedRollout(before)?.rollout)) events.push(event('rollout.updated', { rollout }));
        if (JSON.stringify(obj.spec?.template) !== JSON.stringify(before.spec?.template)) events.push(event('function.updated'));
        return events;
      }
      case 'revision': {
        const version = versionOf(environment!, fn!, obj);
        if (change === 'added') return [event('version.published', { versionId: version.id, version })];
        if (change === 'deleted') return [event('function.updated')];
        const was = before && conditionOf(before, 'Ready')?.status;
        return conditionOf(obj, 'Ready')?.status !== was ? [event('version.health', { versionId: version.id, version })] : [];
      }
      case 'pod': {
        const instance = instanceOf(fn!, obj, 0);
        const versionId = versionIdOf(fn!, obj.metadata?.labels?.['serving.knative.dev/revision']);
        if (change === 'deleted') return [event('instance.down', { instance, versionId })];
        const wasReady = before && instanceOf(fn!, before, 0).state === 'ready';
        return instance.state === 'ready' && !wasReady ? [event('instance.up', { instance, versionId })] : [];
      }
    }
  }
}

function keyOf(kind: Kind, obj: KubeObject): string {
  return `${kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
}
