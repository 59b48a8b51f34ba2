// Garbage collection through the real platform process and the real CLI: versions past the
// environment kind's retention are pruned (never one an alias uses), blobs, trees and working
// folders nothing references are freed (`flightdeck gc --dry-run` shows it first), deleting an
// environment frees its code, and a kill -9 in the middle of a collection loses nothing referenced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIST, startPlatform, tempHome, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { call, discard, fnPath, nodeConfig, waitFor } from '../helpers/gateway';
import type { GarbageReport } from '../../src/model';

const HANDLER = 'exports.handler = async () => require("fs").readFileSync("data.txt", "utf8").slice(0, 20);\n';
const KEEP = ['--keep-versions', 'personal=3'];

/** A function folder whose data.txt is `data`. */
function codeWith(data: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-gc-'));
  writeFileSync(join(dir, 'index.js'), HANDLER);
  writeFileSync(join(dir, 'data.txt'), data);
  return dir;
}

function blobFile(home: string, text: string): string {
  const sha = createHash('sha256').update(text).digest('hex');
  return join(home, 'blobs', sha.slice(0, 2), sha);
}

function cli(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(DIST, 'cli.js'), ...args], { env: { ...process.env, FLIGHTDECK_HOME: home } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('garbage collection', { timeout: 120_000 }, () => {
  let platform: TestPlatform;
  const dirs: string[] = [];
  const data = Array.from({ length: 6 }, (_, i) => `version ${i + 1} ${randomBytes(8).toString('hex')}\n`);

  before(async () => {
    platform = await startPlatform({ args: KEEP });
    await createEnv(platform, 'dev');
    for (const text of data) {
      const dir = codeWith(text);
      dirs.push(dir);
      await deployDir(platform, 'dev', 'api', dir, nodeConfig());
    }
    // v1 stays in use through an alias; v2 and v3 are past the 3 kept and unused.
    assert.equal((await platform.api('PUT', fnPath('dev', 'api', '/aliases/old'), { versionId: 1 })).status, 200);
    assert.equal((await call(platform, '/fn/dev/api:old/')).text, data[0].slice(0, 20));
  });
  after(async () => {
    await discard(platform);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('flightdeck gc --dry-run shows what would go and deletes nothing; flightdeck gc frees it', async () => {
    const dry = await cli(platform.home, 'gc', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const preview = JSON.parse(dry.stdout) as GarbageReport;
    assert.equal(preview.dryRun, true);
    assert.deepEqual(preview.pruned, [{ environment: 'dev', function: 'api', versions: [2, 3] }]);
    assert.ok(preview.blobs.count >= 2, JSON.stringify(preview));
    assert.ok(existsSync(blobFile(platform.home, data[1])), 'a dry run deletes nothing');

    const real = await cli(platform.home, 'gc');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /freed .* 2 version\(s\) pruned/);
    const versions = (await platform.api('GET', fnPath('dev', 'api', '/versions'))).json.versions as { id: number }[];
    assert.deepEqual(versions.map((v) => v.id), [6, 5, 4, 1]);
    assert.ok(!existsSync(blobFile(platform.home, data[1])) && !existsSync(blobFile(platform.home, data[2])), 'pruned versions\' blobs are freed');
    for (const i of [0, 3, 4, 5]) assert.ok(existsSync(blobFile(platform.home, data[i])), `v${i + 1}'s blob stays`);
    assert.equal((await call(platform, '/fn/dev/api:old/')).text, data[0].slice(0, 20));
    assert.equal((await call(platform, '/fn/dev/api/')).text, data[5].slice(0, 20));
    // A new deploy still works after its older blobs went.
    const again = codeWith(`version 7 ${randomBytes(8).toString('hex')}\n`);
    dirs.push(again);
    assert.equal((await deployDir(platform, 'dev', 'api', again, nodeConfig())).version.id, 7);
  });

  test('leaves the working folder of a version proving it starts, and takes it once nothing uses it', async () => {
    await createEnv(platform, 'slow', 'production');
    // The server reads a file of its working folder `delayMs` after it starts, then listens.
    const server = (delayMs: number, text: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'flightdeck-gc-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'data.txt'), text);
      writeFileSync(join(dir, 'server.js'), `setTimeout(() => {
  const text = require("fs").readFileSync("data.txt", "utf8");
  require("http").createServer((q, s) => s.end(text)).listen(Number(process.env.PORT), "127.0.0.1");
}, ${delayMs});\n`);
      return dir;
    };
    const custom = { runtime: 'custom' as const, command: ['node', 'server.js'] };
    await deployDir(platform, 'slow', 'web', server(0, 'one'), custom);
    // A production deploy moves no traffic: once v2 has proved it starts, nothing serves or runs it.
    await deployDir(platform, 'slow', 'web', server(1500, 'two'), custom);
    const v2 = join(platform.home, 'code', 'slow', 'web', '2');
    assert.equal((await platform.api('POST', '/v1/gc')).status, 200);
    assert.ok(!existsSync(v2), 'a collection takes the folder of a version nothing uses');

    // A rollout proves v2 starts again (from a fresh copy); a collection during the proof leaves its folder.
    const rollout = platform.api('POST', fnPath('slow', 'web', '/rollout'), { toVersion: 2, steps: [10, 100], intervalMs: 3_600_000 });
    await waitFor('v2 to be copied for its start proof', async () => (existsSync(v2) ? true : undefined));
    assert.equal((await platform.api('POST', '/v1/gc')).status, 200);
    const started = await rollout;
    assert.equal(started.status, 201, started.text);
    assert.ok(existsSync(v2));
    assert.equal((await platform.api('POST', fnPath('slow', 'web', '/rollout/abort'))).status, 200);
  });

  test('deleting an environment frees its blobs, trees and working folders', async () => {
    await createEnv(platform, 'scratch');
    const text = `scratch ${randomBytes(16).toString('hex')}\n`.repeat(1000);
    const dir = codeWith(text);
    dirs.push(dir);
    await deployDir(platform, 'scratch', 'api', dir, nodeConfig());
    assert.equal((await call(platform, '/fn/scratch/api/')).status, 200);
    assert.ok(existsSync(join(platform.home, 'code', 'scratch')));
    assert.equal((await platform.api('DELETE', '/v1/environments/scratch')).status, 204);
    await waitFor('the environment\'s code to be freed', async () =>
      existsSync(blobFile(platform.home, text)) || existsSync(join(platform.home, 'code', 'scratch')) ? undefined : true,
    );
  });
});

describe('garbage collection is crash-safe', { timeout: 120_000 }, () => {
  test('kill -9 in the middle of a collection loses nothing referenced', async () => {
    const home = tempHome();
    const dirs: string[] = [];
    let platform = await startPlatform({ home, args: KEEP });
    try {
      await createEnv(platform, 'dev');
      const texts = Array.from({ length: 5 }, (_, i) => `kept ${i} ${randomBytes(8).toString('hex')}\n`);
      for (const text of texts) {
        const dir = codeWith(text);
        dirs.push(dir);
        await deployDir(platform, 'dev', 'api', dir, nodeConfig());
      }
      // Garbage to chew on: blobs nothing references (kept for a while after upload, so restart first).
      for (let i = 0; i < 400; i++) {
        const bytes = Buffer.from(`garbage ${i} ${randomBytes(8).toString('hex')}`);
        const sha = createHash('sha256').update(bytes).digest('hex');
        assert.equal((await platform.api('PUT', `/v1/blobs/${sha}`, bytes)).status, 201);
      }
      await platform.stop();
      platform = await startPlatform({ home, args: KEEP });
      void platform.api('POST', '/v1/gc').catch(() => undefined);
      await sleep(30);
      await platform.kill9();
      platform = await startPlatform({ home, args: KEEP });
      const versions = (await platform.api('GET', fnPath('dev', 'api', '/versions'))).json.versions as { id: number }[];
      assert.ok(versions.length >= 3, JSON.stringify(versions));
      for (const { id } of versions) {
        const file = await platform.api('GET', fnPath('dev', 'api', `/versions/${id}/files/data.txt`));
        assert.equal(file.status, 200, `v${id}: ${file.text}`);
        assert.equal((await call(platform, `/fn/dev/api:${id}/`)).status, 200);
      }
      const finished = (await platform.api('POST', '/v1/gc')).json as GarbageReport;
      assert.equal(finished.dryRun, false);
      const left = readdirSync(join(home, 'blobs')).flatMap((prefix) => readdirSync(join(home, 'blobs', prefix)));
      assert.ok(left.length <= 2 * versions.length + 2, `only referenced blobs are left: ${left.length}`);
    } finally {
      await discard(platform, true);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
