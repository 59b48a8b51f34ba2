import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

  it('hashes a file over 1 MiB (streamed) the same way', async () => {
    const big = Buffer.alloc(1_500_000, 'x');
    writeFileSync(join(dir, 'big.bin'), big);
    const tree = await scanCode(dir, ['code']);
    const entry = tree.entries.find((e) => e.path === 'big.bin')!;
    assert.equal(entry.sha256, createHash('sha256').update(big).digest('hex'));
    assert.equal(entry.size, big.length);
    rmSync(join(dir, 'big.bin'));
  });


  it('describes files alike whether a folder is scanned in place (a few files) or through the pool (many)', async () => {
    // 100 KiB is over the in-place read limit, so a small folder reads it through the pool.
    const medium = Buffer.alloc(100 * 1024, 'm');
    const expect = (tree: Awaited<ReturnType<typeof scanCode>>, path: string, bytes: Buffer | string) => {
      const entry = tree.entries.find((e) => e.path === path);
      assert.deepEqual(entry, { path, sha256: createHash('sha256').update(bytes).digest('hex'), size: Buffer.byteLength(bytes), mode: 0o644 }, path);
    };
    for (const count of [3, 200]) {
      const folder = join(dir, `files-${count}`);
      mkdirSync(folder);
      for (let i = 0; i < count; i++) writeFileSync(join(folder, `f${i}.js`), `module.exports = ${i};`);
      writeFileSync(join(folder, 'medium.bin'), medium);
      const tree = await scanCode(folder);
      assert.equal(tree.entries.length, count + 1);
      expect(tree, 'medium.bin', medium);
      expect(tree, `f${count - 1}.js`, `module.exports = ${count - 1};`);
    }
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

describe('scanCode with folder symlinks', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'fd-scan-links-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), path);
  };
  const paths = async (folder: string) => (await scanCode(join(dir, folder))).entries.map((e) => e.path);

  it('lists a folder reached by a link to a sibling under both paths', async () => {
    write('sibling/index.js');
    write('sibling/lib/x.js');
    symlinkSync('lib', join(dir, 'sibling/a-link'));
    assert.deepEqual(await paths('sibling'), ['a-link/x.js', 'index.js', 'lib/x.js']);
  });

  it('keeps both paths of a pnpm-style node_modules layout', async () => {
    write('pnpm/node_modules/.pnpm/foo@1/node_modules/foo/index.js');
    symlinkSync('.pnpm/foo@1/node_modules/foo', join(dir, 'pnpm/node_modules/foo'));
    assert.deepEqual(await paths('pnpm'), [
      'node_modules/.pnpm/foo@1/node_modules/foo/index.js',
      'node_modules/foo/index.js',
    ]);
  });

  it('ends a symlink cycle instead of walking it forever', async () => {
    write('cycle/lib/x.js');
    symlinkSync('..', join(dir, 'cycle/lib/up'));
    assert.deepEqual(await paths('cycle'), ['lib/x.js']);
  });
});

describe('scanCode with a scan cache', () => {
  let dir: string;
  let code: string;
  let cacheDir: string;
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const BOGUS = 'f'.repeat(64);
  const scan = async () => new Map((await scanCode(code, [], { cacheDir })).entries.map((e) => [e.path, e]));
  const cacheFile = () => join(cacheDir, readdirSync(cacheDir).find((name) => name.endsWith('.json'))!);
  const readCache = () => JSON.parse(readFileSync(cacheFile(), 'utf8')) as { files: Record<string, [number, number, number, number, string]> };
  /** Rewrites one remembered entry, so a test can tell a hash taken from the cache from one computed. */
  const editCache = (path: string, edit: (entry: [number, number, number, number, string]) => void) => {
    const cache = readCache();
    edit(cache.files[path]);
    writeFileSync(cacheFile(), JSON.stringify(cache));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-scan-cache-'));
    code = join(dir, 'code');
    cacheDir = join(dir, 'cache');
    mkdirSync(join(code, 'lib'), { recursive: true });
    writeFileSync(join(code, 'index.js'), 'aaaa');
    writeFileSync(join(code, 'lib/util.js'), 'util');
    writeFileSync(join(code, 'lib/kept.js'), 'kept');
    // Files changed within the last 2 s are never remembered (their timestamp tick may not be over).
    await sleep(2_100);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers settled files and takes an unchanged file\'s hash from the cache', async () => {
    assert.equal((await scan()).get('index.js')!.sha256, sha('aaaa'));
    assert.deepEqual(Object.keys(readCache().files).sort(), ['index.js', 'lib/kept.js', 'lib/util.js']);
    editCache('index.js', (entry) => { entry[4] = BOGUS; });
    assert.equal((await scan()).get('index.js')!.sha256, BOGUS);
  });

  it('hashes again when the remembered size, mtime, ctime or inode differs', async () => {
    for (const field of [0, 1, 2, 3]) {
      await scan();
      editCache('index.js', (entry) => { entry[4] = BOGUS; (entry[field] as number) += 1; });
      assert.equal((await scan()).get('index.js')!.sha256, sha('aaaa'), `key field ${field}`);
    }
  });

  it('re-hashes a file rewritten with the same size and a new mtime', async () => {
    await scan();
    writeFileSync(join(code, 'index.js'), 'bbbb');
    const later = new Date(statSync(join(code, 'index.js')).mtimeMs + 5_000);
    utimesSync(join(code, 'index.js'), later, later);
    assert.equal((await scan()).get('index.js')!.sha256, sha('bbbb'));
  });

  it('re-hashes a file of a new size whose mtime was put back', async () => {
    await scan();
    const before = statSync(join(code, 'lib/util.js'));
    writeFileSync(join(code, 'lib/util.js'), 'util, longer');
    utimesSync(join(code, 'lib/util.js'), before.atime, before.mtime);
    const entry = (await scan()).get('lib/util.js')!;
    assert.equal(entry.sha256, sha('util, longer'));
    assert.equal(entry.size, 12);
  });

  it('does not remember files changed just now, and drops files that are gone', async () => {
    writeFileSync(join(code, 'fresh.js'), 'new');
    rmSync(join(code, 'lib/util.js'));
    const entries = await scan();
    assert.equal(entries.get('fresh.js')!.sha256, sha('new'));
    assert.equal(entries.get('index.js')!.sha256, sha('bbbb'));
    assert.deepEqual(Object.keys(readCache().files), ['lib/kept.js']);
  });

  it('ignores a malformed cache and replaces it', async () => {
    writeFileSync(cacheFile(), '{ not json');
    assert.equal((await scan()).get('lib/kept.js')!.sha256, sha('kept'));
    assert.deepEqual(Object.keys(readCache().files), ['lib/kept.js']);
  });
});
