// A sandbox for driving the bundled CLI like a person or a CI job does: a temporary git
// repository with a bare `origin`, its own FLIGHTDECK_HOME (the CLI starts its platform there),
// and a bin folder with a `flightdeck` command on PATH.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export class CliSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'flightdeck-sandbox-'));
  readonly repo = join(this.root, 'repo');
  readonly origin = join(this.root, 'origin.git');
  readonly home = join(this.root, 'home');
  readonly bin = join(this.root, 'bin');
  readonly env: NodeJS.ProcessEnv;

  constructor(files: Record<string, string>) {
    mkdirSync(this.bin);
    writeFileSync(join(this.bin, 'flightdeck'), `#!/bin/sh\nexec "${process.execPath}" "${join(DIST, 'cli.js')}" "$@"\n`);
    chmodSync(join(this.bin, 'flightdeck'), 0o755);
    this.env = {
      ...process.env,
      FLIGHTDECK_HOME: this.home,
      FLIGHTDECK_PORT: '0',
      PATH: `${this.bin}:${process.env.PATH}`,
      GIT_AUTHOR_NAME: 'Jane Doe', GIT_AUTHOR_EMAIL: 'jane@example.com',
      GIT_COMMITTER_NAME: 'Jane Doe', GIT_COMMITTER_EMAIL: 'jane@example.com',
    };
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.origin]);
    mkdirSync(this.repo);
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'jane@example.com');
    this.git('config', 'user.name', 'Jane Doe');
    this.git('remote', 'add', 'origin', this.origin);
    this.write(files);
    this.commit('first');
    this.git('push', '-q', '-u', 'origin', 'main');
    this.git('remote', 'set-head', 'origin', 'main');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.repo, env: this.env, stdio: 'pipe' }).toString().trim();
  }

  write(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.repo, path)), { recursive: true });
      writeFileSync(join(this.repo, path), text);
    }
  }

  commit(message: string): void {
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return this.exec(process.execPath, [join(DIST, 'cli.js'), ...args], env);
  }

  /** A shell script as a CI runner runs a step: bash -e, with pipefail unless told otherwise (GitHub's default shell has none), in the repository (or `cwd`). */
  shell(script: string, env: NodeJS.ProcessEnv = {}, cwd = this.repo, pipefail = true): Promise<CliRun> {
    return this.exec('bash', ['--noprofile', '--norc', '-e', ...(pipefail ? ['-o', 'pipefail'] : []), '-c', script], env, cwd);
  }

  async ok(...args: string[]): Promise<string> {
    const result = await this.run(args);
    assert.equal(result.code, 0, `flightdeck ${args.join(' ')} failed (${result.code}):\n${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  async json<T>(...args: string[]): Promise<T> {
    return JSON.parse(await this.ok(...args, '--json')) as T;
  }

  async stop(): Promise<void> {
    try {
      const { pid } = JSON.parse(readFileSync(join(this.home, 'platform.json'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(50);
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // no platform was started, or it is already gone
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private exec(file: string, args: string[], env: NodeJS.ProcessEnv, cwd = this.repo): Promise<CliRun> {
    return new Promise((resolve) => {
      execFile(file, args, { cwd, env: { ...this.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  }
}

export const handler = (body: string, status = 200): string =>
  `exports.handler = async () => { console.log('served ${body}'); return { statusCode: ${status}, body: ${JSON.stringify(body)} }; };\n`;
