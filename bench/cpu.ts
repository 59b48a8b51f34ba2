// CPU time a process (and optionally its children) has used, from /proc: lets the gateway and
// nginx be compared by CPU spent per request, which machine load does not skew the way req/s is.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc times are in 1/100 s. */
const TICKS_PER_SECOND = 100;

export function cpuAvailable(): boolean {
  return existsSync('/proc/self/stat');
}

/** User + system CPU milliseconds of `pid`, plus its direct children when `withChildren`. */
export function cpuMs(pid: number, withChildren = false): number {
  const own = ticksOf(pid);
  const children = withChildren ? childrenOf(pid).reduce((sum, child) => sum + ticksOf(child), 0) : 0;
  return ((own + children) * 1000) / TICKS_PER_SECOND;
}

function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU milliseconds `pid`'s threads have used, to the nanosecond (the scheduler's own sums, kept at
 * every switch), plus its direct children's when `withChildren`: fine enough for a run of 20 ms.
 */
export function threadCpuMs(pid: number, withChildren = false): number {
  const pids = withChildren ? [pid, ...childrenOf(pid)] : [pid];
  return pids.reduce((sum, one) => sum + schedulerNs(one), 0) / 1e6;
}

function schedulerNs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]), 0);
  } catch {
    return 0; // gone
  }
}
