// Walks a function's code folder into the upload manifest: POSIX paths, streaming sha256, size
// and a normalised mode (0o755 when any execute bit is set, else 0o644, so the tree hash does
// not depend on umask). Skips `.git` and ignored paths; refuses symlinks leading outside.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FlightdeckError } from '../errors';
import type { ManifestEntry } from '../model';
import type { LocalCodeTree } from '../provider';
import { compileIgnore, type IgnoreMatcher } from './ignore';

const ALWAYS_SKIPPED = new Set(['.git']);
const PARALLEL_HASHES = 8;

export async function scanCode(folder: string, ignore: readonly string[] = []): Promise<LocalCodeTree> {
  const root = await realpath(folder).catch(() => {
    throw new FlightdeckError('BAD_REQUEST', `Code folder ${folder} does not exist.`, { file: folder });
  });
  const files: { path: string; absolute: string }[] = [];
  await walk({ root, isIgnored: compileIgnore(ignore), files, visited: new Set([root]) }, root);
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < files.length; i += PARALLEL_HASHES) {
    entries.push(...(await Promise.all(files.slice(i, i + PARALLEL_HASHES).map((f) => describeFile(f.path, f.absolute)))));
  }
  return { root, entries: entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** sha256 of a file, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

interface Walk {
  root: string;
  isIgnored: IgnoreMatcher;
  files: { path: string; absolute: string }[];
  /** Real paths of folders already walked, so a symlink cycle ends. */
  visited: Set<string>;
}

async function walk(state: Walk, dir: string, prefix = ''): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (ALWAYS_SKIPPED.has(name)) continue;
    const path = prefix + name;
    const absolute = join(dir, name);
    const info = await stat(absolute).catch(() => undefined); // follows symlinks; undefined when broken
    if (state.isIgnored(path, info?.isDirectory() ?? false)) continue;
    const target = await resolveInside(state.root, absolute, path);
    if (info?.isDirectory()) {
      if (state.visited.has(target)) continue;
      state.visited.add(target);
      await walk(state, absolute, `${path}/`);
    } else if (info?.isFile()) {
      state.files.push({ path, absolute });
    }
  }
}

/** The real path of an entry; a symlink must stay inside the code folder. */
async function resolveInside(root: string, absolute: string, path: string): Promise<string> {
  if (!(await lstat(absolute)).isSymbolicLink()) return absolute;
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

async function describeFile(path: string, absolute: string): Promise<ManifestEntry> {
  const [info, sha256] = await Promise.all([stat(absolute), hashFile(absolute)]);
  return { path, sha256, size: info.size, mode: info.mode & 0o111 ? 0o755 : 0o644 };
}
