// LocalProvider against the real bundled platform process, over real HTTP. Build first.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError, type FlightdeckError } from '../../src/errors';
import type { FunctionConfig, PlatformEvent } from '../../src/model';
import type { LogLine } from '../../src/provider';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { ensurePlatform, findPlatform } from '../../src/providers/local/platformProcess';
import { createEnv } from '../helpers/deploy';
import { startRecordingProxy } from '../helpers/recordingProxy';
import { DIST, startPlatform, tempHome, type TestPlatform } from '../helpers/platform';

const CONFIG: FunctionConfig = {
  runtime: 'nodejs',
  handler: 'index.handler',
  instances: { min: 0, max: 2, concurrency: 8, idleTimeoutMs: 60_000 },
  env: {},
  timeoutMs: 10_000,
};

/** A loopback TCP relay to `target` that can be cut (connections dropped, new ones refused) and restored on the same port. */
async function startRelay(target: string): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => socket.destroy());
  };
  const server: Server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    [client, upstream].forEach(track);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayPort = (server.address() as AddressInfo).port;
  const stop = () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    sockets.forEach((s) => s.destroy());
    return closed;
  };
  return {
    url: `http://127.0.0.1:${relayPort}`,
    cut: stop,
    restore: () => new Promise<void>((resolve) => server.listen(relayPort, '127.0.0.1', resolve)),
    close: stop,
  };
}

/** Polls until `check` is true; fails after 10 s with `what`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('LocalProvider against the real platform', () => {
  let work: string;
  let code: string;
  let platform: TestPlatform;
  let provider: LocalProvider;
  const write = (path: string, text: string) => writeFileSync(join(code, path), text);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'flightdeck-provider-'));
    code = join(work, 'code');
    mkdirSync(code);
    write('index.js', 'exports.handler = async (event) => { console.log("hit " + event.path); return { statusCode: 200, body: "one" }; };');
    write('util.js', 'module.exports = 1;');
    platform = await startPlatform();
    provider = new LocalProvider({ home: platform.home, connection: platform });
    await provider.createEnvironment({ name: 'dev', kind: 'personal', owner: 'jane', branch: 'main' });
  });
  after(async () => {
    provider.dispose();
    await platform.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(platform.home, { recursive: true, force: true });
  });

  it('deploys a new function in full, then sends only the changed file, then nothing', async () => {
    const first = await provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(code), branch: 'main' });
    assert.equal(first.version.id, 1);
    assert.equal(first.unchanged, false);
    assert.equal(first.filesSent, 2);
    assert.equal(first.url, `${platform.url}/fn/dev/api/`);
    assert.equal(await (await fetch(first.url)).text(), 'one');

    const body = 'exports.handler = async () => ({ statusCode: 200, body: "two" });';
    write('index.js', body);
    const progress: number[] = [];
    const second = await provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(code) }, {
      onProgress: (_message, fraction) => progress.push(fraction ?? -1),
    });
    assert.equal(second.version.id, 2);
    assert.equal(second.filesSent, 1);
    assert.equal(second.bytesSent, Buffer.byteLength(body));
    assert.equal(progress.at(-1), 1);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.equal(await (await fetch(second.url)).text(), 'two');

    const third = await provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(code) });
    assert.deepEqual([third.version.id, third.unchanged, third.bytesSent, third.filesSent], [2, true, 0, 0]);
  });

  it('sends removals and modes as a delta', async () => {
    write('run.sh', '#!/bin/sh\necho hi\n');
    chmodSync(join(code, 'run.sh'), 0o755);
    await provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(code, ['util.js']) });
    const files = await provider.listVersionFiles('dev', 'api', 3);
    assert.deepEqual(files.map((f) => [f.path, f.mode]), [['index.js', 0o644], ['run.sh', 0o755]]);
    assert.equal(Buffer.from(await provider.readVersionFile('dev', 'api', 3, 'run.sh')).toString(), '#!/bin/sh\necho hi\n');
  });

  it('uploads blobs the platform lost before the publish and retries once (409 BLOBS_MISSING)', async () => {
    const shared = join(work, 'shared');
    mkdirSync(shared);
    const body = 'exports.handler = async () => ({ statusCode: 200, body: "shared" });';
    writeFileSync(join(shared, 'index.js'), body);
    const tree = await scanCode(shared);
    await provider.deploy('dev', 'first', { config: CONFIG, code: tree });
    // A redeploy (a new function's small files would travel inside the deploy request).
    const other = join(work, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "other" });');
    await provider.deploy('dev', 'second', { config: CONFIG, code: await scanCode(other) });
    const blob = join(platform.home, 'blobs', tree.entries[0].sha256.slice(0, 2), tree.entries[0].sha256);
    // The platform holds the blob when asked, and loses it just before the deploy call.
    const result = await provider.deploy('dev', 'second', { config: CONFIG, code: tree }, {
      onProgress: (message) => {
        if (message.startsWith('publishing')) rmSync(blob);
      },
    });
    assert.deepEqual([result.version.id, result.filesSent, result.bytesSent], [2, 1, Buffer.byteLength(body)]);
    assert.equal(await (await fetch(result.url)).text(), 'shared');
  });

  it('sends a small new function in one request with its files inside (also 501 of them), and a large one blob by blob', async () => {
    const proxy = await startRecordingProxy(platform.url);
    const viaProxy = new LocalProvider({ home: platform.home, connection: { url: proxy.url, token: platform.token } });
    try {
      const small = join(work, 'small');
      mkdirSync(small);
      writeFileSync(join(small, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: require("./lib").text });');
      writeFileSync(join(small, 'lib.js'), 'exports.text = "small";');
      // New in a new environment: no lookup of its code, no blob check, no uploads.
      const fresh = await viaProxy.deploy('dev', 'small', { config: CONFIG, code: await scanCode(small) }, { newFunction: true });
      assert.deepEqual(proxy.requests(), ['POST /v1/environments/dev/functions/small/deploy']);
      assert.deepEqual([fresh.version.id, fresh.filesSent, fresh.start.started], [1, 2, true]);
      assert.equal(await (await fetch(fresh.url)).text(), 'small');
      // Without the hint the client looks first (404), then sends the same one request.
      proxy.reset();
      await viaProxy.deploy('dev', 'small-two', { config: CONFIG, code: await scanCode(small) });
      assert.deepEqual(proxy.requests(), ['GET /v1/environments/dev/functions/small-two/code', 'POST /v1/environments/dev/functions/small-two/deploy']);

      // Many small files still go in the one request.
      const many = join(work, 'many');
      mkdirSync(join(many, 'lib'), { recursive: true });
      writeFileSync(join(many, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: String(require("./lib/f499").n) });');
      for (let i = 0; i < 500; i++) writeFileSync(join(many, 'lib', `f${i}.js`), `exports.n = ${i};`);
      proxy.reset();
      const lots = await viaProxy.deploy('dev', 'many', { config: CONFIG, code: await scanCode(many) }, { newFunction: true });
      assert.deepEqual(proxy.requests(), ['POST /v1/environments/dev/functions/many/deploy']);
      assert.equal(lots.filesSent, 501);
      assert.equal(await (await fetch(lots.url)).text(), '499');

      // Over 256 KiB: asked for and uploaded blob by blob, only the one the platform lacks.
      const large = join(work, 'large');
      mkdirSync(large);
      writeFileSync(join(large, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: String(require("./data.json").length) });');
      writeFileSync(join(large, 'data.json'), JSON.stringify('x'.repeat(300 * 1024)));
      const tree = await scanCode(large);
      proxy.reset();
      const big = await viaProxy.deploy('dev', 'large', { config: CONFIG, code: tree }, { newFunction: true });
      const data = tree.entries.find((e) => e.path === 'data.json')!;
      const handler = tree.entries.find((e) => e.path === 'index.js')!;
      assert.deepEqual(proxy.requests().sort(), [
        'POST /v1/blobs/missing',
        `PUT /v1/blobs/${data.sha256}`,
        `PUT /v1/blobs/${handler.sha256}`,
        'POST /v1/environments/dev/functions/large/deploy',
      ].sort());
      assert.deepEqual([big.filesSent, big.bytesSent], [2, data.size + handler.size]);
      assert.equal(await (await fetch(big.url)).text(), String(300 * 1024));
    } finally {
      viaProxy.dispose();
      await proxy.close();
    }
  });

  it('maps platform errors to FlightdeckError with the platform code and message', async () => {
    await assert.rejects(provider.getFunction('dev', 'nope'), (error: unknown) => {
      assert.ok(isFlightdeckError(error, 'NOT_FOUND'));
      assert.match(error.message, /nope/);
      return true;
    });
    await assert.rejects(provider.createEnvironment({ name: 'Bad_Name', kind: 'staging' }), (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST'));
    const live = await provider.getAlias('dev', 'api', 'live');
    const moved = await provider.updateAlias('dev', 'api', 'live', { versionId: 1, additionalVersionWeight: { 2: 0.5 } }, live.etag);
    assert.notEqual(moved.etag, live.etag);
    await assert.rejects(provider.updateAlias('dev', 'api', 'live', { versionId: 2, additionalVersionWeight: {} }, live.etag),
      (e: unknown) => isFlightdeckError(e, 'PRECONDITION_FAILED'));
  });

  it('honours an aborted signal', async () => {
    await assert.rejects(
      provider.deploy('dev', 'api', { config: CONFIG, code: await scanCode(code) }, { signal: AbortSignal.abort() }),
      (e: unknown) => isFlightdeckError(e, 'CANCELLED'));
  });

  it('builds function URLs for the live alias, an alias and a version', async () => {
    assert.equal(await provider.functionUrl('dev', 'api'), `${platform.url}/fn/dev/api/`);
    assert.equal(await provider.functionUrl('dev', 'api', { alias: 'beta' }), `${platform.url}/fn/dev/api:beta/`);
    assert.equal(await provider.functionUrl('dev', 'api', { version: 2 }), `${platform.url}/fn/dev/api:2/`);
    assert.equal(provider.capabilities.serverRollouts, true);
  });

  it('follows logs over SSE', async () => {
    await provider.updateAlias('dev', 'api', 'live', { versionId: 1, additionalVersionWeight: {} });
    const lines: LogLine[] = [];
    const subscription = provider.followLogs('dev', 'api', {}, (line) => lines.push(line));
    try {
      await eventually('the log stream to be open', async () => {
        await fetch(`${platform.url}/fn/dev/api:1/ping`).then((r) => r.text());
        return lines.some((l) => l.text.includes('hit /ping'));
      });
    } finally {
      subscription.close();
    }
  });

  it('stops following logs of a function that does not exist and says so once', async () => {
    const gone: FlightdeckError[] = [];
    const subscription = provider.followLogs('dev', 'no-such-fn', { onGone: (error) => gone.push(error) }, () => undefined);
    try {
      await eventually('the stream to give up', () => gone.length > 0);
      await sleep(600); // longer than the first retry delay: a retry would report again
      assert.equal(gone.length, 1);
      assert.equal(gone[0].code, 'NOT_FOUND');
    } finally {
      subscription.close();
    }
  });
});

describe('LocalProvider across a platform restart', () => {
  let platform: TestPlatform | undefined;
  let home: string;
  before(() => {
    home = tempHome();
  });
  afterEach(async () => platform?.stop());
  after(() => rmSync(home, { recursive: true, force: true }));

  it('finds the restarted platform again, and the event stream reconnects and resumes', async () => {
    platform = await startPlatform({ home });
    const provider = new LocalProvider({ home, connection: platform });
    const events: PlatformEvent[] = [];
    const connection: boolean[] = [];
    const subscription = provider.subscribe((event) => events.push(event), (up) => connection.push(up));
    try {
      await eventually('the event stream to connect', () => connection.at(-1) === true);
      await provider.createEnvironment({ name: 'before', kind: 'staging' });
      await eventually('environment.created', () => events.some((e) => e.type === 'environment.created'));

      await platform.stop();
      await eventually('the stream to report the outage', () => connection.at(-1) === false);
      platform = await startPlatform({ home });
      assert.deepEqual((await provider.listEnvironments()).map((e) => e.name), ['before']);
      await eventually('the stream to come back', () => connection.at(-1) === true);
      await provider.createEnvironment({ name: 'after', kind: 'staging' });
      await eventually('the event after the restart', () => events.some((e) => e.type === 'environment.created' && e.environment === 'after'));
      assert.deepEqual(connection.slice(0, 3), [true, false, true]);
    } finally {
      subscription.close();
      provider.dispose();
    }
  });

  it('replays the events it missed while cut off from the platform, once each and in order', async () => {
    platform = await startPlatform({ home });
    const relay = await startRelay(platform.url);
    // A state folder with no discovery file: the provider stays on the relay instead of finding the platform itself.
    const elsewhere = tempHome();
    const provider = new LocalProvider({ home: elsewhere, connection: { url: relay.url, token: platform.token } });
    const events: PlatformEvent[] = [];
    const connection: boolean[] = [];
    const subscription = provider.subscribe((event) => events.push(event), (up) => connection.push(up));
    const created = () => events.filter((e) => e.type === 'environment.created').map((e) => e.environment);
    try {
      await eventually('the event stream to connect', () => connection.at(-1) === true);
      await createEnv(platform, 'seen', 'staging');
      await eventually('the first event', () => created().includes('seen'));

      await relay.cut();
      await eventually('the stream to report the cut', () => connection.at(-1) === false);
      for (const name of ['missed-1', 'missed-2', 'missed-3']) await createEnv(platform, name, 'staging');
      await relay.restore();
      await eventually('the missed events', () => created().includes('missed-3'));
      await createEnv(platform, 'live-again', 'staging');
      await eventually('the event after the replay', () => created().includes('live-again'));

      assert.deepEqual(created(), ['seen', 'missed-1', 'missed-2', 'missed-3', 'live-again']);
      const seqs = events.map((e) => e.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'each event once, in order');
      assert.deepEqual(connection, [true, false, true]);
    } finally {
      subscription.close();
      provider.dispose();
      await relay.close();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('says the platform is unreachable when none runs', async () => {
    const provider = new LocalProvider({ home, connection: { url: 'http://127.0.0.1:9', token: 'x' } });
    await assert.rejects(provider.listEnvironments(), (e: unknown) => isFlightdeckError(e, 'PLATFORM_UNREACHABLE') && /flightdeck serve/.test(e.message));
    provider.dispose();
  });
});

describe('ensurePlatform', () => {
  const homes: string[] = [];
  after(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })));

  it('starts a detached platform over a stale discovery file, then reuses it', async () => {
    const home = tempHome();
    homes.push(home);
    // A platform killed with -9 leaves its file behind: the pid is gone and nothing answers.
    writeFileSync(join(home, 'platform.json'), JSON.stringify({ url: 'http://127.0.0.1:9', pid: 2 ** 22 + 1, token: 't', started: '' }));
    assert.equal(await findPlatform(home), undefined);
    const env = { ...process.env, FLIGHTDECK_PORT: '0' };
    const first = await ensurePlatform({ home, platformScript: join(DIST, 'platform.js'), env });
    try {
      assert.equal(first.started, true);
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const second = await ensurePlatform({ home, platformScript: join(DIST, 'platform.js'), env });
      assert.deepEqual([second.started, second.pid, second.url], [false, first.pid, first.url]);
    } finally {
      process.kill(first.pid, 'SIGTERM');
    }
    await eventually('the platform to stop', async () => (await findPlatform(home)) === undefined);
  });

  it('reports a platform that fails to start with the tail of its log', async () => {
    const home = tempHome();
    homes.push(home);
    const script = join(home, 'broken.js');
    writeFileSync(script, 'console.error("cannot bind: port on fire"); process.exit(3);');
    await assert.rejects(ensurePlatform({ home, platformScript: script, timeoutMs: 5_000 }), (e: unknown) =>
      isFlightdeckError(e, 'PLATFORM_UNREACHABLE') && /exited/.test(e.message) && /port on fire/.test(e.message));
  });

  it('keeps waiting when its child lost platform.lock to a starter that is still coming up', async () => {
    const home = tempHome();
    homes.push(home);
    // The winner of the race: this test process holds the lock, and answers health checks later.
    writeFileSync(join(home, 'platform.lock'), JSON.stringify({ pid: process.pid }));
    const script = join(home, 'loser.js');
    writeFileSync(script, 'console.error("platform.lock is held"); process.exit(1);');
    const health = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
      const ensured = ensurePlatform({ home, platformScript: script, timeoutMs: 10_000 });
      await eventually('the losing child to exit', () => existsSync(join(home, 'platform.log')) && /is held/.test(readFileSync(join(home, 'platform.log'), 'utf8')));
      await sleep(300);
      writeFileSync(join(home, 'platform.json'), JSON.stringify({ url, pid: process.pid, token: 't', started: '' }));
      const info = await ensured;
      assert.deepEqual([info.url, info.pid, info.started], [url, process.pid, false]);
    } finally {
      health.close();
    }
  });
});
