// What a deploy records from git, read through the `git` CLI: the branch (for the personal
// environment's name), the commit, and who is deploying. Problems are FlightdeckError GIT with
// what to do about them.

import { execFile, spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { FlightdeckError, isFlightdeckError } from '../errors';

/** The `field` of the GIT error runGit throws outside any repository. */
const NOT_A_REPOSITORY = 'repository';

export interface GitInfo {
  branch: string;
  /** Absent in a repository with no commits yet. */
  commit?: string;
  userName?: string;
  userEmail?: string;
}

/** What HEAD is: the branch (absent when detached) and the commit (absent before the first one). */
export interface GitHead {
  branch?: string;
  commit?: string;
}

/**
 * HEAD of the repository holding `cwd`, from one git process: every process start costs the CLI a
 * fork of itself, on every deploy.
 */
export async function readGitHead(cwd: string): Promise<GitHead> {
  const result = await runGit(cwd, ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD']);
  if (result.code === 0) {
    const [commit, ref] = result.stdout.split('\n');
    return { commit, branch: ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined };
  }
  // No commit yet: HEAD still names the branch the first commit will make.
  const unborn = await runGit(cwd, ['symbolic-ref', '--short', '-q', 'HEAD']);
  return { branch: unborn.code === 0 && unborn.stdout ? unborn.stdout : undefined };
}

/** Whether `error` is runGit's: the folder is in no git repository. */
export function isNotARepository(error: unknown): boolean {
  return isFlightdeckError(error, 'GIT') && error.details?.field === NOT_A_REPOSITORY;
}

/** Branch, commit and identity of the repository holding `cwd`; GIT when HEAD is detached. */
export async function readGitInfo(cwd: string): Promise<GitInfo> {
  const [head, identity] = await Promise.all([readGitHead(cwd), readGitIdentity(cwd)]).catch((error: unknown) => {
    // A deploy has a way around git: say so.
    if (isNotARepository(error)) {
      throw new FlightdeckError('GIT', `${cwd} is not in a git repository: run git init (and commit), or pass an environment name to deploy to.`);
    }
    throw error;
  });
  if (head.branch === undefined) {
    throw new FlightdeckError('GIT',
      `HEAD is detached in ${cwd}: check out a branch (git switch <branch>) to deploy to its personal environment, or pass an environment name.`);
  }
  return { branch: head.branch, commit: head.commit, ...identity };
}

/** user.name and user.email as git resolves them for `cwd`, from one git process. */
export async function readGitIdentity(cwd: string): Promise<Pick<GitInfo, 'userName' | 'userEmail'>> {
  const listed = await gitOptional(cwd, ['config', '--get-regexp', '^user\\.(name|email)$']);
  // Every scope's value is listed, global first: the last one is the one git uses.
  const setting = (key: string) => listed?.split('\n').filter((line) => line.startsWith(`${key} `)).pop()?.slice(key.length + 1).trim() || undefined;
  return { userName: setting('user.name'), userEmail: setting('user.email') };
}

/**
 * Who deploys, as the short name for `{user}` in environment names: the local part of the git
 * email, else the git user name, else the OS account.
 */
export function deployingUser(info: Pick<GitInfo, 'userName' | 'userEmail'>): string {
  return info.userEmail?.split('@')[0] || info.userName || userInfo().username;
}

/** Owner recorded on a personal environment: the git email, else the name, else the OS account. */
export function deployingOwner(info: Pick<GitInfo, 'userName' | 'userEmail'>): string {
  return info.userEmail || info.userName || userInfo().username;
}

async function gitOptional(cwd: string, args: string[]): Promise<string | undefined> {
  const result = await runGit(cwd, args);
  return result.code === 0 && result.stdout ? result.stdout : undefined;
}

export interface GitResult {
  code: number;
  /** Trimmed. */
  stdout: string;
  stderr: string;
}

/** Runs git; a missing git or a folder outside any repository throw GIT, other failures return their code. */
export function runGit(cwd: string, args: string[], timeoutMs = 10_000): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', args, { cwd, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const code = exitCodeOf(error);
      if (error?.code === 'ENOENT') {
        reject(new FlightdeckError('GIT', 'git is not installed or not on PATH: install git, or pass an environment name to deploy without it.'));
      } else if (/not a git repository/i.test(stderr)) {
        reject(new FlightdeckError('GIT', `${cwd} is not in a git repository: run git init (and commit) there.`, { field: NOT_A_REPOSITORY }));
      } else {
        resolvePromise({ code, stdout: stdout.trim(), stderr });
      }
    });
  });
}

/**
 * `git <from> | git <to>`, the first process's output streamed into the second's input (a whole
 * branch's diff never sits in memory here). The result is the second's; the first failing is GIT.
 */
export async function pipeGit(cwd: string, from: string[], to: string[], timeoutMs = 30_000): Promise<GitResult> {
  const options = { cwd, timeout: timeoutMs, windowsHide: true };
  const producer = spawn('git', from, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let producerError = '';
  producer.stderr.on('data', (chunk: Buffer) => (producerError += chunk.toString()));
  // 'exit', not 'close': a producer whose reader stopped early may exit with output still
  // buffered, its stdout never ending; nothing then keeps the process alive, and it would exit
  // with this promise pending.
  const produced = new Promise<number>((resolve) => {
    producer.on('error', () => resolve(-1));
    producer.on('exit', (code) => resolve(code ?? -1));
  });
  const consumed = new Promise<GitResult>((resolve) => {
    const consumer = execFile('git', to, options, (error, stdout, stderr) => {
      resolve({ code: exitCodeOf(error), stdout: stdout.trim(), stderr });
    });
    // A consumer that stops early says so in its own result; the rest of the output is dropped.
    consumer.stdin?.on('error', () => producer.stdout.resume());
    if (consumer.stdin) producer.stdout.pipe(consumer.stdin);
  });
  const [code, result] = await Promise.all([produced, consumed]);
  if (code !== 0) throw new FlightdeckError('GIT', `git ${from.join(' ')} failed: ${producerError.trim() || `exit ${code}`}`);
  return result;
}

/** execFile's error as an exit code: 0 without one, -1 when git did not run or was killed. */
function exitCodeOf(error: { code?: unknown } | null): number {
  return error ? (typeof error.code === 'number' ? error.code : -1) : 0;
}
