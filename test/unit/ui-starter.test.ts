// "Flightdeck: Create flightdeck.yaml" writes a project that is valid as written and deploys: the
// starter files go to a temp folder, parse without a problem, and the sample function deploys to
// the real platform and answers over HTTP.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadProjectFile } from '../../src/config/projectFile';
import { deployProject } from '../../src/deploy/deployProject';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { SAMPLE_FUNCTION, starterProject } from '../../src/ui/starterProject';
import { startPlatform, type TestPlatform } from '../helpers/platform';

describe('starter project', () => {
  let dir: string;
  let platform: TestPlatform;
  let provider: LocalProvider;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-starter-'));
    for (const file of starterProject('My Shop')) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.text);
    }
    platform = await startPlatform();
    provider = new LocalProvider({ home: platform.home, connection: platform });
  });

  after(async () => {
    provider?.dispose();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(platform.home, { recursive: true, force: true });
  });

  it('parses without problems, named after the folder', () => {
    const project = loadProjectFile(join(dir, 'flightdeck.yaml'));
    assert.equal(project.project, 'my-shop');
    assert.deepEqual(project.functions.map((f) => f.name), [SAMPLE_FUNCTION]);
  });

  it('deploys to a personal environment and the sample function answers', { timeout: 30_000 }, async () => {
    const project = loadProjectFile(join(dir, 'flightdeck.yaml'));
    const result = await deployProject(provider, project, {
      branch: 'feature/try',
      user: 'alice',
      commit: 'abc1234',
      scanCacheDir: join(platform.home, 'scan-cache'),
    });
    assert.equal(result.environment, 'alice-feature-try');
    const [deployed] = result.functions;
    const res = await fetch(deployed.url + 'greet?x=1');
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.equal(body, `Hello from ${SAMPLE_FUNCTION} v1 (GET /greet)\n`);
  });
});
