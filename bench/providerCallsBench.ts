// Issue 10, provider round trips: FC 3.0 API calls for one deploy (first and redeploy) and one
// rollout step, counted by the FC stand-in (test/fc3/fcStandIn.ts, a test double) from what the
// real Fc3Provider sends through the official SDK, and the CloudMonitor calls of one gate reading
// (test/fc3/cmsStandIn.ts). On a real network each call is a round trip, so fewer is faster; the
// figures are exact counts, not timings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCode } from '../src/deploy/scan';
import type { FunctionConfig } from '../src/model';
import type { DeployOptions, Provider } from '../src/provider';
import { connect } from '../src/providers/fc3/connect';
import { CmsStandIn } from '../test/fc3/cmsStandIn';
import { FcApiStandIn } from '../test/fc3/fcStandIn';
import type { Report } from './report';

const SECTION = 'fc3 calls';
const ENV = 'bench';
const FN = 'api';
const CONFIG: FunctionConfig = { runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 };

export async function benchProviderCalls(report: Report): Promise<void> {
  const key = { accessKeyId: 'LTAI-bench', accessKeySecret: 'bench-secret' };
  const standIn = await FcApiStandIn.start({ ...key, accountId: '1234567890', region: 'cn-hangzhou' });
  const cms = await CmsStandIn.start(standIn, { ...key, accountId: '1234567890', region: 'cn-hangzhou' });
  const code = mkdtempSync(join(tmpdir(), 'flightdeck-bench-fc3-'));
  const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret };
  const { provider } = await connect({ kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890', endpoint: standIn.endpoint, cloudMonitorEndpoint: cms.endpoint } }, { env, local: { platformScript: '' } });
  try {
    const deploy = async (body: string, options: DeployOptions = {}) => {
      writeFileSync(join(code, 'index.js'), `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`);
      return provider.deploy(ENV, FN, { config: CONFIG, code: await scanCode(code), branch: 'main', commit: 'abc1234' }, options);
    };
    const counted = async (what: string, action: () => Promise<unknown>, actions = standIn.actions) => {
      const before = actions.length;
      await action();
      const calls = actions.slice(before);
      const byAction = Object.entries(calls.reduce<Record<string, number>>((all, a) => ({ ...all, [a]: (all[a] ?? 0) + 1 }), {}))
        .map(([a, n]) => `${a}${n > 1 ? ` ×${n}` : ''}`).join(', ');
      report.add({ section: SECTION, name: what, value: `${calls.length} calls (${byAction})`, figures: { calls: calls.length }, target: '' });
    };
    await provider.createEnvironment({ name: ENV, kind: 'personal', owner: 'bench' });
    // As a branch deploy makes it (deployProject just created the environment): no lookup first.
    await counted('first deploy of a function into a new environment (create + publish + live + trigger)', () => deploy('one', { newFunction: true }));
    await counted('redeploy with changed code (update + publish + live)', () => deploy('two'));
    await counted('redeploy unchanged (nothing published)', () => deploy('two'));
    await pointLiveAt(provider, 1);
    await counted('rollout start (reads, step 0 traffic, state saved)', () => provider.startRollout(ENV, FN, {
      strategy: 'canary', alias: 'live', toVersion: 2, steps: [10, 50, 100], intervalMs: 3_600_000, gates: { maxErrorRate: 0.01, maxP95Ms: 500, minRequests: 20 },
    }));
    await counted('one rollout step (continue: state read, traffic moved, state saved)', () => provider.rolloutAction(ENV, FN, 'continue'));
    await counted('one gate reading (CloudMonitor: one call per metric, every version at once)', () => provider.getMetrics(ENV, FN, 60_000), cms.actions);
  } finally {
    provider.dispose();
    await Promise.all([standIn.stop(), cms.stop()]);
    rmSync(code, { recursive: true, force: true });
  }
}

async function pointLiveAt(provider: Provider, version: number): Promise<void> {
  const live = await provider.getAlias(ENV, FN, 'live');
  await provider.updateAlias(ENV, FN, 'live', { versionId: version, additionalVersionWeight: {} }, live.etag);
}
