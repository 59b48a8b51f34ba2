// Issue 2, gateway: throughput and latency of the same function instance called directly, through
// the platform's gateway and through nginx (when installed), with the same load generator and
// concurrency, rounds interleaved so all three see the same machine load.
import type { Instance } from '../src/model';
import { measureThroughput, type Target, type ThroughputResult } from './load';
import { nginxInstalled, startNginx, type Nginx } from './nginx';
import { ms, type Report } from './report';
import { appConfig, deployApp, waitFor, withPlatform } from './session';
import { median } from './stats';

const SECTION = 'gateway';
const CONCURRENCY = 32;
const ROUNDS = 3;
const THROUGHPUT_MS = 3000;
const LATENCY_MS = 1500;
/** nginx gets one worker: the gateway is one Node.js process, and there are only 2 cores. */
const NGINX_WORKERS = 1;

type Name = 'direct' | 'gateway' | 'nginx';

export async function benchGateway(report: Report): Promise<void> {
  await withPlatform([], async (bench) => {
    await bench.provider.createEnvironment({ name: 'bench', kind: 'staging' });
    await deployApp(bench, 'bench', 'app', appConfig({ RELEASE: '1' }, { min: 1, max: 1, concurrency: 256 }));
    const instance = await waitFor('a ready instance', async () => readyInstance(await bench.provider.listInstances('bench', 'app')));
    const targets: Partial<Record<Name, Target>> = {
      direct: { origin: `http://127.0.0.1:${instance.port}`, path: '/' },
      gateway: { origin: bench.platform.url, path: '/fn/bench/app/' },
    };
    const nginx: Nginx | undefined = nginxInstalled() ? await startNginx(instance.port as number, NGINX_WORKERS) : undefined;
    if (nginx) targets.nginx = { origin: nginx.origin, path: '/' };
    try {
      const loaded = await interleaved(targets, CONCURRENCY, THROUGHPUT_MS);
      const single = await interleaved(targets, 1, LATENCY_MS);
      addRows(report, loaded, single, nginx !== undefined);
    } finally {
      await nginx?.stop();
    }
  });
}

function readyInstance(instances: Instance[]): Instance | undefined {
  return instances.find((i) => i.state === 'ready' && i.port !== undefined);
}

/** ROUNDS rounds of each target in turn (after a short warm-up each); per target, every round's result. */
async function interleaved(targets: Partial<Record<Name, Target>>, concurrency: number, durationMs: number): Promise<Partial<Record<Name, ThroughputResult[]>>> {
  const results: Partial<Record<Name, ThroughputResult[]>> = {};
  const entries = Object.entries(targets) as [Name, Target][];
  for (const [, target] of entries) await measureThroughput(target, concurrency, 300);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of entries) {
      const result = await measureThroughput(target, concurrency, durationMs);
      if (result.errors > 0) throw new Error(`${name}: ${result.errors} of ${result.requests} requests failed`);
      (results[name] ??= []).push(result);
    }
  }
  return results;
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
}

function summarise(rounds: ThroughputResult[] | undefined): Summary {
  const list = rounds ?? [];
  return { rps: median(list.map((r) => r.requestsPerSecond)), p50: median(list.map((r) => r.p50Ms)), p99: median(list.map((r) => r.p99Ms)) };
}

function addRows(report: Report, loaded: Partial<Record<Name, ThroughputResult[]>>, single: Partial<Record<Name, ThroughputResult[]>>, withNginx: boolean): void {
  const names: Name[] = withNginx ? ['direct', 'gateway', 'nginx'] : ['direct', 'gateway'];
  const busy = Object.fromEntries(names.map((n) => [n, summarise(loaded[n])])) as Record<Name, Summary>;
  const idle = Object.fromEntries(names.map((n) => [n, summarise(single[n])])) as Record<Name, Summary>;
  for (const name of names) {
    report.add({
      section: SECTION,
      name: `${name}: c=${CONCURRENCY} throughput / latency; c=1 latency`,
      value: `${busy[name].rps} req/s, p50 ${ms(busy[name].p50)} p99 ${ms(busy[name].p99)}; c=1 p50 ${ms(idle[name].p50)} p99 ${ms(idle[name].p99)}`,
      figures: { rps: busy[name].rps, p50Ms: busy[name].p50, p99Ms: busy[name].p99, c1P50Ms: idle[name].p50, c1P99Ms: idle[name].p99 },
      target: '',
    });
  }
  const added = (name: Name) => `p50 +${ms(idle[name].p50 - idle.direct.p50)} p99 +${ms(idle[name].p99 - idle.direct.p99)}`;
  report.add({
    section: SECTION,
    name: 'latency added over direct at c=1',
    value: `gateway ${added('gateway')}${withNginx ? `; nginx ${added('nginx')}` : ''}`,
    figures: { gatewayP50Ms: idle.gateway.p50 - idle.direct.p50, gatewayP99Ms: idle.gateway.p99 - idle.direct.p99 },
    target: '',
  });
  report.add({
    section: SECTION,
    name: 'throughput gateway / direct',
    value: `${(busy.gateway.rps / busy.direct.rps).toFixed(2)}×`,
    figures: { ratio: busy.gateway.rps / busy.direct.rps },
    target: '',
  });
  if (!withNginx) {
    report.add({ section: SECTION, name: 'throughput gateway / nginx', value: 'nginx not installed', figures: {}, target: '≥ 1.00×' });
    return;
  }
  const ratio = busy.gateway.rps / busy.nginx.rps;
  report.add({
    section: SECTION,
    name: `throughput gateway / nginx (${NGINX_WORKERS} worker, upstream keepalive)`,
    value: `${ratio.toFixed(2)}×`,
    figures: { ratio },
    target: '≥ 1.00×',
    pass: ratio >= 1,
  });
}
