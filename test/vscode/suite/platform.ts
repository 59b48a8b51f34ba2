// Helpers that look at the platform the way a client does: real HTTP requests to a function's URL,
// steady traffic for a rollout's gates, a rollout followed to its end, a process's children.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as vscode from 'vscode';
import type { Rollout } from '../../../src/model';
import type { Provider } from '../../../src/provider';
import { isActive } from '../../../src/rollout/plan';
import { waitFor } from './workbench';

export interface Served {
  status: number;
  /** The x-flightdeck-version header: which version answered. */
  version: string | null;
  body: string;
}

export async function get(url: string): Promise<Served> {
  const res = await fetch(url);
  return { status: res.status, version: res.headers.get('x-flightdeck-version'), body: await res.text() };
}

/**
 * Runs `body` under steady traffic to `url` (`clients` sequential loops), so a rollout's gates have
 * requests to judge; returns every request that failed meanwhile (5xx or no answer).
 */
export async function underTraffic(url: string, body: () => Promise<void>, clients = 3): Promise<Served[]> {
  const failures: Served[] = [];
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const served = await get(url);
        if (served.status >= 500) failures.push({ ...served, body: served.body.slice(0, 200) });
      } catch (error) {
        failures.push({ status: 0, version: null, body: (error as Error).message });
      }
      await sleep(10);
    }
  };
  const loops = Promise.all(Array.from({ length: clients }, client));
  try {
    await body();
  } finally {
    running = false;
    await loops;
  }
  return failures;
}

/** Starts a canary rollout of `version` through the command's argument form. */
export async function startCanaryRollout(environment: string, fn: string, version: number, steps: number[], intervalMs: number): Promise<Rollout> {
  return vscode.commands.executeCommand<Rollout>('flightdeck.startRollout', { environment, function: fn, version, strategy: 'canary', steps, intervalMs });
}

/** The rollout of `toVersion` once it has ended (succeeded, rolled back or aborted). */
export async function waitForRolloutEnd(provider: Provider, environment: string, fn: string, toVersion: number, timeoutMs = 60_000): Promise<Rollout> {
  return waitFor(
    `the rollout of v${toVersion} in ${environment}/${fn} to end`,
    async () => {
      const rollout = await provider.getRollout(environment, fn);
      return rollout && rollout.spec.toVersion === toVersion && !isActive(rollout) && rollout;
    },
    timeoutMs,
  );
}

/** A process's state letter and parent from /proc/<pid>/stat (Linux); undefined once it is gone. */
function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Pids of the processes whose parent is `pid`. */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => processStat(child)?.ppid === pid);
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by whoever adopted it) does not. */
export function isRunning(pid: number): boolean {
  const state = processStat(pid)?.state;
  return state !== undefined && state !== 'Z';
}
