// The gateway's frame socket to Node.js hosts: the frame reader on its own (frames cut at every
// byte, many in one chunk), then through the real platform and a real function process: 8 MiB
// bodies both ways, many calls multiplexed at once, header shapes, answers HTTP cannot carry, and
// clients that leave before the answer; last a spare host on its own, before and after it loads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { FrameClient } from '../../src/platform/runtime/frameClient';
import { FrameReader, type FramedResponse } from '../../src/platform/runtime/frames';
import type { FromChildMessage, LoadMessage } from '../../src/platform/runtime/protocol';
import { DIST, startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { call, discard, fixture, fnPath, nodeConfig, waitFor } from '../helpers/gateway';

const ENV = 'dev';

function frame(id: number, type: number, payload: Buffer): Buffer {
  const prefix = Buffer.alloc(9);
  prefix.writeUInt32LE(5 + payload.length, 0);
  prefix.writeUInt32LE(id, 4);
  prefix[8] = type;
  return Buffer.concat([prefix, payload]);
}

describe('frame reader', () => {
  const stream = Buffer.concat([frame(1, 1, Buffer.from('GET\0/')), frame(2, 2, randomBytes(70_000)), frame(3, 3, Buffer.alloc(0))]);

  test('frames cut at any byte arrive whole and in order', () => {
    for (const cut of [1, 5, 9, 10, 4096, 69_999, stream.length - 1]) {
      const seen: [number, number, Buffer][] = [];
      const reader = new FrameReader((id, type, payload) => seen.push([id, type, Buffer.from(payload)]));
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      assert.deepEqual(
        seen.map(([id, type, payload]) => [id, type, payload.length]),
        [
          [1, 1, 5],
          [2, 2, 70_000],
          [3, 3, 0],
        ],
        `cut at ${cut}`,
      );
      assert.equal(seen[0][2].toString(), 'GET\0/');
    }
  });

  test('a byte at a time works too', () => {
    const ids: number[] = [];
    const reader = new FrameReader((id) => ids.push(id));
    for (let i = 0; i < stream.length; i += 1) reader.push(stream.subarray(i, i + 1));
    assert.deepEqual(ids, [1, 2, 3]);
  });

  test('a size too small for a frame is refused', () => {
    const reader = new FrameReader(() => undefined);
    assert.throws(() => reader.push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0])), /malformed frame/);
  });
});

describe('runtime frames: gateway to a Node.js host', { timeout: 120_000 }, () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, ENV);
    await deployDir(platform, ENV, 'frames', fixture('frames'), nodeConfig({ timeoutMs: 5_000, instances: { min: 1, max: 1, concurrency: 256 } }));
  });

  after(async () => {
    await discard(platform);
  });

  test('8 MiB of binary request body arrives whole; an 8 MiB answer comes back with its length', async () => {
    const upload = randomBytes(8 * 1024 * 1024);
    const sized = await call(platform, `/fn/${ENV}/frames/size`, { method: 'POST', body: upload });
    assert.equal(sized.status, 200, sized.text);
    assert.deepEqual(JSON.parse(sized.text), { bytes: upload.length, first: upload[0], last: upload[upload.length - 1] });
    const res = await fetch(`${platform.url}/fn/${ENV}/frames/big?bytes=${8 * 1024 * 1024}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(8 * 1024 * 1024));
    assert.equal((await res.arrayBuffer()).byteLength, 8 * 1024 * 1024);
  });

  test('300 calls at once on one socket each get their own answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => call(platform, `/fn/${ENV}/frames/echo?id=${i}`, { method: 'POST', body: `body ${i}` })),
    );
    answers.forEach((answer, i) => {
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(JSON.parse(answer.text), { id: String(i), body: `body ${i}` });
    });
    assert.equal(new Set(answers.map((a) => a.instance)).size, 1);
  });

  test('headers: repeats joined as Node.js does, cookies kept apart, hop-by-hop and a wrong content-length dropped', async () => {
    const res = await request(`${platform.url}/fn/${ENV}/frames/headers`, {
      headers: ['x-multi', 'a', 'X-Multi', 'b', 'cookie', 'c=1', 'cookie', 'd=2', 'user-agent', 'one', 'user-agent', 'two'],
    });
    const body = await res.body.text();
    assert.equal(res.statusCode, 201);
    assert.equal(body, 'ok');
    const seen = JSON.parse(res.headers['x-seen'] as string);
    assert.equal(seen['x-multi'], 'a, b');
    assert.equal(seen.cookie, 'c=1; d=2');
    assert.equal(seen['user-agent'], 'one');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['content-length'], '2');
    assert.notEqual(res.headers.connection, 'close');
    assert.equal(res.headers['x-flightdeck-version'], '1');
  });

  test('an answer HTTP cannot carry is a 502 saying why, a bad statusCode a 500; the host keeps serving', async () => {
    const badHeader = await call(platform, `/fn/${ENV}/frames/bad-header`);
    assert.equal(badHeader.status, 502);
    assert.match(badHeader.text, /answered with a response HTTP cannot carry/);
    const badStatus = await call(platform, `/fn/${ENV}/frames/bad-status`);
    assert.equal(badStatus.status, 500);
    const logs = await platform.api('GET', fnPath(ENV, 'frames', '/logs?version=1'));
    assert.ok(
      logs.json.lines.some((l: { text: string }) => l.text.includes('statusCode 1234')),
      'the bad statusCode is explained in the logs',
    );
    const after = await call(platform, `/fn/${ENV}/frames/echo?id=x`, { method: 'POST', body: 'still here' });
    assert.equal(after.status, 200);
  });

  test('a client that leaves before the answer frees its place; the late answer is dropped', async () => {
    const controller = new AbortController();
    const leaving = fetch(`${platform.url}/fn/${ENV}/frames/wait?ms=300`, { signal: controller.signal });
    await waitFor('the call to be in flight', async () => {
      const [instance] = (await platform.api('GET', fnPath(ENV, 'frames', '/instances'))).json.instances;
      return instance?.inFlight === 1 ? true : undefined;
    });
    controller.abort();
    await assert.rejects(leaving, { name: 'AbortError' });
    await waitFor('the place to be freed', async () => {
      const [instance] = (await platform.api('GET', fnPath(ENV, 'frames', '/instances'))).json.instances;
      return instance?.inFlight === 0 ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the dropped answer arrives meanwhile
    const next = await call(platform, `/fn/${ENV}/frames/wait?ms=1`);
    assert.equal(next.status, 200);
    assert.equal(next.text, 'waited');
  });
});

describe('a spare Node.js host on its own (dist/runtime-node.js)', { timeout: 60_000 }, () => {
  test('its own priming request never answers a real one: 503 before load both ways in, the handler itself after', async () => {
    const code = mkdtempSync(join(tmpdir(), 'flightdeck-host-'));
    writeFileSync(join(code, 'index.js'), "exports.handler = async (event) => ({ statusCode: 201, body: `real ${event.query.q}` });\n");
    const host = fork(join(DIST, 'runtime-node.js'), [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    try {
      const next = () => new Promise<FromChildMessage>((resolve) => host.once('message', resolve));
      const listening = await next();
      assert.equal(listening.type, 'listening');
      const { port, framePort } = listening as Extract<FromChildMessage, { type: 'listening' }>;
      const byFrame = async (): Promise<FramedResponse> => {
        const client = new FrameClient(framePort!);
        try {
          return await new Promise((answered, failed) => client.open({ answered, failed }, 'GET\0/?q=1', true));
        } finally {
          await client.destroy();
        }
      };
      // Not loaded yet: both ways in say so, and nothing of the primer's answer shows.
      const early = await byFrame();
      assert.equal(early.status, 503);
      assert.match(early.body.toString(), /has not loaded a function/);
      assert.equal((await request(`http://127.0.0.1:${port}/?q=1`)).statusCode, 503);
      host.send({ type: 'load', codeDir: code, handler: 'index.handler', env: {}, functionName: 'f', environment: ENV, version: 1 } satisfies LoadMessage);
      assert.equal((await next()).type, 'loaded');
      const answer = await byFrame();
      assert.equal(answer.status, 201);
      assert.equal(answer.body.toString(), 'real 1');
      assert.ok(!answer.headers.some((h) => h.toLowerCase() === 'x-primed'), `the primer's header leaked: ${answer.headers.join(' ')}`);
    } finally {
      host.kill('SIGKILL');
      rmSync(code, { recursive: true, force: true });
    }
  });
});
