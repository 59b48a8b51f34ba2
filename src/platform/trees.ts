// Code trees: a canonical manifest (sorted entries, fixed keys) stored by its own sha256, so two
// deploys of the same files share one tree hash, and each file's bytes sit once in the blob store
// (read-only, never handed to a function).
//
// Each version runs in its own working folder, `code/<environment>/<function>/<version>`, a copy
// of its tree (a reflink where the file system can): a function may write into its folder, and as
// root it ignores permission bits, so no environment or version shares a folder with another —
// the same code in dev-alice and production, or an older version brought back, starts from its
// pristine tree. To keep a redeploy off the O(files) copy, the store keeps a pristine spare copy of
// the tree each function materialised last in tmp, built in the background once a burst of starts
// has settled (a new environment of ten functions builds four spares, not ten, and not while its
// functions start); the next tree close to it takes the spare (a rename) and copies in only the
// files that differ. One spare per function:
// a newer one supersedes it, so two starts at once or a wholesale code change cannot leave a
// function holding several copies of its code (each as large as a 200 MB node_modules).
import { chmodSync, constants, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalManifest } from '../codeTree';
import { FlightdeckError } from '../errors';
import type { ManifestEntry, Version } from '../model';
import { BLOB_MODE, type BlobStore } from './blobs';
import { PRIVATE_DIR_MODE } from './privacy';
import { type DurableFiles, readJsonIfExists, renameCreatingFolder } from './store';
import { checkManifestList, checkManifestPath, checkSha256, checkTreeShape } from './validate';

/** Files copied at once when a deploy waits for them. */
const COPY_PARALLEL = 16;
/** Files copied at once for a spare nobody waits for yet: few, so the requests meanwhile find the thread pool free. */
const SPARE_COPY_PARALLEL = 2;
/** Spare copies kept at most, of as many functions (each as large as its tree on disk). */
const MAX_SPARES = 4;
/** Spares are built once no tree has been materialised for this long. */
const SPARE_SETTLE_MS = 50;
/**
 * A tree at most this large is copied synchronously: its few files take less time than libuv's
 * thread-pool round trips would cost (store.ts), and the event loop stalls for well under a
 * millisecond. Larger trees (a node_modules) copy through the pool, the loop serving meanwhile.
 */
const SYNC_COPY_MAX = { files: 16, bytes: 256 * 1024 };

/** A pristine copy of a tree in tmp, which no function runs from; `dir` is undefined when building it failed. */
interface Spare {
  /** The function (`<environment>/<function>`) whose start built it. */
  owner: string;
  entries: ManifestEntry[];
  dir: Promise<string | undefined>;
  /** Someone waits for it: copy at full width. */
  hurry(): void;
}

export interface CanonicalTree {
  hash: string;
  entries: ManifestEntry[];
  /** Blobs (sha256 → size) a stored base tree already proved present, so they need no new check. */
  knownBlobs?: ReadonlyMap<string, number>;
}

export function canonicalTree(entries: readonly ManifestEntry[]): CanonicalTree {
  return canonicalManifest(entries);
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
  /** Working folders being deleted by garbage collection; a start of that version waits, then copies afresh. */
  private readonly removing = new Map<string, Promise<void>>();
  /** Spare copies by tree hash, oldest first. */
  private readonly spares = new Map<string, Spare>();
  /** Spares to build once starts settle, by owner, oldest first. */
  private readonly wantedSpares = new Map<string, { hash: string; entries: ManifestEntry[] }>();
  private spareTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly root: string,
    private readonly codeRoot: string,
    private readonly files: DurableFiles,
    private readonly blobs: BlobStore,
  ) {}

  async get(hash: string): Promise<ManifestEntry[] | undefined> {
    return readJsonIfExists<ManifestEntry[]>(join(this.root, `${hash}.json`));
  }

  /** Resolves a deploy's code to a checked canonical tree (not yet stored). */
  async resolve(input: CodeInput): Promise<CanonicalTree> {
    if (input.files !== undefined) return checked(checkManifestList(input.files, 'files'));
    const { entries, baseEntries } = await this.applyDelta(input);
    // A tree is stored only once all its blobs are (and blobs are never deleted).
    return { ...checked(entries), knownBlobs: new Map(baseEntries.map((entry) => [entry.sha256, entry.size])) };
  }

  private async applyDelta(input: CodeInput): Promise<{ entries: ManifestEntry[]; baseEntries: ManifestEntry[] }> {
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
    return { entries: [...byPath.values()], baseEntries };
  }

  /** Blobs of the tree the store lacks, or whose stored size differs from the manifest's. */
  async missingBlobs(tree: CanonicalTree): Promise<string[]> {
    const unproven = tree.entries.filter((entry) => tree.knownBlobs?.get(entry.sha256) !== entry.size);
    const sizes = await Promise.all(unproven.map((entry) => this.blobs.size(entry.sha256)));
    const missing = new Set<string>();
    unproven.forEach((entry, i) => {
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
    if (existsSync(file)) return;
    await this.files.writeJsonAtomic(file, tree.entries);
  }

  /** The version's working folder, `code/<environment>/<function>/<id>`. */
  workDirPath(version: Pick<Version, 'environment' | 'function' | 'id'>): string {
    return join(this.codeRoot, version.environment, version.function, String(version.id));
  }

  /** The version's working folder holding its tree's files, built once (in a temp folder, then renamed) and reused. */
  workDir(version: Pick<Version, 'environment' | 'function' | 'id' | 'tree'>): Promise<string> {
    const target = this.workDirPath(version);
    const pending = this.materialising.get(target);
    if (pending) return pending;
    const removal = this.removing.get(target) ?? Promise.resolve();
    const owner = `${version.environment}/${version.function}`;
    const work = removal.then(() => this.materialise(version.tree, target, owner)).finally(() => this.materialising.delete(target));
    this.materialising.set(target, work);
    return work;
  }

  /**
   * Deletes a working folder (or anything else under code/) unless a folder in it is being built
   * right now or `stillDoomed` says no (asked in the same step as the rename, so nothing starts
   * in between): renamed out of the way first, so a kill -9 midway leaves no half-deleted folder.
   */
  async removeWorkDir(dir: string, stillDoomed: () => boolean): Promise<boolean> {
    const inside = (path: string) => path === dir || path.startsWith(`${dir}/`);
    if ([...this.materialising.keys()].some(inside) || this.removing.has(dir) || !stillDoomed()) return false;
    const removal = (async () => {
      const trash = this.files.tempPath('collected');
      try {
        await rename(dir, trash);
      } catch {
        return; // gone already
      }
      await rm(trash, { recursive: true, force: true });
    })().finally(() => this.removing.delete(dir));
    this.removing.set(dir, removal);
    await removal;
    return true;
  }

  private async materialise(hash: string, target: string, owner: string): Promise<string> {
    if (existsSync(target)) return target;
    const entries = await this.get(hash);
    if (!entries) throw new FlightdeckError('NOT_FOUND', `Code tree ${hash} is not in the platform's store.`);
    const temp = this.files.tempPath(`code-${hash}`);
    try {
      const spare = this.takeClosestSpare(entries);
      if (!(spare && (await this.reshape(spare, entries, temp)))) await this.copyTree(entries, temp);
      // No fsyncs: a working folder is derived from the blobs and the tree, and its copied files
      // are not flushed either, so syncing its folders would buy a crash nothing.
      await renameCreatingFolder(temp, target, async (folder) => mkdirSync(folder, { recursive: true, mode: PRIVATE_DIR_MODE }));
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      // Another process (or an earlier run) finished the same tree first: use it.
      if (existsSync(target)) return target;
      throw error;
    }
    this.wantSpare(hash, entries, owner);
    return target;
  }

  /** Asks for a spare of the tree `owner` just materialised, built when starts have settled. */
  private wantSpare(hash: string, entries: ManifestEntry[], owner: string): void {
    this.wantedSpares.delete(owner);
    this.wantedSpares.set(owner, { hash, entries });
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => this.buildWantedSpares(), SPARE_SETTLE_MS).unref();
  }

  private buildWantedSpares(): void {
    if (this.materialising.size > 0) {
      this.spareTimer = setTimeout(() => this.buildWantedSpares(), SPARE_SETTLE_MS).unref();
      return;
    }
    this.spareTimer = undefined;
    const wanted = [...this.wantedSpares].slice(-MAX_SPARES);
    this.wantedSpares.clear();
    for (const [owner, { hash, entries }] of wanted) this.buildSpare(hash, entries, owner);
  }

  /** Writes every file of the tree into `dir`, which must not exist yet. */
  private async copyTree(entries: readonly ManifestEntry[], dir: string): Promise<void> {
    if (entries.length <= SYNC_COPY_MAX.files && entries.reduce((sum, e) => sum + e.size, 0) <= SYNC_COPY_MAX.bytes) {
      for (const folder of foldersFor(dir, entries, [dir])) mkdirSync(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
      for (const entry of entries) {
        const dest = join(dir, entry.path);
        copyFileSync(this.blobs.path(entry.sha256), dest, constants.COPYFILE_FICLONE);
        const mode = privateMode(entry.mode);
        if (mode !== BLOB_MODE) chmodSync(dest, mode);
      }
      return;
    }
    await this.copyFiles(entries, dir, [dir]).widen(COPY_PARALLEL);
  }

  /** Creates `folders` and the files' folders; the queue then copies `entries` from the blob store into `dir`. */
  private copyFiles(entries: readonly ManifestEntry[], dir: string, folders: readonly string[]): WorkQueue<ManifestEntry> {
    const ready = (async () => {
      for (const folder of foldersFor(dir, entries, folders)) {
        await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
      }
    })();
    return new WorkQueue(entries, async (entry) => {
      const dest = join(dir, entry.path);
      // A reflink where the file system can, else a plain copy; either takes the blob's mode.
      await copyFile(this.blobs.path(entry.sha256), dest, constants.COPYFILE_FICLONE);
      const mode = privateMode(entry.mode);
      if (mode !== BLOB_MODE) await chmod(dest, mode);
    }, ready);
  }

  /**
   * Turns a spare copy into the tree `entries` at `temp`: moves it there, deletes what differs or
   * is gone, copies in what is new. False when the spare could not be built (the caller copies).
   */
  private async reshape(spare: Spare, entries: readonly ManifestEntry[], temp: string): Promise<boolean> {
    spare.hurry();
    const dir = await spare.dir;
    if (dir === undefined) return false;
    await rename(dir, temp);
    const had = new Map(spare.entries.map((entry) => [entry.path, entry]));
    const wanted = new Map(entries.map((entry) => [entry.path, entry]));
    const stale = spare.entries.filter((entry) => !sameEntry(entry, wanted.get(entry.path)));
    await new WorkQueue(stale, (entry) => rm(join(temp, entry.path), { force: true })).widen(COPY_PARALLEL);
    // Folders only the old tree had (a folder may also have become a file).
    const keptFolders = folderPaths(entries);
    for (const folder of folderPaths(spare.entries)) {
      if (!keptFolders.has(folder)) await rm(join(temp, folder), { recursive: true, force: true });
    }
    await this.copyFiles(entries.filter((entry) => !sameEntry(entry, had.get(entry.path))), temp, []).widen(COPY_PARALLEL);
    return true;
  }

  /** Takes (so no one else does) the spare that needs the fewest file changes to become `entries`, if any beats a full copy. */
  private takeClosestSpare(entries: readonly ManifestEntry[]): Spare | undefined {
    const wanted = new Map(entries.map((entry) => [entry.path, entry]));
    let best: { hash: string; changes: number } | undefined;
    for (const [hash, spare] of this.spares) {
      const kept = spare.entries.filter((entry) => sameEntry(entry, wanted.get(entry.path))).length;
      const changes = spare.entries.length - kept + entries.length - kept;
      if (changes < entries.length && (!best || changes < best.changes)) best = { hash, changes };
    }
    if (!best) return undefined;
    const spare = this.spares.get(best.hash)!;
    this.spares.delete(best.hash);
    return spare;
  }

  /**
   * Starts copying a spare of the tree in the background for `owner`, dropping the owner's older
   * spare and the oldest spare past MAX_SPARES.
   */
  private buildSpare(hash: string, entries: ManifestEntry[], owner: string): void {
    for (const [oldHash, old] of this.spares) if (old.owner === owner && oldHash !== hash) this.dropSpare(oldHash);
    if (this.spares.has(hash)) return;
    const dir = this.files.tempPath(`spare-${hash}`);
    const copying = this.copyFiles(entries, dir, [dir]);
    const built = copying.widen(SPARE_COPY_PARALLEL).then(
      () => dir,
      // Only speed is lost: the next tree is copied in full. tmp is emptied on the next start anyway.
      () => rm(dir, { recursive: true, force: true }).then(() => undefined, () => undefined),
    );
    // A failure also rejects `built`'s wait, which handles it.
    const hurry = () => void copying.widen(COPY_PARALLEL).catch(() => undefined);
    this.spares.set(hash, { owner, entries, dir: built, hurry });
    for (const oldHash of this.spares.keys()) {
      if (this.spares.size <= MAX_SPARES) break;
      this.dropSpare(oldHash);
    }
  }

  /** Forgets the spare and deletes its folder once it is built. */
  private dropSpare(hash: string): void {
    const spare = this.spares.get(hash);
    this.spares.delete(hash);
    void spare?.dir.then((dir) => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true }))).catch(() => undefined);
  }
}

/** `folders` and the folders under `dir` that the files of `entries` go in. */
function foldersFor(dir: string, entries: readonly ManifestEntry[], folders: readonly string[]): Set<string> {
  return new Set([...folders, ...entries.map((entry) => dirname(join(dir, entry.path)))]);
}

/** A file's mode in a working folder: the manifest's owner bits only (the state folder is private). */
function privateMode(mode: number): number {
  return mode & 0o700;
}

function sameEntry(a: ManifestEntry, b: ManifestEntry | undefined): boolean {
  return b !== undefined && a.sha256 === b.sha256 && a.mode === b.mode;
}

/** Every folder (relative path) that holds a file of the tree, at any depth. */
function folderPaths(entries: readonly ManifestEntry[]): Set<string> {
  const folders = new Set<string>();
  for (const entry of entries) {
    for (let folder = dirname(entry.path); folder !== '.' && !folders.has(folder); folder = dirname(folder)) folders.add(folder);
  }
  return folders;
}

function checked(entries: ManifestEntry[]): CanonicalTree {
  checkTreeShape(entries);
  return canonicalTree(entries);
}

/** Runs `task` over `items` with a number of workers that can grow while it runs; stops at the first failure. */
class WorkQueue<T> {
  private next = 0;
  private failed = false;
  private readonly workers: Promise<void>[] = [];

  constructor(
    private readonly items: readonly T[],
    private readonly task: (item: T) => Promise<unknown>,
    /** Settles before any task runs; its failure fails the queue. */
    private readonly ready: Promise<void> = Promise.resolve(),
  ) {}

  /**
   * Adds workers up to `width`; settles once every worker has stopped (so nothing still writes
   * afterwards): resolves when all items are done, rejects with the first failure.
   */
  async widen(width: number): Promise<void> {
    while (this.workers.length < Math.min(width, this.items.length)) this.workers.push(this.work());
    for (let seen = -1; seen < this.workers.length; ) {
      seen = this.workers.length;
      const failure = (await Promise.allSettled([this.ready, ...this.workers])).find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
    }
  }

  private async work(): Promise<void> {
    await this.ready;
    while (!this.failed && this.next < this.items.length) {
      try {
        await this.task(this.items[this.next++]);
      } catch (error) {
        this.failed = true;
        throw error;
      }
    }
  }
}
