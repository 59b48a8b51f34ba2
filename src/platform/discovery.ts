// platform.json: how clients find the running platform (URL, pid, token). Mode 0600, because the
// token is the key to the control API.
import { rm } from 'node:fs/promises';
import { processAlive } from './lock';
import { readJsonIfExists, writeJsonAtomic } from './store';

export interface DiscoveryInfo {
  url: string;
  pid: number;
  token: string;
  started: string;
}

export async function readDiscovery(file: string): Promise<DiscoveryInfo | undefined> {
  try {
    return await readJsonIfExists<DiscoveryInfo>(file);
  } catch {
    return undefined; // unreadable means nobody can use it: the same as absent
  }
}

export async function writeDiscovery(file: string, info: DiscoveryInfo, tmpDir: string): Promise<void> {
  await writeJsonAtomic(file, info, tmpDir, 0o600);
}

/** Removes the file only while it still names this process, never a successor's. */
export async function removeDiscovery(file: string, pid: number): Promise<void> {
  const current = await readDiscovery(file);
  if (current?.pid === pid) await rm(file, { force: true });
}

/** True when the file names a live process that answers the health check on its URL. */
export async function discoveryIsLive(info: DiscoveryInfo, timeoutMs = 1500): Promise<boolean> {
  if (!Number.isInteger(info.pid) || !processAlive(info.pid) || typeof info.url !== 'string') return false;
  try {
    const res = await fetch(new URL('/v1/health', info.url), {
      headers: { authorization: `Bearer ${info.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
