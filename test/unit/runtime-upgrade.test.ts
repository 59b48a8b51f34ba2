// In-place moves through the real platform process: a deploy upgrades warm slots under load with
// no failed request and the slot numbers kept, a batched restart does the same, and function
// processes never outlive the platform (kill -9 included), with stale ones swept at startup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPlatform, tempHome, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { EventStream, restartWaves } from '../helpers/events';
import { call, discard, fixture, fnPath, nodeConfig, waitFor, type GatewayAnswer } from '../helpers/gateway';
import type { Instance } from '../../src/model';
import { processAlive } from '../../src/platform/lock';

const ENV = 'dev';
const LOOPS = 8;

interface LoadResult {
  answers: (GatewayAnswer & { sentAt: number })[];
  stop(): Promise<void>;
}

/** `loops` concurrent request loops against `path` until stopped. */
function load(platform: TestPlatform, path: string, loops = LOOPS): LoadResult {
  const answers: (GatewayAnswer & { sentAt: number })[] = [];
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const sentAt = Date.now();
      answers.push({ ...(await call(platform, path)), sentAt });
    }
  };
  const loopsDone = Array.from({ length: loops }, loop);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loopsDone);
    },
  };
}

describe('runtime upgrades and restarts', { timeout: 120_000 }, () => {
  let platform: TestPlatform;
  const instances = async (fn: string): Promise<Instance[]> => (await platform.api('GET', fnPath(ENV, fn, '/instances'))).json.instances;

  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, ENV);
  });

  after(async () => {
    await discard(platform);
  });

  test('a deploy upgrades warm slots in place under 8 concurrent loops with zero failures', async () => {
    const limits = { min: 2, max: 2, concurrency: 4 };
    await deployDir(platform, ENV, 'roll', fixture('slow'), nodeConfig({ env: { GREETING: 'v1' }, instances: limits }));
    const before = await waitFor('two warm slots', async () => {
      const list = await instances('roll');
      return list.length === 2 && list.every((i) => i.state === 'ready') ? list : undefined;
    });
    const traffic = load(platform, `/fn/${ENV}/roll/?ms=15`);
    await sleep(300);
    const deploy = await deployDir(platform, ENV, 'roll', fixture('slow'), nodeConfig({ env: { GREETING: 'v2' }, instances: limits }));
    const deployedAt = Date.now();
    await sleep(300);
    await traffic.stop();

    assert.equal(deploy.version.id, 2);
    const failures = traffic.answers.filter((a) => a.status !== 200);
    assert.deepEqual(failures, [], `${failures.length} of ${traffic.answers.length} requests failed`);
    const versions = new Set(traffic.answers.map((a) => a.version));
    assert.deepEqual([...versions].sort(), ['1', '2']);
    const lateOld = traffic.answers.filter((a) => a.sentAt > deployedAt && a.version === '1');
    assert.deepEqual(lateOld, [], 'requests sent after the deploy answered are served by v2');
    const after = await instances('roll');
    assert.deepEqual(after.map((i) => [i.slot, i.versionId, i.state]), before.map((i) => [i.slot, 2, 'ready']));
    assert.ok(after.every((i, n) => i.id !== before[n].id && i.pid !== before[n].pid), 'new processes in the same slots');
  });

  test('an upgrade with requests queued beyond capacity still fails none of them', async () => {
    const limits = { min: 2, max: 2, concurrency: 2 };
    await deployDir(platform, ENV, 'crowded', fixture('slow'), nodeConfig({ env: { GREETING: 'v1' }, instances: limits }));
    await waitFor('two warm slots', async () => ((await instances('crowded')).filter((i) => i.state === 'ready').length === 2 ? true : undefined));
    const traffic = load(platform, `/fn/${ENV}/crowded/?ms=20`, 3 * LOOPS);
    await sleep(300);
    await deployDir(platform, ENV, 'crowded', fixture('slow'), nodeConfig({ env: { GREETING: 'v2' }, instances: limits }));
    await sleep(300);
    await traffic.stop();
    const failures = traffic.answers.filter((a) => a.status !== 200);
    assert.deepEqual(failures, [], `${failures.length} of ${traffic.answers.length} requests failed`);
    assert.deepEqual((await instances('crowded')).map((i) => [i.slot, i.versionId]), [[0, 2], [1, 2]]);
  });

  test('a restart in 2 batches replaces every process, one slot at a time, with zero failed requests', async () => {
    const before = await instances('roll');
    const events = new EventStream(platform);
    await events.opened;
    const traffic = load(platform, `/fn/${ENV}/roll/?ms=15`);
    await sleep(200);
    const answer = await platform.api('POST', fnPath(ENV, 'roll', '/restart'), { batches: 2 });
    assert.equal(answer.status, 202, answer.text);
    const after = await waitFor('every slot restarted', async () => {
      const list = await instances('roll');
      const replaced = list.length === before.length && list.every((i, n) => i.state === 'ready' && i.id !== before[n].id);
      return replaced ? list : undefined;
    });
    await sleep(200);
    await traffic.stop();
    const failures = traffic.answers.filter((a) => a.status !== 200);
    assert.deepEqual(failures, [], `${failures.length} of ${traffic.answers.length} requests failed`);
    assert.deepEqual(after.map((i) => i.slot), before.map((i) => i.slot));
    const waves = await waitFor('both slots back up', async () => {
      const seen = restartWaves(events.messages, 'roll');
      return seen.ups >= 2 ? seen : undefined;
    });
    events.close();
    assert.deepEqual(waves, { downs: 2, ups: 2, mostDownAtOnce: 1 }, 'batch 2 went down only after batch 1 was up');
  });
});

/** Pids of the direct children of `parent`, from /proc. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

describe('function processes never outlive the platform', { timeout: 60_000 }, () => {
  test('kill -9 of the platform takes Node.js instances, custom commands and warm spares with it', async () => {
    const platform = await startPlatform();
    try {
      await createEnv(platform, ENV);
      await deployDir(platform, ENV, 'node', fixture('hello'), nodeConfig());
      await deployDir(platform, ENV, 'custom', fixture('custom-server'), {
        runtime: 'custom',
        command: ['node', 'server.js'],
        instances: { min: 0, max: 1, concurrency: 4, idleTimeoutMs: 60_000 },
        env: {},
        timeoutMs: 10_000,
      });
      assert.equal((await call(platform, `/fn/${ENV}/node/`)).status, 200);
      const custom = await call(platform, `/fn/${ENV}/custom/`);
      assert.equal(custom.status, 200);
      const pids = [
        ...((await platform.api('GET', fnPath(ENV, 'node', '/instances'))).json.instances as Instance[]).map((i) => i.pid as number),
        ...((await platform.api('GET', fnPath(ENV, 'custom', '/instances'))).json.instances as Instance[]).map((i) => i.pid as number),
        JSON.parse(custom.text).pid as number,
      ];
      const forked = childrenOf(platform.child.pid as number);
      assert.ok(forked.length >= 3, `instances, a supervisor and a warm spare: ${forked.join(', ')}`);
      pids.push(...forked);
      assert.ok(pids.every((pid) => processAlive(pid)));
      await platform.kill9();
      await waitFor('every function process to exit', async () => (pids.some((pid) => processAlive(pid)) ? undefined : true), 10_000);
    } finally {
      await discard(platform, true);
    }
  });

  test('pids recorded by a previous platform run are killed at startup', async () => {
    const home = tempHome();
    // A process that ignores its parent going away, recorded as if a crashed platform left it.
    const script = 'setInterval(() => {}, 1000)';
    const stale = spawn(process.execPath, ['-e', script], { stdio: 'ignore', detached: true });
    const exited = new Promise((resolve) => stale.once('exit', resolve));
    try {
      const record = [{ pid: stale.pid, cmdline: [process.execPath, '-e', script].join('\0'), group: false }];
      writeFileSync(join(home, 'runtime-pids.json'), JSON.stringify(record));
      const platform = await startPlatform({ home });
      try {
        await waitFor('the stale process to be killed', async () => (processAlive(stale.pid as number) ? undefined : true), 10_000);
        await exited;
      } finally {
        await platform.stop();
      }
    } finally {
      stale.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});
