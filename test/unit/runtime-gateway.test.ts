// The gateway through the real platform process: routing by alias weights (smooth weighted
// round-robin), sticky users, version and alias URLs, the event a handler sees, ES modules,
// custom runtimes, handler errors, logs and metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { call, discard, fixture, fnPath, nodeConfig, waitFor } from '../helpers/gateway';

const ENV = 'dev';

describe('runtime gateway', { timeout: 120_000 }, () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, ENV);
    await deployDir(platform, ENV, 'hello', fixture('hello'), nodeConfig({ env: { GREETING: 'one' } }));
    await deployDir(platform, ENV, 'hello', fixture('hello'), nodeConfig({ env: { GREETING: 'two' } }));
  });

  after(async () => {
    await discard(platform);
  });

  test('a 20% canary gets exactly 200 of 1000 requests', async () => {
    const alias = await platform.api('GET', fnPath(ENV, 'hello', '/aliases/live'));
    const put = await platform.api(
      'PUT',
      fnPath(ENV, 'hello', '/aliases/live'),
      { versionId: 1, additionalVersionWeight: { '2': 0.2 } },
      { 'if-match': alias.headers.get('etag') ?? alias.json.etag },
    );
    assert.equal(put.status, 200, put.text);
    const counts = new Map<string | null, number>();
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => call(platform, `/fn/${ENV}/hello/`)));
      for (const a of answers) {
        assert.equal(a.status, 200, a.text);
        counts.set(a.version, (counts.get(a.version) ?? 0) + 1);
      }
    }
    assert.deepEqual(Object.fromEntries(counts), { '1': 800, '2': 200 });
  });

  test('sticky keys spread by the weights, by header or cookie, and a key moves only when the weights do', async () => {
    const keys = Array.from({ length: 200 }, (_, n) => `user-${n}`);
    const versionOfEach = async (): Promise<Record<string, string | null>> => {
      const seen: Record<string, string | null> = {};
      for (let from = 0; from < keys.length; from += 20) {
        await Promise.all(keys.slice(from, from + 20).map(async (key) => {
          const byHeader = await call(platform, `/fn/${ENV}/hello/`, { headers: { 'x-flightdeck-sticky': key } });
          const byCookie = await call(platform, `/fn/${ENV}/hello/`, { headers: { cookie: `theme=dark; flightdeck-sticky=${key}` } });
          assert.equal(byCookie.version, byHeader.version, `${key}: the cookie and the header pick the same version`);
          seen[key] = byHeader.version;
        }));
      }
      return seen;
    };
    const onCanary = (seen: Record<string, string | null>) => Object.values(seen).filter((v) => v === '2').length;
    const setLive = async (update: object) => {
      const read = await platform.api('GET', fnPath(ENV, 'hello', '/aliases/live'));
      const put = await platform.api('PUT', fnPath(ENV, 'hello', '/aliases/live'), update, { 'if-match': read.headers.get('etag') as string });
      assert.equal(put.status, 200, put.text);
    };

    const at20 = await versionOfEach();
    assert.ok(onCanary(at20) >= 25 && onCanary(at20) <= 55, `${onCanary(at20)} of 200 keys on the 20% canary`);
    assert.deepEqual(await versionOfEach(), at20, 'every key keeps its version');
    await setLive({ versionId: 1, additionalVersionWeight: { '2': 0.2 }, description: 'same weights, new ETag' });
    assert.deepEqual(await versionOfEach(), at20, 'an alias write that keeps the weights moves no key');

    await setLive({ versionId: 1, additionalVersionWeight: { '2': 0.5 } });
    const at50 = await versionOfEach();
    assert.ok(onCanary(at50) >= 80 && onCanary(at50) <= 120, `${onCanary(at50)} of 200 keys on the 50% canary`);
    assert.deepEqual(await versionOfEach(), at50);
    await setLive({ versionId: 1, additionalVersionWeight: { '2': 0.2 } });
  });

  test('version and alias URLs; unknown names answer 404 saying which', async () => {
    const v2 = await call(platform, `/fn/${ENV}/hello:2/`);
    assert.equal(v2.status, 200);
    assert.equal(v2.version, '2');
    assert.equal(JSON.parse(v2.text).greeting, 'two');
    const live = await call(platform, `/fn/${ENV}/hello:live/`, { headers: { 'x-flightdeck-sticky': 'user-1' } });
    assert.equal(live.status, 200);

    const noVersion = await call(platform, `/fn/${ENV}/hello:9/`);
    assert.equal(noVersion.status, 404);
    assert.match(noVersion.text, /no version 9/);
    const noAlias = await call(platform, `/fn/${ENV}/hello:beta/`);
    assert.equal(noAlias.status, 404);
    assert.match(noAlias.text, /no alias "beta"/);
    const noFunction = await call(platform, `/fn/${ENV}/nope/`);
    assert.equal(noFunction.status, 404);
    assert.match(noFunction.text, /No function "nope" in environment "dev"/);
    const noEnv = await call(platform, `/fn/elsewhere/hello/`);
    assert.equal(noEnv.status, 404);
    assert.match(noEnv.text, /environment "elsewhere"/);
  });

  test('the handler sees method, path, query, headers, body (base64 when binary) and its context', async () => {
    const text = await call(platform, `/fn/${ENV}/hello:2/orders/42?expand=items&expand=total`, {
      method: 'POST',
      body: 'plain text body',
      headers: { 'x-test': 'yes' },
    });
    assert.equal(text.status, 200);
    assert.equal(text.instance?.startsWith('hello-'), true);
    const event = JSON.parse(text.text);
    assert.equal(event.method, 'POST');
    assert.equal(event.path, '/orders/42');
    assert.deepEqual(event.query, { expand: 'items,total' });
    assert.equal(event.body, 'plain text body');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.header, 'yes');
    assert.deepEqual({ ...event.context, requestId: typeof event.context.requestId }, {
      requestId: 'string',
      functionName: 'hello',
      environment: ENV,
      version: 2,
    });

    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x81]);
    const binary = JSON.parse((await call(platform, `/fn/${ENV}/hello:2/`, { method: 'PUT', body: bytes })).text);
    assert.equal(binary.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(binary.body, 'base64'), Buffer.from(bytes));
  });

  test('an ES module handler returning a string answers 200 text', async () => {
    await deployDir(platform, ENV, 'esm', fixture('esm'), nodeConfig());
    const answer = await call(platform, `/fn/${ENV}/esm/hi`);
    assert.equal(answer.status, 200);
    assert.equal(answer.text, 'esm says /hi');
    assert.equal(answer.version, '1');
  });

  test('a custom runtime: any command serving HTTP on $PORT, in its code folder', async () => {
    await deployDir(platform, ENV, 'custom', fixture('custom-server'), {
      runtime: 'custom',
      command: ['node', 'server.js'],
      instances: { min: 0, max: 2, concurrency: 8, idleTimeoutMs: 60_000 },
      env: { GREETING: 'custom hello' },
      timeoutMs: 10_000,
    });
    const answer = await call(platform, `/fn/${ENV}/custom/a/b?c=d`, { method: 'POST', body: 'payload' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.version, '1');
    assert.deepEqual(
      { ...JSON.parse(answer.text), pid: 0 },
      { runtime: 'custom', url: '/a/b?c=d', body: 'payload', pid: 0, greeting: 'custom hello' },
    );
    const logs = await platform.api('GET', fnPath(ENV, 'custom', '/logs'));
    const texts = logs.json.lines.map((l: { text: string }) => l.text);
    assert.ok(texts.some((t: string) => /^custom server listening on \d+$/.test(t)), texts.join('\n'));
    assert.ok(texts.includes('custom POST /a/b?c=d'), texts.join('\n'));
  });

  test('a request sent with Expect: 100-continue reaches a custom runtime', async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${platform.url}/fn/${ENV}/custom/expect`, { method: 'POST', headers: { expect: '100-continue', 'content-length': '7' } });
      req.on('continue', () => req.end('payload'));
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(JSON.parse(answer.text).body, 'payload');
  });

  test('request and response bodies stream through the gateway, 8 MiB each way', async () => {
    // The rest of the body is sent only once the function logged its first bytes: a gateway that
    // buffered the request would never let them through.
    const chunk = new Uint8Array(1024 * 1024).fill(7);
    const req = request(`${platform.url}/fn/${ENV}/custom/bytes?streamed`, { method: 'POST' });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (part: string) => (text += part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(chunk);
    await waitFor('the first bytes at the function', async () => {
      const logs = await platform.api('GET', fnPath(ENV, 'custom', '/logs?tail=50'));
      return logs.json.lines.some((l: { text: string }) => l.text === 'custom first bytes of /bytes?streamed') ? true : undefined;
    });
    for (let i = 1; i < 8; i++) req.write(chunk);
    req.end();
    const counted = await answer;
    assert.equal(counted.status, 200, counted.text);
    assert.deepEqual(JSON.parse(counted.text), { bytes: 8 * chunk.length });
    const res = await fetch(`${platform.url}/fn/${ENV}/custom/stream?chunks=128`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-flightdeck-version'), '1');
    let received = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) received += chunk.length;
    assert.equal(received, 128 * 64 * 1024);
  });

  test('a handler that throws answers 500 and its error lands in the logs as stderr', async () => {
    await deployDir(platform, ENV, 'throws', fixture('throws'), nodeConfig());
    const answer = await call(platform, `/fn/${ENV}/throws/`);
    assert.equal(answer.status, 500);
    assert.match(answer.text, /handler threw/);
    const logs = await platform.api('GET', fnPath(ENV, 'throws', '/logs?version=1'));
    const errors = logs.json.lines.filter((l: { stream: string; text: string }) => l.stream === 'stderr' && l.text.includes('boom: the database is on fire'));
    assert.equal(errors.length >= 1, true, JSON.stringify(logs.json.lines));
  });

  test('logs are kept per version and tagged with the instance', async () => {
    await call(platform, `/fn/${ENV}/hello:1/only-one`);
    await call(platform, `/fn/${ENV}/hello:2/only-two`);
    const one = (await platform.api('GET', fnPath(ENV, 'hello', '/logs?version=1&tail=5000'))).json.lines as { versionId: number; text: string; instance: string }[];
    const two = (await platform.api('GET', fnPath(ENV, 'hello', '/logs?version=2&tail=5000'))).json.lines as { versionId: number; text: string; instance: string }[];
    assert.ok(one.some((l) => l.text === 'hello GET /only-one from one'));
    assert.ok(two.some((l) => l.text === 'hello GET /only-two from two'));
    assert.ok(one.every((l) => l.versionId === 1 && l.instance.startsWith('hello-')));
    assert.ok(two.every((l) => l.versionId === 2 && !l.text.includes('/only-one')));
    const tail = (await platform.api('GET', fnPath(ENV, 'hello', '/logs?tail=1'))).json.lines;
    assert.equal(tail.length, 1);
  });

  test('metrics count requests and 5xx errors per version', async () => {
    await deployDir(platform, ENV, 'counted', fixture('hello'), nodeConfig());
    await deployDir(platform, ENV, 'counted', fixture('throws'), nodeConfig());
    for (let i = 0; i < 30; i++) assert.equal((await call(platform, `/fn/${ENV}/counted:1/`)).status, 200);
    for (let i = 0; i < 7; i++) assert.equal((await call(platform, `/fn/${ENV}/counted:2/`)).status, 500);
    const metrics = (await platform.api('GET', fnPath(ENV, 'counted', '/metrics?windowMs=60000'))).json.versions;
    const byVersion = Object.fromEntries(metrics.map((m: { versionId: number }) => [m.versionId, m]));
    assert.equal(byVersion[1].requests, 30);
    assert.equal(byVersion[1].errors, 0);
    assert.equal(byVersion[1].errorRate, 0);
    assert.equal(byVersion[2].requests, 7);
    assert.equal(byVersion[2].errors, 7);
    assert.equal(byVersion[2].errorRate, 1);
    assert.ok(byVersion[1].p50Ms > 0 && byVersion[1].p50Ms <= byVersion[1].p95Ms && byVersion[1].p95Ms <= byVersion[1].p99Ms);
  });
});
