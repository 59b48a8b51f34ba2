// Small helpers for runtime tests that go through the real platform's gateway: fixture paths,
// function configs, one request with the headers the gateway adds, and bounded polling.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionConfig } from '../../src/model';
import { REPO_ROOT, type TestPlatform } from './platform';
import { poll } from './wait';

export const FUNCTION_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'functions');

export function fixture(name: string): string {
  return join(FUNCTION_FIXTURES, name);
}

/** A nodejs config with small, test-friendly limits; `overrides.instances` merges. */
export function nodeConfig(overrides: Partial<Omit<FunctionConfig, 'instances'>> & { instances?: Partial<FunctionConfig['instances']> } = {}): FunctionConfig {
  return {
    runtime: 'nodejs',
    handler: 'index.handler',
    env: {},
    timeoutMs: 10_000,
    ...overrides,
    instances: { min: 0, max: 4, concurrency: 8, idleTimeoutMs: 60_000, ...overrides.instances },
  };
}

export interface GatewayAnswer {
  status: number;
  version: string | null;
  instance: string | null;
  text: string;
}

export async function call(platform: TestPlatform, path: string, init: RequestInit = {}): Promise<GatewayAnswer> {
  const res = await fetch(platform.url + path, init);
  return {
    status: res.status,
    version: res.headers.get('x-flightdeck-version'),
    instance: res.headers.get('x-flightdeck-instance'),
    text: await res.text(),
  };
}

/** Polls `check` every 50 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  return poll(what, check, { timeoutMs, everyMs: 50 });
}

/** Stops the platform (kill -9 when `hard`) and removes its state folder. */
export async function discard(platform: TestPlatform | undefined, hard = false): Promise<void> {
  if (!platform) return;
  await (hard ? platform.kill9() : platform.stop());
  rmSync(platform.home, { recursive: true, force: true });
}

/** `/v1/environments/:env/functions/:fn` + suffix. */
export function fnPath(env: string, fn: string, suffix = ''): string {
  return `/v1/environments/${encodeURIComponent(env)}/functions/${encodeURIComponent(fn)}${suffix}`;
}
