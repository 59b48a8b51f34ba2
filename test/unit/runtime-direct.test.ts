// createRuntime on its own, with a small in-test StateView and a node:http server in front of
// handleGateway: real function processes and real HTTP, for what the control API does not expose
// directly (batched and `recreate` upgrades, events, live log following).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRuntime } from '../../src/platform/runtime';
import type { FunctionRuntime, StateView } from '../../src/platform/contracts';
import type { Alias, FunctionConfig, PlatformEvent, Version, VersionHealth } from '../../src/model';
import type { LogLine } from '../../src/provider';
import { DIST, tempHome } from '../helpers/platform';
import { fixture, nodeConfig, waitFor } from '../helpers/gateway';

const ENV = 'dev';
const FN = 'svc';

/** Versions of one function; a version's `tree` is its fixture folder. */
class TestState implements StateView {
  readonly versions: Version[] = [];
  readonly aliases = new Map<string, Alias>();
  readonly health: { id: number; health: VersionHealth; reason?: string }[] = [];

  publish(dir: string, config: FunctionConfig): Version {
    const version: Version = {
      id: this.versions.length + 1,
      environment: ENV,
      function: FN,
      tree: dir,
      config,
      created: new Date().toISOString(),
      fileCount: 1,
      codeSize: 1,
      health: 'unknown',
    };
    this.versions.push(version);
    return version;
  }

  point(name: string, versionId: number): void {
    this.aliases.set(name, { name, versionId, additionalVersionWeight: {}, etag: `v${versionId}`, updated: new Date().toISOString() });
  }

  /** Activity stamps belong to the durable state, not to what these tests check. */
  noteRequest(): void {}

  functionConfig(env: string, fn: string): FunctionConfig | undefined {
    return env === ENV && fn === FN ? this.versions.at(-1)?.config : undefined;
  }
  getVersion(env: string, fn: string, id: number): Version | undefined {
    return env === ENV && fn === FN ? this.versions.find((v) => v.id === id) : undefined;
  }
  getAlias(env: string, fn: string, name: string): Alias | undefined {
    return env === ENV && fn === FN ? this.aliases.get(name) : undefined;
  }
  async codeDir(version: Version): Promise<string> {
    return version.tree;
  }
  servedVersions(): Set<number> {
    return new Set([...this.aliases.values()].flatMap((a) => [a.versionId, ...Object.keys(a.additionalVersionWeight).map(Number)]));
  }
  setVersionHealth(_env: string, _fn: string, id: number, health: VersionHealth, reason?: string): void {
    this.health.push({ id, health, reason });
  }
}

describe('createRuntime with an in-test state', { timeout: 60_000 }, () => {
  const state = new TestState();
  const events: Omit<PlatformEvent, 'seq' | 'time'>[] = [];
  const home = tempHome();
  let runtime: FunctionRuntime;
  let server: Server;
  let base: string;

  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, version: res.headers.get('x-flightdeck-version'), text: await res.text() };
  };

  before(async () => {
    runtime = createRuntime(state, (e) => events.push(e), { home, runtimeScript: join(DIST, 'runtime-node.js') });
    server = createServer((req, res) => runtime.handleGateway(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const limits = { min: 3, max: 3, concurrency: 4 };
    state.publish(fixture('slow'), nodeConfig({ env: { GREETING: 'one' }, instances: limits }));
    state.publish(fixture('slow'), nodeConfig({ env: { GREETING: 'two' }, instances: limits }));
    state.publish(fixture('slow'), nodeConfig({ env: { GREETING: 'three' }, instances: limits }));
    state.point('live', 1);
  });

  after(async () => {
    await runtime?.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  test('ensureMinimum starts min slots of live and reports instance.up', async () => {
    await runtime.ensureMinimum(ENV, FN);
    const list = runtime.instances(ENV, FN);
    assert.deepEqual(list.map((i) => [i.slot, i.versionId, i.state]), [[0, 1, 'ready'], [1, 1, 'ready'], [2, 1, 'ready']]);
    assert.equal(events.filter((e) => e.type === 'instance.up' && e.function === FN).length, 3);
    assert.equal((await get(`/fn/${ENV}/${FN}/`)).text, 'slept 0 one');
  });

  test('a batch upgrade moves only `slots` slots of fromVersion; live traffic can split across both', async () => {
    const moved = await runtime.upgrade(ENV, FN, 2, { slots: 1, fromVersion: 1 });
    assert.equal(moved, 1);
    assert.deepEqual(runtime.instances(ENV, FN).map((i) => [i.slot, i.versionId]), [[0, 2], [1, 1], [2, 1]]);
    assert.equal(await runtime.upgrade(ENV, FN, 2, { slots: 5, fromVersion: 1 }), 2);
    assert.deepEqual(runtime.instances(ENV, FN).map((i) => [i.slot, i.versionId]), [[0, 2], [1, 2], [2, 2]]);
    assert.equal((await get(`/fn/${ENV}/${FN}:2/`)).text, 'slept 0 two');
  });

  test('`recreate` starts fresh slots for the new version, then drains and stops the old ones', async () => {
    const old = runtime.instances(ENV, FN);
    const inFlight = get(`/fn/${ENV}/${FN}:2/?ms=300`);
    await waitFor('the request in flight', async () => (runtime.instances(ENV, FN).some((i) => i.inFlight > 0) ? true : undefined));
    const moved = await runtime.upgrade(ENV, FN, 3, { mode: 'recreate' });
    assert.equal(moved, 3);
    assert.equal((await inFlight).status, 200, 'the old slot finished its request before it stopped');
    const now = runtime.instances(ENV, FN);
    assert.deepEqual(now.map((i) => [i.slot, i.versionId, i.state]), [[3, 3, 'ready'], [4, 3, 'ready'], [5, 3, 'ready']]);
    assert.ok(now.every((i) => !old.some((o) => o.pid === i.pid)));
    assert.equal((await get(`/fn/${ENV}/${FN}:3/`)).text, 'slept 0 three');
  });

  test('followLogs streams new lines of one version as they are written, and no other version\'s', async () => {
    const mine = state.publish(fixture('hello'), nodeConfig({ env: { GREETING: 'mine' } }));
    const other = state.publish(fixture('hello'), nodeConfig({ env: { GREETING: 'other' } }));
    const filtered: LogLine[] = [];
    const unfiltered: LogLine[] = [];
    const stopFiltered = runtime.followLogs(ENV, FN, mine.id, (line) => filtered.push(line), () => undefined);
    const stopAll = runtime.followLogs(ENV, FN, undefined, (line) => unfiltered.push(line), () => undefined);
    try {
      assert.equal((await get(`/fn/${ENV}/${FN}:${other.id}/not-mine`)).status, 200);
      await waitFor('the other version\'s line', async () => (unfiltered.some((l) => l.text === 'hello GET /not-mine from other') ? true : undefined));
      assert.equal(filtered.length, 0, 'the line of another version reached every follower but this one');
      assert.equal((await get(`/fn/${ENV}/${FN}:${mine.id}/mine`)).status, 200);
      await waitFor('its own line', async () => (filtered.some((l) => l.text === 'hello GET /mine from mine') ? true : undefined));
      assert.ok(filtered.every((l) => l.versionId === mine.id), JSON.stringify(filtered));
    } finally {
      stopAll();
      stopFiltered();
    }
  });

  test('stopFunction stops every instance and forgets the function', async () => {
    const pids = runtime.instances(ENV, FN).map((i) => i.pid as number);
    await runtime.stopFunction(ENV, FN);
    assert.deepEqual(runtime.instances(ENV, FN), []);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  test('an upgrade right after ensureMinimum also moves the slots still starting', async () => {
    const warm = state.publish(fixture('slow'), nodeConfig({ env: { GREETING: 'warm' }, instances: { min: 2, max: 2 } }));
    state.point('live', warm.id);
    const starting = runtime.ensureMinimum(ENV, FN);
    assert.equal(await runtime.upgrade(ENV, FN, 3, { fromVersion: warm.id }), 2);
    await starting;
    assert.deepEqual(runtime.instances(ENV, FN).map((i) => [i.versionId, i.state]), [[3, 'ready'], [3, 'ready']]);
  });
});
