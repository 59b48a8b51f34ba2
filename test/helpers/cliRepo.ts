// A temporary git repository for running the bundled CLI (node dist/cli.js) in, as a user runs it,
// with its own FLIGHTDECK_HOME; the platform the CLI starts there is stopped again by dispose().
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../src/platform/lock';
import { DIST } from './platform';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRepo {
  repo: string;
  home: string;
  run(args: string[], cwd?: string): Promise<CliRun>;
  git(...args: string[]): Buffer;
  /** Stops the platform the CLI started (if any) and removes the repository. */
  dispose(): Promise<void>;
}

/**
 * A repository on `branch` with `files` (path → text) committed by Jane Doe; `.home/` is the state
 * folder; `env` adds to the CLI's environment.
 */
export function cliRepo(prefix: string, branch: string, files: Record<string, string> = {}, env: Record<string, string> = {}): CliRepo {
  const repo = mkdtempSync(join(tmpdir(), prefix));
  const home = join(repo, '.home');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', branch);
  git('config', 'user.email', 'jane@example.com');
  git('config', 'user.name', 'Jane Doe');
  for (const [path, text] of Object.entries({ '.gitignore': '.home/\n', ...files })) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  return {
    repo,
    home,
    git,
    run: (args, cwd = repo) =>
      new Promise((resolve) => {
        execFile(process.execPath, [join(DIST, 'cli.js'), ...args], {
          cwd,
          env: { ...process.env, FLIGHTDECK_HOME: home, FLIGHTDECK_PORT: '0', ...env },
          timeout: 60_000,
        }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      }),
    async dispose() {
      try {
        const { pid } = JSON.parse(readFileSync(join(home, 'platform.json'), 'utf8')) as { pid: number };
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(50);
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // no platform was started, or it is already gone
      }
      rmSync(repo, { recursive: true, force: true });
    },
  };
}
