// DurableFiles: crash-safe writes whose directory fsyncs are shared between callers, and only
// ever by an fsync that started after the caller asked.
import assert from 'node:assert/strict';
import nodeFs from 'node:fs';
import { promises as fs } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DurableFiles } from '../../src/platform/store';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function home(): Promise<{ files: DurableFiles; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'fd-durable-'));
  dirs.push(root);
  await fs.mkdir(join(root, 'tmp'));
  return { files: new DurableFiles(join(root, 'tmp')), root };
}

/** Counts the folders DurableFiles opens to fsync (it opens a folder for nothing else), passing each call through. */
function countDirSyncs(): { count: (dir: string) => number; restore: () => void } {
  const original = nodeFs.openSync;
  const opened = new Map<string, number>();
  const spy = ((...args: Parameters<typeof original>) => {
    const fd = original(...args);
    if (nodeFs.fstatSync(fd).isDirectory()) opened.set(String(args[0]), (opened.get(String(args[0])) ?? 0) + 1);
    return fd;
  }) as typeof original;
  // store.ts reads openSync off the module at each call (CommonJS), so the spy sees its calls.
  nodeFs.openSync = spy;
  return { count: (dir) => opened.get(dir) ?? 0, restore: () => void (nodeFs.openSync = original) };
}

test('fsyncs of a folder asked for while one runs share the next one, started after they asked; one asked when none runs has its own', async () => {
  const { files, root } = await home();
  const spy = countDirSyncs();
  try {
    const first = files.fsyncDir(root);
    // The first may have started before these callers' renames: they wait for one and the same next fsync.
    const rest = Array.from({ length: 9 }, () => files.fsyncDir(root));
    assert.notEqual(first, rest[0]);
    assert.equal(new Set(rest).size, 1, 'the nine wait for one and the same fsync');
    await Promise.all([first, ...rest]);
    assert.equal(spy.count(root), 2);
    await files.fsyncDir(root); // nothing runs now: a fresh fsync, not a settled one
    assert.equal(spy.count(root), 3);
  } finally {
    spy.restore();
  }
});

test('ten records written into one folder at once each land whole, and no temp file is left', async () => {
  const { files, root } = await home();
  const folder = join(root, 'records');
  await files.makeDirDurable(folder);
  await Promise.all(Array.from({ length: 10 }, (_, i) => files.writeJsonAtomic(join(folder, `f${i}.json`), { i })));
  for (let i = 0; i < 10; i++) assert.deepEqual(JSON.parse(await readFile(join(folder, `f${i}.json`), 'utf8')), { i });
  assert.deepEqual(await readdir(join(root, 'tmp')), []);
});

test('a folder that cannot be opened fails its callers, and the next caller tries afresh', async () => {
  const { files, root } = await home();
  const missing = join(root, 'missing');
  await assert.rejects(Promise.all([files.fsyncDir(missing), files.fsyncDir(missing)]), /ENOENT/);
  await fs.mkdir(missing);
  await files.fsyncDir(missing);
});
