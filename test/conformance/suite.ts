// The provider conformance suite: what every provider must do the same way, whatever engine is
// behind it. Call `providerConformance` from a test file with a factory for the provider under
// test: the local platform for real (test/unit/conformance-local.test.ts), Function Compute 3.0
// through its stand-in (test/unit/conformance-fc3.test.ts) or for real (`npm run test:live`).
//
// The tests run in order and share one environment (named uniquely per run, deleted at the end):
// deploy → versions → aliases (weights, ETag conflicts) → URLs → rollouts → delete.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';
import type { FunctionConfig, Rollout, RolloutSpec } from '../../src/model';
import type { ImageSource, Provider } from '../../src/provider';
import { isActive } from '../../src/rollout/plan';
import { poll } from '../helpers/wait';

export interface ConformanceTarget {
  provider: Provider;
  /** A second client of the same backend (a teammate's editor, CI): it must see what the first does. */
  anotherClient(): Promise<Provider>;
  /**
   * Whether the function URLs answer from here (the local platform; not FC's stand-in, which runs
   * no code). Rollout gates are then judged on real traffic.
   */
  serves: boolean;
  /** Engines that run images (Knative): the image every deploy names (the config still differs per release). */
  image?: ImageSource;
  /** False where versions are images, not files (Knative): listing a version's files is then refused clearly. */
  keepsCode?: boolean;
  /** Whether rollout gates can judge the suite's failing version (it answers 500) on that traffic; default `serves`. */
  gated?: boolean;
  teardown(): Promise<void>;
}

export interface ConformanceOptions {
  /** Skips the whole suite, saying why (e.g. no credentials for the live run). */
  skip?: string;
  /** Per test; a real cloud needs more than a local process. */
  timeoutMs?: number;
  /** Time per canary step: short locally, longer against a real cloud. */
  stepMs?: number;
}

const HANDLER = `exports.handler = async () => {
  if (process.env.FAIL === '1') return { statusCode: 500, body: 'broken ' + process.env.RELEASE };
  return { statusCode: 200, body: 'release ' + process.env.RELEASE };
};
`;

function configOf(env: Record<string, string>): FunctionConfig {
  return { runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 }, env, timeoutMs: 10_000 };
}

export function providerConformance(name: string, factory: () => Promise<ConformanceTarget>, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 60_000;
  const stepMs = options.stepMs ?? 300;
  describe(`provider conformance: ${name}`, { skip: options.skip, timeout: timeout * 12 }, () => {
    let target: ConformanceTarget;
    let provider: Provider;
    let code: string;
    const env = `conf-${Date.now().toString(36)}`;
    const fn = 'api';
    const deploy = async (release: string, extra: Record<string, string> = {}, meta: { commit?: string; description?: string } = {}) => {
      writeFileSync(join(code, 'index.js'), HANDLER);
      const image = target.image ? { image: target.image } : {};
      return provider.deploy(env, fn, { config: configOf({ RELEASE: release, ...extra }), code: await scanCode(code), ...image, branch: 'feature/x', ...meta });
    };
    const waitForEnd = (client: Provider) =>
      poll('the rollout to end', async () => {
        const rollout = await client.getRollout(env, fn);
        return rollout && !isActive(rollout) ? rollout : undefined;
      }, { timeoutMs: timeout, everyMs: 100 });
    const spec = (toVersion: number, steps: number[], minRequests: number): RolloutSpec => ({
      strategy: 'canary', alias: 'live', toVersion, steps, intervalMs: stepMs,
      gates: { maxErrorRate: 0.05, maxP95Ms: 5_000, minRequests },
    });

    before(async () => {
      target = await factory();
      provider = target.provider;
      code = mkdtempSync(join(tmpdir(), 'fd-conformance-'));
    });
    after(async () => {
      try {
        await provider?.deleteEnvironment(env, env).catch(() => undefined);
      } finally {
        await target?.teardown();
        rmSync(code, { recursive: true, force: true });
      }
    });

    it('creates a personal environment with its labels', { timeout }, async () => {
      const created = await provider.createEnvironment({ name: env, kind: 'personal', owner: 'jane', branch: 'feature/x', project: 'shop' });
      assert.deepEqual([created.name, created.kind, created.owner, created.branch, created.project, created.protected], [env, 'personal', 'jane', 'feature/x', 'shop', false]);
      assert.ok((await provider.listEnvironments()).some((e) => e.name === env));
      await assert.rejects(provider.createEnvironment({ name: env, kind: 'personal' }), (error) => isFlightdeckError(error, 'CONFLICT'));
    });

    it('deploys version 1, reports an unchanged redeploy, then version 2 with branch and commit; live follows (not production)', { timeout }, async () => {
      const first = await deploy('1', {}, { commit: 'aaaaaaa', description: 'first' });
      assert.equal(first.version.id, 1);
      // Deployed, the environment is on the engine: another client lists it with its labels
      // (FC holds an environment as its functions, so an empty one lives only in its creator).
      const other = await target.anotherClient();
      try {
        const seen = (await other.listEnvironments()).find((e) => e.name === env);
        assert.deepEqual(seen && [seen.kind, seen.owner, seen.branch, seen.project], ['personal', 'jane', 'feature/x', 'shop']);
      } finally {
        other.dispose();
      }
      assert.equal(first.unchanged, false);
      assert.match(first.url, /^https?:\/\//);
      // Each provider proves the version starts before live moves (issue 8) and says what live did.
      assert.equal(first.start.started, true, JSON.stringify(first.start));
      assert.equal(first.live.outcome, 'moved');
      const again = await deploy('1', {}, { commit: 'aaaaaaa' });
      assert.deepEqual([again.version.id, again.unchanged, again.live.outcome], [1, true, 'kept']);
      const second = await deploy('2', {}, { commit: 'bbbbbbb', description: 'second' });
      assert.deepEqual([second.version.id, second.unchanged, second.start.started], [2, false, true]);
      assert.deepEqual([second.live.outcome, second.live.previousVersion], ['moved', 1]);
      const live = await provider.getAlias(env, fn, 'live');
      assert.deepEqual([live.versionId, live.additionalVersionWeight], [2, {}]);
      const summary = await provider.getFunction(env, fn);
      assert.deepEqual([summary.name, summary.latestVersion, summary.config.env.RELEASE], [fn, 2, '2']);
      assert.ok((await provider.listFunctions(env)).some((f) => f.name === fn));
    });

    it('lists versions newest first with their metadata and code', { timeout }, async () => {
      const page = await provider.listVersions(env, fn);
      assert.deepEqual(page.versions.map((v) => v.id), [2, 1]);
      const v1 = await provider.getVersion(env, fn, 1);
      assert.deepEqual([v1.branch, v1.commit, v1.config.env.RELEASE], ['feature/x', 'aaaaaaa', '1']);
      if (target.keepsCode === false) {
        await assert.rejects(provider.listVersionFiles(env, fn, 1), (error) => isFlightdeckError(error, 'BAD_REQUEST') && /not source files/.test(error.message));
      } else {
        const files = await provider.listVersionFiles(env, fn, 1);
        assert.deepEqual(files.map((f) => f.path), ['index.js']);
        assert.equal(Buffer.from(await provider.readVersionFile(env, fn, 1, 'index.js')).toString(), HANDLER);
      }
      await assert.rejects(provider.getVersion(env, fn, 99), (error) => isFlightdeckError(error, 'NOT_FOUND'));
    });

    it('round-trips alias weights exactly and refuses a stale ETag (no lost update)', { timeout }, async () => {
      const before = await provider.getAlias(env, fn, 'live');
      const moved = await provider.updateAlias(env, fn, 'live', { versionId: 1, additionalVersionWeight: { 2: 0.15 } }, before.etag);
      assert.deepEqual([moved.versionId, moved.additionalVersionWeight], [1, { 2: 0.15 }]);
      const read = await provider.getAlias(env, fn, 'live');
      assert.deepEqual([read.versionId, read.additionalVersionWeight], [1, { 2: 0.15 }]);
      assert.notEqual(read.etag, before.etag);
      await assert.rejects(
        provider.updateAlias(env, fn, 'live', { versionId: 2, additionalVersionWeight: {} }, before.etag),
        (error) => isFlightdeckError(error, 'PRECONDITION_FAILED'),
      );
      assert.deepEqual((await provider.getAlias(env, fn, 'live')).additionalVersionWeight, { 2: 0.15 });
      const back = await provider.updateAlias(env, fn, 'live', { versionId: 1, additionalVersionWeight: {} }, read.etag);
      assert.deepEqual([back.versionId, back.additionalVersionWeight], [1, {}]);
    });

    it('gives a URL per alias and per version, and those answer when the target serves', { timeout }, async () => {
      const live = await provider.functionUrl(env, fn);
      const v2 = await provider.functionUrl(env, fn, { version: 2 });
      const alias = await provider.functionUrl(env, fn, { alias: 'live' });
      for (const url of [live, v2, alias]) assert.match(url, /^https?:\/\/\S+$/);
      assert.notEqual(live, v2);
      if (!target.serves) return;
      assert.equal(await (await fetch(v2)).text(), 'release 2');
      assert.equal(await (await fetch(alias)).text(), 'release 1');
    });

    it('rolls a canary out to done; another client sees the finished rollout', { timeout }, async () => {
      const started = await provider.startRollout(env, fn, spec(2, [50, 100], 1_000_000));
      assert.deepEqual([started.fromVersion, started.spec.toVersion, started.percent], [1, 2, 50]);
      const done = await waitForEnd(provider);
      // Its gates never had the requests to judge v2 (no traffic): it completes, but unverified,
      // so a pipeline cannot take it for a tested release (issue 8).
      assert.equal(done.status, 'completedUnverified', JSON.stringify(done));
      const live = await provider.getAlias(env, fn, 'live');
      assert.deepEqual([live.versionId, live.additionalVersionWeight], [2, {}]);
      const other = await target.anotherClient();
      try {
        assert.equal((await other.getRollout(env, fn))?.status, 'completedUnverified');
      } finally {
        other.dispose();
      }
    });

    it('another client pauses and aborts a running rollout; traffic goes back to the stable version', { timeout }, async () => {
      const v3 = await deploy('3');
      // Deploying moved live to v3; put it back on v2 so there is something to roll out.
      const live = await provider.getAlias(env, fn, 'live');
      await provider.updateAlias(env, fn, 'live', { versionId: 2, additionalVersionWeight: {} }, live.etag);
      // A long step: only the other client's actions move this rollout.
      const started = await provider.startRollout(env, fn, { ...spec(v3.version.id, [20, 100], 1_000_000), intervalMs: 10 * 60_000 });
      const other = await target.anotherClient();
      try {
        assert.equal((await other.getRollout(env, fn))?.id, started.id);
        const paused = await other.rolloutAction(env, fn, 'pause');
        assert.equal(paused.status, 'paused');
        assert.equal((await poll('the first client to see the pause', async () => {
          const seen = await provider.getRollout(env, fn);
          return seen?.status === 'paused' ? seen : undefined;
        }, { timeoutMs: timeout, everyMs: 100 })).percent, 20);
        const aborted = await other.rolloutAction(env, fn, 'abort');
        assert.equal(aborted.status, 'aborted');
      } finally {
        other.dispose();
      }
      const end = await waitForEnd(provider);
      assert.equal(end.status, 'aborted');
      const after = await provider.getAlias(env, fn, 'live');
      assert.deepEqual([after.versionId, after.additionalVersionWeight], [2, {}]);
      await assert.rejects(provider.rolloutAction(env, fn, 'resume'), (error) => isFlightdeckError(error, 'CONFLICT'));
    });

    it('rolls a failing version back on its gates (or, ungated, says so and rolls out by time)', { timeout }, async () => {
      const gated = target.gated ?? target.serves;
      const bad = await deploy('4', { FAIL: '1' });
      const live = await provider.getAlias(env, fn, 'live');
      await provider.updateAlias(env, fn, 'live', { versionId: 2, additionalVersionWeight: {} }, live.etag);
      const url = await provider.functionUrl(env, fn, { alias: 'live' });
      let sending = gated;
      const traffic = (async () => {
        while (sending) await fetch(url).then((r) => r.arrayBuffer()).catch(() => undefined);
      })();
      let end: Rollout;
      try {
        await provider.startRollout(env, fn, { ...spec(bad.version.id, [50, 100], 5), intervalMs: gated ? 60_000 : stepMs });
        end = await waitForEnd(provider);
      } finally {
        sending = false;
        await traffic;
      }
      const after = await provider.getAlias(env, fn, 'live');
      if (gated) {
        assert.equal(end.status, 'rolledBack', JSON.stringify(end));
        assert.match(end.reason ?? '', /^error rate [\d.]+% over \d+ requests > 5% allowed$/);
        assert.deepEqual([after.versionId, after.additionalVersionWeight], [2, {}]);
      } else {
        // No metrics to judge by: it ends completed-unverified and says it was ungated.
        assert.equal(end.status, 'completedUnverified', JSON.stringify(end));
        assert.match(end.note ?? '', /ungated|unverified/);
      }
    });

    it('deletes the environment with its functions and aliases', { timeout }, async () => {
      await provider.deleteEnvironment(env, env);
      assert.ok(!(await provider.listEnvironments()).some((e) => e.name === env));
      await assert.rejects(provider.getFunction(env, fn), (error) => isFlightdeckError(error, 'NOT_FOUND'));
    });
  });
}
