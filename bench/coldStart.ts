// Issue 2, cold start: a function scaled to zero (short idle timeout) answers its first request;
// measured through the gateway, next to the floor of spawning `node` that serves one HTTP answer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { getOnce } from './load';
import { ms, type Report } from './report';
import { appConfig, deployApp, waitFor, withPlatform } from './session';
import { median, percentile, repeat, since } from './stats';

const RUNS = 12;
const IDLE_TIMEOUT_MS = 200;
const SECTION = 'cold start';

/** A bare Node HTTP server that prints its port: the least a cold start can cost. */
const FLOOR_SERVER = `require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

export async function benchColdStart(report: Report): Promise<void> {
  // Floor samples interleave with the cold starts, so both see the same load on the machine.
  const floor: number[] = [];
  const pooled = await coldStarts([], floor);
  const bare = await coldStarts(['--warm-pool', '0'], floor);
  report.add({
    section: SECTION,
    name: `floor: spawn node + first HTTP answer (n=${floor.length})`,
    value: `p50 ${ms(median(floor))} / p95 ${ms(percentile(floor, 95))}`,
    figures: { p50Ms: median(floor), p95Ms: percentile(floor, 95) },
    target: '',
  });
  for (const [label, cold] of [['default warm pool of spare runtimes', pooled], ['--warm-pool 0, a fresh process', bare]] as const) {
    report.add({
      section: SECTION,
      name: `first response after scale to zero, ${label} (n=${RUNS})`,
      value: `p50 ${ms(median(cold))} / p95 ${ms(percentile(cold, 95))}; ${(median(cold) / median(floor)).toFixed(2)}× floor`,
      figures: { p50Ms: median(cold), p95Ms: percentile(cold, 95), ratioToFloor: median(cold) / median(floor) },
      target: 'p50 ≤ 150 ms',
      pass: median(cold) <= 150,
    });
  }
}

/** Gateway time to the first answer of a function that has just scaled to zero, RUNS times. */
function coldStarts(platformArgs: string[], floor: number[]): Promise<number[]> {
  return withPlatform(platformArgs, async (bench) => {
    await bench.provider.createEnvironment({ name: 'bench', kind: 'staging' });
    await deployApp(bench, 'bench', 'app', appConfig({ RELEASE: '1' }, { min: 0, idleTimeoutMs: IDLE_TIMEOUT_MS }));
    return repeat(RUNS, async () => {
      floor.push(await spawnAndAnswer());
      await waitFor('scale to zero', async () => ((await bench.provider.listInstances('bench', 'app')).length === 0 ? true : undefined), 10_000, 20);
      const start = performance.now();
      const answer = await getOnce(bench.gateway, '/fn/bench/app/');
      if (answer.status !== 200) throw new Error(`cold request answered ${answer.status}`);
      return since(start);
    });
  });
}

async function spawnAndAnswer(): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, ['-e', FLOOR_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout });
    const [port] = (await lines[Symbol.asyncIterator]().next()).value.split('\n');
    lines.close();
    const res = await request(`http://127.0.0.1:${port}/`);
    await res.body.text();
    return since(start);
  } finally {
    child.kill('SIGKILL');
  }
}
