// A flightdeck CLI process left running (a log follow): its output so far, its exit, and a stop
// that waits for it, so a test can act while it runs and see how it ends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIST } from './platform';

export class RunningCli {
  stdout = '';
  stderr = '';
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn(process.execPath, [join(DIST, 'cli.js'), ...args], options);
    this.child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  /** Its exit code, or 'still running' when it has not exited within `ms`. */
  exitWithin(ms: number): Promise<number | null | 'still running'> {
    return Promise.race([this.exited, sleep(ms, 'still running' as const)]);
  }

  /** Ctrl-C, as a person ends it, and waits for it to go. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    await this.exited;
  }
}
