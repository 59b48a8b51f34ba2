// The platform process's life: discovery file, one platform per state folder, graceful stop,
// restart after kill -9 with the state intact, port fallback, warm instances on start.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { createEnv, deployDir } from '../helpers/deploy';
import { DIST, startPlatform, tempHome, type TestPlatform } from '../helpers/platform';

const started: TestPlatform[] = [];
const folders: string[] = [];

async function start(home: string, args: string[] = []): Promise<TestPlatform> {
  const platform = await startPlatform({ home, args: ['--warm-pool', '0', ...args] });
  started.push(platform);
  return platform;
}

function home(): string {
  const dir = tempHome();
  folders.push(dir);
  return dir;
}

after(async () => {
  for (const platform of started) await platform.stop();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

it('writes a 0600 discovery file, refuses a second platform on the same folder, and removes the file on SIGTERM', async () => {
  const dir = home();
  const platform = await start(dir);
  const file = join(dir, 'platform.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const discovery = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(discovery).sort(), ['instance', 'pid', 'started', 'token', 'url']);
  assert.match(discovery.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(discovery.pid, platform.child.pid);

  await assert.rejects(start(dir), /exited with 1[\s\S]*already running at http:\/\/127\.0\.0\.1/);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, platform.child.pid, 'the refused start left the file alone');

  await platform.stop();
  assert.equal(platform.child.exitCode, 0);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(join(dir, 'platform.lock')), false);
});

it('lets exactly one of two platforms started at once on one folder run', async () => {
  const dir = home();
  const results = await Promise.allSettled([start(dir), start(dir)]);
  const running = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(running.length, 1, JSON.stringify(results.map((r) => r.status)));
  assert.match(String(refused[0].reason), /exited with 1[\s\S]*(already running|holds state folder)/);
});

it('restarts after kill -9 with a new token and the state intact', async () => {
  const dir = home();
  const code = mkdtempSync(join(tmpdir(), 'flightdeck-life-code-'));
  folders.push(code);
  writeFileSync(join(code, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "ok" });\n');
  const first = await start(dir);
  await createEnv(first, 'keep', 'staging');
  await deployDir(first, 'keep', 'fn', code, { runtime: 'nodejs' });
  await first.api('PUT', '/v1/environments/keep/functions/fn/aliases/beta', { versionId: 1 });
  await first.kill9();

  const second = await start(dir);
  assert.notEqual(second.token, first.token);
  assert.equal((await second.api('GET', '/v1/environments/keep')).status, 200);
  const summary = await second.api('GET', '/v1/environments/keep/functions/fn');
  assert.equal(summary.json.latestVersion, 1);
  assert.deepEqual(summary.json.aliases.map((a: { name: string }) => a.name).sort(), ['beta', 'live']);
  const old = await second.api('GET', '/v1/health', undefined, { authorization: `Bearer ${first.token}` });
  assert.equal(old.status, 401, 'the old token no longer works');
});

it('falls back to a free port when the asked one is busy', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busy = (blocker.address() as { port: number }).port;
  try {
    const platform = await start(home(), ['--port', String(busy)]);
    assert.notEqual(new URL(platform.url).port, String(busy));
    assert.equal((await platform.api('GET', '/v1/health')).status, 200);
  } finally {
    blocker.close();
  }
});

it('starts the minimum instances of warm functions when the platform starts', { timeout: 60_000 }, async () => {
  const dir = home();
  const code = mkdtempSync(join(tmpdir(), 'flightdeck-life-code-'));
  folders.push(code);
  writeFileSync(join(code, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "warm" });\n');
  const first = await start(dir);
  await createEnv(first, 'warm', 'personal');
  await deployDir(first, 'warm', 'fn', code, { runtime: 'nodejs', instances: { min: 1, max: 2, concurrency: 4, idleTimeoutMs: 60_000 } });
  await first.stop();

  const second = await start(dir);
  const deadline = Date.now() + 30_000;
  let states: string[] = [];
  while (Date.now() < deadline) {
    const res = await second.api('GET', '/v1/environments/warm/functions/fn/instances');
    states = res.json.instances.map((i: { state: string }) => i.state);
    if (states.includes('ready')) break;
    await sleep(100);
  }
  assert.deepEqual(states, ['ready']);
});

it('stops the instances of an environment it deletes', { timeout: 60_000 }, async () => {
  const code = mkdtempSync(join(tmpdir(), 'flightdeck-life-code-'));
  folders.push(code);
  writeFileSync(join(code, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "bye" });\n');
  const platform = await start(home());
  await createEnv(platform, 'gone', 'personal');
  const { url } = await deployDir(platform, 'gone', 'fn', code, { runtime: 'nodejs' });
  assert.equal(await (await fetch(url)).text(), 'bye');
  const [instance] = (await platform.api('GET', '/v1/environments/gone/functions/fn/instances')).json.instances;
  assert.ok(instance?.pid, 'a function process serves the request');
  assert.equal((await platform.api('DELETE', '/v1/environments/gone')).status, 204);
  assert.throws(() => process.kill(instance.pid, 0), /ESRCH/, 'the function process is gone');
  assert.equal((await platform.api('GET', '/v1/environments/gone/functions/fn')).status, 404);
});

it('refuses to start on an unreadable state file, naming it, and leaves it in place', async () => {
  const dir = home();
  const first = await start(dir);
  await createEnv(first, 'broken', 'staging');
  await first.stop();
  const file = join(dir, 'state', 'broken', 'environment.json');
  writeFileSync(file, '{ "name": "bro');
  await assert.rejects(start(dir), (error: Error) => error.message.includes('exited with 1') && error.message.includes(file));
  assert.equal(readFileSync(file, 'utf8'), '{ "name": "bro');
});

it('refuses out-of-range flags with exit code 2, naming the range and the usage line', () => {
  for (const args of [['--heartbeat-ms', '0'], ['--queue-timeout-ms', String(2 ** 31)], ['--port', '70000'], ['--idle-timeout-ms', 'soon']]) {
    const run = spawnSync(process.execPath, [join(DIST, 'platform.js'), '--home', home(), ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`^${args[0]} must be a whole number from \\d+ to \\d+`), args.join(' '));
    assert.match(run.stderr, /Usage: platform/, args.join(' '));
  }
});

it('exits 2 with the usage line on an unknown flag, a missing value or a value that is not a number', () => {
  const cases: [string[], RegExp][] = [
    [['--verbose', '1'], /^Unknown option --verbose\./],
    [['--port'], /^--port needs a value\./],
    [['--home'], /^--home needs a value\./],
    [['--port', '-1'], /^--port must be a whole number/],
    [['--warm-pool', '1.5'], /^--warm-pool must be a whole number/],
    [['--max-blob-bytes', '64M'], /^--max-blob-bytes must be a whole number/],
  ];
  for (const [args, message] of cases) {
    const run = spawnSync(process.execPath, [join(DIST, 'platform.js'), '--home', home(), ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 2, `${args.join(' ')}: exit ${run.status} ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assert.match(run.stderr, /Usage: platform/, args.join(' '));
  }
});

describe('the lock rules of platform.lock', () => {
  const lockOf = (dir: string) => join(dir, 'platform.lock');

  it('a young lock with no readable holder counts as being written: the start is refused and the lock left alone', async () => {
    const dir = home();
    writeFileSync(lockOf(dir), '', { mode: 0o600 });
    await assert.rejects(start(dir), /exited with 1[\s\S]*holds state folder/);
    assert.equal(readFileSync(lockOf(dir), 'utf8'), '', 'the lock being written is not taken over');
  });

  it('an unreadable lock older than 5 s is stale and taken over', async () => {
    const dir = home();
    writeFileSync(lockOf(dir), '{"pid": 12', { mode: 0o600 });
    const past = new Date(Date.now() - 10_000);
    utimesSync(lockOf(dir), past, past);
    const platform = await start(dir);
    assert.equal(JSON.parse(readFileSync(lockOf(dir), 'utf8')).pid, platform.child.pid);
  });

  it('a lock whose pid now runs another command line is stale; one whose pid runs its command line is held', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = other.pid as number;
      const reused = home();
      writeFileSync(lockOf(reused), JSON.stringify({ pid, cmdline: [process.execPath, join(DIST, 'platform.js'), '--port', '0'].join('\0') + '\0' }));
      const platform = await start(reused);
      assert.equal(JSON.parse(readFileSync(lockOf(reused), 'utf8')).pid, platform.child.pid, 'taken over from the reused pid');

      const held = home();
      writeFileSync(lockOf(held), JSON.stringify({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') }));
      await assert.rejects(start(held), new RegExp(`exited with 1[\\s\\S]*pid ${pid}\\)? holds state folder`));
      assert.equal(JSON.parse(readFileSync(lockOf(held), 'utf8')).pid, pid);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
