// One platform per state folder: an exclusive lock file held for the platform's life. Two
// platforms on one folder would each trust their in-memory state and overwrite the other's
// writes. A lock left by a killed platform is stale (its pid is gone, or now runs another
// command line) and is taken over.
import { readFileSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';

interface LockHolder {
  pid: number;
  /** /proc/<pid>/cmdline when the lock was taken, so a recycled pid is not mistaken for the holder. */
  cmdline?: string;
}

export interface FolderLock {
  release(): Promise<void>;
}

function cmdlineOf(pid: number | 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // no /proc (macOS) or no such process
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderAlive(holder: LockHolder): boolean {
  if (!processAlive(holder.pid)) return false;
  const now = cmdlineOf(holder.pid);
  return holder.cmdline === undefined || now === undefined || now === holder.cmdline;
}

/** A lock this young with no readable holder is still being written by its creator. */
const BEING_WRITTEN_MS = 5000;

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

async function isHeld(file: string, holder: LockHolder | undefined): Promise<boolean> {
  if (holder) return holderAlive(holder);
  try {
    return Date.now() - (await stat(file)).mtimeMs < BEING_WRITTEN_MS;
  } catch {
    return false; // gone meanwhile
  }
}

/** True while a live process holds the lock (or its creator is still writing it). */
export async function folderLockHeld(file: string): Promise<boolean> {
  return isHeld(file, await readHolder(file));
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ pid: process.pid, cmdline: cmdlineOf('self') }));
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
 * Takes the lock, or returns the live holder's pid. A stale lock is removed and the take retried
 * once; losing that race to another starter means the other one holds it.
 */
export async function acquireFolderLock(file: string): Promise<FolderLock | { heldBy: number }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(file)) {
      return { release: () => releaseIfOurs(file) };
    }
    const holder = await readHolder(file);
    if (await isHeld(file, holder)) return { heldBy: holder?.pid ?? -1 };
    await rm(file, { force: true });
  }
  const holder = await readHolder(file);
  return { heldBy: holder?.pid ?? -1 };
}

async function releaseIfOurs(file: string): Promise<void> {
  if ((await readHolder(file))?.pid === process.pid) await rm(file, { force: true });
}
