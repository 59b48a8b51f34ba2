// The warm pool of spare Node.js hosts, with the real dist/runtime-node.js: a burst of takes grows
// it to the burst's size (up to its maximum) once the burst is over, it shrinks back to its size
// after the hold time and stops the extra spares, a pool of size 0 never forks a spare, and with
// no spare to hand no more hosts boot at once than the pool's boot limit.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PidRegistry } from '../../src/platform/runtime/pids';
import type { RuntimeProcess } from '../../src/platform/runtime/processes';
import { WarmPool, type WarmPoolOptions } from '../../src/platform/runtime/warmPool';
import { DIST, startPlatform, tempHome } from '../helpers/platform';
import { waitFor } from '../helpers/gateway';

const SCRIPT = join(DIST, 'runtime-node.js');

/** Live runtime-node.js processes this test process forked (Linux /proc). */
function runtimeChildren(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return state !== 'Z' && Number(ppid) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SCRIPT) ? [Number(pid)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

describe('warm pool', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function pool(options: WarmPoolOptions): WarmPool {
    const home = tempHome();
    const pids = new PidRegistry(home);
    const warm = new WarmPool(SCRIPT, options, pids);
    cleanups.push(async () => {
      await warm.close();
      await pids.flushed();
      rmSync(home, { recursive: true, force: true });
    });
    return warm;
  }

  /** Takes `count` hosts at once, as a deploy of `count` functions does, and gives each back to stop. */
  async function burst(warm: WarmPool, count: number): Promise<RuntimeProcess[]> {
    const taken = await Promise.all(Array.from({ length: count }, () => warm.take()));
    warm.refillSoon();
    cleanups.push(async () => {
      await Promise.all(taken.map((t) => t.process.stop()));
    });
    return taken.map((t) => t.process);
  }

  const settled = (warm: WarmPool, ready: number, target: number) =>
    waitFor(`${ready} spares ready of a target of ${target}`, async () => {
      const status = warm.status();
      return status.ready === ready && status.target === target ? true : undefined;
    }, 20_000);

  test('grows to the size of a burst of takes, then shrinks back after the hold time and stops the extra spares', async () => {
    const warm = pool({ size: 1, max: 16, holdMs: 1500, bootLimit: 4 });
    await settled(warm, 1, 1);
    const taken = (await burst(warm, 4)).map((p) => p.pid);
    await settled(warm, 4, 4);
    await settled(warm, 1, 1);
    // The three spares beyond the size are stopped; the hosts taken are their instances' to stop.
    await waitFor('the extra spares to exit', async () => (runtimeChildren().filter((pid) => !taken.includes(pid)).length === 1 ? true : undefined));
    assert.ok(taken.every((pid) => runtimeChildren().includes(pid)));
  });

  test('a spare forked from a folder deleted since (the platform was started there) still comes up', async () => {
    const gone = mkdtempSync(join(tmpdir(), 'flightdeck-gone-'));
    const here = process.cwd();
    process.chdir(gone);
    rmSync(gone, { recursive: true });
    try {
      const warm = pool({ size: 1, max: 1, holdMs: 60_000, bootLimit: 1 });
      await settled(warm, 1, 1);
    } finally {
      process.chdir(here);
    }
  });

  test('never grows past its maximum', async () => {
    const warm = pool({ size: 1, max: 2, holdMs: 60_000, bootLimit: 4 });
    await burst(warm, 5);
    await settled(warm, 2, 2);
  });

  test('a pool of size 0 with a maximum of 0 forks no spare, even after a burst', async () => {
    const warm = pool({ size: 0, max: 0, holdMs: 60_000, bootLimit: 4 });
    await burst(warm, 3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(warm.status(), { ready: 0, target: 0 });
  });

  test('with no spare to hand, at most bootLimit hosts boot at once; the other takes wait their turn', async () => {
    const warm = pool({ size: 0, max: 0, holdMs: 60_000, bootLimit: 2 });
    const before = runtimeChildren().length;
    let listening = 0;
    let mostBooting = 0;
    const takes = Promise.all(Array.from({ length: 5 }, () => warm.take().then((t) => {
      listening++;
      return t;
    })));
    const done = takes.then(() => true);
    // Booting = runtime processes alive that have not answered their take yet (they stay alive).
    while (!(await Promise.race([done, new Promise<false>((resolve) => setTimeout(() => resolve(false), 3))]))) {
      mostBooting = Math.max(mostBooting, runtimeChildren().length - before - listening);
    }
    const taken = await takes;
    cleanups.push(async () => {
      await Promise.all(taken.map((t) => t.process.stop()));
    });
    assert.equal(new Set(taken.map((t) => t.process.pid)).size, 5, 'five hosts, one per take');
    assert.ok(mostBooting <= 2, `${mostBooting} hosts booted at once`);
    assert.ok(mostBooting >= 1, 'the sampling saw the boots');
  });

  test("the platform reports its pool in /v1/health and takes --warm-pool-max and --warm-pool-hold-ms", async () => {
    const platform = await startPlatform({ args: ['--warm-pool', '2', '--warm-pool-max', '3', '--warm-pool-hold-ms', '1000'] });
    cleanups.push(async () => {
      await platform.stop();
      rmSync(platform.home, { recursive: true, force: true });
    });
    await waitFor('two spares ready', async () => {
      const health = await platform.api('GET', '/v1/health');
      return health.json.warmPool.ready === 2 && health.json.warmPool.target === 2 ? true : undefined;
    });
  });
});
