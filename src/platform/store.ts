// Crash-safe file writes: a reader (or a restart after kill -9) sees the old file or the new
// one, never a torn one. Temp file in the same file system, fsync, rename, fsync the folder so
// the rename itself is durable.
import { randomBytes } from 'node:crypto';
// fs.promises, not node:fs/promises: it loads on first use, and a CLI call that only reads
// the discovery file does not pay for it.
import { constants, promises as fs, readFile } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './privacy';

export function tempPath(tmpDir: string, label: string): string {
  return join(tmpDir, `${basename(label)}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  tmpDir: string,
  mode = PRIVATE_FILE_MODE,
): Promise<void> {
  const temp = tempPath(tmpDir, file);
  const handle = await fs.open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await moveIntoPlace(temp, file);
}

/** mkdir -p that also makes each new folder's entry in its parent durable. */
export async function makeDirDurable(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    await fsyncDir(parent);
    if (parent === dirname(first)) return;
  }
}

/** Renames a finished temp file or folder into place and makes the rename durable. */
export async function moveIntoPlace(temp: string, target: string): Promise<void> {
  await makeDirDurable(dirname(target));
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(dirname(target));
}

export async function writeJsonAtomic(file: string, value: unknown, tmpDir: string, mode?: number): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n', tmpDir, mode);
}

/** The parsed file, or undefined when it does not exist. */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await new Promise<string>((resolve, reject) => readFile(file, 'utf8', (error, data) => (error ? reject(error) : resolve(data))));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/** Runs tasks one after another, so no two read-modify-write cycles ever interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
