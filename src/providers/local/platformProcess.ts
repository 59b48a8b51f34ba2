// Finding the local platform, and starting it when none runs. The platform writes its discovery
// file ($FLIGHTDECK_HOME or ~/.flightdeck /platform.json: url, pid, token) once it listens; a file
// whose pid is gone or that does not answer GET /v1/health is stale and means no platform.

import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlightdeckError } from '../../errors';
import { discoveryIsLive, readDiscovery, type DiscoveryInfo } from '../../platform/discovery';
import { defaultHome, homeLayout } from '../../platform/paths';
import { folderLockHeld, processAlive } from '../../platform/lock';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../platform/privacy';

export interface EnsurePlatformOptions {
  /** State folder; default $FLIGHTDECK_HOME or ~/.flightdeck (of `env`). */
  home?: string;
  /** Absolute path of dist/platform.js. */
  platformScript: string;
  /** Runtime to start it with; default process.execPath (the editor passes ELECTRON_RUN_AS_NODE=1 in env). */
  execPath?: string;
  /** Environment of the platform process; default process.env. `FLIGHTDECK_PORT` picks its port. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for it to come up; default 15 s. */
  timeoutMs?: number;
}

export interface RunningPlatformInfo {
  url: string;
  pid: number;
  token: string;
  home: string;
  /** True when this call started it. */
  started: boolean;
}

export const PLATFORM_LOG_NAME = 'platform.log';

/** The live platform of a state folder, or undefined when none runs. */
export async function findPlatform(home: string): Promise<DiscoveryInfo | undefined> {
  const info = await readDiscovery(homeLayout(home).discovery);
  return info && (await discoveryIsLive(info)) ? info : undefined;
}

/** Reuses the running platform or starts one detached (it outlives the caller) and waits for it. */
export async function ensurePlatform(options: EnsurePlatformOptions): Promise<RunningPlatformInfo> {
  const env = options.env ?? process.env;
  const home = options.home ?? defaultHome(env);
  const running = await findPlatform(home);
  if (running) return runningInfo(running, home, false);
  const pid = await spawnPlatform(home, options.platformScript, options.execPath ?? process.execPath, env);
  const info = await waitForPlatform(home, pid, options.timeoutMs ?? 15_000);
  return runningInfo(info, home, info.pid === pid);
}

function runningInfo({ url, pid, token }: DiscoveryInfo, home: string, started: boolean): RunningPlatformInfo {
  return { url, pid, token, home, started };
}

/** Loads child_process only here: most CLI calls find a platform running and never start one. */
async function spawnPlatform(home: string, script: string, execPath: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { spawn } = await import('node:child_process');
  // Private from the start: the platform tightens an existing folder too, but only once it runs.
  mkdirSync(home, { recursive: true, mode: PRIVATE_DIR_MODE });
  const log = openSync(join(home, PLATFORM_LOG_NAME), 'a', PRIVATE_FILE_MODE);
  try {
    const port = env.FLIGHTDECK_PORT ? ['--port', env.FLIGHTDECK_PORT] : [];
    const child = spawn(execPath, [script, '--home', home, ...port], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...env, FLIGHTDECK_HOME: home },
      windowsHide: true,
    });
    child.unref();
    if (child.pid === undefined) throw new FlightdeckError('PLATFORM_UNREACHABLE', `Could not start ${execPath} ${script}.`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitForPlatform(home: string, pid: number, timeoutMs: number): Promise<DiscoveryInfo> {
  const deadline = Date.now() + timeoutMs;
  let starting = true;
  while (starting && Date.now() < deadline) {
    // Another client may have won a start race: any live platform of this home will do.
    const live = await findPlatform(home);
    if (live) return live;
    starting = await platformStarting(home, pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const why = starting ? `did not come up within ${timeoutMs / 1000} s` : 'exited';
  throw new FlightdeckError('PLATFORM_UNREACHABLE',
    `The Flightdeck platform (pid ${pid}, state ${home}) ${why}. Last lines of ${join(home, PLATFORM_LOG_NAME)}:\n${logTail(home)}`);
}

/**
 * True while our child runs, or while a live process holds platform.lock: our child exits when it
 * loses the lock to a concurrent starter, whose platform may be seconds from ready.
 */
async function platformStarting(home: string, pid: number): Promise<boolean> {
  return processAlive(pid) || folderLockHeld(homeLayout(home).lock);
}

function logTail(home: string, lines = 20): string {
  try {
    return readFileSync(join(home, PLATFORM_LOG_NAME), 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(empty)';
  } catch {
    return '(no log)';
  }
}
