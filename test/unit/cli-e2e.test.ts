// The bundled CLI (node dist/cli.js) end to end, in a temp git repository on branch
// feature/login: it starts its own platform in a temp FLIGHTDECK_HOME and serves real HTTP.
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliRepo, type CliRepo, type CliRun } from '../helpers/cliRepo';

const ENV = 'jane-feature-login';

describe('flightdeck CLI end to end', () => {
  let cli: CliRepo;
  let repo: string;
  const run = (...args: string[]): Promise<CliRun> => cli.run(args);
  const ok = async (...args: string[]): Promise<string> => {
    const result = await run(...args);
    assert.equal(result.code, 0, `flightdeck ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };
  const handler = (body: string) => `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;

  before(() => {
    cli = cliRepo('flightdeck-cli-', 'feature/login', {
      'api/index.js': handler('one'),
      'api/lib.js': 'module.exports = {};\n',
      'flightdeck.yaml': 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    code: ./api\n    handler: index.handler\n',
    });
    repo = cli.repo;
  });

  after(() => cli.dispose());

  it('deploy starts a platform, creates the personal environment and prints version 1 and a working URL', async () => {
    const out = await ok('deploy');
    assert.match(out, new RegExp(`Environment ${ENV} \\(created\\)`));
    assert.match(out, /api\s+v1\s/);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/fn\/\S+)/.exec(out)?.[1];
    assert.equal(url, (await ok('url', '--env', ENV, '--function', 'api')).trim());
    const response = await fetch(url!);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'one');
    const { environments } = JSON.parse(await ok('envs', '--json'));
    assert.deepEqual(environments.map((e: { name: string; kind: string; branch: string }) => [e.name, e.kind, e.branch]),
      [[ENV, 'personal', 'feature/login']]);
  });

  it('envs says which provider it is on; --provider picks one, a wrong kind or provider block is a clear error', async () => {
    assert.match(await ok('envs'), /^On Local platform \(127\.0\.0\.1:\d+\)\n/);
    assert.equal(JSON.parse(await ok('envs', '--json', '--provider', 'local')).provider.kind, 'local');
    const bad = await run('envs', '--provider', 'lambda');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--provider must be one of local, fc3, knative, not "lambda"/);
    // A provider block with a mistake: one message with the file, line and column; --provider local still works.
    const other = join(repo, 'other.yaml');
    writeFileSync(other, 'project: shop\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\nprovider:\n  kind: fc3\n  context: prod\n');
    const wrong = await run('deploy', '--config', other);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /other\.yaml:6:3: `provider\.context` does not apply to kind fc3; it takes region, accountId, endpoint/);
    rmSync(other);
  });

  it('a one-file change sends exactly that file, and an unchanged deploy says so', async () => {
    const body = handler('two');
    writeFileSync(join(repo, 'api', 'index.js'), body);
    const result = JSON.parse(await ok('deploy', '--json', '--message', 'second'));
    assert.equal(result.environment, ENV);
    assert.deepEqual(result.functions.map((f: { version: number; filesSent: number; bytesSent: number; unchanged: boolean }) =>
      [f.version, f.unchanged, f.filesSent, f.bytesSent]), [[2, false, 1, Buffer.byteLength(body)]]);
    assert.match(await ok('deploy'), /api\s+v2\s+unchanged/);
    const { versions } = JSON.parse(await ok('versions', '--env', ENV, '--function', 'api', '--json'));
    assert.deepEqual(versions.map((v: { id: number; description?: string }) => [v.id, v.description]), [[2, 'second'], [1, undefined]]);
  });

  it('canary --weight 20 splits 1000 requests 800/200, and promote moves all traffic', async () => {
    assert.match(await ok('promote', '--env', ENV, '--function', 'api', '--version', '1'), /live → v1 100%/);
    assert.match(await ok('canary', '--env', ENV, '--function', 'api', '--version', '2', '--weight', '20'), /live → v1 80% · v2 20%/);
    const url = (await ok('url', '--env', ENV, '--function', 'api')).trim();
    const counts = await countVersions(url, 1000);
    assert.deepEqual(counts, { 1: 800, 2: 200 });
    assert.match(await ok('promote', '--env', ENV, '--function', 'api', '--version', '2'), /live → v2 100%/);
    assert.deepEqual(await countVersions(url, 20), { 2: 20 });
    assert.match(await ok('url', '--env', ENV, '--function', 'api', '--version', '1'), /\/fn\/jane-feature-login\/api:1\/$/m);
    // The share as the argument, the version by default the latest: no number to look up.
    assert.match(await ok('promote', '--env', ENV, '--function', 'api', '--version', 'previous'), /live → v1 100%/);
    assert.match(await ok('canary', '25', '--env', ENV, '--function', 'api'), /live → v1 75% · v2 25%/);
    assert.match(await ok('promote', '--env', ENV, '--function', 'api'), /live → v2 100%/);
    // promote without --version takes the canary, as the editor's Promote does, even when it is not the latest.
    assert.match(await ok('canary', '30', '--weight', '30.0', '--version', '1', '--env', ENV, '--function', 'api'), /live → v2 70% · v1 30%/);
    assert.match(await ok('promote', '--env', ENV, '--function', 'api'), /live → v1 100%/);
    assert.match(await ok('promote', '--env', ENV, '--function', 'api'), /live → v2 100%/);
  });

  it('bad usage exits 2 naming the problem and showing usage', async () => {
    const missing = await run('canary', '--env', ENV, '--function', 'api');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Give the share of traffic: flightdeck canary 10 \(or --weight 10\)/);
    const twoShares = await run('canary', '10', '--weight', '20', '--env', ENV, '--function', 'api');
    assert.equal(twoShares.code, 2);
    assert.match(twoShares.stderr, /Two shares given: 10 and --weight 20; give one/);
    const words = await run('canary', 'ten', '--env', ENV, '--function', 'api');
    assert.equal(words.code, 2);
    assert.match(words.stderr, /PERCENT must be a number from 0 to 100 \(plain decimal digits\), not "ten"/);
    assert.match(missing.stderr, /Usage: flightdeck canary/);
    const unknown = await run('deploy', '--environment', 'x');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--environment'/);
    assert.equal((await run('launch')).code, 2);
    const weight = await run('canary', '--env', ENV, '--function', 'api', '--version', '2', '--weight', '120');
    assert.equal(weight.code, 2);
    assert.match(weight.stderr, /--weight must be a number from 0 to 100/);
    assert.equal(missing.stdout, '');
  });

  it('help exits 0 and lists the commands', async () => {
    const help = await ok('help');
    for (const name of ['serve', 'deploy', 'envs', 'versions', 'url', 'canary', 'promote']) assert.match(help, new RegExp(`^  ${name}\\s`, 'm'));
    assert.match(await ok('deploy', '--help'), /--env NAME/);
    for (const args of [['help', 'rollout'], ['rollout', '--help']]) {
      const group = await ok(...args);
      assert.match(group, /Usage: flightdeck rollout <subcommand>/);
      for (const sub of ['start', 'status']) assert.match(group, new RegExp(`^  rollout ${sub}\\s`, 'm'));
    }
  });

  it('a command group without a known subcommand exits 2 listing its subcommands', async () => {
    const bare = await run('rollout');
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /"rollout" needs a subcommand/);
    assert.match(bare.stderr, /^  rollout start\s/m);
    const typo = await run('rollout', 'strat');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Unknown subcommand "strat" of rollout/);
  });

  it('a platform error exits 1 with its message on stderr', async () => {
    const result = await run('promote', '--env', ENV, '--function', 'api', '--version', '99');
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^flightdeck: .*99/);
    for (const target of [['--env', 'typo'], ['--function', 'typo'], ['--alias', 'typo'], ['--version', '99']]) {
      const url = await run('url', '--env', ENV, '--function', 'api', ...target, '--json');
      assert.equal(url.code, 1, `url ${target.join(' ')}: ${url.stdout}`);
      assert.equal(url.stdout, '');
      assert.equal(JSON.parse(url.stderr).error.code, 'NOT_FOUND');
    }
    const json = await run('versions', '--env', 'nowhere', '--function', 'api', '--json');
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stderr).error.code, 'NOT_FOUND');
    mkdirSync(join(repo, 'broken'));
    writeFileSync(join(repo, 'broken', 'flightdeck.yaml'), 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    handler: index.handler\n    timout: 5s\n');
    const invalid = await run('deploy', '--config', 'broken/flightdeck.yaml');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /broken\/flightdeck\.yaml:3:3: Missing required key `code`/);
    assert.match(invalid.stderr, /broken\/flightdeck\.yaml:6:5: Unknown key `timout` .*Did you mean `timeout`\?/);
    const config = await run('deploy', '--config', 'missing.yaml');
    assert.equal(config.code, 1);
    assert.match(config.stderr, /No flightdeck\.yaml at .*missing\.yaml/);
  });
});

async function countVersions(url: string, requests: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < requests; i++) {
    const response = await fetch(url);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    const version = response.headers.get('x-flightdeck-version') ?? 'none';
    counts[version] = (counts[version] ?? 0) + 1;
  }
  return counts;
}
