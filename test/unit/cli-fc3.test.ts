// The bundled CLI (dist/cli.js, loading dist/provider-fc3.js) on Function Compute 3.0 through
// its stand-in (a test double, test/fc3/fcStandIn.ts): the provider block of flightdeck.yaml
// chooses fc3, credentials come from the environment, and HOME is empty so no real credentials
// file is read.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FcApiStandIn } from '../fc3/fcStandIn';
import { DIST } from '../helpers/platform';

const KEY = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-cli', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'cli-secret' };
const ENV = 'jane-feature-login';

describe('flightdeck CLI on FC 3.0 (stand-in)', () => {
  let repo: string;
  let standIn: FcApiStandIn;
  const run = (env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALIBABA_CLOUD_')));
      execFile(process.execPath, [join(DIST, 'cli.js'), ...args], { cwd: repo, env: { ...clean, HOME: join(repo, '.home'), ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const ok = async (...args: string[]) => {
    const result = await run(KEY, ...args);
    assert.equal(result.code, 0, `flightdeck ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    standIn = await FcApiStandIn.start({ accessKeyId: KEY.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: KEY.ALIBABA_CLOUD_ACCESS_KEY_SECRET, accountId: '1234567890', region: 'cn-hangzhou' });
    repo = mkdtempSync(join(tmpdir(), 'flightdeck-cli-fc3-'));
    mkdirSync(join(repo, '.home'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
    git('init', '-q', '-b', 'feature/login');
    git('config', 'user.email', 'jane@example.com');
    git('config', 'user.name', 'Jane Doe');
    mkdirSync(join(repo, 'api'));
    writeFileSync(join(repo, 'api', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "one" });\n');
    writeFileSync(join(repo, '.gitignore'), '.home/\n');
    writeFileSync(join(repo, 'flightdeck.yaml'), [
      'project: shop',
      'functions:',
      '  api: { runtime: nodejs, code: ./api, handler: index.handler }',
      'provider:',
      '  kind: fc3',
      '  region: cn-hangzhou',
      '  accountId: "1234567890"',
      `  endpoint: ${standIn.endpoint}`,
      '',
    ].join('\n'));
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
  });

  after(async () => {
    await standIn.stop();
    rmSync(repo, { recursive: true, force: true });
  });

  it('without credentials, says once where it looked', async () => {
    const result = await run({}, 'envs');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No Alibaba Cloud credentials found\. Looked in: ALIBABA_CLOUD_ACCESS_KEY_ID\/_SECRET in the environment; .*\.alibabacloud\/credentials \(profile default\); .*\.aliyun\/config\.json .*; .*\.s\/access\.yaml .*; a key entered in the editor/);
  });

  it('a refused key is one message naming where the key came from', async () => {
    const result = await run({ ...KEY, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' }, 'envs');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /FC refused the credentials from environment variables on ListFunctions: SignatureNotMatch/);
  });

  it('deploys the branch to its personal environment on FC, lists it under an FC header, and rolls v2 out client-side', async () => {
    const first = await ok('deploy');
    assert.match(first, new RegExp(`Environment ${ENV} \\(created\\)`));
    assert.match(first, /api\s+v1\s.*https:\/\/\S+\.cn-hangzhou\.fcapp\.run/);
    const envs = await ok('envs');
    assert.match(envs, /^On Function Compute 3\.0 \(cn-hangzhou\) · account 1234567890\n/);
    assert.match(envs, new RegExp(`${ENV}\\s+personal\\s+jane@example\\.com\\s+feature/login`));
    writeFileSync(join(repo, 'api', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "two" });\n');
    assert.match(await ok('deploy', '--env', ENV), /api\s+v2\s/);
    // Deploying moved live to v2: put it back to roll v2 out.
    await ok('canary', '--env', ENV, '--function', 'api', '--version', '1', '--weight', '100');
    // FC's gates read no metrics in this build: the rollout reaches 100% ungated, which is
    // completed-unverified (exit 3), never a pass a CI gate could take for a tested release.
    const rollout = await run(KEY, 'rollout', 'start', '--env', ENV, '--function', 'api', '--version', '2', '--steps', '50,100', '--interval', '200ms');
    assert.equal(rollout.code, 3, rollout.stderr);
    assert.match(rollout.stderr, /v2 reached 100% of live unverified/);
    assert.match(await ok('rollout', 'status', '--env', ENV, '--function', 'api'), /completed-unverified · ungated: CloudMonitor metrics are not read/);
    const batch = await run(KEY, 'rollout', 'start', '--env', ENV, '--function', 'api', '--version', '1', '--strategy', 'batch', '--batches', '2');
    assert.equal(batch.code, 1);
    assert.match(batch.stderr, /FC has no batch release: .*provisioned instances scale per alias instead/);
  });
});
