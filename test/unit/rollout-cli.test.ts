// The `flightdeck rollout` and `restart` commands: the real dist/cli.js process against the real
// platform (found through FLIGHTDECK_HOME), with real load so the gates have figures to judge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rollout } from '../../src/model';
import { EventStream, restartWaves } from '../helpers/events';
import { DIST, startPlatform, type TestPlatform } from '../helpers/platform';
import { APP_DIR, ENV, FN, FN_PATH, getRollout, startLoad, twoVersions, waitFor } from './rollout-support';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/cli.js against the platform's state folder; killed after 60 s at most. */
function cli(platform: TestPlatform, args: string[], cwd = platform.home): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), ...args], {
      cwd,
      env: { ...process.env, FLIGHTDECK_HOME: platform.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function withPlatform(body: (platform: TestPlatform) => Promise<void>): Promise<void> {
  const platform = await startPlatform();
  try {
    await body(platform);
  } finally {
    await platform.stop();
    rmSync(platform.home, { recursive: true, force: true });
  }
}

const TARGET = ['--env', ENV, '--function', FN];

test('rollout start --wait exits 0 when the rollout succeeds, printing each step', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform);
    const load = startLoad(platform, 4);
    const run = await cli(platform, ['rollout', 'start', ...TARGET, '--version', '2', '--steps', '25,100', '--interval', '2s', '--min-requests', '5', '--max-p95', '2s', '--wait']);
    await load.stop();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /v2 canary step 1\/2 at 25% · running/);
    assert.match(run.stdout, /v2 canary step 2\/2 at 100% · succeeded/);
    assert.match(run.stdout, /v2 now serves 100% of live\./);
    const status = await cli(platform, ['rollout', 'status', ...TARGET, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as Rollout).status, 'succeeded');
  });
});

test('rollout start --wait exits 1 when the new version fails its gates and is rolled back', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, { FAIL_EVERY: '2' });
    const load = startLoad(platform, 4);
    const run = await cli(platform, ['rollout', 'start', ...TARGET, '--version', '2', '--steps', '50,100', '--interval', '1m', '--min-requests', '5', '--wait']);
    await load.stop();
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /The rollout of v2 rolled back: error rate [\d.]+% over \d+ requests > 1% allowed\. Traffic is back on v1\./);
  });
});

test('rollout start --wait exits 1 when the rollout is aborted from another command', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform);
    const waiting = cli(platform, ['rollout', 'start', ...TARGET, '--version', '2', '--interval', '10m', '--wait']);
    await waitFor('the rollout to start', async () => ((await platform.api('GET', `${FN_PATH}/rollout`)).status === 200 ? true : undefined));
    const paused = await cli(platform, ['rollout', 'pause', ...TARGET]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /· paused/);
    const aborted = await cli(platform, ['rollout', 'abort', ...TARGET]);
    assert.equal(aborted.code, 0, aborted.stderr);
    const run = await waiting;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /was aborted: aborted by request at 10%/);
    const again = await cli(platform, ['rollout', 'resume', ...TARGET]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already aborted/);
  });
});

test('after Ctrl-C on rollout start --wait, rollout status --wait follows it again and exits as start would have', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform);
    const load = startLoad(platform, 4);
    const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'rollout', 'start', ...TARGET, '--version', '2', '--steps', '25,100', '--interval', '3s', '--min-requests', '5', '--max-p95', '2s', '--wait'], {
      cwd: platform.home, env: { ...process.env, FLIGHTDECK_HOME: platform.home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor('the rollout to start', async () => ((await platform.api('GET', `${FN_PATH}/rollout`)).status === 200 ? true : undefined));
    child.kill('SIGINT');
    assert.equal(await exited, 1);
    assert.match(stderr, /goes on in the platform \(`flightdeck rollout status --wait` follows it again\)/);
    const again = await cli(platform, ['rollout', 'status', ...TARGET, '--wait']);
    await load.stop();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /v2 now serves 100% of live\./);
    // Ended: --wait answers at once, with the exit code of its end.
    const ended = await cli(platform, ['rollout', 'status', ...TARGET, '--wait', '--json']);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal((JSON.parse(ended.stdout) as Rollout).status, 'succeeded');
  });
});

test('rollout start takes defaults from flightdeck.yaml and flags override them; bad flags are usage errors', { timeout: 90_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 2, max: 2 });
    writeFileSync(join(platform.home, 'flightdeck.yaml'), [
      'project: shop',
      'functions:',
      `  ${FN}:`,
      '    runtime: nodejs',
      `    code: ${APP_DIR}`,
      '    handler: index.handler',
      '    instances: { min: 2, max: 2 }',
      '    rollout:',
      '      strategy: batch',
      '      batches: 2',
      '      manual: true',
      '      maxErrorRate: 0.2',
      '',
    ].join('\n'));
    const run = await cli(platform, ['rollout', 'start', ...TARGET, '--version', '2', '--min-requests', '3', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const started = JSON.parse(run.stdout) as Rollout;
    assert.deepEqual([started.spec.strategy, started.spec.batches, started.spec.manual, started.status], ['batch', 2, true, 'waiting']);
    assert.deepEqual(started.spec.gates, { maxErrorRate: 0.2, maxP95Ms: 500, minRequests: 3 });
    const next = await cli(platform, ['rollout', 'continue', ...TARGET, '--json']);
    // No traffic came, so the one batch before the last was never judged.
    assert.equal((JSON.parse(next.stdout) as Rollout).status, 'completedUnverified', next.stderr);
    assert.equal((await getRollout(platform)).percent, 100);

    const usage = await cli(platform, ['rollout', 'start', ...TARGET, '--version', '2', '--interval', 'soon']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--interval must be a duration like 500ms/);
    const badFlags: [string[], RegExp][] = [
      [['--strategy', 'foo'], /--strategy must be one of canary, batch, not "foo"/],
      [['--mode', 'x'], /--mode must be one of inPlace, recreate, not "x"/],
      [['--steps', '10,200'], /--steps must be increasing whole percentages from 1 to 100/],
      [['--steps', '50,20,100'], /--steps must be increasing/],
    ];
    for (const [flags, message] of badFlags) {
      const bad = await cli(platform, ['rollout', 'start', ...TARGET, '--version', '3', ...flags]);
      assert.equal(bad.code, 2, `${flags.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
  });
});

test('restart --batches restarts the instances in place, batch after batch', { timeout: 60_000 }, async () => {
  await withPlatform(async (platform) => {
    await twoVersions(platform, {}, { min: 2, max: 2 });
    const ready = async () => ((await platform.api('GET', `${FN_PATH}/instances`)).json.instances as { pid: number; state: string }[]).filter((i) => i.state === 'ready');
    const before = await waitFor('2 ready instances', async () => {
      const list = await ready();
      return list.length === 2 ? list : undefined;
    });
    const events = new EventStream(platform);
    await events.opened;
    const run = await cli(platform, ['restart', ...TARGET, '--batches', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Restarting prod\/app in place in 2 batches\./);
    const old = new Set(before.map((i) => i.pid));
    await waitFor('new processes in both slots', async () => {
      const list = await ready();
      return list.length === 2 && list.every((i) => !old.has(i.pid)) ? true : undefined;
    });
    const waves = await waitFor('both slots back up', async () => {
      const seen = restartWaves(events.messages, FN);
      return seen.ups >= 2 ? seen : undefined;
    });
    events.close();
    assert.deepEqual(waves, { downs: 2, ups: 2, mostDownAtOnce: 1 }, 'the second slot went down only after the first was up');
  });
});
