// Issue 11, Knative: what one deploy, one weight change and one rollout step cost in API round
// trips through the official client, the client-side time from a weight change to the Service
// carrying it, and the time from a cluster change to the event the trees refresh on. All against
// the stand-in API server (test/doubles/kubeApiServer.ts): client-side cost only, no real
// cluster's latency or controllers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCode } from '../src/deploy/scan';
import type { FunctionConfig, PlatformEvent } from '../src/model';
import { KnativeProvider } from '../src/providers/knative/knativeProvider';
import { KubeApiServerDouble } from '../test/doubles/kubeApiServer';
import { ms, type Report } from './report';
import { median, percentile, repeat, since } from './stats';

const SECTION = 'knative';
const FLIPS = 20;
/** The Environments tree's debounce after an event (src/ui/context.ts REFRESH_DEBOUNCE_MS). */
const TREE_DEBOUNCE_MS = 150;
const CONFIG: FunctionConfig = {
  runtime: 'nodejs', handler: 'index.handler', env: {}, timeoutMs: 30_000,
  instances: { min: 0, max: 4, concurrency: 16, idleTimeoutMs: 300_000 },
};
const image = (n: number) => `registry.example.com/bench/app@sha256:${String(n).repeat(64).slice(0, 64)}`;

export async function benchKnative(report: Report): Promise<void> {
  const server = new KubeApiServerDouble({ revisionReadyAfterMs: 0 });
  await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'fd-bench-knative-'));
  mkdirSync(join(dir, 'code'));
  writeFileSync(join(dir, 'code', 'index.js'), 'exports.handler = async () => 1;');
  writeFileSync(join(dir, 'kubeconfig'), server.kubeconfig('bench'));
  const provider = new KnativeProvider({ kubeconfig: join(dir, 'kubeconfig') });
  try {
    const code = await scanCode(join(dir, 'code'));
    const deploy = (n: number) => provider.deploy('bench', 'app', { config: { ...CONFIG, env: { N: String(n) } }, code, image: { image: image(n) } });
    await provider.createEnvironment({ name: 'bench', kind: 'staging' });
    await deploy(1);
    const trips = () => server.takeRequests().length;

    trips();
    await deploy(2);
    const deployTrips = trips();

    trips();
    const live = await provider.getAlias('bench', 'app', 'live');
    await provider.updateAlias('bench', 'app', 'live', { versionId: 1, additionalVersionWeight: { 2: 0.1 } }, live.etag);
    const weightTrips = trips();

    await provider.updateAlias('bench', 'app', 'live', { versionId: 1, additionalVersionWeight: {} });
    await provider.startRollout('bench', 'app', {
      strategy: 'canary', alias: 'live', toVersion: 2, steps: [10, 50, 100], intervalMs: 3_600_000,
      gates: { maxErrorRate: 0.05, maxP95Ms: 1000, minRequests: 10 },
    });
    trips();
    await provider.rolloutAction('bench', 'app', 'continue');
    const stepTrips = trips();
    await provider.rolloutAction('bench', 'app', 'abort');

    report.add({
      section: SECTION,
      name: 'API round trips: one deploy (existing Service) / one weight change / one rollout step',
      value: `${deployTrips} / ${weightTrips} / ${stepTrips}`,
      figures: { deployTrips, weightTrips, stepTrips },
      target: '≤ 7 / ≤ 2 / ≤ 4',
      pass: deployTrips <= 7 && weightTrips <= 2 && stepTrips <= 4,
    });

    // Weight change → the Service carrying it, as the client sees it (read, then the guarded write).
    const flips = await repeat(FLIPS, async (i) => {
      const start = performance.now();
      const alias = await provider.getAlias('bench', 'app', 'live');
      await provider.updateAlias('bench', 'app', 'live', { versionId: 1, additionalVersionWeight: { 2: (i % 9 + 1) / 10 } }, alias.etag);
      const carried = server.get('services', 'bench', 'app')!.spec.traffic.find((t: { revisionName: string }) => t.revisionName === 'app-v2')?.percent;
      if (carried !== (i % 9 + 1) * 10) throw new Error(`the Service carries ${carried}% after the write, not ${(i % 9 + 1) * 10}%`);
      return since(start);
    });
    // The floor for the same two round trips: a bare GET and merge PATCH with fetch, no client.
    const service = `${server.kubeconfig().match(/server: (\S+)/)![1]}/apis/serving.knative.dev/v1/namespaces/bench/services/app`;
    const headers = { authorization: `Bearer ${server.token}` };
    const floor = await repeat(FLIPS, async (i) => {
      const start = performance.now();
      const current = (await (await fetch(service, { headers })).json()) as { metadata: { resourceVersion: string }; spec: { traffic: unknown[] } };
      const traffic = [{ revisionName: 'app-v1', percent: 100 - (i % 9 + 1) * 10 }, { revisionName: 'app-v2', percent: (i % 9 + 1) * 10 }];
      const body = JSON.stringify({ metadata: { resourceVersion: current.metadata.resourceVersion }, spec: { traffic } });
      const answer = await fetch(service, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/merge-patch+json' }, body });
      if (answer.status !== 200) throw new Error(`bare PATCH answered ${answer.status}`);
      return since(start);
    });
    const ratio = median(flips) / median(floor);
    report.add({
      section: SECTION,
      name: `weight change → the Service carries it (KnativeProvider read + guarded write, stand-in; n=${FLIPS})`,
      value: `p50 ${ms(median(flips))} / p95 ${ms(percentile(flips, 95))}`,
      figures: { p50: median(flips), p95: percentile(flips, 95) },
      // Absolute times here follow the machine's load; the floor row, measured alongside, is the yardstick.
      target: '≤ 1.5 × floor p50',
      pass: ratio <= 1.5,
    });
    report.add({
      section: SECTION,
      name: `  floor: the same GET + merge PATCH with bare fetch (n=${FLIPS}); provider / floor at p50`,
      value: `p50 ${ms(median(floor))} / p95 ${ms(percentile(floor, 95))}; ×${ratio.toFixed(1)}`,
      figures: { p50: median(floor), p95: percentile(floor, 95), ratio },
      target: '',
    });

    // A change made elsewhere (a teammate's kubectl) → the event the trees refresh on.
    const waiting = new Map<number, (event: PlatformEvent) => void>();
    const subscription = provider.subscribe((event) => {
      const percent = event.type === 'alias.updated' ? Math.round((event.alias?.additionalVersionWeight['2'] ?? 0) * 100) : -1;
      waiting.get(percent)?.(event);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const delays = await repeat(FLIPS, async (i) => {
      const percent = 11 + i;
      const seen = new Promise<void>((resolve) => waiting.set(percent, () => resolve()));
      const start = performance.now();
      server.update('services', 'bench', 'app', (s) => {
        s.spec.traffic = [{ revisionName: 'app-v1', percent: 100 - percent }, { revisionName: 'app-v2', percent }, ...s.spec.traffic.filter((t: { tag?: string }) => t.tag)];
      });
      await seen;
      return since(start);
    });
    subscription.close();
    report.add({
      section: SECTION,
      name: `cluster change → alias.updated event (watch); the tree then refreshes after its ${TREE_DEBOUNCE_MS} ms debounce (n=${FLIPS})`,
      value: `p50 ${ms(median(delays))} / p95 ${ms(percentile(delays, 95))}`,
      figures: { p50: median(delays), p95: percentile(delays, 95), treeDebounceMs: TREE_DEBOUNCE_MS },
      target: '≤ 50 ms p95',
      pass: percentile(delays, 95) <= 50,
    });
  } finally {
    provider.dispose();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
