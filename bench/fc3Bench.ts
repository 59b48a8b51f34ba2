// Issue 10: what Function Compute 3.0 compatibility costs. (1) The per-request overhead of FC's
// calling convention on the local platform: the same bench function deployed twice in one
// platform, plain and `events: fc3`, called in alternation through the gateway; next to it the
// in-process floor of that translation (event JSON in, response struct out). (2) `s.yaml` import
// time for a 20-function project, in process and through the bundled CLI next to a bare `node`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { importSYaml } from '../src/config/serverlessDevs';
import { fc3Function } from '../src/platform/runtime/fc3';
import { fc3Answer, fc3Event } from '../src/platform/runtime/fc3Host';
import { DIST } from '../test/helpers/platform';
import { ms, type Report } from './report';
import { appConfig, deployApp, withPlatform } from './session';
import { median, percentile, since } from './stats';

const SECTION = 'fc3';
const CALLS = 3000;
const TRANSLATIONS = 20_000;
const IMPORTS = 50;
const CLI_RUNS = 10;
const FUNCTIONS = 20;
/** What a browser-ish client sends: the translation's work grows with headers and query. */
const HEADERS = {
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) bench',
  cookie: 'session=abc123; theme=dark',
  'x-request-source': 'bench',
};
const PATH = '/orders/42?expand=items&sort=desc&page=2';

export async function benchFc3(report: Report): Promise<void> {
  await translationOverhead(report);
  importTime(report);
}

async function translationOverhead(report: Report): Promise<void> {
  const { plain, fc3 } = await withPlatform([], async (bench) => {
    await bench.provider.createEnvironment({ name: 'bench', kind: 'staging' });
    const config = appConfig({ RELEASE: '1' }, { min: 1, max: 1 });
    await deployApp(bench, 'bench', 'plain', config);
    await deployApp(bench, 'bench', 'fc3', { ...config, events: 'fc3' });
    const call = async (fn: string): Promise<number> => {
      const start = performance.now();
      const { statusCode, body } = await bench.gateway.request({ method: 'GET', path: `/fn/bench/${fn}${PATH}`, headers: HEADERS });
      await body.text();
      if (statusCode !== 200) throw new Error(`${fn} answered ${statusCode}`);
      return since(start);
    };
    for (let i = 0; i < 200; i++) await Promise.all([call('plain'), call('fc3')]); // warm both instances and the JIT
    const samples = { plain: [] as number[], fc3: [] as number[] };
    // Alternating one at a time (ABBA, so neither always goes first): both see the same machine
    // load and neither queues.
    for (let i = 0; i < CALLS; i++) {
      const order = i % 2 === 0 ? (['plain', 'fc3'] as const) : (['fc3', 'plain'] as const);
      for (const fn of order) samples[fn].push(await call(fn));
    }
    return samples;
  });
  const overhead = median(fc3) - median(plain);
  report.add({
    section: SECTION,
    name: `gateway round trip, plain nodejs vs events: fc3, same code (n=${CALLS} each, alternating)`,
    value: `p50 ${ms(median(plain))} vs ${ms(median(fc3))}; p95 ${ms(percentile(plain, 95))} vs ${ms(percentile(fc3, 95))}`,
    figures: { plainP50Ms: median(plain), fc3P50Ms: median(fc3), plainP95Ms: percentile(plain, 95), fc3P95Ms: percentile(fc3, 95) },
    target: '',
  });
  const floor = translationFloor();
  report.add({
    section: SECTION,
    name: 'FC event translation overhead per request (fc3 p50 − plain p50)',
    value: `${(overhead * 1000).toFixed(0)} µs; ${(median(fc3) / median(plain)).toFixed(3)}× plain; in-process floor ${(floor * 1000).toFixed(1)} µs`,
    figures: { overheadMs: overhead, ratio: median(fc3) / median(plain), floorMs: floor },
    target: '≤ 100 µs',
    pass: overhead <= 0.1,
  });
}

/** The translation alone, in process: build and serialise the event, map a response struct. */
function translationFloor(): number {
  const fn = fc3Function('bench', 1, appConfig({}));
  const rawHeaders = ['host', '127.0.0.1:7420', ...Object.entries(HEADERS).flat()];
  const request = { method: 'GET', url: PATH, rawHeaders, body: Buffer.alloc(0) };
  const run = (): void => {
    const event = Buffer.from(JSON.stringify(fc3Event(request, fn, 'req-1')));
    if (event.length === 0) throw new Error('empty event');
    fc3Answer({ statusCode: 200, body: 'release 1' });
  };
  for (let i = 0; i < 2000; i++) run();
  const start = performance.now();
  for (let i = 0; i < TRANSLATIONS; i++) run();
  return (performance.now() - start) / TRANSLATIONS;
}

function importTime(report: Report): void {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-bench-syaml-'));
  try {
    const file = join(dir, 's.yaml');
    const text = twentyFunctionSYaml();
    writeFileSync(file, text);
    const env = { STAGE: 'bench' };
    for (let i = 0; i < 5; i++) importSYaml(text, file, env);
    // The floor: parsing the same YAML with positions, which any import has to do; interleaved.
    const inProcess: number[] = [];
    const parseOnly: number[] = [];
    for (let i = 0; i < IMPORTS; i++) {
      let start = performance.now();
      parseDocument(text, { lineCounter: new LineCounter() });
      parseOnly.push(since(start));
      start = performance.now();
      const result = importSYaml(text, file, env);
      inProcess.push(since(start));
      if (result.functions.length !== FUNCTIONS) throw new Error(`imported ${result.functions.length} functions, not ${FUNCTIONS}`);
    }
    const ratio = median(inProcess) / median(parseOnly);
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      let start = performance.now();
      execFileSync(process.execPath, ['-e', ''], { cwd: dir });
      bare.push(since(start));
      start = performance.now();
      execFileSync(process.execPath, [join(DIST, 'cli.js'), 'import', '--force'], { cwd: dir, env: { ...process.env, ...env }, stdio: 'pipe' });
      cli.push(since(start));
    }
    report.add({
      section: SECTION,
      name: `s.yaml import, ${FUNCTIONS} functions, in process (n=${IMPORTS})`,
      value: `p50 ${ms(median(inProcess))} / p95 ${ms(percentile(inProcess, 95))}; YAML parse alone ${ms(median(parseOnly))}; ${ratio.toFixed(2)}× parse`,
      figures: { p50Ms: median(inProcess), p95Ms: percentile(inProcess, 95), parseP50Ms: median(parseOnly), ratioToParse: ratio },
      target: '≤ 2× parse',
      pass: ratio <= 2,
    });
    report.add({
      section: SECTION,
      name: `flightdeck import --force, ${FUNCTIONS} functions, whole CLI process (n=${CLI_RUNS})`,
      value: `p50 ${ms(median(cli))}; bare \`node -e ''\` ${ms(median(bare))}; ${(median(cli) / median(bare)).toFixed(2)}× bare`,
      figures: { p50Ms: median(cli), bareNodeP50Ms: median(bare), ratioToBare: median(cli) / median(bare) },
      target: '',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Serverless Devs 3.0 project of FUNCTIONS functions with vars, env and cross-resource references. */
function twentyFunctionSYaml(): string {
  const lines = ['edition: 3.0.0', 'name: bench-project', 'vars:', '  region: cn-hangzhou', '  memory: 512', 'resources:'];
  for (let i = 0; i < FUNCTIONS; i++) {
    lines.push(
      `  fn${i}:`,
      '    component: fc3',
      '    props:',
      '      region: ${vars.region}',
      `      functionName: bench_fn_${i}`,
      i % 4 === 3 ? '      runtime: custom.debian10' : '      runtime: nodejs20',
      '      code: ./code',
      '      handler: index.handler',
      '      memorySize: ${vars.memory}',
      '      timeout: 30',
      '      instanceConcurrency: 10',
      ...(i % 4 === 3 ? ['      customRuntimeConfig:', '        command: [node, /code/server.js]'] : []),
      '      environmentVariables:',
      "        STAGE: ${env('STAGE')}",
      `        PEER: \${resources.fn${(i + 1) % FUNCTIONS}.props.functionName}`,
      '      triggers:',
      '        - triggerName: http',
      '          triggerType: http',
      '          triggerConfig:',
      '            authType: anonymous',
    );
  }
  return lines.join('\n') + '\n';
}
