// Remembers the sha256 of each file of a code folder by (size, mtime, ctime, inode), so a redeploy
// hashes only files that changed. One JSON file per code folder, replaced atomically; a missing,
// unreadable or malformed cache is simply an empty one, and a failed write only costs speed.
//
// A file's identity must be unchanged for a hash to be reused: ctime catches edits whose mtime
// was restored (touch -r, cp -p), the inode catches a file replaced by a rename. A file modified
// within RACY_MS of the scan is not remembered, because a later edit in the same timestamp tick
// (coarse file system clocks) would keep all four values.

import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../platform/privacy';

const FORMAT = 1;
/** Files younger than this at scan time are hashed again next time. */
const RACY_MS = 2_000;

/** [size, mtimeMs, ctimeMs, ino, sha256] */
type CachedFile = [number, number, number, number, string];

interface CacheFile {
  format: number;
  root: string;
  files: Record<string, CachedFile>;
}

export class ScanCache {
  private readonly fresh = new Map<string, CachedFile>();

  private constructor(
    private readonly file: string,
    private readonly root: string,
    private readonly known: Record<string, CachedFile>,
    private readonly scanStartedMs: number,
  ) {}

  /** The cache of the code folder `root` (a real path), kept in `dir`. */
  static open(dir: string, root: string): ScanCache {
    const file = join(dir, `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
    return new ScanCache(file, root, readCache(file, root), Date.now());
  }

  /** The remembered sha256 of `path` when the file is byte-for-byte the one hashed then. */
  lookup(path: string, info: Stats): string | undefined {
    const cached = Object.hasOwn(this.known, path) ? this.known[path] : undefined;
    if (!cached || !sameFile(cached, info)) return undefined;
    this.fresh.set(path, cached);
    return cached[4];
  }

  /** Records a hash just computed from the bytes of a file whose stat (before reading) was `info`. */
  remember(path: string, info: Stats, sha256: string, bytesHashed: number): void {
    const settled = Math.max(info.mtimeMs, info.ctimeMs) < this.scanStartedMs - RACY_MS;
    if (settled && bytesHashed === info.size) this.fresh.set(path, [info.size, info.mtimeMs, info.ctimeMs, info.ino, sha256]);
  }

  /** Writes what this scan saw (files gone since are dropped); a failure leaves the old cache in place. */
  async save(): Promise<void> {
    if (!this.changed()) return;
    const content: CacheFile = { format: FORMAT, root: this.root, files: Object.fromEntries(this.fresh) };
    const temp = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dirname(this.file), { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFile(temp, JSON.stringify(content), { mode: PRIVATE_FILE_MODE });
      await rename(temp, this.file);
    } catch {
      // The cache only saves time: a read-only or full disk must not fail the deploy.
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** True unless every remembered file was found unchanged and nothing new was remembered. */
  private changed(): boolean {
    const known = Object.keys(this.known);
    return known.length !== this.fresh.size || known.some((path) => this.fresh.get(path) !== this.known[path]);
  }
}

function sameFile(cached: CachedFile, info: Stats): boolean {
  const [size, mtimeMs, ctimeMs, ino] = cached;
  return size === info.size && mtimeMs === info.mtimeMs && ctimeMs === info.ctimeMs && ino === info.ino;
}

/** Read in place: one small file, read once a scan. */
function readCache(file: string, root: string): Record<string, CachedFile> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>;
    const usable = parsed.format === FORMAT && parsed.root === root && typeof parsed.files === 'object' && parsed.files !== null;
    return usable ? Object.fromEntries(Object.entries(parsed.files!).filter(([, v]) => isCachedFile(v))) : {};
  } catch {
    return {}; // absent or unreadable: hash everything, and the next save replaces it
  }
}

function isCachedFile(value: unknown): value is CachedFile {
  return Array.isArray(value) && value.length === 5 && value.slice(0, 4).every((n) => typeof n === 'number') &&
    typeof value[4] === 'string' && /^[0-9a-f]{64}$/.test(value[4]);
}
