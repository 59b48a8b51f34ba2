// Walks a function's code folder into the upload manifest: POSIX paths, sha256, size and a
// normalised mode (0o755 when any execute bit is set, else 0o644, so the tree hash does not depend
// on umask). Skips `.git` and ignored paths; refuses symlinks leading outside. With a scan cache,
// files whose size, times and inode are unchanged since the last scan are not read again.

import { createHash } from 'node:crypto';
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { FlightdeckError } from '../errors';
import type { ManifestEntry } from '../model';
import type { LocalCodeTree } from '../provider';
import { mapInPool } from '../concurrency';
import { compileIgnore, type IgnoreMatcher } from './ignore';
import { ScanCache } from './scanCache';

const ALWAYS_SKIPPED = new Set(['.git']);
/** Files stat'ed and hashed at once: enough to keep libuv's thread pool busy, few enough to bound memory. */
const PARALLEL_FILES = 16;
/** Files up to this size are read in one call; larger ones are streamed so memory stays bounded. */
const READ_WHOLE_MAX_BYTES = 1024 * 1024;

export interface ScanOptions {
  /** Folder holding the scan cache; without it every file is read and hashed. */
  cacheDir?: string;
}

interface FoundFile {
  path: string;
  absolute: string;
}

export async function scanCode(folder: string, ignore: readonly string[] = [], options: ScanOptions = {}): Promise<LocalCodeTree> {
  const root = await realpath(folder).catch(() => {
    throw new FlightdeckError('BAD_REQUEST', `Code folder ${folder} does not exist.`, { file: folder });
  });
  const files: FoundFile[] = [];
  await walk({ root, isIgnored: compileIgnore(ignore), files }, { absolute: root, real: root, ancestors: [root] });
  const cache = options.cacheDir === undefined ? undefined : await ScanCache.open(options.cacheDir, root);
  const entries = await mapInPool(files, PARALLEL_FILES, (file) => describeFile(file, cache));
  await cache?.save();
  return { root, entries: entries.sort((a, b) => byCodeUnits(a.path, b.path)) };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sha256 and length of a file, read as a stream. */
async function hashStream(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest('hex'), size };
}

interface Walk {
  root: string;
  isIgnored: IgnoreMatcher;
  files: FoundFile[];
}

/** One folder being walked: the path it was reached by, its real path, and its ancestors' real paths. */
interface Folder {
  absolute: string;
  real: string;
  /**
   * Real paths of the folders above it (and itself) on this walk. Only these are skipped, so a
   * symlink cycle ends while a folder reached by two paths (a link to a sibling, pnpm's
   * node_modules/foo -> .pnpm/...) is listed under both.
   */
  ancestors: readonly string[];
}

async function walk(state: Walk, folder: Folder, prefix = ''): Promise<void> {
  const dirents = (await readdir(folder.absolute, { withFileTypes: true })).sort((a, b) => byCodeUnits(a.name, b.name));
  for (const dirent of dirents) {
    if (ALWAYS_SKIPPED.has(dirent.name)) continue;
    const path = prefix + dirent.name;
    const absolute = join(folder.absolute, dirent.name);
    const kind = dirent.isSymbolicLink() ? await linkKind(absolute) : direntKind(dirent);
    if (state.isIgnored(path, kind === 'directory')) continue;
    const real = dirent.isSymbolicLink() ? await resolveInside(state.root, absolute, path) : join(folder.real, dirent.name);
    if (kind === 'directory') {
      if (folder.ancestors.includes(real)) continue;
      await walk(state, { absolute, real, ancestors: [...folder.ancestors, real] }, `${path}/`);
    } else if (kind === 'file') {
      state.files.push({ path, absolute });
    }
  }
}

type EntryKind = 'file' | 'directory' | 'other';

function direntKind(dirent: Dirent): EntryKind {
  return dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : 'other';
}

/** What a symlink leads to; 'other' when it is broken. */
async function linkKind(absolute: string): Promise<EntryKind> {
  const info = await stat(absolute).catch(() => undefined);
  return !info ? 'other' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
}

/** The real path a symlink leads to, which must be inside the code folder. */
async function resolveInside(root: string, absolute: string, path: string): Promise<string> {
  const target = await realpath(absolute).catch(() => {
    throw new FlightdeckError('BAD_REQUEST', `Symlink ${path} in ${root} is broken; remove it or add it to ignore.`, { field: path });
  });
  const inside = relative(root, target);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new FlightdeckError('BAD_REQUEST',
      `Symlink ${path} points outside the code folder ${root} (to ${target}); copy the file in or add it to ignore.`, { field: path });
  }
  return target;
}

async function describeFile(file: FoundFile, cache: ScanCache | undefined): Promise<ManifestEntry> {
  const info = await stat(file.absolute);
  const mode = info.mode & 0o111 ? 0o755 : 0o644;
  const cached = cache?.lookup(file.path, info);
  if (cached !== undefined) return { path: file.path, sha256: cached, size: info.size, mode };
  // The manifest's size is the length of the bytes hashed, even if the file changes meanwhile.
  const { sha256, size } = await hashContent(file.absolute, info);
  cache?.remember(file.path, info, sha256, size);
  return { path: file.path, sha256, size, mode };
}

async function hashContent(absolute: string, info: Stats): Promise<{ sha256: string; size: number }> {
  if (info.size > READ_WHOLE_MAX_BYTES) return hashStream(absolute);
  const bytes = await readFile(absolute);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

