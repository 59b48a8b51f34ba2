// Materialised code folders through the real platform: a redeploy builds the new folder from the
// previous tree's spare copy (only differing files copied), the result is exactly the new tree
// (files, modes even under a strict umask, no leftovers, file/folder swaps), a function keeps one
// spare copy, and what a function writes into its own folder reaches neither the next version nor
// the blob store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createEnv, deployDir, type TestConfig } from '../helpers/deploy';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const NODE: TestConfig = { runtime: 'nodejs', handler: 'index.handler' };

/**
 * Answers with a listing of its own code folder (path → sha256 and mode, folders as 'dir'), then
 * scribbles into that folder: appends to lib/shared.js and creates junk.txt.
 */
const LISTING_HANDLER = `
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
function list(dir, prefix, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const info = fs.statSync(abs);
    if (info.isDirectory()) { out[prefix + name] = 'dir'; list(abs, prefix + name + '/', out); }
    else out[prefix + name] = createHash('sha256').update(fs.readFileSync(abs)).digest('hex') + ' ' + (info.mode & 0o777).toString(8);
  }
  return out;
}
exports.handler = async () => {
  const listing = list(process.cwd(), '', {});
  fs.appendFileSync('lib/shared.js', '// scribbled\\n');
  fs.writeFileSync('junk.txt', 'junk');
  return { statusCode: 200, body: JSON.stringify(listing) };
};
`;

type Tree = Record<string, string | { text: string; mode: number }>;

function writeTree(tree: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-trees-'));
  for (const [path, file] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof file === 'string' ? file : file.text);
    chmodSync(join(dir, path), typeof file === 'string' ? 0o644 : file.mode);
  }
  return dir;
}

/** The listing LISTING_HANDLER should answer for `tree`. */
function expectedListing(tree: Tree): Record<string, string> {
  const listing: Record<string, string> = {};
  for (const [path, file] of Object.entries(tree)) {
    const { text, mode } = typeof file === 'string' ? { text: file, mode: 0o644 } : file;
    // The state folder is private: a working folder keeps the owner's bits of each mode.
    listing[path] = `${createHash('sha256').update(text).digest('hex')} ${(mode & 0o700).toString(8)}`;
    for (let folder = dirname(path); folder !== '.'; folder = dirname(folder)) listing[folder] = 'dir';
  }
  return Object.fromEntries(Object.entries(listing).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Files every version shares, so a spare beats a full copy. */
const COMMON: Tree = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`lib/common/m${i}.js`, `exports.n = ${i};\n`]));

const V1: Tree = {
  ...COMMON,
  'index.js': LISTING_HANDLER,
  'lib/shared.js': 'module.exports = "shared";\n',
  'lib/old/gone.js': 'gone\n',
  'becomesFolder': 'a file for now\n',
  'becomesFile/inner.js': 'inner\n',
  'tool.sh': 'echo tool\n',
};

const V2: Tree = {
  ...COMMON,
  'index.js': LISTING_HANDLER,
  'lib/shared.js': 'module.exports = "shared";\n',
  'lib/new.js': 'new\n',
  'becomesFolder/inner.js': 'now a folder\n',
  'becomesFile': 'now a file\n',
  'tool.sh': { text: 'echo tool\n', mode: 0o755 },
};

describe('materialised code trees', () => {
  let platform: TestPlatform;
  const dirs: string[] = [];

  before(async () => {
    // A strict umask must not leak into the modes of blobs or of materialised files.
    const umask = process.umask(0o077);
    try {
      platform = await startPlatform();
    } finally {
      process.umask(umask);
    }
    await createEnv(platform, 'trees', 'staging');
  });
  after(async () => {
    await platform?.stop();
    for (const d of [...dirs, platform?.home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const deployAndList = async (tree: Tree) => {
    const dir = writeTree(tree);
    dirs.push(dir);
    const answer = await deployDir(platform, 'trees', 'fn', dir, NODE);
    const res = await fetch(answer.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-flightdeck-version'), String(answer.version.id));
    return { tree: answer.version.tree as string, listing: JSON.parse(await res.text()) as Record<string, string> };
  };

  /** The spare copy of `tree` the platform starts building in its tmp folder once the tree is materialised. */
  const spareFolder = async (tree: string) => {
    const tmp = join(platform.home, 'tmp');
    for (let i = 0; i < 100; i++) {
      const name = readdirSync(tmp).find((n) => n.startsWith(`spare-${tree}.`));
      if (name) return join(tmp, name);
      await sleep(50);
    }
    throw new Error(`no spare copy of tree ${tree} appeared in ${tmp}`);
  };

  it('builds the next version from the spare copy, exactly the new tree, untouched by what the last version wrote', async () => {
    const first = await deployAndList(V1);
    assert.deepEqual(first.listing, expectedListing(V1));
    const spare = statSync(await spareFolder(first.tree)).ino;

    const second = await deployAndList(V2);
    assert.deepEqual(second.listing, expectedListing(V2));
    assert.equal(statSync(join(platform.home, 'code', 'trees', 'fn', '2')).ino, spare, 'v2 folder is the renamed spare of v1');

    // A third tree close to the second, after v2 scribbled into its own folder.
    const V3: Tree = { ...V2, 'lib/new.js': 'newer\n' };
    const third = await deployAndList(V3);
    assert.deepEqual(third.listing, expectedListing(V3));
  });

  it('keeps one spare copy per function: a redeploy that shares no file with the last one supersedes its spare', async () => {
    const handler = (body: string) => `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;
    const deploy = async (tree: Tree) => {
      const dir = writeTree(tree);
      dirs.push(dir);
      return (await deployDir(platform, 'trees', 'rewritten', dir, NODE)).version.tree as string;
    };
    const first = await deploy({ 'index.js': handler('first') });
    await spareFolder(first);
    // No file in common, so the first spare is no base for it: the store copies afresh and builds a second spare.
    const second = await deploy({ 'index.js': handler('second'), 'lib/extra.js': 'extra\n' });
    await spareFolder(second);
    const tmp = join(platform.home, 'tmp');
    for (let i = 0; readdirSync(tmp).some((n) => n.startsWith(`spare-${first}.`)); i++) {
      assert.ok(i < 100, `the spare of the function's earlier tree ${first} is still in ${tmp}: ${readdirSync(tmp).join(', ')}`);
      await sleep(50);
    }
  });

  it('checks only the blobs a delta adds: a base blob under a new path needs no upload, a wrong size or a new blob is refused', async () => {
    const dir = writeTree({ 'index.js': LISTING_HANDLER, 'lib/shared.js': 'shared\n' });
    dirs.push(dir);
    const base = (await deployDir(platform, 'trees', 'delta', dir, NODE)).version.tree as string;
    const shared = { sha256: createHash('sha256').update('shared\n').digest('hex'), size: 7, mode: 0o644 };
    const deploy = (changed: unknown[]) => platform.api('POST', '/v1/environments/trees/functions/delta/deploy', { config: NODE, base, changed });

    const copied = await deploy([{ ...shared, path: 'lib/copy.js' }]);
    assert.equal(copied.status, 200, copied.text);
    const wrongSize = await deploy([{ ...shared, path: 'lib/copy2.js', size: 8 }]);
    assert.equal(wrongSize.status, 400, wrongSize.text);
    assert.match(wrongSize.json.error.message, /lib\/copy2\.js: the manifest says 8 bytes/);
    const absent = { sha256: createHash('sha256').update('never uploaded').digest('hex'), size: 14, mode: 0o644 };
    const missing = await deploy([{ ...absent, path: 'lib/new.js' }]);
    assert.equal(missing.status, 409, missing.text);
    assert.deepEqual(missing.json.error.missing, [absent.sha256]);
  });

  it('keeps every blob equal to its hash after functions wrote into their folders', () => {
    const blobs = join(platform.home, 'blobs');
    for (const prefix of readdirSync(blobs)) {
      for (const name of readdirSync(join(blobs, prefix))) {
        assert.equal(createHash('sha256').update(readFileSync(join(blobs, prefix, name))).digest('hex'), name);
      }
    }
  });
});
