// The bundled CLI (node dist/cli.js) run as a user runs it, in a temporary git repository with
// its own FLIGHTDECK_HOME; the platform it starts in the background is stopped by `dispose`.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../src/platform/lock';
import { DIST } from './platform';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRepo {
  dir: string;
  home: string;
  run(...args: string[]): Promise<CliRun>;
  git(...args: string[]): Buffer;
  /** Stops the platform the CLI started (if any) and removes the repository. */
  dispose(): Promise<void>;
}

/** A fresh repository on `branch` committed by Jane Doe; `env` adds to the CLI's environment. */
export function cliRepo(prefix: string, branch: string, env: Record<string, string> = {}): CliRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const home = join(dir, '.home');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', branch);
  git('config', 'user.email', 'jane@example.com');
  git('config', 'user.name', 'Jane Doe');
  const run = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      execFile(process.execPath, [join(DIST, 'cli.js'), ...args], {
        cwd: dir,
        env: { ...process.env, FLIGHTDECK_HOME: home, FLIGHTDECK_PORT: '0', ...env },
        timeout: 60_000,
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const dispose = async (): Promise<void> => {
    try {
      const { pid } = JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(50);
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // no platform was started, or it is already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, home, run, git, dispose };
}
