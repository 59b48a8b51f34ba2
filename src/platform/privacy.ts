// The state folder is private to its user: function records hold each function's `env` (where
// people keep secrets), the discovery file holds the control token, blobs hold the code. Every
// folder the platform makes is 0700 and every file 0600, whoever created the state folder first
// (the CLI and the extension create it before the platform starts), and a folder found with wider
// modes is tightened at start.
// fs.promises (loaded on first use) rather than node:fs/promises: see store.ts.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Takes group and other permissions off `root` and everything under it; returns how many entries
 * changed. Folders named in `shallow` are tightened themselves but not walked: their own mode
 * already keeps everyone else out of what they hold (materialised code, which may be large).
 */
export async function tightenTree(root: string, shallow: ReadonlySet<string> = new Set()): Promise<number> {
  let changed = 0;
  const visit = async (path: string): Promise<void> => {
    let stat;
    try {
      stat = await fs.lstat(path);
    } catch {
      return; // gone meanwhile
    }
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) {
      await fs.chmod(path, stat.mode & 0o700);
      changed++;
    }
    if (!stat.isDirectory() || shallow.has(path)) return;
    for (const name of await fs.readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return changed;
}
