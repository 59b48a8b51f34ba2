// platform.json: how clients find the running platform (URL, pid, token). Mode 0600, because the
// token is the key to the control API.
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
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
  // node:http, not fetch: fetch loads Node's bundled undici, which costs a CLI call more than the check.
  return new Promise((resolve) => {
    const req = get(new URL('/v1/health', info.url), { headers: { authorization: `Bearer ${info.token}` }, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
