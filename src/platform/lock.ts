// One platform per state folder: an exclusive lock file held for the platform's life. Two
// platforms on one folder would each trust their in-memory state and overwrite the other's
// writes. A lock left by a killed platform is stale and is taken over. A pid alone does not say
// who holds it (a crashed platform's pid may be reused by any process), so the lock also names
// the platform's run — a random instance id — and its start time: on Linux the holder's command
// line in /proc must still match; anywhere (macOS and Windows have no /proc) a holder counts as
// alive only while the platform answering on the folder's discovery URL reports that instance id,
// or while it may still be starting.
// fs.promises (loaded on first use) rather than node:fs/promises: see store.ts.
import { promises as fs, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { discoveryIsLive, processAlive, readDiscovery } from './discovery';
import { homeLayout } from './paths';

export { processAlive } from './discovery';

interface LockHolder {
  pid: number;
  /** The holder's run of the platform (random); its discovery file and health answer carry the same. */
  instance?: string;
  /** When the lock was taken (ms since the epoch). */
  since?: number;
  /** /proc/<pid>/cmdline when the lock was taken, where there is a /proc. */
  cmdline?: string;
}

export interface FolderLock {
  release(): Promise<void>;
}

/** A platform takes this long at most from taking the lock to answering on its socket. */
const STARTING_MS = 60_000;

function cmdlineOf(pid: number | 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // no /proc (macOS, Windows) or no such process
  }
}

async function holderAlive(file: string, holder: LockHolder): Promise<boolean> {
  if (!processAlive(holder.pid)) return false;
  const now = holder.cmdline === undefined ? undefined : cmdlineOf(holder.pid);
  if (now !== undefined) return now === holder.cmdline;
  // No command line to compare: the platform itself must vouch for its instance over its socket.
  if (holder.instance !== undefined) {
    const discovery = await readDiscovery(homeLayout(dirname(file)).discovery);
    if (discovery?.instance === holder.instance && discovery.pid === holder.pid && (await discoveryIsLive(discovery))) return true;
  }
  const since = holder.since ?? (await fs.stat(file).then((s) => s.mtimeMs, () => 0));
  return Date.now() - since < STARTING_MS;
}

/** A lock this young with no readable holder is still being written by its creator. */
const BEING_WRITTEN_MS = 5000;

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

async function isHeld(file: string, holder: LockHolder | undefined): Promise<boolean> {
  if (holder) return holderAlive(file, holder);
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs < BEING_WRITTEN_MS;
  } catch {
    return false; // gone meanwhile
  }
}

/** True while a live platform holds the lock (or its creator is still writing it). */
export async function folderLockHeld(file: string): Promise<boolean> {
  return isHeld(file, await readHolder(file));
}

async function tryCreate(file: string, instance: string): Promise<boolean> {
  try {
    const handle = await fs.open(file, 'wx', 0o600);
    try {
      const holder: LockHolder = { pid: process.pid, instance, since: Date.now(), cmdline: cmdlineOf('self') };
      await handle.writeFile(JSON.stringify(holder));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Takes the lock for the platform run `instance`, or returns the live holder's pid. A stale lock
 * is removed and the take retried once; losing that race to another starter means the other one
 * holds it.
 */
export async function acquireFolderLock(file: string, instance: string): Promise<FolderLock | { heldBy: number }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(file, instance)) {
      return { release: () => releaseIfOurs(file, instance) };
    }
    const holder = await readHolder(file);
    if (await isHeld(file, holder)) return { heldBy: holder?.pid ?? -1 };
    await fs.rm(file, { force: true });
  }
  const holder = await readHolder(file);
  return { heldBy: holder?.pid ?? -1 };
}

async function releaseIfOurs(file: string, instance: string): Promise<void> {
  if ((await readHolder(file))?.instance === instance) await fs.rm(file, { force: true });
}
