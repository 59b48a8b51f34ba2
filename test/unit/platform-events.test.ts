// The /v1/events SSE stream of the real platform: events as changes happen, alias.updated with
// the alias, and replay from Last-Event-ID.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlatformEvent } from '../../src/model';
import { createEnv, deployDir } from '../helpers/deploy';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const HEARTBEAT_MS = 200;

interface SseMessage {
  id?: string;
  event?: string;
  data: PlatformEvent & Record<string, any>;
}

/** A minimal EventSource over fetch: collects messages and waits for one that matches. */
class EventStream {
  readonly messages: SseMessage[] = [];
  /** Comment lines (keep-alives) seen so far. */
  comments = 0;
  private readonly abort = new AbortController();
  private wake: () => void = () => undefined;
  readonly opened: Promise<Response>;

  constructor(platform: TestPlatform, lastEventId?: string, path = '/v1/events') {
    this.opened = fetch(`${platform.url}${path}`, {
      headers: { authorization: `Bearer ${platform.token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: this.abort.signal,
    });
    void this.opened.then((res) => this.read(res)).catch(() => undefined);
  }

  private async read(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        this.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  private parse(block: string): void {
    const message: Partial<SseMessage> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const [field, ...rest] = line.split(': ');
      const value = rest.join(': ');
      if (field === 'id') message.id = value;
      if (field === 'event') message.event = value;
      if (field === 'data') message.data = JSON.parse(value);
    }
    if (message.data) {
      this.messages.push(message as SseMessage);
      this.wake();
    }
  }

  async waitFor(predicate: (m: SseMessage) => boolean, what: string, timeoutMs = 10_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} event within ${timeoutMs} ms; got ${this.messages.map((m) => m.event).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

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
