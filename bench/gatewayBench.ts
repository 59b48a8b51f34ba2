// Issue 2, gateway: throughput and latency of the same function instance called directly, through
// the platform's gateway and through nginx (when installed), with the same load generator and
// concurrency, rounds interleaved so all three see the same machine load.
import type { Instance } from '../src/model';
import { cpuMs } from './cpu';
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

interface Measured extends Target {
  /** CPU ms used so far by the process in the middle (none for direct). */
  cpu?: () => number;
}

interface Round extends ThroughputResult {
  /** CPU µs the gateway or nginx spent per request. */
  cpuUsPerRequest?: number;
}

export async function benchGateway(report: Report): Promise<void> {
  await withPlatform([], async (bench) => {
    await bench.provider.createEnvironment({ name: 'bench', kind: 'staging' });
    await deployApp(bench, 'bench', 'app', appConfig({ RELEASE: '1' }, { min: 1, max: 1, concurrency: 256 }));
    const instance = await waitFor('a ready instance', async () => readyInstance(await bench.provider.listInstances('bench', 'app')));
    const platformPid = bench.platform.child.pid as number;
    const targets: Partial<Record<Name, Measured>> = {
      direct: { origin: `http://127.0.0.1:${instance.port}`, path: '/' },
      gateway: { origin: bench.platform.url, path: '/fn/bench/app/', cpu: () => cpuMs(platformPid) },
    };
    const nginx: Nginx | undefined = nginxInstalled() ? await startNginx(instance.port as number, NGINX_WORKERS) : undefined;
    if (nginx) targets.nginx = { origin: nginx.origin, path: '/', cpu: () => cpuMs(nginx.pid, true) };
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
async function interleaved(targets: Partial<Record<Name, Measured>>, concurrency: number, durationMs: number): Promise<Partial<Record<Name, Round[]>>> {
  const results: Partial<Record<Name, Round[]>> = {};
  const entries = Object.entries(targets) as [Name, Measured][];
  for (const [, target] of entries) await measureThroughput(target, concurrency, 300);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of entries) {
      const cpuBefore = target.cpu?.();
      const result = await measureThroughput(target, concurrency, durationMs);
      const cpuUsed = target.cpu && cpuBefore !== undefined ? target.cpu() - cpuBefore : undefined;
      if (result.errors > 0) throw new Error(`${name}: ${result.errors} of ${result.requests} requests failed`);
      (results[name] ??= []).push({ ...result, cpuUsPerRequest: cpuUsed === undefined ? undefined : (cpuUsed * 1000) / result.requests });
    }
  }
  return results;
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

function summarise(rounds: Round[] | undefined): Summary {
  const list = rounds ?? [];
  return {
    rps: median(list.map((r) => r.requestsPerSecond)),
    p50: median(list.map((r) => r.p50Ms)),
    p99: median(list.map((r) => r.p99Ms)),
    cpuUs: median(list.map((r) => r.cpuUsPerRequest ?? Number.NaN)),
  };
}

function addRows(report: Report, loaded: Partial<Record<Name, Round[]>>, single: Partial<Record<Name, Round[]>>, withNginx: boolean): void {
  const names: Name[] = withNginx ? ['direct', 'gateway', 'nginx'] : ['direct', 'gateway'];
  const busy = Object.fromEntries(names.map((n) => [n, summarise(loaded[n])])) as Record<Name, Summary>;
  const idle = Object.fromEntries(names.map((n) => [n, summarise(single[n])])) as Record<Name, Summary>;
  for (const name of names) {
    report.add({
      section: SECTION,
      name: `${name}: c=${CONCURRENCY} throughput / latency; c=1 latency`,
      value: `${busy[name].rps} req/s, p50 ${ms(busy[name].p50)} p99 ${ms(busy[name].p99)}${Number.isNaN(busy[name].cpuUs) ? '' : `, ${busy[name].cpuUs.toFixed(0)} µs CPU/req`}; c=1 p50 ${ms(idle[name].p50)} p99 ${ms(idle[name].p99)}`,
      figures: { rps: busy[name].rps, p50Ms: busy[name].p50, p99Ms: busy[name].p99, cpuUsPerRequest: busy[name].cpuUs, c1P50Ms: idle[name].p50, c1P99Ms: idle[name].p99 },
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
    report.add({ section: SECTION, name: 'throughput gateway / nginx', value: 'no figure', figures: {}, target: '≥ 1.00×', skipped: 'nginx is not installed (.ci/setup installs it)' });
    return;
  }
  const ratio = busy.gateway.rps / busy.nginx.rps;
  report.add({
    section: SECTION,
    name: 'CPU per proxied request, gateway / nginx',
    value: `${(busy.gateway.cpuUs / busy.nginx.cpuUs).toFixed(2)}×`,
    figures: { ratio: busy.gateway.cpuUs / busy.nginx.cpuUs },
    target: '',
  });
  report.add({
    section: SECTION,
    name: `throughput gateway / nginx (${NGINX_WORKERS} worker, upstream keepalive)`,
    value: `${ratio.toFixed(2)}×`,
    figures: { ratio },
    target: '≥ 1.00×',
    pass: ratio >= 1,
  });
}
