// KnativeProvider through the official client (@kubernetes/client-node) against the stand-in
// Kubernetes API server (test/doubles/kubeApiServer.ts), over real HTTP. Every object the
// provider writes is validated against the published Kubernetes and Knative Serving schemas.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseProjectFile } from '../../src/config/projectFile';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';
import type { FunctionConfig, PlatformEvent, Rollout } from '../../src/model';
import type { LogLine } from '../../src/provider';
import { KnativeProvider } from '../../src/providers/knative/knativeProvider';
import { KubeApiServerDouble } from '../doubles/kubeApiServer';
import { validateKubeObject } from '../helpers/kubeSchemas';
import { poll } from '../helpers/wait';

const CONFIG: FunctionConfig = {
  runtime: 'nodejs',
  handler: 'index.handler',
  instances: { min: 0, max: 3, concurrency: 10, idleTimeoutMs: 60_000 },
  env: { GREETING: 'hi' },
  timeoutMs: 15_000,
};
const digest = (n: number) => `registry.example.com/team/api@sha256:${String(n).repeat(64).slice(0, 64)}`;

/** Waits for a condition (10 s at most). */
function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<true> {
  return poll(what, async () => ((await check()) ? true : undefined), { timeoutMs: 10_000, everyMs: 10 });
}

type Target = { tag?: string; revisionName?: string; percent?: number };
/** The untagged entries of spec.traffic: the live split. */
const split = (service: any): Target[] => service.spec.traffic.filter((t: Target) => !t.tag);
/** tag → revision, for the tagged entries. */
const tagsOf = (service: any): Record<string, string> => Object.fromEntries(service.spec.traffic.filter((t: Target) => t.tag).map((t: Target) => [t.tag, t.revisionName]));

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isFlightdeckError(error), `not a FlightdeckError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('KnativeProvider against the stand-in API server', () => {
  let server: KubeApiServerDouble;
  let apiUrl: string;
  let work: string;
  let kubeconfig: string;
  let provider: KnativeProvider;
  const providers: KnativeProvider[] = [];
  const open = (options: { context?: string; kubeconfig?: string } = {}) => {
    const p = new KnativeProvider({ kubeconfig, readyTimeoutMs: 10_000, ...options });
    providers.push(p);
    return p;
  };
  const deployImage = async (env: string, fn: string, image: string, extra: Partial<{ description: string; branch: string; commit: string }> = {}) =>
    provider.deploy(env, fn, { config: CONFIG, code: await scanCode(join(work, 'code')), image: { image }, ...extra });

  before(async () => {
    server = new KubeApiServerDouble({ revisionReadyAfterMs: 20, failingImage: /broken/ });
    apiUrl = await server.start();
    work = mkdtempSync(join(tmpdir(), 'flightdeck-knative-'));
    mkdirSync(join(work, 'code'));
    writeFileSync(join(work, 'code', 'index.js'), 'exports.handler = async () => "hi";');
    kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, server.kubeconfig('team-cluster'));
    provider = open();
    await provider.createEnvironment({ name: 'jane-main', kind: 'personal', owner: 'jane', branch: 'feature/x' });
    await provider.createEnvironment({ name: 'production', kind: 'production' });
  });
  after(async () => {
    for (const p of providers) p.dispose();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(async () => {
    // Every object Flightdeck wrote must be valid for the real API server's schemas.
    for (const write of server.writes.splice(0)) await validateKubeObject(write.kind, write.object);
  });

  it('names the kubeconfig context it is on', () => {
    assert.equal(provider.label, 'Knative (team-cluster)');
  });

  it('maps environments to labelled namespaces and ignores other namespaces', async () => {
    const ns = server.get('namespaces', undefined, 'jane-main')!;
    assert.equal(ns.metadata.labels['flightdeck.dev/environment'], 'true');
    assert.equal(ns.metadata.labels['flightdeck.dev/kind'], 'personal');
    assert.equal(ns.metadata.annotations['flightdeck.dev/branch'], 'feature/x');
    server.update('namespaces', undefined, 'jane-main', () => undefined); // a touch by someone else changes nothing
    const environments = await provider.listEnvironments();
    assert.deepEqual(environments.map((e) => [e.name, e.kind, e.protected, e.owner, e.branch]), [
      ['jane-main', 'personal', false, 'jane', 'feature/x'],
      ['production', 'production', true, undefined, undefined],
    ]);
    await rejects(provider.createEnvironment({ name: 'jane-main', kind: 'personal' }), 'CONFLICT', /already exists/);
  });

  it('deploys a Service whose Revision <fn>-v<N> is annotated and pinned by digest; the same deploy is unchanged', async () => {
    const first = await deployImage('jane-main', 'api', digest(1), { branch: 'feature/x', commit: 'abc123', description: 'first' });
    assert.equal(first.unchanged, false);
    assert.equal(first.version.id, 1);
    assert.equal(first.version.health, 'healthy');
    assert.equal(first.url, 'http://api.jane-main.example.com');
    const revision = server.get('revisions', 'jane-main', 'api-v1')!;
    assert.equal(revision.spec.containers[0].image, digest(1));
    assert.equal(revision.metadata.annotations['flightdeck.dev/branch'], 'feature/x');
    assert.equal(revision.metadata.annotations['flightdeck.dev/commit'], 'abc123');
    assert.equal(revision.metadata.annotations['flightdeck.dev/description'], 'first');
    assert.match(revision.metadata.annotations['flightdeck.dev/tree'], /^[0-9a-f]{64}$/);
    assert.equal(revision.metadata.annotations['autoscaling.knative.dev/max-scale'], '3');
    assert.equal(revision.spec.containerConcurrency, 10);
    assert.equal(revision.spec.timeoutSeconds, 15);
    const version = await provider.getVersion('jane-main', 'api', 1);
    assert.deepEqual(version.config, CONFIG);
    assert.equal(version.commit, 'abc123');

    const again = await deployImage('jane-main', 'api', digest(1), { branch: 'feature/x', commit: 'abc123' });
    assert.equal(again.unchanged, true);
    assert.equal(again.version.id, 1);
  });

  it('creates a function new to a just-created environment without looking its Service up; a wrong hint updates it', async () => {
    await provider.createEnvironment({ name: 'jane-hint', kind: 'personal', owner: 'jane', branch: 'feature/hint' });
    const hinted = async (image: string) =>
      provider.deploy('jane-hint', 'api', { config: CONFIG, code: await scanCode(join(work, 'code')), image: { image } }, { newFunction: true });
    const service = '/apis/serving.knative.dev/v1/namespaces/jane-hint/services';
    const calls = () => server.takeRequests().filter((r) => !r.watch && r.path.startsWith(service)).map((r) => `${r.method} ${r.path.slice(service.length) || '/'}`);
    calls();
    const first = await hinted(digest(3));
    assert.equal(first.version.id, 1);
    const created = calls();
    assert.equal(created[0], 'POST /', `the Service is created first, not looked up: ${created.join(', ')}`);
    const second = await hinted(digest(4));
    assert.deepEqual([second.version.id, second.unchanged], [2, false]);
    const fallback = calls();
    assert.deepEqual(fallback.slice(0, 2), ['POST /', 'GET /api'], `the 409 on create, then the lookup: ${fallback.join(', ')}`);
    assert.ok(fallback.includes('PATCH /api'), fallback.join(', '));
    await provider.deleteEnvironment('jane-hint');
  });

  it('moves live to a new version only once Knative calls it Ready, and not in production', async () => {
    const second = await deployImage('jane-main', 'api', digest(2));
    assert.equal(second.version.id, 2);
    const live = await provider.getAlias('jane-main', 'api', 'live');
    assert.deepEqual([live.versionId, live.additionalVersionWeight], [2, {}]);
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v2', percent: 100 }]);
    // Each version's own URL is its tag v<N> (0%): Knative gives a revision a URL only through a tag.
    assert.deepEqual(tagsOf(server.get('services', 'jane-main', 'api')), { v1: 'api-v1', v2: 'api-v2' });
    await waitFor('v2 to be routed', async () => (await provider.functionUrl('jane-main', 'api', { version: 2 }).catch(() => '')) === 'http://v2-api.jane-main.example.com');

    // A revision Knative never calls Ready is published (history), reported as not started, and never routed to.
    const broken = await deployImage('jane-main', 'api', 'registry.example.com/team/broken@sha256:' + 'e'.repeat(64));
    assert.equal(broken.version.id, 3);
    assert.equal(broken.start.started, false);
    assert.match(broken.start.reason ?? '', /revision api-v3 failed: /);
    assert.deepEqual(broken.live, { outcome: 'held', reason: 'notStarted', previousVersion: 2 });
    assert.equal((await provider.getAlias('jane-main', 'api', 'live')).versionId, 2);
    assert.equal((await provider.getVersion('jane-main', 'api', 3)).health, 'unhealthy');
    assert.equal(tagsOf(server.get('services', 'jane-main', 'api')).v3, undefined, 'a failed revision gets no URL');
    await rejects(provider.functionUrl('jane-main', 'api', { version: 3 }), 'NOT_FOUND', /no URL yet/);

    await deployImage('production', 'api', digest(1));
    const production = await deployImage('production', 'api', digest(2));
    assert.deepEqual(production.live, { outcome: 'held', reason: 'production', previousVersion: 1 });
    assert.equal((await provider.getAlias('production', 'api', 'live')).versionId, 1, 'a production deploy moves no traffic');
  });

  it('sets live weights as whole percents with a resourceVersion-guarded write; a rival traffic change is never lost', async () => {
    const live = await provider.getAlias('jane-main', 'api', 'live');
    // The controller writing status meanwhile is not a conflict: the traffic the etag guards is unchanged.
    server.update('services', 'jane-main', 'api', (s) => (s.status.observedGeneration += 0, (s.metadata.annotations = { touched: 'yes' })));
    const moved = await provider.updateAlias('jane-main', 'api', 'live', { versionId: 2, additionalVersionWeight: { 1: 0.1 } }, live.etag);
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v2', percent: 90 }, { revisionName: 'api-v1', percent: 10 }]);
    assert.deepEqual(tagsOf(server.get('services', 'jane-main', 'api')), { v1: 'api-v1', v2: 'api-v2' }, 'version tags survive a weight change');
    assert.deepEqual([moved.versionId, moved.additionalVersionWeight], [2, { 1: 0.1 }]);
    await waitFor('status.traffic to mirror spec.traffic', () =>
      JSON.stringify(server.get('services', 'jane-main', 'api')!.status.traffic.filter((t: Target) => !t.tag)) === '[{"revisionName":"api-v2","latestRevision":false,"percent":90},{"revisionName":"api-v1","latestRevision":false,"percent":10}]');

    // A teammate's kubectl moves the traffic: the stale etag is refused, their split stays.
    server.update('services', 'jane-main', 'api', (s) => (s.spec.traffic = [{ revisionName: 'api-v1', percent: 100 }, ...s.spec.traffic.filter((t: Target) => t.tag)]));
    await rejects(provider.updateAlias('jane-main', 'api', 'live', { versionId: 2, additionalVersionWeight: {} }, moved.etag), 'PRECONDITION_FAILED', /changed since it was read/);
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v1', percent: 100 }]);

    await rejects(provider.updateAlias('jane-main', 'api', 'live', { versionId: 2, additionalVersionWeight: { 1: 0.125 } }), 'BAD_REQUEST', /whole percents/);
    await rejects(provider.updateAlias('jane-main', 'api', 'live', { versionId: 2, additionalVersionWeight: { 9: 0.5 } }), 'NOT_FOUND', /no version 9/);
  });

  it('maps other aliases to traffic tags with their own URL and refuses a weight on them', async () => {
    const beta = await provider.updateAlias('jane-main', 'api', 'beta', { versionId: 2, additionalVersionWeight: {} });
    assert.equal(beta.versionId, 2);
    const service = server.get('services', 'jane-main', 'api')!;
    assert.deepEqual(split(service), [{ revisionName: 'api-v1', percent: 100 }]);
    assert.equal(tagsOf(service).beta, 'api-v2');
    await waitFor('the tag to be routed', async () => (await provider.functionUrl('jane-main', 'api', { alias: 'beta' }).catch(() => '')) !== '');
    assert.equal(await provider.functionUrl('jane-main', 'api', { alias: 'beta' }), 'http://beta-api.jane-main.example.com');
    assert.equal(await provider.functionUrl('jane-main', 'api', { version: 1 }), 'http://v1-api.jane-main.example.com');
    await rejects(provider.updateAlias('jane-main', 'api', 'v1', { versionId: 2, additionalVersionWeight: {} }), 'BAD_REQUEST', /gives a version its URL/);
    await rejects(provider.updateAlias('jane-main', 'api', 'beta', { versionId: 2, additionalVersionWeight: { 1: 0.2 } }), 'BAD_REQUEST', /traffic tag.*no weight split/);
    // Moving live keeps the tag.
    await provider.updateAlias('jane-main', 'api', 'live', { versionId: 2, additionalVersionWeight: {} });
    assert.deepEqual((await provider.listAliases('jane-main', 'api')).map((a) => [a.name, a.versionId]), [['live', 2], ['beta', 2]]);
  });

  it('lists functions, versions and instances (the pods of revisions with traffic)', async () => {
    const [fn] = await provider.listFunctions('jane-main');
    assert.equal(fn.name, 'api');
    assert.equal(fn.latestVersion, 3);
    assert.deepEqual(fn.config, CONFIG);
    await waitFor('a pod for v2', async () => (await provider.listInstances('jane-main', 'api')).some((i) => i.versionId === 2 && i.state === 'ready'));
    const page = await provider.listVersions('jane-main', 'api', { limit: 2 });
    assert.deepEqual(page.versions.map((v) => v.id), [3, 2]);
    assert.equal(page.nextBefore, 2);
    assert.deepEqual((await provider.listVersions('jane-main', 'api', { before: 2 })).versions.map((v) => v.id), [1]);
    await rejects(provider.listVersionFiles(), 'BAD_REQUEST', /images, not source files/);
  });

  it('reads and follows the pods\' logs', async () => {
    const [pod] = server.list('pods', 'jane-main');
    server.writeLog('jane-main', pod.metadata.name, 'hello from v2');
    const lines = await provider.readLogs('jane-main', 'api');
    assert.deepEqual(lines.map((l) => [l.text, l.versionId, l.instance]), [['hello from v2', 2, pod.metadata.name]]);
    const seen: LogLine[] = [];
    const sub = provider.followLogs('jane-main', 'api', {}, (line) => seen.push(line));
    await waitFor('the backlog', () => seen.length === 1);
    server.writeLog('jane-main', pod.metadata.name, 'live line');
    await waitFor('a followed line', () => seen.some((l) => l.text === 'live line'));
    sub.close();
  });

  it('ends a log follow when its Service is deleted, by itself or with its namespace, after the API server ended its first watch', async () => {
    await provider.createEnvironment({ name: 'follow-gone', kind: 'personal' });
    // As `kubectl delete ksvc api -n follow-gone` does it; then the whole environment.
    const deleteService = () => fetch(`${apiUrl}/apis/serving.knative.dev/v1/namespaces/follow-gone/services/api`, { method: 'DELETE', headers: { authorization: `Bearer ${server.token}` } });
    for (const remove of [deleteService, () => provider.deleteEnvironment('follow-gone')]) {
      await deployImage('follow-gone', 'api', digest(7));
      const gone: string[] = [];
      const sub = provider.followLogs('follow-gone', 'api', { onGone: (error) => gone.push(error.message) }, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
      // The API server ends watches after its request timeout: the follow watches again.
      server.endWatches();
      await new Promise((r) => setTimeout(r, 1_500));
      assert.deepEqual(gone, []);
      await remove();
      await waitFor('the follow to end', () => gone.length === 1);
      assert.match(gone[0], /^Knative Service api in namespace follow-gone was deleted\.$/);
      sub.close();
    }
  });

  it('feeds watches on namespaces, Services, Revisions and Pods into the event stream', async () => {
    const events: PlatformEvent[] = [];
    const sub = provider.subscribe((e) => events.push(e));
    await new Promise((r) => setTimeout(r, 200));
    await deployImage('jane-main', 'api', digest(4));
    await waitFor('version.published and alias.updated', () =>
      events.some((e) => e.type === 'version.published' && e.versionId === 4) && events.some((e) => e.type === 'alias.updated' && e.alias?.versionId === 4));
    await provider.createEnvironment({ name: 'bob-main', kind: 'personal' });
    await waitFor('environment.created', () => events.some((e) => e.type === 'environment.created' && e.environment === 'bob-main'));
    await waitFor('instance.up', () => events.some((e) => e.type === 'instance.up' && e.environment === 'jane-main'));
    sub.close();
  });

  it('runs a canary rollout client-side, keeps its state on the Service, says it is ungated, and lets another client abort it', async () => {
    await deployImage('jane-main', 'api', digest(5));
    await provider.updateAlias('jane-main', 'api', 'live', { versionId: 4, additionalVersionWeight: {} });
    const rollout = await provider.startRollout('jane-main', 'api', {
      strategy: 'canary', alias: 'live', toVersion: 5, steps: [20, 50, 100], intervalMs: 60_000,
      gates: { maxErrorRate: 0.05, maxP95Ms: 500, minRequests: 10 },
    });
    assert.equal(rollout.percent, 20);
    assert.match(rollout.note ?? '', /ungated: no Prometheus URL/);
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v4', percent: 80 }, { revisionName: 'api-v5', percent: 20 }]);
    const stored = JSON.parse(server.get('services', 'jane-main', 'api')!.metadata.annotations['flightdeck.dev/rollout']);
    assert.equal(stored.rollout.id, rollout.id);

    // A teammate (another client, its own provider) sees it and aborts it.
    const teammate = open();
    const seen = await teammate.getRollout('jane-main', 'api');
    assert.equal(seen?.status, 'running');
    const aborted = await teammate.rolloutAction('jane-main', 'api', 'abort');
    assert.equal(aborted.status, 'aborted');
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v4', percent: 100 }]);
    assert.equal((await provider.getRollout('jane-main', 'api'))?.status, 'aborted');

    await rejects(provider.startRollout('jane-main', 'api', { strategy: 'batch', alias: 'live', toVersion: 5, intervalMs: 1000, batches: 2, gates: { maxErrorRate: 0.05, maxP95Ms: 500, minRequests: 10 } }), 'BAD_REQUEST', /no batch release/);
  });

  it('runs a canary rollout to done', async () => {
    const updates: Rollout[] = [];
    const rollout = await provider.startRollout('jane-main', 'api', {
      strategy: 'canary', alias: 'live', toVersion: 5, steps: [50, 100], intervalMs: 50,
      gates: { maxErrorRate: 0.05, maxP95Ms: 500, minRequests: 10 },
    });
    updates.push(rollout);
    // Ungated (no Prometheus) and without traffic, it completes unverified (issue 8), never a plain success.
    await waitFor('the rollout to complete', async () => (await provider.getRollout('jane-main', 'api'))?.status === 'completedUnverified');
    assert.deepEqual(split(server.get('services', 'jane-main', 'api')), [{ revisionName: 'api-v5', percent: 100 }]);
  });

  it('restarts by recycling the pods in batches', async () => {
    await provider.updateAlias('jane-main', 'api', 'live', { versionId: 5, additionalVersionWeight: { 4: 0.5 } });
    await waitFor('two pods', () => server.list('pods', 'jane-main').length === 2);
    const before = server.list('pods', 'jane-main').map((p) => p.metadata.name);
    const deleted: string[] = [];
    const sub = provider.subscribe((e) => e.type === 'instance.down' && deleted.push(e.instance!.id));
    await new Promise((r) => setTimeout(r, 200));
    const restart = provider.restart('jane-main', 'api', { batches: 2 });
    // The stand-in's ReplicaSet stand-in: replace deleted pods.
    const replacing = setInterval(() => server.replacePodsOf('jane-main'), 20);
    await restart.finally(() => clearInterval(replacing));
    const after = server.list('pods', 'jane-main').map((p) => p.metadata.name);
    assert.equal(after.length, 2);
    assert.ok(after.every((name) => !before.includes(name)), 'every pod was replaced');
    await waitFor('instance.down events', () => deleted.length === 2);
    sub.close();
  });

  it('deletes an environment by deleting its namespace; a protected one needs the confirmation', async () => {
    await rejects(provider.deleteEnvironment('production'), 'CONFLICT', /protected/);
    await provider.deleteEnvironment('bob-main');
    assert.equal(server.get('namespaces', undefined, 'bob-main'), undefined);
    await rejects(provider.deleteEnvironment('bob-main'), 'NOT_FOUND', /not found/);
  });

  it('says which of expired credentials, missing RBAC, no Knative or no cluster it is, in one message', async () => {
    const expired = join(work, 'expired');
    writeFileSync(expired, server.kubeconfig('old', 'expired-token'));
    await rejects(open({ kubeconfig: expired }).listEnvironments(), 'UNAUTHORIZED', /refused the credentials \(401 Unauthorized\).*expired or revoked/);

    server.forbid = (verb, plural) => verb === 'list' && plural === 'services';
    await rejects(open().listFunctions('jane-main'), 'UNAUTHORIZED', /Missing RBAC permission.*cannot list resource "services" in API group "serving.knative.dev" in the namespace "jane-main"/);
    server.forbid = () => false;

    const bare = new KubeApiServerDouble({ knativeInstalled: false });
    await bare.start();
    const bareConfig = join(work, 'bare');
    writeFileSync(bareConfig, bare.kubeconfig('bare'));
    await rejects(open({ kubeconfig: bareConfig }).listFunctions('default'), 'UNAVAILABLE', /Knative Serving is not installed .*context "bare"/);
    await bare.stop();
    await rejects(open({ kubeconfig: bareConfig }).listEnvironments(), 'PLATFORM_UNREACHABLE', /Cannot reach the cluster .*ECONNREFUSED/);

    assert.throws(() => open({ context: 'nope' }), /no context "nope" \(it has: team-cluster\)/);
  });

  it('picks a named context of the kubeconfig, and KUBECONFIG by default', async () => {
    const both = join(work, 'both');
    writeFileSync(both, server.kubeconfig('team-cluster').replace('current-context: team-cluster', 'current-context: elsewhere').replace('contexts:\n', 'contexts:\n- name: elsewhere\n  context:\n    cluster: team-cluster-cluster\n    user: team-cluster-user\n'));
    assert.equal(open({ kubeconfig: both }).label, 'Knative (elsewhere)');
    assert.equal(open({ kubeconfig: both, context: 'team-cluster' }).label, 'Knative (team-cluster)');
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    try {
      assert.equal(new KnativeProvider().label, 'Knative (team-cluster)');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});

describe('flightdeck.yaml for Knative', () => {
  it('asks a function without image or build for one, at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flightdeck-knative-yaml-'));
    mkdirSync(join(dir, 'api'));
    const text = 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    code: ./api\n    handler: index.handler\n  web:\n    runtime: custom\n    code: ./api\n    command: [node, s.js]\n    build: ko build --bare .\n';
    const file = join(dir, 'flightdeck.yaml');
    const { problems } = parseProjectFile(text, file, { provider: 'knative' });
    assert.equal(problems.length, 1);
    assert.equal(problems[0].line, 3);
    assert.match(problems[0].message, /Function api runs on knative, which runs container images: add `image: .*` or `build: .*`/);
    const local = parseProjectFile(text, file);
    assert.deepEqual(local.problems, []);
    assert.deepEqual(local.project!.functions[1].image, { build: 'ko build --bare .' });
    const byBlock = parseProjectFile(`${text}provider:\n  kind: knative\n  prometheus: http://prometheus.monitoring:9090\n`, file);
    assert.deepEqual(byBlock.problems.map((p) => [p.line, p.path]), [[3, 'functions.api']]);
    const badUrl = parseProjectFile(`${text}provider:\n  kind: knative\n  prometheus: prom:9090\n`, file);
    assert.equal(badUrl.problems.find((p) => p.line === 14)?.message, '`provider.prometheus` must be an http(s) URL, e.g. http://prometheus.monitoring:9090.');
    const bad = parseProjectFile(text.replace('build: ko build --bare .', 'image: "Not An Image"'), file, { provider: 'knative' });
    assert.equal(bad.problems.find((p) => p.line === 11)?.message.includes('must be an image reference'), true);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the published schemas the writes are checked against', () => {
  it('refuse what the real API server would refuse', async () => {
    const service = { metadata: { name: 'api' }, spec: { template: { spec: { containers: [{ name: 'user-container', image: digest(1) }] } }, traffic: [{ revisionName: 'api-v1', percent: 100 }] } };
    await validateKubeObject('Service', service);
    await assert.rejects(validateKubeObject('Service', { ...service, spec: { ...service.spec, traffic: [{ revisionName: 'api-v1', percent: '100' }] } }), /percent must be integer/);
    await assert.rejects(validateKubeObject('Namespace', { metadata: { name: 'x', labels: { a: 1 } } }), /must be string/);
  });
});
