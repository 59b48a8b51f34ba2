// Shared by the rollout tests that run the real platform: a production environment with one
// function and two versions (deploys there move no traffic, so `live` stays on v1), real HTTP
// load through the gateway, and bounded polling.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionConfig, Rollout } from '../../src/model';
import { createEnv, deployDir } from '../helpers/deploy';
import { REPO_ROOT, type TestPlatform } from '../helpers/platform';
import { poll } from '../helpers/wait';
import { isActive } from '../../src/rollout/plan';

export const APP_DIR = join(REPO_ROOT, 'test', 'fixtures', 'rollout', 'app');
export const ENV = 'prod';
export const FN = 'app';
export const FN_PATH = `/v1/environments/${ENV}/functions/${FN}`;

export function appConfig(env: Record<string, string>, instances: Partial<FunctionConfig['instances']> = {}): FunctionConfig {
  return {
    runtime: 'nodejs',
    handler: 'index.handler',
    instances: { min: 1, max: 4, concurrency: 16, idleTimeoutMs: 60_000, ...instances },
    env,
    timeoutMs: 10_000,
  };
}

/** v1 healthy on `live`, v2 with `v2env` published beside it. */
export async function twoVersions(
  platform: TestPlatform,
  v2env: Record<string, string> = {},
  instances: Partial<FunctionConfig['instances']> = {},
): Promise<void> {
  await createEnv(platform, ENV, 'production');
  await deployDir(platform, ENV, FN, APP_DIR, appConfig({ RELEASE: '1' }, instances));
  const v2 = await deployDir(platform, ENV, FN, APP_DIR, appConfig({ RELEASE: '2', ...v2env }, instances));
  if (v2.version.id !== 2) throw new Error(`expected v2, got ${JSON.stringify(v2)}`);
}

export interface LoadResult {
  requests: number;
  /** Responses that were not 200, or requests that failed outright. */
  failures: string[];
  /** Count of responses per x-flightdeck-version. */
  byVersion: Record<string, number>;
}

export interface Load {
  stop(): Promise<LoadResult>;
  /** The result so far. */
  peek(): LoadResult;
}

/** `concurrency` loops sending requests to the function's URL until stopped, each pausing `pauseMs` after a response. */
export function startLoad(platform: TestPlatform, concurrency: number, path = `/fn/${ENV}/${FN}/`, pauseMs = 0): Load {
  const result: LoadResult = { requests: 0, failures: [], byVersion: {} };
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(platform.url + path);
        const body = await res.text();
        const version = res.headers.get('x-flightdeck-version') ?? 'none';
        result.requests += 1;
        result.byVersion[version] = (result.byVersion[version] ?? 0) + 1;
        if (res.status !== 200) result.failures.push(`${res.status} v${version}: ${body.slice(0, 120)}`);
        if (pauseMs > 0) await sleep(pauseMs);
      } catch (error) {
        result.failures.push(`request failed: ${(error as Error).message}`);
        await sleep(5);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
    peek: () => result,
  };
}

/** Polls until `check` returns a value (not undefined; a throw counts as not yet), or fails after `ms` saying what it waited for. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  return poll(what, check, { timeoutMs: ms, everyMs: 50, retryErrors: true });
}

export async function getRollout(platform: TestPlatform): Promise<Rollout> {
  const res = await platform.api('GET', `${FN_PATH}/rollout`);
  if (res.status !== 200) throw new Error(`GET rollout: ${res.status} ${res.text}`);
  return res.json as Rollout;
}

/** The rollout once it ended (succeeded, rolled back or aborted). */
export function rolloutEnded(platform: TestPlatform, ms?: number): Promise<Rollout> {
  return waitFor('the rollout to end', async () => {
    const r = await getRollout(platform);
    return isActive(r) ? undefined : r;
  }, ms);
}

export async function readyInstances(platform: TestPlatform): Promise<{ slot: number; versionId: number; pid?: number; restarts: number }[]> {
  const res = await platform.api('GET', `${FN_PATH}/instances`);
  return (res.json.instances as { slot: number; versionId: number; pid?: number; state: string; restarts: number }[]).filter((i) => i.state === 'ready');
}
