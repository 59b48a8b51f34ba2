// nginx as the reference reverse proxy: run in the foreground (no daemon) with a temp prefix and a
// config proxying one loopback port to one upstream with keep-alive connections, like the gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../src/platform/runtime/processes';

export const NGINX = '/usr/sbin/nginx';

export interface Nginx {
  origin: string;
  /** The master process; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

export function nginxInstalled(): boolean {
  return existsSync(NGINX);
}

/** Starts nginx with `workers` worker processes proxying to `upstreamPort`; waits until it answers. */
export async function startNginx(upstreamPort: number, workers: number): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'flightdeck-bench-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), nginxConfig(prefix, port, upstreamPort, workers));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d) => (errors += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(origin, child, () => errors);
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, pid: child.pid as number, stop };
}

function nginxConfig(prefix: string, port: number, upstreamPort: number, workers: number): string {
  return `
user root;
worker_processes ${workers};
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'client_body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  upstream instance {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://instance;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
}

async function waitUntilAnswering(origin: string, child: ChildProcess, errors: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${errors().trim()}`);
    try {
      const res = await request(origin + '/');
      await res.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nginx did not answer on ${origin} within 5 s: ${errors().trim()}`);
}
