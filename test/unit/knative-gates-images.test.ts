// Knative rollout gates from Prometheus, and image pinning, against stand-ins over real HTTP:
// a Prometheus double answering the HTTP query API (/api/v1/query) with queue-proxy metrics, and
// a registry double speaking the OCI Distribution manifest HEAD with Docker token auth.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';
import type { FunctionConfig } from '../../src/model';
import { pinnedImage } from '../../src/providers/knative/image';
import { KnativeProvider } from '../../src/providers/knative/knativeProvider';
import { KubeApiServerDouble } from '../doubles/kubeApiServer';
import { poll } from '../helpers/wait';

const CONFIG: FunctionConfig = { runtime: 'custom', command: ['server'], instances: { min: 0, max: 2, concurrency: 8, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 };
const DIGEST = `sha256:${'d'.repeat(64)}`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Knative rollout gates from Prometheus', () => {
  const queries: string[] = [];
  // v2 of dev/api: 100 requests in the window, 40 of them 5xx, p95 120 ms.
  const prometheus = createServer((req, res) => {
    const query = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    queries.push(query);
    const sample = (metric: Record<string, string>, value: number) => ({ metric, value: [Date.now() / 1000, String(value)] });
    const result = !query.includes('namespace_name="dev",service_name="api"') ? []
      : query.startsWith('sum by (revision_name, response_code_class)')
        ? [sample({ revision_name: 'api-v2', response_code_class: '5xx' }, 40), sample({ revision_name: 'api-v2', response_code_class: '2xx' }, 60), sample({ revision_name: 'api-v1', response_code_class: '2xx' }, 900)]
        : [sample({ revision_name: 'api-v2' }, 120), sample({ revision_name: 'api-v1' }, 15)];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  let kube: KubeApiServerDouble;
  let work: string;
  let provider: KnativeProvider;

  before(async () => {
    kube = new KubeApiServerDouble({ revisionReadyAfterMs: 5 });
    await kube.start();
    const host = await listen(prometheus);
    work = mkdtempSync(join(tmpdir(), 'fd-knative-gates-'));
    mkdirSync(join(work, 'code'));
    writeFileSync(join(work, 'code', 'server.js'), '');
    writeFileSync(join(work, 'kubeconfig'), kube.kubeconfig('gates'));
    provider = new KnativeProvider({ kubeconfig: join(work, 'kubeconfig'), prometheusUrl: `http://${host}` });
    await provider.createEnvironment({ name: 'dev', kind: 'staging' });
    const code = await scanCode(join(work, 'code'));
    for (const n of [1, 2]) {
      await provider.deploy('dev', 'api', { config: { ...CONFIG, env: { N: String(n) } }, code, image: { image: `registry.example.com/t/api@sha256:${String(n).repeat(64)}` } });
    }
    await provider.updateAlias('dev', 'api', 'live', { versionId: 1, additionalVersionWeight: {} });
  });
  after(async () => {
    provider.dispose();
    await kube.stop();
    prometheus.closeAllConnections();
    prometheus.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reads per-version figures from the queue-proxy metrics', async () => {
    const metrics = await provider.getMetrics('dev', 'api', 30_000);
    assert.deepEqual(metrics.map((m) => [m.versionId, m.requests, m.errors, m.errorRate, m.p95Ms]), [[1, 900, 0, 0, 15], [2, 100, 40, 0.4, 120]]);
    assert.ok(queries.some((q) => q.includes('increase(revision_request_count{namespace_name="dev",service_name="api"}[30s])')), queries.join('\n'));
    assert.ok(queries.some((q) => q.startsWith('histogram_quantile(0.95, sum by (revision_name, le) (rate(revision_request_latencies_bucket{')));
  });

  it('rolls a canary back when its error rate fails the gate, and says nothing of being ungated', async () => {
    const started = await provider.startRollout('dev', 'api', {
      strategy: 'canary', alias: 'live', toVersion: 2, steps: [10, 100], intervalMs: 60_000,
      gates: { maxErrorRate: 0.05, maxP95Ms: 1000, minRequests: 10 },
    });
    assert.equal(started.note, undefined);
    const end = await poll('the rollback', async () => {
      const rollout = await provider.getRollout('dev', 'api');
      return rollout?.status === 'rolledBack' ? rollout : undefined;
    }, { timeoutMs: 10_000, everyMs: 50 });
    assert.equal(end.reason, 'error rate 40% over 100 requests > 5% allowed');
    const live = await provider.getAlias('dev', 'api', 'live');
    assert.deepEqual([live.versionId, live.additionalVersionWeight], [1, {}]);
  });
});

describe('Knative images pinned by digest', () => {
  let registry: Server;
  let host: string;
  before(async () => {
    registry = createServer((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'anon' }));
      } else if (req.method !== 'HEAD' || req.url !== '/v2/team/api/manifests/1.0') {
        res.writeHead(404).end();
      } else if (req.headers.authorization !== 'Bearer anon') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="stand-in",scope="repository:team/api:pull"` }).end();
      } else {
        res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
      }
    });
    host = await listen(registry);
  });
  after(() => {
    registry.closeAllConnections();
    registry.close();
  });
  const options = { cwd: tmpdir(), scheme: () => 'http' as const };

  it('resolves a tag to its digest through the registry (anonymous token), and keeps a digest as given', async () => {
    assert.equal(await pinnedImage('api', { image: `${host}/team/api:1.0` }, options), `${host}/team/api@${DIGEST}`);
    assert.equal(await pinnedImage('api', { image: `${host}/team/api@${DIGEST}` }, options), `${host}/team/api@${DIGEST}`);
    await assert.rejects(pinnedImage('api', { image: `${host}/team/api:nope` }, options), /Cannot pin .*:nope to a digest \(the registry answered 404\)/);
  });

  it('runs build: and deploys the reference it printed last; a failing build says so', async () => {
    const built = await pinnedImage('api', { build: `echo building >&2; echo "pushed ${host}/team/api:1.0"` }, options);
    assert.equal(built, `${host}/team/api@${DIGEST}`);
    await assert.rejects(pinnedImage('api', { build: 'echo no such thing >&2; exit 3' }, options),
      (error) => isFlightdeckError(error, 'BAD_REQUEST') && /failed with exit code 3:\nno such thing/.test(error.message));
    await assert.rejects(pinnedImage('api', { build: 'echo done' }, options), /printed no image reference/);
    await assert.rejects(pinnedImage('api', undefined, options), /Knative runs container images: give function api an `image:`/);
  });
});
