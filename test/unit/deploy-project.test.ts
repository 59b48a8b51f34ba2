// deployProject through LocalProvider against the real bundled platform.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadProjectFile, type ProjectConfig } from '../../src/config/projectFile';
import { deployProject, type DeployProjectOptions } from '../../src/deploy/deployProject';
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
});
