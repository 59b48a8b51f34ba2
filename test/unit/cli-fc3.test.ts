// The bundled CLI (dist/cli.js, loading dist/provider-fc3.js) on Function Compute 3.0 through
// its stand-ins (test doubles): FC (test/fc3/fcStandIn.ts, whose trigger URLs run the handlers),
// CloudMonitor (cmsStandIn.ts) and SLS (slsStandIn.ts), both fed by the requests those URLs
// served. The provider block of flightdeck.yaml chooses fc3 and names the stand-ins' endpoints,
// credentials come from the environment, and HOME is empty so no real credentials file is read.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CmsStandIn } from '../fc3/cmsStandIn';
import { FcApiStandIn } from '../fc3/fcStandIn';
import { SlsStandIn } from '../fc3/slsStandIn';
import { LOCALHOST_DNS_NODE_OPTIONS } from '../helpers/localhostDns';
import { DIST } from '../helpers/platform';
import { RunningCli } from '../helpers/runningCli';
import { poll } from '../helpers/wait';

const KEY = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-cli', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'cli-secret' };
const ENV = 'jane-feature-login';

describe('flightdeck CLI on FC 3.0 (stand-in)', () => {
  let repo: string;
  let standIn: FcApiStandIn;
  let cms: CmsStandIn;
  let sls: SlsStandIn;
  const childEnv = (env: Record<string, string>) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALIBABA_CLOUD_')));
    return { ...clean, HOME: join(repo, '.home'), NODE_OPTIONS: LOCALHOST_DNS_NODE_OPTIONS, ...env };
  };
  const run = (env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [join(DIST, 'cli.js'), ...args], { cwd: repo, env: childEnv(env), timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const ok = async (...args: string[]) => {
    const result = await run(KEY, ...args);
    assert.equal(result.code, 0, `flightdeck ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    const key = { accessKeyId: KEY.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: KEY.ALIBABA_CLOUD_ACCESS_KEY_SECRET };
    standIn = await FcApiStandIn.start({ ...key, accountId: '1234567890', region: 'cn-hangzhou' });
    cms = await CmsStandIn.start(standIn, { ...key, accountId: '1234567890', region: 'cn-hangzhou' });
    sls = await SlsStandIn.start(standIn, key);
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
      `  cloudMonitorEndpoint: ${cms.endpoint}`,
      `  slsEndpoint: ${sls.endpoint}`,
      '  logProject: shop-logs',
      '  logstore: functions',
      '',
    ].join('\n'));
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
  });

  after(async () => {
    await Promise.all([standIn.stop(), cms.stop(), sls.stop()]);
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
    assert.match(first, /api\s+v1\s.*http:\/\/\S+\.cn-hangzhou\.fcapp\.run\.localhost:\d+/);
    const envs = await ok('envs');
    assert.match(envs, /^On Function Compute 3\.0 \(cn-hangzhou\) · account 1234567890\n/);
    assert.match(envs, new RegExp(`${ENV}\\s+personal\\s+jane@example\\.com\\s+feature/login\\s+shop\\n`));
    writeFileSync(join(repo, 'api', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "two" });\n');
    assert.match(await ok('deploy', '--env', ENV), /api\s+v2\s/);
    // Deploying moved live to v2: put it back to roll v2 out.
    await ok('canary', '--env', ENV, '--function', 'api', '--version', '1', '--weight', '100');
    // No traffic: CloudMonitor has nothing for v2, so the rollout reaches 100% unverified (exit 3),
    // never a pass a CI gate could take for a tested release.
    const rollout = await run(KEY, 'rollout', 'start', '--env', ENV, '--function', 'api', '--version', '2', '--steps', '50,100', '--interval', '200ms');
    assert.equal(rollout.code, 3, rollout.stderr);
    assert.match(rollout.stderr, /v2 reached 100% of live unverified: no step had the 20 requests/);
    assert.match(await ok('rollout', 'status', '--env', ENV, '--function', 'api'), /completed-unverified · completed unverified: no step had the 20 requests/);
    assert.ok(cms.actions.length > 0, 'the gates read CloudMonitor');
    const batch = await run(KEY, 'rollout', 'start', '--env', ENV, '--function', 'api', '--version', '1', '--strategy', 'batch', '--batches', '2');
    assert.equal(batch.code, 1);
    assert.match(batch.stderr, /FC has no batch release: .*provisioned instances scale per alias instead/);
  });
  /** Sends requests to `url` one after another until the returned stop() is awaited. */
  const traffic = (url: string) => {
    let sending = true;
    const loop = (async () => {
      while (sending) await fetch(url).then((r) => r.arrayBuffer()).catch(() => undefined);
    })();
    return async () => {
      sending = false;
      await loop;
    };
  };
  const deployHandler = async (source: string): Promise<string> => {
    writeFileSync(join(repo, 'api', 'index.js'), source);
    const out = await ok('deploy', '--env', ENV);
    // Deploying moved live to the new version: put it back on v2 to roll the new one out.
    await ok('canary', '--env', ENV, '--function', 'api', '--version', '2', '--weight', '100');
    return /(http:\/\/\S+\.fcapp\.run\.localhost:\d+)/.exec(out)![1];
  };
  const rolloutTo = (version: number, interval: string) =>
    run(KEY, 'rollout', 'start', '--env', ENV, '--function', 'api', '--version', String(version), '--steps', '50,100', '--interval', interval, '--min-requests', '5', '--max-error-rate', '0.05', '--wait');

  it('gates rollouts on CloudMonitor figures of the traffic FC served: a good canary completes verified, a failing one rolls back, a refused read runs ungated and says why', async () => {
    const url = await deployHandler('exports.handler = async (event, context) => { context.logger.info("served three"); return { statusCode: 200, body: "three" }; };\n');
    let stop = traffic(url);
    try {
      const good = await rolloutTo(3, '1500ms');
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /v3 now serves 100% of live/);
      // Steps this short are warned about: on real FC, CloudMonitor's minute periods and lag may leave them unjudged.
      assert.match(good.stdout, /step 1\/2 at 50% · running · steps under 3 min may end unjudged: CloudMonitor has FC figures per minute, a minute late/);
    } finally {
      await stop();
    }
    assert.ok(standIn.invocations.some((i) => i.versionId === '3'), 'v3 served requests');

    await deployHandler('exports.handler = async () => { throw new Error("broken four"); };\n');
    stop = traffic(url);
    try {
      const bad = await rolloutTo(4, '20s');
      assert.equal(bad.code, 1, bad.stdout);
      assert.match(bad.stderr, /The rollout of v4 rolled back: error rate 100(\.0)?% over \d+ requests > 5(\.0)?% allowed\. Traffic is back on v2/);
    } finally {
      await stop();
    }

    await deployHandler('exports.handler = async () => ({ statusCode: 200, body: "five" });\n');
    cms.refuse = { status: 403, code: 'Forbidden.RAM', message: 'User not authorized to operate on the specified resource.' };
    stop = traffic(url);
    try {
      const ungated = await rolloutTo(5, '300ms');
      assert.equal(ungated.code, 3, ungated.stderr);
      assert.match(ungated.stderr, /v5 reached 100% of live unverified: it was ungated, its steps advanced by time because CloudMonitor refused the metrics read \(Forbidden\.RAM, HTTP 403\)/);
      assert.match(await ok('rollout', 'status', '--env', ENV, '--function', 'api'), /completed-unverified · completed unverified, ungated: CloudMonitor refused/);
    } finally {
      cms.refuse = undefined;
      await stop();
    }
  });

  it('prints the function\'s lines from its SLS log store, by version, follows new ones once each, and stops when the function is deleted', async () => {
    const all = await ok('logs', '--env', ENV, '--function', 'api');
    assert.equal(all.trim().split('\n').length, 200);
    assert.match(all, /^\S+Z v\d+ c-\S+ FC Invoke Start RequestId: [0-9a-f-]{36}$/m);
    const v3 = await ok('logs', '--env', ENV, '--function', 'api', '--version', '3', '--tail', '10');
    assert.match(v3, /^\S+Z v3 c-\S+ \S+Z [0-9a-f-]{36} \[info\] served three$/m);
    assert.doesNotMatch(v3, / v[^3] /);
    const v4 = await ok('logs', '--env', ENV, '--function', 'api', '--version', '4', '--tail', '30');
    assert.match(v4, /\[error\] broken four/);
    assert.doesNotMatch(v4, /served three| v[^4] /);
    const v4Lines = v4.trim().split('\n').length;
    assert.ok(v4Lines >= 3 && v4Lines <= 30, `${v4Lines} lines`);
    assert.ok(sls.requests.every((r) => r.project === 'shop-logs' && r.logstore === 'functions' && r.query.topic === `FCLogs:${ENV}--api`));

    const url = /http:\/\/\S+\.fcapp\.run\.localhost:\d+/.exec(await ok('url', '--env', ENV, '--function', 'api'))![0];
    const asked = sls.requests.length;
    const follow = new RunningCli(['logs', '--env', ENV, '--function', 'api', '--follow', '--tail', '0'], { cwd: repo, env: childEnv(KEY) });
    try {
      // Once it polls (in order, not newest first), and past the second it started in, every line it shows is from these requests.
      await poll('the follow to poll', async () => sls.requests.slice(asked).find((r) => r.query.reverse === 'false'), { timeoutMs: 30_000, everyMs: 50 });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const before = new Set(standIn.invocations.map((i) => i.requestId));
      for (let i = 0; i < 3; i++) await (await fetch(url)).arrayBuffer();
      const sent = standIn.invocations.filter((i) => !before.has(i.requestId)).map((i) => i.requestId);
      assert.equal(sent.length, 3);
      await poll('the three requests\' lines', async () => (sent.every((id) => follow.stdout.includes(`FC Invoke End RequestId: ${id}`)) ? true : undefined), { timeoutMs: 30_000, everyMs: 100 });
      // A few more polls: nothing shown twice.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      for (const id of sent) assert.equal(follow.stdout.split(`FC Invoke Start RequestId: ${id}`).length - 1, 1, `request ${id} once in:\n${follow.stdout}`);
      // SLS keeps the lines of a deleted function; the follow asks FC every few polls and stops.
      await ok('env', 'delete', '--env', ENV);
      assert.equal(await follow.exitWithin(20_000), 1, follow.stderr);
      assert.match(follow.stderr, new RegExp(`Stopped following ${ENV}/api: There is no function api in environment ${ENV} on FC`));
    } finally {
      await follow.stop();
    }
  });
});
