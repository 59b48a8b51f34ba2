// The bundled CLI (node dist/cli.js) as a CI engineer meets it: a deploy that does not start exits
// 1 naming the version and why; canary says what it replaced and refuses the primary; traffic to
// an unhealthy version needs --force; commands never fight a rollout; `rollout start --wait` exits
// 3 when nothing was judged; bad input is exit 2 in flag terms, also with --json; a closed pipe
// ends quietly; `serve --home` prints one listening line.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliRepo, type CliRepo, type CliRun } from '../helpers/cliRepo';
import { DIST } from '../helpers/platform';

const ENV = 'jane-main';
const T = ['--env', ENV, '--function', 'api'];

describe('flightdeck CLI traffic safety', () => {
  let cli: CliRepo;
  let repo: string;
  let home: string;
  const run = (args: string[], cwd?: string): Promise<CliRun> => cli.run(args, cwd);
  const code = (body: string) => writeFileSync(join(repo, 'api', 'index.js'), body);
  const handler = (text: string) => `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(text)} });\n`;
  const good = (text: string) => code(handler(text));

  before(() => {
    cli = cliRepo('flightdeck-cli-safety-', 'main', {
      'api/index.js': handler('one'),
      'flightdeck.yaml': 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    code: ./api\n    handler: index.handler\n',
    });
    ({ repo, home } = cli);
  });

  after(() => cli.dispose());

  it('a deploy whose handler does not parse exits 1 naming the version and its own file:line; live stays', async () => {
    assert.equal((await run(['deploy'])).code, 0);
    code('exports.handler = async () => {\n  return (;\n};\n');
    const broken = await run(['deploy']);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /^flightdeck: api v2 did not start: .*index\.js:2: SyntaxError: .*; live stays on v1\. Fix the code and deploy again\.$/m);
    assert.ok(!broken.stderr.includes(home) && !/node:internal|dist\//.test(broken.stderr), broken.stderr);
    assert.match(broken.stdout, /api\s+v2\s.*did not start/);
    const json = JSON.parse((await run(['deploy', '--json'])).stdout);
    assert.deepEqual([json.functions[0].start.started, json.functions[0].live.reason], [false, 'notStarted']);
    const versions = await run(['versions', ...T]);
    assert.match(versions.stdout, /v2\s+\S+\s+unhealthy/);
  });

  it('redeploying fixed code moves live and says from where', async () => {
    good('three');
    const fixed = await run(['deploy']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /api: v3 published; live moved to v3 \(it was on v1\)/);
  });

  it('canary says what it replaced, shows small weights, refuses the primary, and needs --force for an unhealthy version', async () => {
    const first = await run(['canary', ...T, '--version', '1', '--weight', '10']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^live: v1 gets 10% \(live → v3 90% · v1 10%\)$/m);
    const tiny = await run(['canary', ...T, '--version', '1', '--weight', '0.001']);
    assert.match(tiny.stdout, /^live: v1 10% → 0\.001% \(live → v3 99\.999% · v1 0\.001%\)$/m);
    const primary = await run(['canary', ...T, '--version', '3', '--weight', '30']);
    assert.equal(primary.code, 1);
    assert.match(primary.stderr, /v3 is live's primary: it gets what the other versions leave \(now 99\.999%\), so it takes no canary weight/);
    const sick = await run(['canary', ...T, '--version', '2', '--weight', '5']);
    assert.equal(sick.code, 1);
    assert.match(sick.stderr, /v2 is unhealthy \(.*SyntaxError.*\); send 5% to v2 would send requests to code that fails\. .*pass --force/);
    const forced = await run(['canary', ...T, '--version', '2', '--weight', '5', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^live: v1's 0\.001% → v2's 5%/m);
    assert.match(forced.stderr, /Warning: v2 is unhealthy/);
    assert.equal((await run(['promote', ...T, '--version', '2'])).code, 1, 'promote to an unhealthy version needs --force too');
    assert.equal((await run(['promote', ...T, '--version', '3'])).code, 0);
  });

  it('rollout start --wait exits 3 when the rollout completes without one judged step', async () => {
    const quiet = await run(['rollout', 'start', ...T, '--version', '1', '--steps', '50,100', '--interval', '300ms', '--wait']);
    assert.equal(quiet.code, 3, quiet.stderr);
    assert.match(quiet.stdout, /completed-unverified/);
    assert.equal(quiet.stdout.match(/completed-unverified/g)?.length, 1, `the final state is printed once: ${quiet.stdout}`);
    assert.match(quiet.stdout, /^v1 serves 100% of live, unverified\.$/m);
    assert.match(quiet.stderr, /v1 reached 100% of live unverified: no step had the 20 requests the gates need to judge it \(exit code 3\)/);
  });

  it('while a rollout moves live, canary/promote are refused naming it, and a deploy publishes without moving live', async () => {
    const started = await run(['rollout', 'start', ...T, '--version', '3', '--interval', '10m', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const id = JSON.parse(started.stdout).id as string;
    for (const args of [['canary', ...T, '--version', '3', '--weight', '50'], ['promote', ...T, '--version', '3']]) {
      const refused = await run(args);
      assert.equal(refused.code, 1, args.join(' '));
      assert.match(refused.stderr, new RegExp(`Rollout ${id} of v3 is running on ${ENV}/api .*Promote it \\(flightdeck rollout promote --env ${ENV} --function api\\) or abort it`));
    }
    good('four');
    const deployed = await run(['deploy']);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, new RegExp(`api: v4 published; live did not move: rollout ${id} is moving it`));
    assert.equal((await run(['rollout', 'abort', ...T])).code, 0);
  });

  it('bad input is exit 2 in flag terms before any call, also as JSON', async () => {
    const cases: [string[], RegExp][] = [
      [['rollout', 'start', ...T, '--version', '3', '--interval', '25h'], /--interval 25h: at most 24h/],
      [['rollout', 'start', ...T, '--version', '3', '--batches', '2'], /--batches applies to --strategy batch only; this rollout is canary/],
      [['rollout', 'start', ...T, '--version', '3', '--strategy', 'batch', '--steps', '50,100'], /--steps applies to --strategy canary only/],
      [['canary', ...T, '--version', '0x10', '--weight', '5'], /--version must be a version number .* not "0x10"/],
      [['canary', ...T, '--version', '3', '--weight', '1e1'], /--weight must be a number .* not "1e1"/],
      [['deploy', '--env', ''], /--env needs a value/],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.ok(!/intervalMs|additionalVersionWeight|\n\s+at /.test(result.stderr), result.stderr);
    }
    const json = await run(['rollout', 'start', ...T, '--version', '3', '--interval', '25h', '--json']);
    assert.equal(json.code, 2);
    assert.deepEqual(JSON.parse(json.stderr), { error: { code: 'USAGE', message: '--interval 25h: at most 24h.', command: 'rollout start' } });
    assert.equal(JSON.parse((await run(['nope', '--json'])).stderr).error.code, 'USAGE');
  });

  it('--config takes the project folder; rollout start finds flightdeck.yaml in a parent folder as deploy does', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'flightdeck-elsewhere-'));
    try {
      const viaFolder = await run(['deploy', '--env', ENV, '--config', repo], elsewhere);
      assert.equal(viaFolder.code, 0, viaFolder.stderr);
      const empty = await run(['deploy', '--env', ENV, '--config', elsewhere], elsewhere);
      assert.equal(empty.code, 1);
      assert.match(empty.stderr, /is a folder without a flightdeck\.yaml/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    writeFileSync(join(repo, 'flightdeck.yaml'), 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    code: ./api\n    handler: index.handler\n    rollout: { steps: [30, 100], interval: 10m }\n');
    const fromSub = await run(['rollout', 'start', ...T, '--version', '3', '--json'], join(repo, 'api'));
    assert.equal(fromSub.code, 0, fromSub.stderr);
    assert.deepEqual(JSON.parse(fromSub.stdout).spec.steps, [30, 100]);
    assert.equal((await run(['rollout', 'abort', ...T])).code, 0);
  });

  it('a reader that closes the pipe early ends the command quietly (no stack trace)', async () => {
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'versions', ...T], {
      cwd: repo, env: { ...process.env, FLIGHTDECK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // like `| head` that has read enough
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exit = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(exit, 0);
  });
});

describe('flightdeck serve --home', () => {
  it('serves from the given state folder and prints the listening line once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'flightdeck-serve-home-'));
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'serve', '--port', '0', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    try {
      for (let i = 0; i < 300 && !existsSync(join(home, 'platform.json')); i++) await sleep(50);
      await sleep(200);
      assert.ok(existsSync(join(home, 'platform.json')), output);
      assert.equal(output.match(/listening on/g)?.length, 1, output);
    } finally {
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
