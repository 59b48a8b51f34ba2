// Functions run in the package scope they would have in the cloud, where no package.json encloses
// their code: a `"type": "module"` package.json above the state folder (one in ~, a project the
// folder sits in) turned every CommonJS handler into an ES module that could not start. The
// function's own package.json still decides, and garbage collection leaves the scope in place.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir } from '../helpers/deploy';
import { call, discard, nodeConfig } from '../helpers/gateway';

describe('the package scope of a function\'s code', { timeout: 60_000 }, () => {
  let outer: string;
  let platform: TestPlatform;
  const folder = (name: string, files: Record<string, string>): string => {
    const dir = join(outer, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  };

  before(async () => {
    outer = mkdtempSync(join(tmpdir(), 'flightdeck-scope-'));
    writeFileSync(join(outer, 'package.json'), JSON.stringify({ type: 'module' }));
    platform = await startPlatform({ home: join(outer, 'home') });
    await createEnv(platform, 'dev');
  });
  after(async () => {
    await discard(platform);
    rmSync(outer, { recursive: true, force: true });
  });

  test('a CommonJS handler starts under a state folder inside a "type": "module" package', async () => {
    const answer = await deployDir(platform, 'dev', 'cjs', folder('cjs', { 'index.js': 'exports.handler = async () => "commonjs " + typeof require;\n' }), nodeConfig());
    assert.equal(answer.start.started, true, answer.start.reason);
    assert.equal((await call(platform, '/fn/dev/cjs/')).text, 'commonjs function');
  });

  test('the function\'s own package.json still decides: "type": "module" makes its .js an ES module', async () => {
    const dir = folder('esm', {
      'package.json': JSON.stringify({ type: 'module' }),
      'index.js': 'export const handler = async () => "module " + typeof require;\n',
    });
    const answer = await deployDir(platform, 'dev', 'esm', dir, nodeConfig());
    assert.equal(answer.start.started, true, answer.start.reason);
    assert.equal((await call(platform, '/fn/dev/esm/')).text, 'module undefined');
  });

  test('garbage collection keeps the scope', async () => {
    assert.equal((await platform.api('DELETE', '/v1/environments/dev')).status, 204);
    assert.equal((await platform.api('POST', '/v1/gc')).status, 200);
    assert.ok(!existsSync(join(platform.home, 'code', 'dev')), 'the environment\'s working folders are collected');
    assert.ok(existsSync(join(platform.home, 'code', 'package.json')));
  });
});
