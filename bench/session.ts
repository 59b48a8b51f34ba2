// A benchmark's platform: the real bundled platform process on a free loopback port with its own
// state folder, the real LocalProvider client over it, and a keep-alive pool to its gateway.
// close() stops the process and removes the folder, whatever happened.
import { rmSync } from 'node:fs';
import { Pool } from 'undici';
import type { FunctionConfig } from '../src/model';
import { LocalProvider } from '../src/providers/local/localProvider';
import { scanCode } from '../src/deploy/scan';
import { startPlatform, type TestPlatform } from '../test/helpers/platform';
import { REPO_ROOT } from '../test/helpers/platform';
import { join } from 'node:path';
import { poll } from '../test/helpers/wait';

export const APP_DIR = join(REPO_ROOT, 'test', 'fixtures', 'bench', 'app');

export interface BenchPlatform {
  platform: TestPlatform;
  provider: LocalProvider;
  /** Keep-alive connections to the platform's port, for gateway requests. */
  gateway: Pool;
}

/** Runs `body` against a fresh platform started with `args` (and `env` added to its environment), and always cleans up. */
export async function withPlatform<T>(args: string[], body: (bench: BenchPlatform) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const platform = await startPlatform({ args, env });
  const provider = new LocalProvider({ home: platform.home, connection: { url: platform.url, token: platform.token } });
  const gateway = new Pool(platform.url, { connections: 16, keepAliveTimeout: 30_000 });
  try {
    return await body({ platform, provider, gateway });
  } finally {
    await gateway.close();
    provider.dispose();
    await platform.stop();
    rmSync(platform.home, { recursive: true, force: true });
  }
}

export function appConfig(env: Record<string, string>, instances: Partial<FunctionConfig['instances']> = {}): FunctionConfig {
  return {
    runtime: 'nodejs',
    handler: 'index.handler',
    instances: { min: 0, max: 4, concurrency: 64, idleTimeoutMs: 60_000, ...instances },
    env,
    timeoutMs: 10_000,
  };
}

/** Deploys the bench app through the real client; returns the version id. */
export async function deployApp(bench: BenchPlatform, environment: string, fn: string, config: FunctionConfig): Promise<number> {
  const result = await bench.provider.deploy(environment, fn, { config, code: await scanCode(APP_DIR) });
  return result.version.id;
}

/** Polls `check` every `everyMs` until it returns a value; fails after `timeoutMs` saying what it waited for. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  return poll(what, check, { timeoutMs, everyMs });
}
