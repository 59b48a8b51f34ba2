// deployProject through LocalProvider against the real bundled platform.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadProjectFile, type ProjectConfig } from '../../src/config/projectFile';
import { personalNameCandidates } from '../../src/deploy/personalEnvironment';
import { deployProject, describeLiveChange, type DeployProjectOptions } from '../../src/deploy/deployProject';
import { isFlightdeckError } from '../../src/errors';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { startPlatform, type TestPlatform } from '../helpers/platform';

const YAML = `project: shop
functions:
  api:
    runtime: nodejs
    code: ./api
    handler: index.handler
  web:
    runtime: custom
    code: ./web
    command: [node, server.js]
environments:
  staging: { kind: staging }
  production: { kind: production }
personal:
  name: "{user}-{branch}"
`;

describe('deployProject', () => {
  let dir: string;
  let platform: TestPlatform;
  let provider: LocalProvider;
  let project: ProjectConfig;
  const personal = { branch: 'feature/Login_Page', user: 'jane', owner: 'jane@example.com', commit: 'abc123' };
  // The scan cache stays in the test's folder, not in the user's ~/.flightdeck.
  const deploy = (options: DeployProjectOptions) => deployProject(provider, project, { scanCacheDir: join(dir, 'scan-cache'), ...options });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-deploy-'));
    mkdirSync(join(dir, 'api'));
    mkdirSync(join(dir, 'web'));
    writeFileSync(join(dir, 'api', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "api" });');
    writeFileSync(join(dir, 'web', 'server.js'),
      'require("node:http").createServer((q, s) => s.end("web")).listen(Number(process.env.PORT), "127.0.0.1");');
    writeFileSync(join(dir, 'flightdeck.yaml'), YAML);
    project = loadProjectFile(join(dir, 'flightdeck.yaml'));
    platform = await startPlatform();
    provider = new LocalProvider({ home: platform.home, connection: platform });
  });
  after(async () => {
    provider.dispose();
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(platform.home, { recursive: true, force: true });
  });

  it('creates the personal environment of the branch and deploys every function', async () => {
    const fractions: number[] = [];
    const result = await deploy({ ...personal, onProgress: (_m, f) => fractions.push(f ?? -1) });
    assert.equal(result.environment, 'jane-feature-login-page');
    assert.equal(result.createdEnvironment, true);
    assert.deepEqual(result.functions.map((f) => [f.function, f.version, f.unchanged]), [['api', 1, false], ['web', 1, false]]);
    assert.equal(await (await fetch(result.functions[0].url)).text(), 'api');
    assert.equal(await (await fetch(result.functions[1].url)).text(), 'web');
    const env = (await provider.listEnvironments()).find((e) => e.name === 'jane-feature-login-page');
    assert.deepEqual([env?.kind, env?.owner, env?.branch], ['personal', 'jane@example.com', 'feature/Login_Page']);
    assert.equal(fractions.at(-1), 1);
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b));
    const versions = await provider.listVersions(result.environment, 'api');
    assert.deepEqual([versions.versions[0].branch, versions.versions[0].commit], ['feature/Login_Page', 'abc123']);
  });

  it('reuses the environment and reports unchanged functions', async () => {
    const result = await deploy({ ...personal, function: 'api' });
    assert.equal(result.createdEnvironment, false);
    assert.deepEqual(result.functions.map((f) => [f.function, f.version, f.unchanged, f.bytesSent]), [['api', 1, true, 0]]);
  });

  it('creates a declared environment with its kind, and refuses an undeclared missing one', async () => {
    const result = await deploy({ environment: 'production', function: 'web' });
    assert.equal(result.createdEnvironment, true);
    const env = (await provider.listEnvironments()).find((e) => e.name === 'production');
    assert.deepEqual([env?.kind, env?.protected], ['production', true]);
    await assert.rejects(deploy({ environment: 'qa' }), (e: unknown) =>
      isFlightdeckError(e, 'NOT_FOUND') && /Declare it under environments:/.test(e.message));
  });

  it('names unknown functions, needs a branch for a personal deploy, and honours cancellation', async () => {
    await assert.rejects(deploy({ ...personal, function: 'nope' }), (e: unknown) =>
      isFlightdeckError(e, 'NOT_FOUND') && /declares: api, web/.test(e.message));
    await assert.rejects(deploy({}), (e: unknown) => isFlightdeckError(e, 'GIT'));
    await assert.rejects(deploy({ ...personal, signal: AbortSignal.abort() }), (e: unknown) =>
      isFlightdeckError(e, 'CANCELLED'));
  });

  it('a branch keeps its branch-distinct environment once the plain name is freed, and says so rightly', async () => {
    await deploy({ ...personal, branch: 'feature/y', function: 'api' });
    const dash = await deploy({ ...personal, branch: 'feature-y', function: 'api' });
    await provider.deleteEnvironment('jane-feature-y');
    const again = await deploy({ ...personal, branch: 'feature-y', function: 'api' });
    assert.equal(again.environment, dash.environment);
    assert.equal(again.environmentNote, `this branch keeps "${dash.environment}", made when "jane-feature-y" belonged to another branch.`);
  });

  it('two branches that map to one name never share an environment: the second gets a branch-distinct name, each keeps its own', async () => {
    const slash = await deploy({ ...personal, branch: 'feature/x', function: 'api' });
    const dash = await deploy({ ...personal, branch: 'feature-x', function: 'api' });
    assert.equal(slash.environment, 'jane-feature-x');
    assert.match(dash.environment, /^jane-feature-x-[0-9a-f]{6}$/);
    assert.equal(dash.createdEnvironment, true);
    assert.match(dash.environmentNote ?? '', /"jane-feature-x" belongs to branch feature\/x, so this branch deploys to "jane-feature-x-[0-9a-f]{6}"/);
    const envs = await provider.listEnvironments();
    assert.deepEqual([envs.find((e) => e.name === slash.environment)?.branch, envs.find((e) => e.name === dash.environment)?.branch], ['feature/x', 'feature-x']);
    // Each branch comes back to its own environment.
    assert.equal((await deploy({ ...personal, branch: 'feature/x', function: 'api' })).environment, slash.environment);
    assert.equal((await deploy({ ...personal, branch: 'feature-x', function: 'api' })).environment, dash.environment);
    // A third branch of that name gets a name of its own too; with every name it may take held by others, it is refused with the fix.
    const third = await deploy({ ...personal, branch: 'feature_x', function: 'api' });
    assert.equal(third.environment, personalNameCandidates('jane-feature-x', { branch: 'feature_x', project: 'shop' })[1]);
    const [, fourthTwin, fourthProjectTwin] = personalNameCandidates('jane-feature-x', { branch: 'feature.x', project: 'shop' });
    await provider.createEnvironment({ name: fourthTwin, kind: 'personal', branch: 'someone-else' });
    await provider.createEnvironment({ name: fourthProjectTwin, kind: 'staging' });
    await assert.rejects(deploy({ ...personal, branch: 'feature.x', function: 'api' }), (e: unknown) =>
      isFlightdeckError(e, 'CONFLICT') && /all belong to other branches or projects; put something that tells them apart in personal.name/.test(e.message));
  });

  it('two projects never share a branch environment: the second project’s gets its own name, and each comes back to its own', async () => {
    const billing = { ...project, project: 'billing' };
    const branch = { ...personal, branch: 'feature/pay', function: 'api' };
    const shop = await deploy(branch);
    const other = await deployProject(provider, billing, { scanCacheDir: join(dir, 'scan-cache'), ...branch });
    assert.equal(shop.environment, 'jane-feature-pay');
    assert.notEqual(other.environment, shop.environment);
    assert.match(other.environmentNote ?? '', /"jane-feature-pay" belongs to branch feature\/pay of project shop, so this branch deploys to "jane-feature-pay-[0-9a-f]{6}"/);
    const envs = await provider.listEnvironments();
    assert.deepEqual([shop.environment, other.environment].map((name) => envs.find((e) => e.name === name)?.project), ['shop', 'billing']);
    assert.equal((await deploy(branch)).environment, shop.environment);
    assert.equal((await deployProject(provider, billing, { scanCacheDir: join(dir, 'scan-cache'), ...branch })).environment, other.environment);
  });

  it('reports a version that does not start and what live did', async () => {
    writeFileSync(join(dir, 'api', 'index.js'), 'exports.handler = async () => {\n  return (;\n};\n');
    const result = await deploy({ ...personal, function: 'api' });
    const [api] = result.functions;
    assert.deepEqual([api.start.started, api.live.outcome, api.live.reason, api.health], [false, 'held', 'notStarted', 'unhealthy']);
    assert.match(describeLiveChange(result.environment, api), /^v2 did not start: loading handler index\.handler of version 2 failed: index\.js:2: SyntaxError: .*; live stays on v1\. Fix the code and deploy again\.$/);
    writeFileSync(join(dir, 'api', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "api" });');
    const back = await deploy({ ...personal, function: 'api' });
    assert.match(describeLiveChange(back.environment, back.functions[0]), /^v3 published; live moved to v3 \(it was on v1\)$/);
  });

  it('deploys up to 8 functions at once, and builds at most one image per CPU at once', async () => {
    // Twelve functions, the last six building an image here; the real provider, watched from outside.
    const names = Array.from({ length: 12 }, (_, i) => `f${i}`);
    const api = project.functions.find((f) => f.name === 'api')!;
    const many: ProjectConfig = {
      ...project,
      functions: names.map((name, i) => ({ ...api, name, ...(i >= 6 ? { image: { build: 'make-image' } } : {}) })),
    };
    const inFlight = { all: 0, builds: 0, mostAll: 0, mostBuilds: 0 };
    const watched = Object.create(provider) as LocalProvider;
    watched.deploy = async (environment, fn, request, options) => {
      const building = request.image?.build !== undefined;
      inFlight.mostAll = Math.max(inFlight.mostAll, ++inFlight.all);
      if (building) inFlight.mostBuilds = Math.max(inFlight.mostBuilds, ++inFlight.builds);
      try {
        return await provider.deploy(environment, fn, request, options);
      } finally {
        inFlight.all--;
        if (building) inFlight.builds--;
      }
    };
    const result = await deployProject(watched, many, { environment: 'staging', scanCacheDir: join(dir, 'scan-cache') });
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.functions.map((f) => f.function), names);
    assert.equal(inFlight.mostAll, 8);
    assert.ok(inFlight.mostBuilds >= 1 && inFlight.mostBuilds <= availableParallelism(), `${inFlight.mostBuilds} builds at once on ${availableParallelism()} CPUs`);
  });
});
