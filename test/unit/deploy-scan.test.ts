import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileIgnore } from '../../src/deploy/ignore';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';

describe('ignore patterns', () => {
  const ignored = (patterns: string[], path: string, dir = false) => compileIgnore(patterns)(path, dir);

  it('matches a bare name or glob at any depth', () => {
    assert.ok(ignored(['*.log'], 'debug.log'));
    assert.ok(ignored(['*.log'], 'a/b/debug.log'));
    assert.ok(!ignored(['*.log'], 'debug.log.txt'));
    assert.ok(ignored(['node_modules'], 'lib/node_modules', true));
  });

  it('roots patterns with an inner or leading slash', () => {
    assert.ok(ignored(['node_modules/.cache'], 'node_modules/.cache', true));
    assert.ok(!ignored(['node_modules/.cache'], 'lib/node_modules/.cache', true));
    assert.ok(ignored(['/build'], 'build', true));
    assert.ok(!ignored(['/build'], 'src/build', true));
  });

  it('understands **, trailing slashes and comments', () => {
    assert.ok(ignored(['**/fixtures'], 'a/b/fixtures', true));
    assert.ok(ignored(['**/fixtures'], 'fixtures', true));
    assert.ok(ignored(['docs/**'], 'docs/a/b.md'));
    assert.ok(ignored(['a/**/z.txt'], 'a/z.txt'));
    assert.ok(ignored(['a/**/z.txt'], 'a/b/c/z.txt'));
    assert.ok(!ignored(['tmp/'], 'tmp'));
    assert.ok(ignored(['tmp/'], 'tmp', true));
    assert.ok(!ignored(['# *.js', ''], 'index.js'));
  });
});

describe('scanCode', () => {
  let dir: string;
  let code: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(code, path)), { recursive: true });
    writeFileSync(join(code, path), text);
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-scan-'));
    code = join(dir, 'code');
    write('index.js', 'exports.handler = () => 1;');
    write('lib/util.js', 'module.exports = 2;');
    write('debug.log', 'noise');
    write('lib/trace.log', 'noise');
    write('node_modules/.cache/x', 'cache');
    write('node_modules/dep/index.js', 'dep');
    write('.git/HEAD', 'ref: refs/heads/main');
    write('bin/run', '#!/bin/sh');
    chmodSync(join(code, 'bin/run'), 0o700);
    write('../outside.txt', 'secret');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists files with POSIX paths, sha256, size and normalised mode, skipping .git and ignores', async () => {
    const tree = await scanCode(code, ['*.log', 'node_modules/.cache']);
    assert.deepEqual(tree.entries.map((e) => e.path), ['bin/run', 'index.js', 'lib/util.js', 'node_modules/dep/index.js']);
    const index = tree.entries.find((e) => e.path === 'index.js')!;
    assert.equal(index.sha256, createHash('sha256').update('exports.handler = () => 1;').digest('hex'));
    assert.equal(index.size, 26);
    assert.equal(index.mode, 0o644);
    assert.equal(tree.entries.find((e) => e.path === 'bin/run')!.mode, 0o755);
  });

  it('follows a symlink inside the folder and refuses one leading outside', async () => {
    symlinkSync(join(code, 'index.js'), join(code, 'alias.js'));
    const tree = await scanCode(code, ['*.log', 'node_modules', 'bin']);
    assert.deepEqual(tree.entries.map((e) => e.path), ['alias.js', 'index.js', 'lib/util.js']);
    symlinkSync(join(dir, 'outside.txt'), join(code, 'escape.txt'));
    await assert.rejects(scanCode(code), (error: unknown) => {
      assert.ok(isFlightdeckError(error, 'BAD_REQUEST'));
      assert.match(error.message, /escape\.txt points outside the code folder/);
      return true;
    });
    assert.ok((await scanCode(code, ['escape.txt'])).entries.length > 0);
  });
});
