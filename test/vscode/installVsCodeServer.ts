// Installs the VS Code server (from the `code-server` npm package) into a per-user cache outside the
// project's dependencies, because @vscode/test-electron cannot download VS Code on offline
// machines. Install scripts are skipped (they download ripgrep and build native modules): Debian's
// ripgrep stands in for @vscode/ripgrep. The cache survives fresh clones; a marker file written
// last says an install finished, and installs land in a temp folder renamed into place, so a
// crashed or concurrent install never leaves a half-made cache behind.
//
// Run directly (`node out/test/vscode/installVsCodeServer.js`) to prefill the cache.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const MARKER = '.flightdeck-installed';
/** What the marker records; a change to the install steps bumps the suffix so caches redo them. */
const INSTALL_ID = `${CODE_SERVER_VERSION}+2`;
const RIPGREP = '/usr/bin/rg';

export interface VsCodeServer {
  /** The VS Code folder holding out/server-main.js. */
  vscodeDir: string;
  /** True when this call installed it (false: served from the cache). */
  installed: boolean;
  elapsedMs: number;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'flightdeck', `code-server-${CODE_SERVER_VERSION}`);
}

function vscodeDirIn(root: string): string {
  return join(root, 'node_modules', 'code-server', 'lib', 'vscode');
}

function isInstalled(root: string): boolean {
  const marker = join(root, MARKER);
  return (
    existsSync(marker) &&
    readFileSync(marker, 'utf8').trim() === INSTALL_ID &&
    existsSync(join(vscodeDirIn(root), 'out', 'server-main.js'))
  );
}

/** The cached VS Code folder, or undefined while the cache lacks a finished install (installs nothing). */
export function cachedVsCodeServer(): string | undefined {
  const root = cacheDir();
  return isInstalled(root) ? vscodeDirIn(root) : undefined;
}

/** Returns the cached VS Code server, installing it first when the cache lacks it. */
export async function ensureVsCodeServer(log: (line: string) => void = () => {}): Promise<VsCodeServer> {
  const started = Date.now();
  const root = cacheDir();
  if (isInstalled(root)) return { vscodeDir: vscodeDirIn(root), installed: false, elapsedMs: Date.now() - started };
  if (!existsSync(RIPGREP)) {
    throw new Error(`${RIPGREP} is missing: the VS Code server needs ripgrep. Install it: apt-get install -y ripgrep`);
  }
  log(`Installing code-server ${CODE_SERVER_VERSION} (VS Code server) into ${root} …`);
  const staging = `${root}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await installInto(staging, log);
    publish(staging, root);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { vscodeDir: vscodeDirIn(root), installed: true, elapsedMs: Date.now() - started };
}

async function installInto(staging: string, log: (line: string) => void): Promise<void> {
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'flightdeck-vscode-server', private: true }));
  await npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], staging);
  const vscode = vscodeDirIn(staging);
  log('Installing the VS Code server’s and its built-in extensions’ production dependencies …');
  await npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscode);
  // The built-in extensions share one dependency, TypeScript (the JS/TS language features' tsserver).
  await npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], join(vscode, 'extensions'));
  const rgBin = join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgBin, { recursive: true });
  rmSync(join(rgBin, 'rg'), { force: true });
  symlinkSync(RIPGREP, join(rgBin, 'rg'));
  // The server loads some modules from `node_modules.asar` (its packaged layout); point it home.
  rmSync(join(vscode, 'node_modules.asar'), { force: true });
  symlinkSync('node_modules', join(vscode, 'node_modules.asar'));
  writeFileSync(join(staging, MARKER), INSTALL_ID + '\n');
}

/**
 * Moves a finished install into place. An outdated cache is renamed aside first (never deleted in
 * place, which races with another process publishing); if another process won, keeps theirs.
 */
function publish(staging: string, root: string): void {
  if (isInstalled(root)) return;
  mkdirSync(dirname(root), { recursive: true });
  if (existsSync(root)) {
    const outdated = `${root}.outdated-${process.pid}`;
    try {
      renameSync(root, outdated);
    } catch {
      // another process moved it first
    }
    rmSync(outdated, { recursive: true, force: true });
  }
  try {
    renameSync(staging, root);
  } catch (error) {
    if (!isInstalled(root)) throw error;
  }
}

function npm(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', (e) => reject(new Error(`could not run npm (is it on PATH?): ${e.message}`)));
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(' ')} failed in ${cwd} (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

if (require.main === module) {
  ensureVsCodeServer((line) => console.log(line)).then(
    (server) =>
      console.log(
        `VS Code server ${server.installed ? 'installed' : 'already cached'} in ${(server.elapsedMs / 1000).toFixed(1)} s: ${server.vscodeDir}`,
      ),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
