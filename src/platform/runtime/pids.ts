// Records the pids of function processes in the home folder, so a platform started after a crash
// (kill -9 leaves no chance to clean up) can kill the ones that are still around, with their
// process groups. A pid counts as ours only if the process still started when ours did (its start
// time, from /proc or `ps`), so a recycled pid is left alone on Linux, macOS and the BSDs alike;
// where neither is available nothing is killed (function hosts also exit when the platform's IPC
// channel closes).
import { execFile } from 'node:child_process';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { signalGroup } from './groups';

interface PidRecord {
  pid: number;
  /** argv joined by NUL, as /proc/<pid>/cmdline shows it (records of older runs have only this). */
  cmdline: string;
  /** Kill the whole process group (function hosts, supervisors and custom commands lead their own). */
  group: boolean;
  /** The process's start time as the OS reports it, once known. */
  started?: string;
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
    const record: PidRecord = { pid, cmdline: argv.join('\0'), group };
    this.records.set(pid, record);
    this.save();
    void startTimeOf(pid).then((started) => {
      if (started === undefined || this.records.get(pid) !== record) return;
      record.started = started;
      this.save();
    });
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
  if (record.started !== undefined) {
    if ((await startTimeOf(record.pid)) !== record.started) return;
  } else {
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8').catch(() => undefined);
    if (cmdline?.replace(/\0$/, '') !== record.cmdline) return;
  }
  if (record.group && signalGroup(record.pid, 'SIGKILL')) return;
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

/** When the process started, as /proc (field 22 of stat, clock ticks since boot) or `ps -o lstart=` says; undefined when unknown. */
export async function startTimeOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat !== undefined) return `proc:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  if (process.platform === 'win32') return undefined;
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 5000 }, (error, stdout) => {
      const started = stdout?.trim();
      resolve(error || !started ? undefined : `ps:${started}`);
    });
  });
}
