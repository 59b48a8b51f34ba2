// Traffic safety against the real platform process and real function processes: a deploy proves
// the new version starts before live moves; one that does not is published but unhealthy with
// its own file:line; manual alias changes never fight a rollout; the gateway's 503 for a
// crash-looping version says what is true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, startPlatform, type TestPlatform } from '../helpers/platform';
import { createEnv, deployDir, type TestConfig } from '../helpers/deploy';
import { poll } from '../helpers/wait';
import { formatPercent } from '../../src/model';
import { describeUserError } from '../../src/platform/runtime/userError';
import { CRASH_WINDOW_MS } from '../../src/platform/runtime/crashes';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'functions');
const NODE: TestConfig = { runtime: 'nodejs', handler: 'index.handler' };
const fnPath = (env: string, fn: string) => `/v1/environments/${env}/functions/${fn}`;

/** No platform-internal path in a text meant for people: the state folder, the bundle, node internals. */
function assertNoInternalPaths(text: string, platform: TestPlatform): void {
  assert.ok(!text.includes(platform.home), `state folder leaked: ${text}`);
  assert.ok(!/dist\/(platform|runtime-node)\.js|node:internal|\n\s+at /.test(text), `platform internals leaked: ${text}`);
}

describe('start-proof before live moves', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, 'dev');
    await createEnv(platform, 'prod', 'production');
    await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), NODE);
  });
  after(() => platform.stop());

  it('a handler that does not parse is published unhealthy with its own file:line; live stays; traffic still served', async () => {
    const answer = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'syntax-error'), NODE);
    assert.equal(answer.version.id, 2);
    assert.equal(answer.start.started, false);
    assert.match(answer.start.reason!, /index\.js:4: SyntaxError: Unexpected token/);
    assertNoInternalPaths(answer.start.reason!, platform);
    assert.deepEqual(answer.live, { outcome: 'held', previousVersion: 1, reason: 'notStarted' });
    assert.equal(answer.version.health, 'unhealthy');
    assert.equal(answer.version.healthReason, answer.start.reason);
    const live = (await platform.api('GET', `${fnPath('dev', 'api')}/aliases/live`)).json;
    assert.deepEqual([live.versionId, live.additionalVersionWeight], [1, {}]);
    const res = await fetch(`${platform.url}/fn/dev/api/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-flightdeck-version'), '1');
    const logs = (await platform.api('GET', `${fnPath('dev', 'api')}/logs?version=2`)).json.lines as { text: string }[];
    assert.ok(logs.some((l) => /\[flightdeck\] v2 did not start: .*SyntaxError/.test(l.text)), JSON.stringify(logs));
  });

  it('a module that does not export the handler is refused the same way', async () => {
    const answer = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'no-export'), NODE);
    assert.equal(answer.start.started, false);
    assert.match(answer.start.reason!, /does not export a function named "handler"/);
    assert.equal(answer.live.outcome, 'held');
  });

  it('a custom command that throws before listening names its own line; one whose healthPath fails within startTimeoutMs too', async () => {
    const exits = await deployDir(platform, 'dev', 'custom', join(FIXTURES, 'exits'), { runtime: 'custom', command: ['node', 'server.js'] });
    // The first version of a function has nowhere else to send live; it still reports the failure.
    assert.equal(exits.start.started, false);
    assert.match(exits.start.reason!, /server\.js:2.*SyntaxError/);
    assertNoInternalPaths(exits.start.reason!, platform);
    const sick = await deployDir(platform, 'dev', 'custom', join(FIXTURES, 'health'), {
      runtime: 'custom', command: ['node', 'server.js'], healthPath: '/healthz', startTimeoutMs: 1000,
    });
    assert.equal(sick.start.started, false);
    assert.match(sick.start.reason!, /did not answer its healthPath \/healthz .*HTTP 503/);
    const well = await deployDir(platform, 'dev', 'custom', join(FIXTURES, 'health'), {
      runtime: 'custom', command: ['node', 'server.js'], healthPath: '/healthz', startTimeoutMs: 5000, env: { HEALTHY_AFTER_MS: '100' },
    });
    assert.deepEqual([well.start.started, well.start.how, well.live.outcome], [true, 'command answered /healthz', 'moved']);
  });

  it('redeploying unchanged code moves live back after a promote elsewhere; a served version becomes healthy', async () => {
    const v4 = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'v4' } });
    assert.deepEqual([v4.start.started, v4.live.outcome, v4.live.previousVersion], [true, 'moved', 1]);
    const put = await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/live`, { versionId: 1 });
    assert.equal(put.status, 200);
    const again = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'v4' } });
    assert.deepEqual([again.unchanged, again.version.id, again.live.outcome, again.live.previousVersion], [true, v4.version.id, 'moved', 1]);
    assert.equal((await fetch(`${platform.url}/fn/dev/api/`)).status, 200);
    await poll('v4 healthy', async () => ((await platform.api('GET', `${fnPath('dev', 'api')}/versions/${v4.version.id}`)).json.health === 'healthy' ? true : undefined), { timeoutMs: 5000, everyMs: 20 });
    const kept = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'v4' } });
    assert.deepEqual([kept.live.outcome, kept.start.how], ['kept', 'it has served requests']);
  });

  it('a production deploy proves the start and holds live, saying why', async () => {
    await deployDir(platform, 'prod', 'api', join(FIXTURES, 'hello'), NODE);
    const second = await deployDir(platform, 'prod', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'v2' } });
    assert.deepEqual(second.live, { outcome: 'held', previousVersion: 1, reason: 'production' });
    const broken = await deployDir(platform, 'prod', 'api', join(FIXTURES, 'syntax-error'), NODE);
    assert.equal(broken.start.started, false);
    assert.equal(broken.version.health, 'unhealthy');
  });
});

describe('commands never fight a rollout', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, 'dev');
    await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), NODE);
    await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'two' } });
    await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/live`, { versionId: 1 });
  });
  after(() => platform.stop());

  it('alias changes on the rollout\'s alias get 409 ROLLOUT_ACTIVE naming the rollout and the way out; deploys publish without moving live', async () => {
    const started = await platform.api('POST', `${fnPath('dev', 'api')}/rollout`, { toVersion: 2, steps: [10, 100], intervalMs: 600_000 });
    assert.equal(started.status, 201, started.text);
    const id = started.json.id as string;
    const put = await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/live`, { versionId: 1, additionalVersionWeight: { 2: 0.5 } });
    assert.equal(put.status, 409);
    assert.equal(put.json.error.code, 'ROLLOUT_ACTIVE');
    assert.equal(put.json.error.rollout, id);
    assert.match(put.json.error.message, new RegExp(`Rollout ${id} of v2 is running .*changing its traffic by hand would fight it\\. Promote it \\(flightdeck rollout promote --env dev --function api\\) or abort it`));
    // Another alias is free to change.
    assert.equal((await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/beta`, { versionId: 2 })).status, 200);
    const deployed = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), { ...NODE, env: { GREETING: 'three' } });
    assert.deepEqual(deployed.live, { outcome: 'held', previousVersion: 1, reason: 'rollout', rollout: id });
    const live = (await platform.api('GET', `${fnPath('dev', 'api')}/aliases/live`)).json;
    assert.deepEqual([live.versionId, live.additionalVersionWeight], [1, { 2: 0.1 }]);
    assert.equal((await platform.api('POST', `${fnPath('dev', 'api')}/rollout/abort`)).status, 200);
    assert.equal((await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/live`, { versionId: 3 })).status, 200);
  });

  it('a rollout to a version that does not start is refused (422 NOT_STARTED) and moves nothing', async () => {
    const broken = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'syntax-error'), NODE);
    const res = await platform.api('POST', `${fnPath('dev', 'api')}/rollout`, { toVersion: broken.version.id, intervalMs: 1000 });
    assert.equal(res.status, 422);
    assert.equal(res.json.error.code, 'NOT_STARTED');
    assert.match(res.json.error.message, /does not start, so no rollout began.*index\.js:4: SyntaxError/);
    assert.equal((await platform.api('GET', `${fnPath('dev', 'api')}/aliases/live`)).json.versionId, 3);
  });
});

describe('the gateway says what is true about a crash-looping version', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, 'dev');
    await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), NODE);
  });
  after(() => platform.stop());

  it('503 names the version, that it crash-loops and the share live still sends it', async () => {
    const crash = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'crash'), NODE);
    // It loads (then dies 30 ms later), so the start proof passes and live moves; put it back to a canary.
    assert.equal((await platform.api('PUT', `${fnPath('dev', 'api')}/aliases/live`, { versionId: 1, additionalVersionWeight: { [crash.version.id]: 0.2 } })).status, 200);
    const text = await poll('crash loop 503', async () => {
      const res = await fetch(`${platform.url}/fn/dev/api:${crash.version.id}/`);
      const body = await res.text();
      return res.status === 503 && /crash-looping/.test(body) ? body : undefined;
    }, { timeoutMs: 20_000, everyMs: 50 });
    const viaLive = await poll('a live request on the crash-looping share', async () => {
      const res = await fetch(`${platform.url}/fn/dev/api/`);
      const body = await res.text();
      return res.status === 503 ? body : undefined;
    }, { timeoutMs: 5000, everyMs: 10 });
    assert.match(viaLive, new RegExp(`api v${crash.version.id} is crash-looping \\(crash loop: .*\\); live still sends it 20%\\. .*flightdeck promote --env dev --function api --version N`));
    assertNoInternalPaths(viaLive, platform);
    assert.match(text, /this URL asks for v2 itself/);
    const version = (await platform.api('GET', `${fnPath('dev', 'api')}/versions/${crash.version.id}`)).json;
    assert.equal(version.health, 'unhealthy');
  });
});

describe('a version that never started', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startPlatform();
    await createEnv(platform, 'dev');
  });
  after(() => platform.stop());

  it('stays unhealthy once the crash loop its requests caused has lapsed, so nothing rolls back to it', { timeout: 120_000 }, async () => {
    // The first version has nowhere else to send live: requests reach it and crash-loop.
    const broken = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'syntax-error'), NODE);
    assert.equal(broken.start.started, false);
    await poll('the crash loop', async () => ((await fetch(`${platform.url}/fn/dev/api/`).then((r) => r.text())).includes('crash-looping') ? true : undefined), { timeoutMs: 20_000, everyMs: 50 });
    // The loop lapses after CRASH_WINDOW_MS; the next deploy forgets lapsed loops.
    await new Promise((resolve) => setTimeout(resolve, CRASH_WINDOW_MS + 1000));
    const fixed = await deployDir(platform, 'dev', 'api', join(FIXTURES, 'hello'), NODE);
    assert.equal(fixed.start.started, true);
    const version = (await platform.api('GET', `${fnPath('dev', 'api')}/versions/${broken.version.id}`)).json;
    assert.deepEqual([version.health, version.healthReason], ['unhealthy', broken.start.reason]);
  });
});

describe('pure helpers', () => {
  it('formatPercent never reads 0% or 100% for a share that is not', () => {
    assert.deepEqual([0.1, 0.125, 1 / 3, 0.00001, 0.99999, 0, 1, 0.2].map(formatPercent), ['10%', '12.5%', '33.3%', '0.001%', '99.999%', '0%', '100%', '20%']);
  });

  it('describeUserError keeps the function\'s file:line and drops the code folder', () => {
    const error = new TypeError("Cannot read properties of null (reading 'x')");
    error.stack = `TypeError: Cannot read properties of null (reading 'x')\n    at Object.<anonymous> (/home/u/.flightdeck/code/abc/lib/db.js:7:12)\n    at Module._compile (node:internal/modules/cjs/loader:1521:14)`;
    assert.equal(describeUserError(error, '/home/u/.flightdeck/code/abc'), "lib/db.js:7: TypeError: Cannot read properties of null (reading 'x')");
  });
});
