// Issue 12, the CLI and branch environments, measured side by side in one run: `flightdeck --help`
// and `flightdeck envs` against a bare `node -e 0`; a CLI one-file redeploy against the spawn
// floor (spawning Node and answering one request); and a new branch environment of a 10-function
// project until every function serves, against a 1-function project.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProjectFile } from '../src/config/projectFile';
import { deployProject } from '../src/deploy/deployProject';
import type { WarmPoolStatus } from '../src/platform/contracts';
import { DIST } from '../test/helpers/platform';
import { threadCpuMs } from './cpu';
import { getOnce } from './load';
import { ms, type Report } from './report';
import { waitFor, withPlatform, type BenchPlatform } from './session';
import { median, since } from './stats';

const SECTION = 'cli';
const RUNS = 15;
const ENV_RUNS = 8;

export async function benchCli(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-bench-cli-'));
  try {
    await withPlatform([], async (bench) => {
      await startup(report, bench, dir);
      await redeploy(report, bench, dir);
      await branchEnvironments(report, bench, dir);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd }, (error, _stdout, stderr) => (error ? reject(new Error(`${args.join(' ')}: ${stderr || error.message}`)) : resolve(since(start))));
  });
}

/** Runs each of `commands` once per round, in turn, so they share the machine's moods alike. */
async function interleaved(commands: Record<string, () => Promise<number>>, rounds: number): Promise<Record<string, number>> {
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, [] as number[]]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, once] of Object.entries(commands)) samples[name].push(await once());
  }
  return Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, median(list)]));
}

function cliEnv(bench: BenchPlatform): NodeJS.ProcessEnv {
  return { ...process.env, FLIGHTDECK_HOME: bench.platform.home };
}

async function startup(report: Report, bench: BenchPlatform, dir: string): Promise<void> {
  // Where people run it: a project folder, whose flightdeck.yaml says which provider to list.
  const cwd = join(dir, 'listing');
  writeProject(cwd, ['app']);
  const env = cliEnv(bench);
  const cli = join(DIST, 'cli.js');
  await run([cli, 'envs'], env, cwd); // warm the file cache
  const p50 = await interleaved({
    node: () => run(['-e', '0'], env, cwd),
    help: () => run([cli, '--help'], env, cwd),
    envs: () => run([cli, 'envs'], env, cwd),
  }, RUNS);
  report.add({ section: SECTION, name: `  floor: node -e 0 (n=${RUNS}, interleaved)`, value: ms(p50.node), figures: { p50Ms: p50.node }, target: '' });
  const ratio = (x: number) => ratioOf(x, p50.node);
  report.add({ section: SECTION, name: 'flightdeck --help vs node -e 0', value: `${ms(p50.help)} = ${ratio(p50.help)}×`, figures: { p50Ms: p50.help, ratio: ratio(p50.help) }, target: '' });
  report.add({
    section: SECTION, name: 'flightdeck envs (platform running, in a project folder) vs node -e 0', value: `${ms(p50.envs)} = ${ratio(p50.envs)}×`,
    figures: { p50Ms: p50.envs, ratio: ratio(p50.envs) }, target: '≤ 1.3×', pass: ratio(p50.envs) <= 1.3,
  });
}

function writeFunction(root: string, name: string, marker: number): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'index.js'), `exports.handler = async () => ({ statusCode: 200, body: '${name} ${marker}' });\n`);
}

function writeProject(root: string, functions: string[], environment?: string): string {
  for (const fn of functions) writeFunction(root, fn, 0);
  const file = join(root, 'flightdeck.yaml');
  writeFileSync(file, [
    'project: bench',
    'functions:',
    ...functions.map((fn) => `  ${fn}: { runtime: nodejs, code: ./${fn}, handler: index.handler }`),
    ...(environment ? ['environments:', `  ${environment}: { kind: staging }`] : []),
    '',
  ].join('\n'));
  return file;
}

async function redeploy(report: Report, bench: BenchPlatform, dir: string): Promise<void> {
  const root = join(dir, 'one');
  writeProject(root, ['app'], 'cli');
  const env = cliEnv(bench);
  const cli = join(DIST, 'cli.js');
  await run([cli, 'deploy', '--env', 'cli'], env, root);
  // The floor: a Node process that sends one request and exits on the answer.
  const floorScript = `require('node:http').get(${JSON.stringify(`${bench.platform.url}/fn/cli/app/`)}, (r) => r.resume().on('end', () => process.exit(0)))`;
  let marker = 0;
  const p50 = await interleaved({
    floor: () => run(['-e', floorScript], env, root),
    deploy: async () => {
      writeFunction(root, 'app', ++marker);
      return run([cli, 'deploy', '--env', 'cli'], env, root);
    },
  }, RUNS);
  const answer = await getOnce(bench.gateway, '/fn/cli/app/');
  if (answer.version !== String(marker + 1)) throw new Error(`the last CLI redeploy should serve v${marker + 1}, not v${answer.version}`);
  const ratio = ratioOf(p50.deploy, p50.floor);
  report.add({ section: SECTION, name: `  floor: spawn node + one request answered (n=${RUNS})`, value: ms(p50.floor), figures: { p50Ms: p50.floor }, target: '' });
  report.add({
    section: SECTION, name: 'CLI one-file redeploy vs the spawn floor', value: `${ms(p50.deploy)} = ${ratio}×`,
    figures: { p50Ms: p50.deploy, ratio }, target: '≤ 2×', pass: ratio <= 2,
  });
}

/** `a / b` to two decimals, as the ratio rows show it. */
function ratioOf(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

async function warmPoolOf(bench: BenchPlatform): Promise<WarmPoolStatus> {
  return ((await bench.platform.api('GET', '/v1/health')).json as { warmPool: WarmPoolStatus }).warmPool;
}

/** Waits until each platform's warm pool holds every spare it keeps: platforms at rest, as a person finds them. */
function atRest(platforms: readonly BenchPlatform[]): Promise<true> {
  return waitFor('the warm pools to refill', async () => {
    for (const bench of platforms) {
      const { ready, target } = await warmPoolOf(bench);
      if (ready < target) return undefined;
    }
    return true;
  }, 30_000, 20);
}

async function branchEnvironments(report: Report, bench: BenchPlatform, dir: string): Promise<void> {
  const ten = Array.from({ length: 10 }, (_, i) => `fn${i}`);
  const projects = { one: loadProjectFile(writeProject(join(dir, 'p1'), ['fn0'])), ten: loadProjectFile(writeProject(join(dir, 'p10'), ten)) };
  let branch = 0;
  // CPU of the run, every process: this one (the client), the platform and its function hosts.
  const cpu = { one: [] as number[], ten: [] as number[] };
  const usedCpu = (on: BenchPlatform) => threadCpuMs(process.pid) + threadCpuMs(on.platform.child.pid!, true);
  const newEnvironment = (key: 'one' | 'ten', on: BenchPlatform, platforms: readonly BenchPlatform[], cpuOf?: number[]) => async () => {
    await atRest(platforms);
    const cpuBefore = usedCpu(on);
    const start = performance.now();
    const result = await deployProject(on.provider, projects[key], { branch: `bench/${key}-${++branch}`, user: 'bench', scanCacheDir: join(dir, 'scan-cache') });
    await Promise.all(result.functions.map((f) => waitFor(`${f.function} to serve`, async () => {
      const answer = await getOnce(on.gateway, `/fn/${result.environment}/${f.function}/`);
      return answer.status === 200 ? true : undefined;
    }, 30_000, 5)));
    const took = since(start);
    cpuOf?.push(usedCpu(on) - cpuBefore);
    await on.provider.deleteEnvironment(result.environment);
    return took;
  };
  const env = cliEnv(bench);
  const nodes = (count: number) => async () => {
    const start = performance.now();
    await Promise.all(Array.from({ length: count }, () => run(['-e', '0'], env, dir)));
    return since(start);
  };
  // A second platform whose pool never grows past its one spare: what the first branch
  // environment after a quiet spell costs, when nine functions wait for node to boot.
  const p50 = await withPlatform(['--warm-pool-max', '1'], (small) => {
    const both = [bench, small];
    return interleaved({
      one: newEnvironment('one', bench, both, cpu.one),
      ten: newEnvironment('ten', bench, both, cpu.ten),
      tenUngrown: newEnvironment('ten', small, both),
      node1: nodes(1),
      node10: nodes(10),
    }, ENV_RUNS);
  });
  const spares = (await warmPoolOf(bench)).target;
  // Every function runs in its own process, and a deploy proves the version starts (issue 8):
  // ten Node.js processes booted at once against one is what the ratio costs without spares.
  const floor = ratioOf(p50.node10, p50.node1);
  report.add({ section: SECTION, name: `  floor: 10 node processes started at once vs 1 (n=${ENV_RUNS})`, value: `${ms(p50.node10)} = ${floor}×`, figures: { p50Ms: p50.node10, ratio: floor }, target: '' });
  const ratio = ratioOf(p50.ten, p50.one);
  report.add({ section: SECTION, name: `  new branch environment, 1 function, to serving (n=${ENV_RUNS})`, value: ms(p50.one), figures: { p50Ms: p50.one }, target: '' });
  report.add({
    section: SECTION, name: `  the same 10 functions with the warm pool held at 1 spare (--warm-pool-max 1)`, value: `${ms(p50.tenUngrown)} = ${ratioOf(p50.tenUngrown, p50.one)}×`,
    figures: { p50Ms: p50.tenUngrown }, target: '',
  });
  report.add({ section: SECTION, name: '  warm pool after the 10-function environments (spares kept for 10 min)', value: `${spares} spares`, figures: { spares }, target: '' });
  // However well the work spreads over the cores, the 10-function environment takes at least its
  // CPU divided by the cores: against the 1-function time, the lowest ratio today's costs allow.
  const cpuOne = median(cpu.one);
  const cpuTen = median(cpu.ten);
  const cores = availableParallelism();
  const cpuFloor = ratioOf(cpuTen / cores, p50.one);
  report.add({
    section: SECTION, name: `  CPU used, all processes: 10 functions vs 1 (n=${ENV_RUNS})`, value: `${ms(cpuTen)} vs ${ms(cpuOne)}`,
    figures: { cpuTenMs: cpuTen, cpuOneMs: cpuOne }, target: '',
  });
  report.add({
    section: SECTION, name: `  lowest ratio that CPU allows on ${cores} cores (10-function CPU / ${cores}, over the 1-function time)`, value: `${cpuFloor}×`,
    figures: { ratio: cpuFloor, cores }, target: '',
  });
  report.add({
    section: SECTION, name: 'new branch environment, 10 functions vs 1, to serving', value: `${ms(p50.ten)} = ${ratio}×`,
    figures: { p50Ms: p50.ten, ratio }, target: '≤ 2×', pass: ratio <= 2,
  });
}
