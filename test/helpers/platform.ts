// Starts the real, bundled platform (dist/platform.js) as its own process on a free loopback
// port with a fresh state folder, and talks to it over real HTTP. Build first: `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const DIST = join(REPO_ROOT, 'dist');

export interface Discovery {
  url: string;
  pid: number;
  token: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface TestPlatform {
  home: string;
  url: string;
  token: string;
  child: ChildProcess;
  /** Output of the platform process so far (for failure messages). */
  output(): string;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Graceful stop (SIGTERM) and wait for exit. */
  stop(): Promise<void>;
  /** kill -9, and wait for exit. */
  kill9(): Promise<void>;
}

export interface StartOptions {
  home?: string;
  args?: string[];
  env?: Record<string, string>;
}

export function tempHome(prefix = 'flightdeck-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startPlatform(options: StartOptions = {}): Promise<TestPlatform> {
  const home = options.home ?? tempHome();
  const child = spawn(process.execPath, [join(DIST, 'platform.js'), '--port', '0', ...(options.args ?? [])], {
    env: { ...process.env, FLIGHTDECK_HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const discovery = await waitForDiscovery(home, child, () => out);
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isRaw = body instanceof Uint8Array || typeof body === 'string';
    const res = await fetch(discovery.url + path, {
      method,
      headers: {
        authorization: `Bearer ${discovery.token}`,
        ...(body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : isRaw ? (body as string | Uint8Array) : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    home,
    url: discovery.url,
    token: discovery.token,
    child,
    output: () => out,
    api,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitForDiscovery(home: string, child: ChildProcess, output: () => string): Promise<Discovery> {
  const file = join(home, 'platform.json');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`platform exited with ${child.exitCode}:\n${output()}`);
    if (existsSync(file)) {
      try {
        const d = JSON.parse(readFileSync(file, 'utf8')) as Discovery;
        if (d.pid === child.pid) return d;
      } catch {
        // written atomically, but tolerate a read racing the very first write
      }
    }
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`platform did not write ${file} within 15 s:\n${output()}`);
}
