// Code trees: a canonical manifest (sorted entries, fixed keys) stored by its own sha256, so two
// deploys of the same files share one tree hash and one materialised folder.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FlightdeckError } from '../errors';
import type { ManifestEntry } from '../model';
import type { BlobStore } from './blobs';
import { moveIntoPlace, readJsonIfExists, tempPath, writeJsonAtomic } from './store';
import { checkManifestList, checkManifestPath, checkSha256, checkTreeShape } from './validate';

/** Files copied at once when a tree is materialised. */
const COPY_BATCH = 32;

export interface CanonicalTree {
  hash: string;
  entries: ManifestEntry[];
}

export function canonicalTree(entries: readonly ManifestEntry[]): CanonicalTree {
  const sorted = [...entries]
    .map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { hash: createHash('sha256').update(JSON.stringify(sorted)).digest('hex'), entries: sorted };
}

/** The code part of a deploy body: the whole manifest, or a delta against a stored tree. */
export interface CodeInput {
  files?: unknown;
  base?: unknown;
  changed?: unknown;
  removed?: unknown;
}

export class TreeStore {
  /** Materialisations under way, so concurrent callers share one copy. */
  private readonly materialising = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly codeRoot: string,
    private readonly tmpDir: string,
    private readonly blobs: BlobStore,
  ) {}

  async get(hash: string): Promise<ManifestEntry[] | undefined> {
    return readJsonIfExists<ManifestEntry[]>(join(this.root, `${hash}.json`));
  }

  /** Resolves a deploy's code to a checked canonical tree (not yet stored). */
  async resolve(input: CodeInput): Promise<CanonicalTree> {
    const entries = input.files !== undefined ? checkManifestList(input.files, 'files') : await this.applyDelta(input);
    checkTreeShape(entries);
    return canonicalTree(entries);
  }

  private async applyDelta(input: CodeInput): Promise<ManifestEntry[]> {
    if (input.base === undefined) {
      throw new FlightdeckError('BAD_REQUEST', 'Send the code as `files` (the whole manifest) or as `base` + `changed` + `removed`.', {
        field: 'files',
      });
    }
    const base = checkSha256(input.base, 'base');
    const baseEntries = await this.get(base);
    if (!baseEntries) {
      throw new FlightdeckError('CONFLICT', `The platform does not hold base tree ${base}; send the whole manifest as \`files\` instead.`, {
        field: 'base',
      });
    }
    const byPath = new Map(baseEntries.map((e) => [e.path, e]));
    const removed = input.removed === undefined ? [] : input.removed;
    if (!Array.isArray(removed)) throw new FlightdeckError('BAD_REQUEST', 'removed must be an array of paths.', { field: 'removed' });
    removed.forEach((raw, i) => {
      const path = checkManifestPath(raw, `removed[${i}]`);
      if (!byPath.delete(path)) {
        throw new FlightdeckError('BAD_REQUEST', `removed[${i}]: ${JSON.stringify(path)} is not in base tree ${base}.`, { field: `removed[${i}]` });
      }
    });
    for (const entry of checkManifestList(input.changed ?? [], 'changed')) byPath.set(entry.path, entry);
    return [...byPath.values()];
  }

  /** Blobs of the tree the store lacks, or whose stored size differs from the manifest's. */
  async missingBlobs(tree: CanonicalTree): Promise<string[]> {
    const sizes = await Promise.all(tree.entries.map((entry) => this.blobs.size(entry.sha256)));
    const missing = new Set<string>();
    tree.entries.forEach((entry, i) => {
      if (sizes[i] === undefined) missing.add(entry.sha256);
      else if (sizes[i] !== entry.size) {
        throw new FlightdeckError('BAD_REQUEST', `${entry.path}: the manifest says ${entry.size} bytes but blob ${entry.sha256} has ${sizes[i]}.`, {
          field: 'files',
        });
      }
    });
    return [...missing];
  }

  async put(tree: CanonicalTree): Promise<void> {
    const file = join(this.root, `${tree.hash}.json`);
    if (await exists(file)) return;
    await writeJsonAtomic(file, tree.entries, this.tmpDir);
  }

  /** The folder holding the tree's files, built once (in a temp folder, then renamed) and reused. */
  codeDir(hash: string): Promise<string> {
    const pending = this.materialising.get(hash);
    if (pending) return pending;
    const work = this.materialise(hash).finally(() => this.materialising.delete(hash));
    this.materialising.set(hash, work);
    return work;
  }

  private async materialise(hash: string): Promise<string> {
    const target = join(this.codeRoot, hash);
    if (await exists(target)) return target;
    const entries = await this.get(hash);
    if (!entries) throw new FlightdeckError('NOT_FOUND', `Code tree ${hash} is not in the platform's store.`);
    const temp = tempPath(this.tmpDir, `code-${hash}`);
    try {
      const folders = new Set([temp, ...entries.map((entry) => dirname(join(temp, entry.path)))]);
      for (const folder of folders) await mkdir(folder, { recursive: true });
      await inBatches(entries, COPY_BATCH, async (entry) => {
        const dest = join(temp, entry.path);
        // A reflink where the file system can, else a plain copy: functions must not share inodes with the store.
        await copyFile(this.blobs.path(entry.sha256), dest, constants.COPYFILE_FICLONE);
        await chmod(dest, entry.mode);
      });
      await moveIntoPlace(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      // Another process (or an earlier run) finished the same tree first: use it.
      if (await exists(target)) return target;
      throw error;
    }
    return target;
  }
}

/** Runs `task` over `items`, at most `size` at a time. */
async function inBatches<T>(items: readonly T[], size: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
