// Records the pids of function processes in the home folder, so a platform started after a crash
// (kill -9 leaves no chance to clean up) can kill the ones that are still around. A pid counts as
// ours only if its command line is still the one we started, so a recycled pid is left alone.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

interface PidRecord {
  pid: number;
  /** argv joined by NUL, as /proc/<pid>/cmdline shows it. */
  cmdline: string;
  /** Kill the whole process group (a custom command started detached). */
  group: boolean;
}

export class PidRegistry {
  private readonly file: string;
  private readonly records = new Map<number, PidRecord>();
  /** Writes run one after another, the first after the stale sweep. */
  private writes: Promise<void>;

  constructor(home: string) {
    this.file = join(home, 'runtime-pids.json');
    this.writes = this.killStale();
  }

  add(pid: number, argv: string[], group = false): void {
    this.records.set(pid, { pid, cmdline: argv.join('\0'), group });
    this.save();
  }

  remove(pid: number): void {
    if (this.records.delete(pid)) this.save();
  }

  /** Resolves once everything recorded so far is on disk. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private save(): void {
    const content = JSON.stringify([...this.records.values()]);
    this.writes = this.writes.then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, content, { mode: 0o600 });
      await rename(tmp, this.file);
    }).catch(() => undefined); // the record is a safety net; the IPC watchdog is the main defence
  }

  private async killStale(): Promise<void> {
    let stale: PidRecord[];
    try {
      stale = JSON.parse(await readFile(this.file, 'utf8')) as PidRecord[];
    } catch {
      return; // no file, or unreadable: nothing to clean
    }
    // A pid this run already forked is ours now, whatever the old file says.
    await Promise.all(stale.filter((r) => !this.records.has(r.pid)).map((r) => killIfStillOurs(r)));
  }
}

async function killIfStillOurs(record: PidRecord): Promise<void> {
  const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline?.replace(/\0$/, '') !== record.cmdline) return;
  try {
    process.kill(record.group ? -record.pid : record.pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}
