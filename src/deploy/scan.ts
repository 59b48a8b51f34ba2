// Walks a function's code folder into the upload manifest: POSIX paths, sha256, size and a
// normalised mode (0o755 when any execute bit is set, else 0o644, so the tree hash does not depend
// on umask). Skips `.git` and ignored paths; refuses symlinks leading outside. With a scan cache,
// files whose size, times and inode are unchanged since the last scan are not read again.
//
// A small folder is scanned in place: for a few small files, a synchronous stat or read takes a
// few microseconds, less than a hand-off to libuv's thread pool and back. A folder of many files
// (node_modules) still goes through the pool, so the editor's extension host keeps serving.

import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
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
/** A folder of at most this many files is stat'ed in place... */
const IN_PLACE_MAX_FILES = 32;
/** ...and its files up to this size are read in place; larger ones through the pool. */
const IN_PLACE_MAX_BYTES = 64 * 1024;

export interface ScanOptions {
  /** Folder holding the scan cache; without it every file is read and hashed. */
  cacheDir?: string;
}

interface FoundFile {
  path: string;
  absolute: string;
}

export async function scanCode(folder: string, ignore: readonly string[] = [], options: ScanOptions = {}): Promise<LocalCodeTree> {
  let root: string;
  try {
    root = realpathSync(folder);
  } catch {
    throw new FlightdeckError('BAD_REQUEST', `Code folder ${folder} does not exist.`, { file: folder });
  }
  const files: FoundFile[] = [];
  await walk({ root, isIgnored: compileIgnore(ignore), files }, { absolute: root, real: root, ancestors: [root] });
  const cache = options.cacheDir === undefined ? undefined : ScanCache.open(options.cacheDir, root);
  const entries = files.length <= IN_PLACE_MAX_FILES
    ? await Promise.all(files.map((file) => describeFileInPlace(file, cache)))
    : await mapInPool(files, PARALLEL_FILES, (file) => describeFile(file, cache));
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
  // The code folder itself is listed in place; its subfolders, however many, through the pool.
  const listed = prefix === '' ? readdirSync(folder.absolute, { withFileTypes: true }) : await readdir(folder.absolute, { withFileTypes: true });
  const dirents = listed.sort((a, b) => byCodeUnits(a.name, b.name));
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
  return cachedEntry(file, info, cache) ?? newEntry(file, info, await hashContent(file.absolute, info), cache);
}

/** describeFile with synchronous steps; a file over IN_PLACE_MAX_BYTES is still read through the pool. */
function describeFileInPlace(file: FoundFile, cache: ScanCache | undefined): ManifestEntry | Promise<ManifestEntry> {
  const info = statSync(file.absolute);
  const cached = cachedEntry(file, info, cache);
  if (cached) return cached;
  if (info.size > IN_PLACE_MAX_BYTES) return hashContent(file.absolute, info).then((hashed) => newEntry(file, info, hashed, cache));
  return newEntry(file, info, hashOf(readFileSync(file.absolute)), cache);
}

function cachedEntry(file: FoundFile, info: Stats, cache: ScanCache | undefined): ManifestEntry | undefined {
  const sha256 = cache?.lookup(file.path, info);
  return sha256 === undefined ? undefined : { path: file.path, sha256, size: info.size, mode: modeOf(info) };
}

/** The manifest's size is the length of the bytes hashed, even if the file changed meanwhile. */
function newEntry(file: FoundFile, info: Stats, { sha256, size }: { sha256: string; size: number }, cache: ScanCache | undefined): ManifestEntry {
  cache?.remember(file.path, info, sha256, size);
  return { path: file.path, sha256, size, mode: modeOf(info) };
}

function modeOf(info: Stats): number {
  return info.mode & 0o111 ? 0o755 : 0o644;
}

async function hashContent(absolute: string, info: Stats): Promise<{ sha256: string; size: number }> {
  if (info.size > READ_WHOLE_MAX_BYTES) return hashStream(absolute);
  return hashOf(await readFile(absolute));
}

function hashOf(bytes: Buffer): { sha256: string; size: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

