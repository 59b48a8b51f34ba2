// What docs/api.md promises about bad requests, conditional writes, paging, metrics windows,
// followed logs and the gateway's request handling, checked one by one against the real
// platform process over real HTTP.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Router } from '../../src/platform/http';
import { controlRoutes, type RouteDeps } from '../../src/platform/routes';
import { createEnv, deployDir } from '../helpers/deploy';
import { EventStream } from '../helpers/events';
import { call, discard, fixture, fnPath, nodeConfig, waitFor } from '../helpers/gateway';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const ENV = 'dev';
const HEARTBEAT_MS = 200;
const CUSTOM = { runtime: 'custom' as const, command: ['node', 'server.js'], instances: { min: 0, max: 1, concurrency: 4, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 };

/** Sends `raw` bytes as the whole request on a fresh connection and answers the raw response. */
function rawRequest(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    // write, not end: the server closes a half-closed connection before it answers
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('documented API promises', { timeout: 120_000 }, () => {
  let platform: TestPlatform;
  const streams: EventStream[] = [];

  before(async () => {
    platform = await startPlatform({ args: ['--heartbeat-ms', String(HEARTBEAT_MS)] });
    await createEnv(platform, ENV);
    await deployDir(platform, ENV, 'hello', fixture('hello'), nodeConfig());
  });
  after(async () => {
    streams.forEach((s) => s.close());
    await discard(platform);
  });

  it('a JSON body over 64 MiB is 413, a body that is not JSON is 400 naming the body', async () => {
    const huge = new Uint8Array(64 * 1024 * 1024 + 1).fill(0x20);
    const tooLarge = await platform.api('POST', '/v1/environments', huge, { 'content-type': 'application/json' });
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.deepEqual([tooLarge.json.error.code, tooLarge.json.error.field], ['PAYLOAD_TOO_LARGE', 'body']);
    const notJson = await platform.api('POST', '/v1/environments', '{"name": "x",', { 'content-type': 'application/json' });
    assert.equal(notJson.status, 400, notJson.text);
    assert.deepEqual([notJson.json.error.code, notJson.json.error.field], ['BAD_REQUEST', 'body']);
    assert.match(notJson.json.error.message, /not valid JSON/);
    assert.equal((await platform.api('GET', '/v1/environments/x')).status, 404, 'nothing was created');
  });

  it('a known path with the wrong method is 405 BAD_REQUEST; an unknown path is 404', async () => {
    for (const [method, path] of [['DELETE', '/v1/health'], ['PUT', '/v1/environments'], ['POST', fnPath(ENV, 'hello', '/versions')]]) {
      const res = await platform.api(method, path);
      assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.code, 'BAD_REQUEST');
      assert.match(res.json.error.message, new RegExp(`${method} is not supported`));
    }
    const unknown = await platform.api('GET', '/v1/nothing-here');
    assert.deepEqual([unknown.status, unknown.json.error.code], [404, 'NOT_FOUND']);
  });

  it('a name in the path that is not valid percent-encoding is 400 naming the parameter', async () => {
    const env = await platform.api('GET', '/v1/environments/%E0%A4%A');
    assert.equal(env.status, 400, env.text);
    assert.equal(env.json.error.field, 'env');
    const fn = await platform.api('GET', `/v1/environments/${ENV}/functions/bad%ZZ`);
    assert.equal(fn.status, 400, fn.text);
    assert.equal(fn.json.error.field, 'fn');
  });

  it('GET …/versions/:id/files/*path serves only files of the version; a path that leaves the tree is 404', async () => {
    const file = await platform.api('GET', fnPath(ENV, 'hello', '/versions/1/files/index.js'));
    assert.equal(file.status, 200);
    assert.match(file.text, /exports\.handler/);
    for (const path of ['..%2F..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E/%2E%2E/state/dev/environment.json', '%2Fetc%2Fpasswd', 'x/..%2F..%2Findex.js']) {
      const res = await platform.api('GET', fnPath(ENV, 'hello', `/versions/1/files/${path}`));
      assert.equal(res.status, 404, `${path}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.doesNotMatch(res.text, /root:|"kind"/);
    }
  });

  it('If-Match takes a weak (W/) ETag and *, and a stale weak one still gets 412', async () => {
    const read = await platform.api('GET', fnPath(ENV, 'hello', '/aliases/live'));
    const etag = read.headers.get('etag') as string;
    assert.match(etag, /^"[^"]+"$/);
    const weak = await platform.api('PUT', fnPath(ENV, 'hello', '/aliases/live'), { versionId: 1, description: 'weak' }, { 'if-match': `W/${etag}` });
    assert.equal(weak.status, 200, weak.text);
    const any = await platform.api('PUT', fnPath(ENV, 'hello', '/aliases/live'), { versionId: 1, description: 'any' }, { 'if-match': '*' });
    assert.equal(any.status, 200, any.text);
    assert.equal(any.json.description, 'any');
    const stale = await platform.api('PUT', fnPath(ENV, 'hello', '/aliases/live'), { versionId: 1, description: 'stale' }, { 'if-match': `W/${etag}` });
    assert.equal(stale.status, 412, stale.text);
    assert.equal((await platform.api('GET', fnPath(ENV, 'hello', '/aliases/live'))).json.description, 'any');
  });

  it('a delta deploy removing a path its base does not hold is 400, and publishes nothing', async () => {
    const code = await platform.api('GET', fnPath(ENV, 'hello', '/code'));
    const versions = (await platform.api('GET', fnPath(ENV, 'hello', '/versions'))).json.versions.length;
    const res = await platform.api('POST', fnPath(ENV, 'hello', '/deploy'), { config: nodeConfig({ env: { X: 'delta' } }), base: code.json.tree, changed: [], removed: ['not-there.js'] });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.field, /^removed/);
    assert.match(res.json.error.message, /not-there\.js/);
    assert.equal((await platform.api('GET', fnPath(ENV, 'hello', '/versions'))).json.versions.length, versions);
  });

  it('lists 50 versions by default, newest first, and pages on with nextBefore', async () => {
    for (let n = 0; n < 52; n++) {
      const res = await platform.api('POST', fnPath(ENV, 'paged', '/deploy'), { config: nodeConfig({ env: { N: String(n) } }), files: [] });
      assert.equal(res.status, 200, res.text);
    }
    const page = (await platform.api('GET', fnPath(ENV, 'paged', '/versions'))).json;
    assert.equal(page.versions.length, 50);
    assert.deepEqual([page.versions[0].id, page.versions[49].id, page.nextBefore], [52, 3, 3]);
    const rest = (await platform.api('GET', fnPath(ENV, 'paged', `/versions?before=${page.nextBefore}`))).json;
    assert.deepEqual(rest.versions.map((v: { id: number }) => v.id), [2, 1]);
    assert.equal(rest.nextBefore, undefined);
  });

  it('metrics windowMs: whole seconds rounded up, at most 5 minutes, 0 is 400', async () => {
    assert.equal((await call(platform, `/fn/${ENV}/hello/`)).status, 200);
    const window = async (query: string) => (await platform.api('GET', fnPath(ENV, 'hello', `/metrics${query}`))).json.versions[0].windowMs;
    assert.equal(await window(''), 60_000);
    assert.equal(await window('?windowMs=1'), 1000);
    assert.equal(await window('?windowMs=1500'), 2000);
    assert.equal(await window('?windowMs=86400000'), 300_000);
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      const res = await platform.api('GET', fnPath(ENV, 'hello', `/metrics?windowMs=${bad}`));
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
      assert.equal(res.json.error.field, 'windowMs');
    }
  });

  it('a followed log stream gets a heartbeat comment every --heartbeat-ms while no line comes', async () => {
    const follow = new EventStream(platform, undefined, fnPath(ENV, 'hello', '/logs?follow=1'));
    streams.push(follow);
    assert.equal((await follow.opened).status, 200);
    await waitFor('three heartbeats', async () => (follow.comments >= 3 ? true : undefined), 10_000);
    assert.deepEqual(follow.messages, []);
  });

  it('rollout routes: 404 for a missing toVersion or alias and for an action or read with no rollout ever', async () => {
    await createEnv(platform, 'prod', 'production');
    await deployDir(platform, 'prod', 'app', fixture('hello'), nodeConfig({ env: { GREETING: 'one' } }));
    await deployDir(platform, 'prod', 'app', fixture('hello'), nodeConfig({ env: { GREETING: 'two' } }));
    const read = await platform.api('GET', fnPath('prod', 'app', '/rollout'));
    assert.deepEqual([read.status, read.json.error.code], [404, 'NOT_FOUND']);
    for (const action of ['pause', 'resume', 'continue', 'promote', 'abort']) {
      const res = await platform.api('POST', fnPath('prod', 'app', `/rollout/${action}`));
      assert.equal(res.status, 404, `${action}: ${res.text}`);
    }
    const noVersion = await platform.api('POST', fnPath('prod', 'app', '/rollout'), { toVersion: 9 });
    assert.deepEqual([noVersion.status, noVersion.json.error.field], [404, 'toVersion'], noVersion.text);
    const noAlias = await platform.api('POST', fnPath('prod', 'app', '/rollout'), { toVersion: 2, alias: 'beta' });
    assert.deepEqual([noAlias.status, noAlias.json.error.field], [404, 'alias'], noAlias.text);
    const noFunction = await platform.api('POST', fnPath('prod', 'nope', '/rollout'), { toVersion: 2 });
    assert.equal(noFunction.status, 404, noFunction.text);
    assert.equal((await platform.api('GET', fnPath('prod', 'app', '/aliases/live'))).json.versionId, 1, 'nothing moved');
  });

  it('a restart while a batch release runs is 409; after the release it is accepted', async () => {
    await createEnv(platform, 'batch', 'production');
    const limits = { instances: { min: 2, max: 2 } };
    await deployDir(platform, 'batch', 'app', fixture('hello'), nodeConfig({ env: { GREETING: 'one' }, ...limits }));
    await deployDir(platform, 'batch', 'app', fixture('hello'), nodeConfig({ env: { GREETING: 'two' }, ...limits }));
    await waitFor('2 ready instances', async () => {
      const list = (await platform.api('GET', fnPath('batch', 'app', '/instances'))).json.instances as { state: string }[];
      return list.filter((i) => i.state === 'ready').length === 2 ? true : undefined;
    });
    const started = await platform.api('POST', fnPath('batch', 'app', '/rollout'), { toVersion: 2, strategy: 'batch', batches: 2, manual: true });
    assert.equal(started.status, 201, started.text);
    assert.equal(started.json.status, 'waiting');
    const refused = await platform.api('POST', fnPath('batch', 'app', '/restart'), { batches: 1 });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'CONFLICT');
    assert.equal((await platform.api('POST', fnPath('batch', 'app', '/rollout/abort'))).json.status, 'aborted');
    const accepted = await platform.api('POST', fnPath('batch', 'app', '/restart'), { batches: 1 });
    assert.equal(accepted.status, 202, accepted.text);
  });

  describe('the gateway in front of a custom runtime', () => {
    before(async () => {
      await deployDir(platform, ENV, 'custom', fixture('custom-server'), CUSTOM);
    });

    it('answers Expect: 100-continue itself and does not forward Expect', async () => {
      const { hostname, port } = new URL(platform.url);
      const raw = await new Promise<string>((resolve, reject) => {
        let text = '';
        let continued = false;
        const socket = connect(Number(port), hostname, () =>
          socket.write(`POST /fn/${ENV}/custom/headers HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 7\r\nConnection: close\r\n\r\n`));
        socket.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
          if (!continued && text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
            continued = true;
            socket.write('payload');
          }
        });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/, raw);
      const seen = JSON.parse(raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1)) as { headers: Record<string, string>; body: string };
      assert.equal(seen.body, 'payload');
      assert.equal(seen.headers.expect, undefined, `forwarded headers: ${JSON.stringify(seen.headers)}`);
      assert.equal(seen.headers['content-length'], '7');
    });

    it('a request the upstream client refuses (two Host headers) gets 400 saying which header, not 502', async () => {
      const raw = await rawRequest(platform.url, `GET /fn/${ENV}/custom/ HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 400 /, raw);
      assert.match(raw, /cannot forward this request to custom \(duplicate host header\); drop or fix that header/);
      const served = await call(platform, `/fn/${ENV}/custom/after`);
      assert.equal(served.status, 200, 'the instance still serves');
      const metrics = (await platform.api('GET', fnPath(ENV, 'custom', '/metrics'))).json.versions[0];
      assert.equal(metrics.errors, 0, 'a refused request is the client\'s error, not the version\'s');
    });
  });
});

describe('rollout and restart routes without a rollout engine', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const deps = {
      control: { requireFunction: () => undefined },
      heartbeatMs: 1000,
      log: () => undefined,
    } as unknown as RouteDeps;
    const router = new Router().add(controlRoutes(deps));
    server = createServer((req, res) => void router.handle(req, res, new URL(req.url ?? '/', 'http://localhost')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answer 501 saying there is no engine', async () => {
    for (const [method, path, body] of [
      ['GET', '/rollout', undefined],
      ['POST', '/rollout', '{"toVersion":2}'],
      ['POST', '/rollout/pause', undefined],
      ['POST', '/restart', '{}'],
    ]) {
      const res = await fetch(`${base}/v1/environments/dev/functions/api${path}`, { method, body });
      const text = await res.text();
      assert.equal(res.status, 501, `${method} ${path}: ${text}`);
      assert.match(JSON.parse(text).error.message, /without a rollout engine/);
    }
  });
});
