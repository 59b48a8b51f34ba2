// platform.json: how clients find the running platform (URL, pid, token, instance). Mode 0600,
// because the token is the key to the control API.
// fs.promises (loaded on first use) rather than node:fs/promises: see store.ts.
import { promises as fs } from 'node:fs';
import { get } from 'node:http';
import { type DurableFiles, readJsonIfExists } from './store';

export interface DiscoveryInfo {
  url: string;
  pid: number;
  token: string;
  started: string;
  /** The platform's run (random); its health answer carries the same, so a reused pid or port is not mistaken for it. */
  instance?: string;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readDiscovery(file: string): Promise<DiscoveryInfo | undefined> {
  try {
    return await readJsonIfExists<DiscoveryInfo>(file);
  } catch {
    return undefined; // unreadable means nobody can use it: the same as absent
  }
}

export async function writeDiscovery(file: string, info: DiscoveryInfo, files: DurableFiles): Promise<void> {
  await files.writeJsonAtomic(file, info, 0o600);
}

/** Removes the file only while it still names this process, never a successor's. */
export async function removeDiscovery(file: string, pid: number): Promise<void> {
  const current = await readDiscovery(file);
  if (current?.pid === pid) await fs.rm(file, { force: true });
}

/** True when the file names a live process that answers the health check on its URL, as the instance the file names. */
export async function discoveryIsLive(info: DiscoveryInfo, timeoutMs = 1500): Promise<boolean> {
  if (!Number.isInteger(info.pid) || !processAlive(info.pid) || typeof info.url !== 'string') return false;
  // node:http, not fetch: fetch loads Node's bundled undici, which costs a CLI call more than the check.
  return new Promise((resolve) => {
    const req = get(new URL('/v1/health', info.url), { headers: { authorization: `Bearer ${info.token}` }, timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(false);
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', () => resolve(false));
      res.on('end', () => {
        try {
          const health = JSON.parse(body) as { instance?: string };
          resolve(info.instance === undefined || health.instance === info.instance);
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
