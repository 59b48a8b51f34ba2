// Function processes lead their own process groups, so whatever a function starts is stopped with it.

/** Sends `signal` to the process group led by `pid`; false when there is none (gone, or no groups: Windows). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
