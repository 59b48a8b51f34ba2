// The /v1/events SSE stream of the real platform: events as changes happen, alias.updated with
// the alias, and replay from Last-Event-ID.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEnv, deployDir } from '../helpers/deploy';
import { EventStream } from '../helpers/events';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const HEARTBEAT_MS = 200;

describe('platform event stream', () => {
  let platform: TestPlatform;
  let code: string;
  const streams: EventStream[] = [];
  const open = (lastEventId?: string, path?: string) => {
    const stream = new EventStream(platform, lastEventId, path);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    platform = await startPlatform({ args: ['--warm-pool', '0', '--heartbeat-ms', String(HEARTBEAT_MS)] });
    code = mkdtempSync(join(tmpdir(), 'flightdeck-events-code-'));
    writeFileSync(join(code, 'index.js'), 'exports.handler = async (event) => { console.log("served " + event.path); return { statusCode: 200, body: "ok" }; };\n');
  });
  after(async () => {
    streams.forEach((s) => s.close());
    await platform?.stop();
    rmSync(code, { recursive: true, force: true });
    if (platform) rmSync(platform.home, { recursive: true, force: true });
  });

  it('sends a keep-alive comment every heartbeat interval on an idle stream', async () => {
    const idle = open();
    await idle.opened;
    const deadline = Date.now() + 10_000;
    while (idle.comments < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
    assert.ok(idle.comments >= 3, `keep-alive comments: ${idle.comments}`);
  });

  it('refuses the stream without a token', async () => {
    const res = await fetch(`${platform.url}/v1/events`);
    assert.equal(res.status, 401);
    await res.arrayBuffer();
  });

  it('delivers changes as they happen, alias.updated carrying the alias, and replays after Last-Event-ID', async () => {
    const live = open();
    assert.equal((await live.opened).headers.get('content-type'), 'text/event-stream; charset=utf-8');
    await createEnv(platform, 'ev', 'staging');
    const created = await live.waitFor((m) => m.event === 'environment.created', 'environment.created');
    assert.equal(created.data.environment, 'ev');
    // `<run>-<seq>`: the run's id keeps ids of different platform runs apart.
    assert.match(created.id ?? '', new RegExp(`^[0-9a-f]{16}-${created.data.seq}$`));

    await deployDir(platform, 'ev', 'fn', code, { runtime: 'nodejs' });
    const published = await live.waitFor((m) => m.event === 'version.published', 'version.published');
    assert.equal(published.data.versionId, 1);
    assert.equal(published.data.version?.id, 1);

    const put = await platform.api('PUT', '/v1/environments/ev/functions/fn/aliases/beta', { versionId: 1, description: 'b' });
    assert.equal(put.status, 200);
    const updated = await live.waitFor((m) => m.event === 'alias.updated' && m.data.alias?.name === 'beta', 'alias.updated');
    assert.deepEqual(updated.data.alias, put.json);
    assert.equal(updated.data.function, 'fn');

    const seqs = live.messages.map((m) => m.data.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');

    const replay = open(created.id);
    const replayed = await replay.waitFor((m) => m.data.seq === updated.data.seq, 'replayed alias.updated');
    assert.deepEqual(replayed.data, updated.data);
    const expected = live.messages.filter((m) => m.data.seq > created.data.seq && m.data.seq <= updated.data.seq).map((m) => m.data);
    assert.deepEqual(replay.messages.filter((m) => m.data.seq <= updated.data.seq).map((m) => m.data), expected);

    // After the replay the same connection carries new events.
    await platform.api('DELETE', '/v1/environments/ev/functions/fn/aliases/beta');
    await platform.api('DELETE', '/v1/environments/ev');
    await replay.waitFor((m) => m.event === 'environment.deleted', 'environment.deleted after replay');
  });

  it('serves function logs as a list and as a followed SSE stream', async () => {
    await createEnv(platform, 'logs', 'personal');
    const { url } = await deployDir(platform, 'logs', 'fn', code, { runtime: 'nodejs' });
    const follow = open(undefined, '/v1/environments/logs/functions/fn/logs?follow=1');
    await follow.opened;
    assert.equal(await (await fetch(`${url}first`)).text(), 'ok');
    const line = await follow.waitFor((m) => m.event === 'log' && String(m.data.text).includes('served /first'), 'log line');
    assert.equal(line.data.versionId, 1);
    const listed = await platform.api('GET', '/v1/environments/logs/functions/fn/logs?tail=50');
    assert.ok(listed.json.lines.some((l: { text: string }) => l.text.includes('served /first')), listed.text);
    assert.equal((await platform.api('GET', '/v1/environments/logs/functions/nope/logs')).status, 404);
  });
});

describe('Last-Event-ID across a platform restart', () => {
  it('an id from before the restart (another run, and a sequence number above this run’s) replays everything the new run holds', async () => {
    const first = await startPlatform();
    let second: TestPlatform | undefined;
    const streams: EventStream[] = [];
    try {
      for (const name of ['a', 'b', 'c', 'd']) await createEnv(first, `before-${name}`, 'staging');
      const old = new EventStream(first, '0');
      streams.push(old);
      const last = await old.waitFor((m) => m.data.environment === 'before-d', 'the last event before the restart');
      await first.stop();

      second = await startPlatform({ home: first.home });
      await createEnv(second, 'after', 'staging');
      const live = new EventStream(second, '0');
      streams.push(live);
      const created = await live.waitFor((m) => m.data.environment === 'after', 'environment.created after the restart');
      // Ids are <run>-<sequence>: the old run's sequence is past this one's, so a plain counter
      // comparison would skip this run's events.
      const [oldRun, oldSeq] = String(last.id).split('-');
      const [newRun, newSeq] = String(created.id).split('-');
      assert.notEqual(oldRun, newRun, `both ids name the same run: ${last.id}, ${created.id}`);
      assert.ok(Number(oldSeq) > Number(newSeq), `the old run's sequence in ${last.id} is above this run's in ${created.id}`);

      const resumed = new EventStream(second, last.id);
      streams.push(resumed);
      await resumed.waitFor((m) => m.data.environment === 'after', 'the replay of this run');
      assert.deepEqual(resumed.messages.map((m) => m.data), live.messages.map((m) => m.data), 'every event of this run, once, in order');
    } finally {
      streams.forEach((s) => s.close());
      await second?.stop();
      await first.stop();
      rmSync(first.home, { recursive: true, force: true });
    }
  });
});
