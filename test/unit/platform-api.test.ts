// The control API of the real platform process over real HTTP: auth, environments, deploys and
// versions, code checks and limits, aliases with ETags and weight validation.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEnv, deployDir, walkDir, type TestConfig } from '../helpers/deploy';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const NODE: TestConfig = { runtime: 'nodejs', handler: 'index.handler' };
const MAX_BLOB = 4096;
const MAX_CODE = 16_384;

function sha(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A temp folder holding `files` (path → content). */
function codeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-code-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function handlerSaying(text: string): string {
  return `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(text)} });\n`;
}

const fnPath = (env: string, fn: string) => `/v1/environments/${env}/functions/${fn}`;

describe('platform control API', () => {
  let platform: TestPlatform;
  const dirs: string[] = [];
  const dir = (files: Record<string, string>) => {
    const d = codeDir(files);
    dirs.push(d);
    return d;
  };

  before(async () => {
    platform = await startPlatform({ args: ['--max-blob-bytes', String(MAX_BLOB), '--max-code-bytes', String(MAX_CODE)] });
  });
  after(async () => {
    await platform?.stop();
    for (const d of [...dirs, platform?.home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('answers 401 without a token or with a wrong one, and serves /fn without one', async () => {
    const none = await fetch(`${platform.url}/v1/environments`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const wrong = await platform.api('GET', '/v1/environments', undefined, { authorization: 'Bearer not-the-token' });
    assert.equal(wrong.status, 401);
    const health = await platform.api('GET', '/v1/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.pid, platform.child.pid);
    const gateway = await fetch(`${platform.url}/fn/nowhere/nothing/`);
    assert.equal(gateway.status, 404, 'the gateway answers without a token: here, that there is no such environment');
    assert.match(await gateway.text(), /environment "nowhere"/);
  });

  it('creates, lists, gets and deletes environments; protected ones need ?confirm', async () => {
    const created = await platform.api('POST', '/v1/environments', { name: 'crud-a', kind: 'staging', owner: 'ana', branch: 'main' });
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.json, created: undefined }, { name: 'crud-a', kind: 'staging', protected: false, owner: 'ana', branch: 'main', created: undefined });
    assert.equal((await platform.api('POST', '/v1/environments', { name: 'crud-a', kind: 'staging' })).status, 409);
    const badName = await platform.api('POST', '/v1/environments', { name: 'Bad_Name', kind: 'staging' });
    assert.equal(badName.status, 400);
    assert.equal(badName.json.error.field, 'name');
    const badKind = await platform.api('POST', '/v1/environments', { name: 'crud-b', kind: 'qa' });
    assert.equal(badKind.json.error.field, 'kind');

    const list = await platform.api('GET', '/v1/environments');
    assert.ok(list.json.environments.some((e: { name: string }) => e.name === 'crud-a'));
    assert.equal((await platform.api('GET', '/v1/environments/crud-a')).json.kind, 'staging');
    assert.equal((await platform.api('DELETE', '/v1/environments/crud-a')).status, 204);
    assert.equal((await platform.api('GET', '/v1/environments/crud-a')).status, 404);

    await createEnv(platform, 'crud-prod', 'production', { protected: true });
    const refused = await platform.api('DELETE', '/v1/environments/crud-prod');
    assert.equal(refused.status, 409);
    assert.match(refused.json.error.message, /confirm=crud-prod/);
    assert.equal((await platform.api('DELETE', '/v1/environments/crud-prod?confirm=other')).status, 409);
    assert.equal((await platform.api('GET', '/v1/environments/crud-prod')).status, 200);
    assert.equal((await platform.api('DELETE', '/v1/environments/crud-prod?confirm=crud-prod')).status, 204);
    assert.equal((await platform.api('GET', '/v1/environments/crud-prod')).status, 404);
  });

  it('publishes version 1 with live on it; a second staging deploy moves live and serves the new code', async () => {
    await createEnv(platform, 'stage', 'staging');
    const first = await deployDir(platform, 'stage', 'hello', dir({ 'index.js': handlerSaying('one') }), NODE, {
      description: 'first',
      branch: 'main',
      commit: 'abc123',
    });
    assert.equal(first.unchanged, false);
    assert.equal(first.version.id, 1);
    assert.equal(first.version.description, 'first');
    assert.equal(first.version.commit, 'abc123');
    assert.equal(first.version.fileCount, 1);
    assert.equal(first.url, `${platform.url}/fn/stage/hello/`);
    const live1 = await platform.api('GET', `${fnPath('stage', 'hello')}/aliases/live`);
    assert.equal(live1.json.versionId, 1);

    const served1 = await fetch(first.url);
    assert.equal(await served1.text(), 'one');

    const warm = (await platform.api('GET', `${fnPath('stage', 'hello')}/instances`)).json.instances;
    assert.deepEqual(warm.map((i: { versionId: number }) => i.versionId), [1]);

    const second = await deployDir(platform, 'stage', 'hello', dir({ 'index.js': handlerSaying('two') }), NODE);
    assert.equal(second.version.id, 2);
    // Answered once the new version serves: the start proof's instance stays as v2's, and the warm
    // v1 instance retires instead of being restarted on v2. One instance, as before the deploy.
    const upgraded = (await platform.api('GET', `${fnPath('stage', 'hello')}/instances`)).json.instances;
    assert.deepEqual(upgraded.map((i: { versionId: number; state: string }) => [i.versionId, i.state]), [[2, 'ready']]);
    assert.notEqual(upgraded[0].id, warm[0].id);
    const live2 = await platform.api('GET', `${fnPath('stage', 'hello')}/aliases/live`);
    assert.equal(live2.json.versionId, 2);
    assert.notEqual(live2.json.etag, live1.json.etag);
    const served2 = await fetch(first.url);
    assert.equal(served2.headers.get('x-flightdeck-version'), '2');
    assert.equal(await served2.text(), 'two');

    const summary = await platform.api('GET', fnPath('stage', 'hello'));
    assert.equal(summary.json.latestVersion, 2);
    assert.equal(summary.json.url, first.url);
    assert.equal(summary.json.config.handler, 'index.handler');
    const list = await platform.api('GET', '/v1/environments/stage/functions');
    assert.deepEqual(list.json.functions.map((f: { name: string }) => f.name), ['hello']);
  });

  it('moves no traffic on a production deploy after the first', async () => {
    await createEnv(platform, 'prod', 'production');
    const first = await deployDir(platform, 'prod', 'api', dir({ 'index.js': handlerSaying('p1') }), NODE);
    assert.equal(first.version.id, 1);
    assert.equal((await platform.api('GET', `${fnPath('prod', 'api')}/aliases/live`)).json.versionId, 1);
    const second = await deployDir(platform, 'prod', 'api', dir({ 'index.js': handlerSaying('p2') }), NODE);
    assert.equal(second.version.id, 2);
    assert.equal((await platform.api('GET', `${fnPath('prod', 'api')}/aliases/live`)).json.versionId, 1);
  });

  it('routes rollouts to the engine: start, read, act, and restart accepted with 202', async () => {
    const base = fnPath('prod', 'api');
    assert.equal((await platform.api('GET', `${base}/rollout`)).status, 404);
    const started = await platform.api('POST', `${base}/rollout`, { toVersion: 2, steps: [10, 100], intervalMs: 3_600_000 });
    assert.equal(started.status, 201, started.text);
    assert.equal(started.json.status, 'running');
    assert.equal((await platform.api('POST', `${base}/rollout`, { toVersion: 2 })).status, 409, 'one active rollout per function');
    assert.equal((await platform.api('GET', `${base}/rollout`)).json.id, started.json.id);
    assert.equal((await platform.api('GET', base)).json.rollout.id, started.json.id);
    const live = (await platform.api('GET', `${base}/aliases/live`)).json;
    assert.deepEqual([live.versionId, live.additionalVersionWeight], [1, { '2': 0.1 }]);
    assert.equal((await platform.api('POST', `${base}/rollout/explode`)).json.error.field, 'action');
    const aborted = await platform.api('POST', `${base}/rollout/abort`);
    assert.equal(aborted.status, 200, aborted.text);
    assert.equal(aborted.json.status, 'aborted');
    assert.deepEqual((await platform.api('GET', `${base}/aliases/live`)).json.additionalVersionWeight, {});
    assert.equal((await platform.api('GET', base)).json.rollout, undefined, 'no active rollout in the summary');
    assert.equal((await platform.api('POST', `${base}/restart`, {})).status, 202);
    assert.equal((await platform.api('POST', `${base}/restart`, { batches: 0 })).json.error.field, 'batches');
    assert.equal((await platform.api('POST', `${fnPath('prod', 'nope')}/restart`, {})).status, 404);
  });

  it('publishes nothing for unchanged code and config, but a new version for a config change', async () => {
    await createEnv(platform, 'same', 'personal');
    const code = dir({ 'index.js': handlerSaying('same'), 'lib/util.js': 'module.exports = 1;\n' });
    const first = await deployDir(platform, 'same', 'fn', code, NODE);
    const again = await deployDir(platform, 'same', 'fn', code, NODE);
    assert.equal(again.unchanged, true);
    assert.equal(again.version.id, first.version.id);
    assert.equal(again.filesSent, 0);
    const versions = await platform.api('GET', `${fnPath('same', 'fn')}/versions`);
    assert.equal(versions.json.versions.length, 1);
    const reconfigured = await deployDir(platform, 'same', 'fn', code, { ...NODE, env: { MODE: 'x' } });
    assert.equal(reconfigured.unchanged, false);
    assert.equal(reconfigured.version.id, 2);
    assert.equal(reconfigured.version.tree, first.version.tree);
  });

  it('takes a delta deploy: one changed entry and one removal against a base tree', async () => {
    await createEnv(platform, 'delta', 'personal');
    const code = dir({ 'index.js': handlerSaying('d1'), 'a.txt': 'a', 'b.txt': 'b' });
    const first = await deployDir(platform, 'delta', 'fn', code, NODE);
    const changed = Buffer.from(handlerSaying('d2'));
    const entry = { path: 'index.js', sha256: sha(changed), size: changed.length, mode: 0o644 };
    assert.equal((await platform.api('PUT', `/v1/blobs/${entry.sha256}`, changed)).status, 201);
    const res = await platform.api('POST', `${fnPath('delta', 'fn')}/deploy`, {
      config: NODE,
      base: first.version.tree,
      changed: [entry],
      removed: ['b.txt'],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.version.id, 2);
    const code2 = await platform.api('GET', `${fnPath('delta', 'fn')}/code?version=2`);
    assert.deepEqual(code2.json.files.map((f: { path: string }) => f.path), ['a.txt', 'index.js']);
    const raw = await platform.api('GET', `${fnPath('delta', 'fn')}/versions/2/files/index.js`);
    assert.equal(raw.text, changed.toString());
    const old = await platform.api('GET', `${fnPath('delta', 'fn')}/versions/1/files/b.txt`);
    assert.equal(old.text, 'b');
    const unknownBase = await platform.api('POST', `${fnPath('delta', 'fn')}/deploy`, { config: NODE, base: sha('nope'), changed: [] });
    assert.equal(unknownBase.status, 409);
    assert.equal(unknownBase.json.error.field, 'base');
  });

  it('rejects paths that leave the tree, naming the path', async () => {
    await createEnv(platform, 'paths', 'personal');
    const bytes = Buffer.from('x');
    await platform.api('PUT', `/v1/blobs/${sha(bytes)}`, bytes);
    for (const path of ['../x', '/etc/passwd', 'a/../../b', 'a\\b', 'a//b', './a', '', 'x\0y']) {
      const res = await platform.api('POST', `${fnPath('paths', 'fn')}/deploy`, {
        config: NODE,
        files: [{ path, sha256: sha(bytes), size: 1, mode: 0o644 }],
      });
      assert.equal(res.status, 400, `${JSON.stringify(path)}: ${res.text}`);
      assert.equal(res.json.error.code, 'BAD_REQUEST');
      assert.equal(res.json.error.field, 'files[0].path');
      if (path) assert.ok(res.json.error.message.includes(JSON.stringify(path)), res.json.error.message);
    }
    const entry = { path: 'a', sha256: sha(bytes), size: 1, mode: 0o644 };
    const twice = await platform.api('POST', `${fnPath('paths', 'fn')}/deploy`, { config: NODE, files: [entry, entry] });
    assert.equal(twice.status, 400);
    assert.match(twice.json.error.message, /"a" appears twice/);
    const fileAndFolder = await platform.api('POST', `${fnPath('paths', 'fn')}/deploy`, {
      config: NODE,
      files: [entry, { ...entry, path: 'a/b' }],
    });
    assert.equal(fileAndFolder.status, 400);
    assert.equal((await platform.api('GET', fnPath('paths', 'fn'))).status, 404, 'nothing was created');
  });

  it('verifies blobs: wrong hash 400, over the blob limit 413, missing blobs 409 with the list, code over the limit 413', async () => {
    const bytes = Buffer.from('hello');
    const mismatch = await platform.api('PUT', `/v1/blobs/${sha('other')}`, bytes);
    assert.equal(mismatch.status, 400);
    assert.equal((await platform.api('POST', '/v1/blobs/missing', { hashes: [sha('other')] })).json.missing.length, 1);

    const big = Buffer.alloc(MAX_BLOB + 1, 7);
    const tooBig = await platform.api('PUT', `/v1/blobs/${sha(big)}`, big);
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json.error.code, 'PAYLOAD_TOO_LARGE');
    assert.match(tooBig.json.error.message, /--max-blob-bytes/);
    assert.deepEqual((await platform.api('POST', '/v1/blobs/missing', { hashes: [sha(big)] })).json.missing, [sha(big)]);
    assert.equal((await platform.api('POST', '/v1/blobs/missing', { hashes: ['xyz'] })).json.error.field, 'hashes[0]');

    await createEnv(platform, 'blobs', 'personal');
    const absent = sha('never uploaded');
    const missing = await platform.api('POST', `${fnPath('blobs', 'fn')}/deploy`, {
      config: NODE,
      files: [{ path: 'index.js', sha256: absent, size: 14, mode: 0o644 }],
    });
    assert.equal(missing.status, 409);
    assert.equal(missing.json.error.code, 'BLOBS_MISSING');
    assert.deepEqual(missing.json.error.missing, [absent]);

    const files = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, sha256: absent, size: MAX_CODE / 4, mode: 0o644 }));
    const tooMuch = await platform.api('POST', `${fnPath('blobs', 'fn')}/deploy`, { config: NODE, files });
    assert.equal(tooMuch.status, 413);
  });

  it('takes small files inside a deploy (blobs): each must hash to its key and be a file of the deploy, 1 MiB at most', async () => {
    await createEnv(platform, 'inline', 'personal');
    const deploy = `${fnPath('inline', 'fn')}/deploy`;
    const text = handlerSaying('inline');
    const entry = { path: 'index.js', sha256: sha(text), size: Buffer.byteLength(text), mode: 0o644 };
    const base64 = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64');
    const field = `blobs.${entry.sha256.slice(0, 12)}`;

    const wrong = await platform.api('POST', deploy, { config: NODE, files: [entry], blobs: { [entry.sha256]: base64('something else') } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error.field, field);
    assert.match(wrong.json.error.message, /hash to [0-9a-f]{64}, not /);
    const stray = sha('stray');
    const extra = await platform.api('POST', deploy, { config: NODE, files: [entry], blobs: { [entry.sha256]: base64(text), [stray]: base64('stray') } });
    assert.equal(extra.status, 400);
    assert.match(extra.json.error.message, /no file of this deploy has sha256/);
    const huge = Buffer.alloc(1024 * 1024 + 1, 1);
    const tooMuch = await platform.api('POST', deploy, { config: NODE, files: [entry], blobs: { [sha(huge)]: base64(huge) } });
    assert.equal(tooMuch.status, 413);
    assert.equal(tooMuch.json.error.field, 'blobs');
    assert.equal((await platform.api('GET', fnPath('inline', 'fn'))).status, 404, 'nothing was published');
    assert.deepEqual((await platform.api('POST', '/v1/blobs/missing', { hashes: [stray] })).json.missing, [stray], 'the stray blob was not stored');

    const ok = await platform.api('POST', deploy, { config: NODE, files: [entry], blobs: { [entry.sha256]: base64(text) } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await platform.api('GET', `${fnPath('inline', 'fn')}/versions/1/files/index.js`)).text, text);
    assert.equal(await (await fetch(ok.json.url)).text(), 'inline');
  });

  it('names the config field that is wrong', async () => {
    await createEnv(platform, 'cfg', 'personal');
    const code = dir({ 'index.js': handlerSaying('c') });
    const entries = walkDir(code).map((f) => f.entry);
    await deployDir(platform, 'cfg', 'ok', code, NODE);
    const cases: [unknown, string][] = [
      [{ runtime: 'python' }, 'config.runtime'],
      [{ runtime: 'nodejs', handler: 'nodot' }, 'config.handler'],
      [{ runtime: 'custom', command: [] }, 'config.command'],
      [{ runtime: 'nodejs', instances: { min: 3, max: 1 } }, 'config.instances.min'],
      [{ runtime: 'nodejs', timeoutMs: -1 }, 'config.timeoutMs'],
      // Past setTimeout's limit a timer fires at once: every request would time out.
      [{ runtime: 'nodejs', timeoutMs: 2 ** 31 }, 'config.timeoutMs'],
      [{ runtime: 'nodejs', env: { '1BAD': 'x' } }, 'config.env.1BAD'],
      [{ runtime: 'nodejs', events: 'lambda' }, 'config.events'],
      [{ runtime: 'nodejs', events: 'fc3', memoryMb: 10 }, 'config.memoryMb'],
    ];
    for (const [config, field] of cases) {
      const res = await platform.api('POST', `${fnPath('cfg', 'fn')}/deploy`, { config, files: entries });
      assert.equal(res.status, 400, `${field}: ${res.text}`);
      assert.equal(res.json.error.field, field);
    }
  });

  describe('aliases and versions', () => {
    const base = fnPath('al', 'fn');
    before(async () => {
      await createEnv(platform, 'al', 'staging');
      const code = dir({ 'index.js': handlerSaying('a') });
      for (let i = 1; i <= 3; i++) await deployDir(platform, 'al', 'fn', code, { ...NODE, env: { N: String(i) } });
    });

    it('updates with If-Match, refuses a stale ETag with 412 and changes the ETag every time', async () => {
      const read = await platform.api('GET', `${base}/aliases/live`);
      assert.equal(read.headers.get('etag'), `"${read.json.etag}"`);
      const update = { versionId: 2, additionalVersionWeight: { '3': 0.25 } };
      const first = await platform.api('PUT', `${base}/aliases/live`, update, { 'if-match': read.headers.get('etag')! });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.json.additionalVersionWeight, { '3': 0.25 });
      assert.notEqual(first.json.etag, read.json.etag);
      const stale = await platform.api('PUT', `${base}/aliases/live`, { versionId: 1 }, { 'if-match': read.headers.get('etag')! });
      assert.equal(stale.status, 412);
      assert.equal(stale.json.error.code, 'PRECONDITION_FAILED');
      assert.equal((await platform.api('GET', `${base}/aliases/live`)).json.versionId, 2, 'the stale update changed nothing');
      const unconditional = await platform.api('PUT', `${base}/aliases/live`, { versionId: 3 });
      assert.equal(unconditional.status, 200);
      assert.notEqual(unconditional.json.etag, first.json.etag);
    });

    it('answers 400 naming the field for each bad weight', async () => {
      const cases: [unknown, string][] = [
        [{ versionId: 99 }, 'versionId'],
        [{ versionId: '1' }, 'versionId'],
        [{ versionId: 1, additionalVersionWeight: { '2': -0.1 } }, 'additionalVersionWeight.2'],
        [{ versionId: 1, additionalVersionWeight: { '2': 1.5 } }, 'additionalVersionWeight.2'],
        [{ versionId: 1, additionalVersionWeight: { '2': '0.5' } }, 'additionalVersionWeight.2'],
        [{ versionId: 1, additionalVersionWeight: { '2': NaN } }, 'additionalVersionWeight.2'],
        [{ versionId: 1, additionalVersionWeight: { '2': 0.6, '3': 0.6 } }, 'additionalVersionWeight'],
        [{ versionId: 1, additionalVersionWeight: { '99': 0.1 } }, 'additionalVersionWeight.99'],
        [{ versionId: 1, additionalVersionWeight: { '1': 0.1 } }, 'additionalVersionWeight.1'],
        [{ versionId: 1, additionalVersionWeight: [0.1] }, 'additionalVersionWeight'],
      ];
      const before = (await platform.api('GET', `${base}/aliases/live`)).json;
      for (const [update, field] of cases) {
        const res = await platform.api('PUT', `${base}/aliases/live`, update);
        assert.equal(res.status, 400, `${JSON.stringify(update)}: ${res.text}`);
        assert.equal(res.json.error.field, field, JSON.stringify(update));
      }
      assert.deepEqual((await platform.api('GET', `${base}/aliases/live`)).json, before);
    });

    it('creates other aliases, lists and deletes them, and keeps live', async () => {
      const created = await platform.api('PUT', `${base}/aliases/beta`, { versionId: 3, description: 'next' });
      assert.equal(created.status, 200);
      const names = (await platform.api('GET', `${base}/aliases`)).json.aliases.map((a: { name: string }) => a.name);
      assert.deepEqual(names.sort(), ['beta', 'live']);
      assert.equal((await platform.api('DELETE', `${base}/aliases/beta`)).status, 204);
      assert.equal((await platform.api('GET', `${base}/aliases/beta`)).status, 404);
      assert.equal((await platform.api('DELETE', `${base}/aliases/live`)).status, 409);
      assert.equal((await platform.api('PUT', `${base}/aliases/42`, { versionId: 1 })).json.error.field, 'alias');
    });

    it('refuses to delete an alias an active rollout moves (409), and deletes it once aborted', async () => {
      assert.equal((await platform.api('PUT', `${base}/aliases/gamma`, { versionId: 1 })).status, 200);
      const started = await platform.api('POST', `${base}/rollout`, { toVersion: 2, alias: 'gamma', intervalMs: 600_000 });
      assert.equal(started.status, 201, started.text);
      const refused = await platform.api('DELETE', `${base}/aliases/gamma`);
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.json.error.field, 'alias');
      assert.match(refused.json.error.message, /deleting it would fight it\. Promote it .*or abort it/);
      assert.equal((await platform.api('POST', `${base}/rollout/abort`)).status, 200);
      assert.equal((await platform.api('DELETE', `${base}/aliases/gamma`)).status, 204);
      assert.equal((await platform.api('GET', `${base}/aliases/gamma`)).status, 404, 'deleted');
    });

    it('pages versions newest first and serves one version', async () => {
      const page1 = await platform.api('GET', `${base}/versions?limit=2`);
      assert.deepEqual(page1.json.versions.map((v: { id: number }) => v.id), [3, 2]);
      assert.equal(page1.json.nextBefore, 2);
      const page2 = await platform.api('GET', `${base}/versions?limit=2&before=2`);
      assert.deepEqual(page2.json.versions.map((v: { id: number }) => v.id), [1]);
      assert.equal(page2.json.nextBefore, undefined);
      const v2 = await platform.api('GET', `${base}/versions/2`);
      assert.equal(v2.json.config.env.N, '2');
      assert.equal((await platform.api('GET', `${base}/versions/9`)).status, 404);
      assert.equal((await platform.api('GET', `${base}/versions/x`)).status, 400);
    });
  });
});
