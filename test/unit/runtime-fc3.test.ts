// Functions written for Alibaba Cloud Function Compute 3.0 (`events: fc3`) on the real platform
// process over real HTTP: FC's documented Node.js samples, a Hono app behind the published FC 3.0
// adapter (hono-alibaba-cloud-fc3-adapter, from npm, unchanged), and a custom-runtime server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { discard, fixture, fnPath, nodeConfig } from '../helpers/gateway';
import { canonicalHeaderKey } from '../../src/platform/runtime/fc3Host';

const ENV = 'dev';
const SAMPLE_HANDLERS = ['handler', 'hello', 'echo', 'image', 'plain', 'fails', 'failsByCallback'];

describe('FC 3.0 functions on the local platform', { timeout: 120_000 }, () => {
  let platform: TestPlatform;
  let honoDir: string;

  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, ENV);
    for (const name of SAMPLE_HANDLERS) {
      await deployDir(platform, ENV, fnName(name), fixture('fc3-samples'), nodeConfig({ handler: `index.${name}`, events: 'fc3', memoryMb: 256, timeoutMs: 7_500 }));
    }
    // The Hono app as a user ships it to FC: bundled (the adapter's published ES module imports
    // './handler' without an extension, which only a bundler resolves; FC's runtime would refuse
    // the unbundled folder just the same).
    honoDir = mkdtempSync(join(tmpdir(), 'fc3-hono-'));
    await build({
      entryPoints: [join(fixture('fc3-hono'), 'index.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(honoDir, 'index.mjs'),
      logLevel: 'silent',
    });
    await deployDir(platform, ENV, 'hono', honoDir, nodeConfig({ events: 'fc3' }));
    await deployDir(platform, ENV, 'web', fixture('fc3-custom'), { runtime: 'custom', command: ['node', 'server.js'], events: 'fc3', memoryMb: 1024, env: {}, timeoutMs: 10_000, instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 } });
  });

  after(async () => {
    await discard(platform);
    if (honoDir) rmSync(honoDir, { recursive: true, force: true });
  });

  const url = (fn: string, rest = '/'): string => `${platform.url}/fn/${ENV}/${fn}${rest}`;

  test("FC's HTTP trigger sample: callback with a response struct, base64 bodies decoded", async () => {
    const text = await fetch(url('sample-handler'), { method: 'POST', body: 'Hi FC' });
    assert.equal(text.status, 200);
    assert.equal(text.headers.get('content-type'), 'text/plain');
    assert.equal(await text.text(), 'Hi FC');
    // Not UTF-8: FC hands it over base64-encoded, and the sample decodes it.
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    const binary = await fetch(url('sample-handler'), { method: 'POST', body: bytes });
    assert.equal(await binary.text(), bytes.toString('utf-8'));
    const empty = await fetch(url('sample-handler'));
    assert.equal(await empty.text(), 'Hello World!');
  });

  test("FC's handler sample: a string through the callback is a 200 body as FC sends it", async () => {
    const res = await fetch(url('sample-hello'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(await res.text(), 'hello world');
  });

  test('the event is a Buffer of the HTTP trigger event; the context has FC fields', async () => {
    // node:http sends repeated headers as they are (fetch would join them first).
    const res = await rawRequest(url('sample-echo', '/a%20b/c?x=1&x=2&q=hello+world'), 'PUT', [
      'host', new URL(platform.url).host,
      'content-type', 'application/json',
      'x-custom-thing', 'one',
      'X-Custom-Thing', 'two',
      'user-agent', 'fc-test/1.0',
    ], JSON.stringify({ hello: 'fc' }));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-event-is-buffer'), 'true');
    const seen = (await res.json()) as { event: any; context: any; env: any };
    const { event, context, env } = seen;
    assert.equal(event.version, 'v1');
    assert.equal(event.rawPath, '/a%20b/c');
    assert.equal(event.requestContext.http.path, '/a b/c');
    assert.equal(event.requestContext.http.method, 'PUT');
    assert.equal(event.requestContext.http.userAgent, 'fc-test/1.0');
    assert.equal(event.requestContext.http.protocol, 'HTTP/1.1');
    assert.ok(event.requestContext.http.sourceIp);
    assert.deepEqual(event.queryParameters, { x: '1,2', q: 'hello world' });
    assert.equal(event.headers['X-Custom-Thing'], 'one,two');
    assert.equal(event.headers['Content-Type'], 'application/json');
    assert.equal(event.headers['content-type'], undefined, 'keys are canonical, not lower case');
    assert.equal(event.body, '{"hello":"fc"}');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.requestId, context.requestId);
    assert.match(event.requestContext.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(event.requestContext.timeEpoch, /^\d{13}$/);
    assert.ok(Math.abs(Number(event.requestContext.timeEpoch) - Date.now()) < 60_000);
    assert.equal(event.requestContext.domainName, new URL(platform.url).host);
    assert.equal(event.requestContext.accountId, 'local');
    assert.deepEqual(context.function, { name: 'sample-echo', handler: 'index.echo', memory: 256, timeout: 8 });
    assert.equal(context.region, 'local');
    assert.deepEqual(context.logger, ['debug', 'error', 'info', 'log', 'warn']);
    assert.deepEqual(Object.keys(context.credentials).sort(), ['accessKeyId', 'accessKeySecret', 'securityToken']);
    assert.deepEqual(env, { FC_FUNCTION_NAME: 'sample-echo', FC_FUNCTION_MEMORY_SIZE: '256', FC_REGION: 'local' });
  });

  test('a binary answer: isBase64Encoded bodies arrive as bytes', async () => {
    const res = await fetch(url('sample-image'));
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.deepEqual([...Buffer.from(await res.arrayBuffer())], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
  });

  test('an object without statusCode is the JSON body of a 200', async () => {
    const res = await fetch(url('sample-plain', '/orders'), { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { path: '/orders', method: 'DELETE' });
  });

  test("thrown and called-back errors answer 500 with FC's error body", async () => {
    for (const [fn, type, message] of [
      ['sample-fails', 'Error', 'database unreachable'],
      ['sample-failsbycallback', 'TypeError', 'bad input'],
    ]) {
      const res = await fetch(url(fn));
      assert.equal(res.status, 500, fn);
      assert.equal(res.headers.get('x-fc-error-type'), 'UnhandledInvocationError');
      const body = (await res.json()) as { errorMessage: string; errorType: string; stackTrace: string[] };
      assert.equal(body.errorMessage, message);
      assert.equal(body.errorType, type);
      assert.ok(Array.isArray(body.stackTrace));
    }
  });

  test('a Hono app behind the published FC 3.0 adapter serves every route unchanged', async () => {
    const root = await fetch(url('hono'));
    const rootText = await root.text();
    assert.equal(root.status, 200, `${rootText}\n${JSON.stringify((await platform.api('GET', fnPath(ENV, 'hono', '/logs'))).json)}`);
    assert.equal(rootText, 'Hello from Hono on FC!');
    const user = await fetch(url('hono', '/users/42?sort=desc'), { headers: { 'user-agent': 'curl/8' } });
    assert.deepEqual(await user.json(), { id: '42', sort: 'desc', agent: 'curl/8' });
    const echo = await fetch(url('hono', '/echo'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    assert.equal(echo.status, 201);
    assert.deepEqual(await echo.json(), { received: { a: [1, 2] }, type: 'application/json' });
    const teapot = await fetch(url('hono', '/teapot'));
    assert.equal(teapot.status, 418);
    assert.equal(teapot.headers.get('x-kind'), 'teapot');
    assert.equal(await teapot.text(), 'short and stout');
    assert.equal((await fetch(url('hono', '/missing'))).status, 404);
  });

  test("a custom runtime gets FC's port variables and x-fc-* request headers", async () => {
    const res = await fetch(url('web:1', '/hello?x=1'));
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Record<string, any>;
    assert.equal(seen.path, '/hello?x=1');
    assert.match(seen.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(seen.functionName, 'web');
    assert.equal(seen.memory, '1024');
    assert.equal(seen.qualifier, '1');
    assert.equal(seen.controlPath, '/http-invoke');
    assert.match(seen.env.FC_SERVER_PORT, /^\d+$/);
    assert.equal(seen.env.FC_CUSTOM_LISTEN_PORT, seen.env.FC_SERVER_PORT);
    assert.equal(seen.env.FC_FUNCTION_NAME, 'web');
    const viaAlias = (await (await fetch(url('web', '/'))).json()) as Record<string, any>;
    assert.equal(viaAlias.qualifier, 'live');
    assert.notEqual(viaAlias.requestId, seen.requestId);
  });

  test('a plain nodejs function next to them still gets Flightdeck events', async () => {
    await deployDir(platform, ENV, 'plain', fixture('hello'), nodeConfig());
    const res = await fetch(url('plain', '/p?a=1'));
    const seen = (await res.json()) as { path: string; query: Record<string, string> };
    assert.equal(seen.path, '/p');
    assert.deepEqual(seen.query, { a: '1' });
  });
});

describe("FC's header key normalisation (Go's CanonicalMIMEHeaderKey)", () => {
  test('first letter and letters after hyphens upper case, the rest lower case', () => {
    assert.equal(canonicalHeaderKey('accept-encoding'), 'Accept-Encoding');
    assert.equal(canonicalHeaderKey('X-FC-REQUEST-ID'), 'X-Fc-Request-Id');
    assert.equal(canonicalHeaderKey('content-md5'), 'Content-Md5');
    assert.equal(canonicalHeaderKey('weird key'), 'weird key');
  });
});

async function rawRequest(target: string, method: string, headers: string[], body: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers: res.headers as Record<string, string> })));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** FC sample names as DNS-safe function names. */
function fnName(handler: string): string {
  return `sample-${handler.toLowerCase()}`;
}
