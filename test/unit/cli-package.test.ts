// The CLI as a user installs it: `npm pack` of the built package, the tarball copied away from the
// repository and installed with `npm install -g --offline` into a temp prefix (so nothing may come
// from the registry or this checkout), then the installed `flightdeck` bin deploys a fresh git
// repository, prints its URL and sets a canary weight; real HTTP checks each.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/platform';
import { stopPlatform } from '../vscode/fixture';

const ENV = 'jane-feature-login';
const SHIPPED = ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'media', 'package.json'];

describe('flightdeck CLI installed from the npm tarball', () => {
  let root: string;
  let bin: string;
  let repo: string;
  let home: string;
  let installed: string;

  const flightdeck = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await promisify(execFile)(bin, args, {
        cwd: repo,
        // The bin's own shebang finds node on PATH, as in a user's shell; the repository is nowhere on it.
        env: { PATH: `${join(root, 'prefix', 'bin')}:${process.env.PATH}`, HOME: join(root, 'user'), FLIGHTDECK_HOME: home, FLIGHTDECK_PORT: '0' },
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      const failed = error as { stderr?: string; message: string };
      throw new Error(`flightdeck ${args.join(' ')} failed: ${failed.stderr || failed.message}`);
    }
  };
  const handler = (body: string) => `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'flightdeck-cli-pkg-'));
    const packed = join(root, 'packed');
    mkdirSync(packed);
    const npm = (args: string[], cwd: string) => promisify(execFile)('npm', args, { cwd, timeout: 120_000, env: { ...process.env, npm_config_cache: join(root, 'npm-cache') } });
    const { stdout } = await npm(['pack', '--json', '--pack-destination', packed], REPO_ROOT);
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    // A machine that never saw the repository: the tarball alone, in a folder of its own.
    const elsewhere = join(root, 'download');
    mkdirSync(elsewhere);
    copyFileSync(join(packed, filename), join(elsewhere, filename));
    await npm(['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', join(root, 'prefix'), `./${filename}`], elsewhere);
    bin = join(root, 'prefix', 'bin', 'flightdeck');
    installed = join(root, 'prefix', 'lib', 'node_modules', 'flightdeck');

    repo = join(root, 'shop');
    home = join(root, 'flightdeck-home');
    mkdirSync(join(repo, 'api'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
    git('init', '-q', '-b', 'feature/login');
    git('config', 'user.email', 'jane@example.com');
    git('config', 'user.name', 'Jane Doe');
    writeFileSync(join(repo, 'api', 'index.js'), handler('one'));
    writeFileSync(join(repo, 'flightdeck.yaml'), 'project: shop\nfunctions:\n  api:\n    runtime: nodejs\n    code: ./api\n    handler: index.handler\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
  });

  after(async () => {
    if (home) await stopPlatform(home);
    rmSync(root, { recursive: true, force: true });
  });

  it('installs only the bundles, media, manifest and docs: no dependencies to fetch', () => {
    assert.ok(existsSync(bin), `no bin at ${bin}`);
    assert.deepEqual(readdirSync(installed).sort(), SHIPPED);
    // The CLI's entry bundles and exactly the files they load lazily (its chunks, the cloud
    // providers' bundles), followed through every import: none missing, nothing else (not the
    // extension, which is the VSIX's), no maps.
    const dist = join(installed, 'dist');
    assert.deepEqual(readdirSync(dist).sort(), lazilyLoaded(dist, ['cli.js', 'platform.js', 'runtime-node.js']));
    assert.ok(readdirSync(dist).includes('provider-fc3.js') && readdirSync(dist).includes('provider-knative.js'), 'the cloud providers ship as their own bundles');
  });

  it('deploy, url and canary from the installed bin serve real traffic', async () => {
    assert.match(await flightdeck('deploy'), new RegExp(`Environment ${ENV} \\(created\\)`));
    writeFileSync(join(repo, 'api', 'index.js'), handler('two'));
    assert.match(await flightdeck('deploy', '--message', 'second'), /api\s+v2\s/);
    const url = (await flightdeck('url', '--env', ENV, '--function', 'api')).trim();
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/fn/${ENV}/api/$`));
    assert.equal(await (await fetch(url)).text(), 'two');

    await flightdeck('canary', '--env', ENV, '--function', 'api', '--version', '1', '--weight', '25');
    const bodies = [];
    for (let i = 0; i < 8; i++) bodies.push(await (await fetch(url)).text());
    // Weighted round robin: exactly 2 of 8 to the 25% canary.
    assert.deepEqual([bodies.filter((b) => b === 'two').length, bodies.filter((b) => b === 'one').length], [6, 2], bodies.join(' '));
    const { environments } = JSON.parse(await flightdeck('envs', '--json')) as { environments: { name: string }[] };
    assert.deepEqual(environments.map((e) => e.name), [ENV]);
  });
});

/** `entries` and every file next to them that they (and those in turn) load with import("./…"). */
function lazilyLoaded(dir: string, entries: string[]): string[] {
  const found = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (found.has(file)) continue;
    found.add(file);
    assert.ok(existsSync(join(dir, file)), `${file} is loaded but not shipped`);
    for (const [, next] of readFileSync(join(dir, file), 'utf8').matchAll(/(?:import|require)\("\.\/([\w-]+\.js)"\)/g)) pending.push(next);
  }
  return [...found].sort();
}
