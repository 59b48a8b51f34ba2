// `npm run bench`: every benchmark in one run, against the real bundled platform, client and
// extension; one table with targets, and test-results/bench.json. Sections run one after the
// other (2 cores are shared); one that fails is reported as such and the others still run.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/platform';
import { benchAliasFlip } from './aliasBench';
import { benchCli } from './cliBench';
import { benchColdStart } from './coldStart';
import { benchDeploys } from './deployBench';
import { benchExtension } from './extensionBench';
import { benchFc3 } from './fc3Bench';
import { benchGateway } from './gatewayBench';
import { benchInstalled } from './installedBench';
import { benchKnative } from './knativeBench';
import { benchProviderCalls } from './providerCallsBench';
import { Report } from './report';
import { benchRollouts } from './rolloutBench';
import { benchSoak } from './soakBench';

/** Sections named here run only when asked for by name: the soak takes about an hour on 2 cores. */
const ONLY_WHEN_NAMED = new Set(['soak']);

const SECTIONS: [string, (report: Report) => Promise<void>][] = [
  ['deploy', benchDeploys],
  ['cold start', benchColdStart],
  ['gateway', benchGateway],
  ['alias', benchAliasFlip],
  ['rollout', benchRollouts],
  ['extension', benchExtension],
  ['fc3', benchFc3],
  ['fc3 calls', benchProviderCalls],
  ['knative', benchKnative],
  ['cli', benchCli],
  ['installed', benchInstalled],
  ['soak', benchSoak],
];

async function main(): Promise<number> {
  const report = new Report();
  const started = Date.now();
  const loadAtStart = loadavg().map((l) => l.toFixed(1)).join(' ');
  // `node out/bench/index.js cold alias` runs only the sections whose names contain those words.
  const only = process.argv.slice(2);
  const chosen = SECTIONS.filter(([name]) => (only.length === 0 ? !ONLY_WHEN_NAMED.has(name) : only.some((word) => name.includes(word))));
  for (const [name, run] of chosen) {
    process.stderr.write(`${name}…\n`);
    try {
      await run(report);
    } catch (error) {
      report.failed(name, error);
    }
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    loadAverageAtStart: loadAtStart,
    durationS: Math.round((Date.now() - started) / 1000),
  };
  process.stdout.write(`\nFlightdeck benchmarks (${meta.cpus}, node ${meta.node}, load average at start ${loadAtStart}, ${meta.durationS} s)\n${report.table()}\n`);
  report.writeJson(join(REPO_ROOT, 'test-results', 'bench.json'), meta);
  process.stdout.write(`${report.summary()}\n`);
  // A missed target fails the run, so `npm run bench` can gate a pipeline.
  return report.misses().length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
