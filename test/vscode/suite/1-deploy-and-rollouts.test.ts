// The extension in a real VS Code against the real local platform it starts itself: deploy the
// fixture repository's branch to a personal environment, deploy a change, roll back and put a
// canary on the fix through the commands' argument forms, then roll the fix out progressively —
// checking the platform (provider and real HTTP), the environments tree and the status bar.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { describeAlias, type Environment } from '../../../src/model';
import type { Provider } from '../../../src/provider';
import type { FlightdeckTestApi } from '../../../src/ui/testApi';
import { ENV, FIXTURE_BRANCH, FIXTURE_FUNCTION, FIXTURE_USER } from '../fixture';
import { get, startCanaryRollout, underTraffic, waitForRolloutEnd } from './platform';
import { activateFlightdeck } from './session';
import { editConstant, screenshot, showFlightdeckView, treeTexts, waitFor } from './workbench';

const fn = FIXTURE_FUNCTION;

suite('Deploy and rollouts', () => {
  let api: FlightdeckTestApi;
  let provider: Provider;
  let env: Environment;
  let url: string;
  let functionFile: vscode.Uri;

  suiteSetup(async function () {
    this.timeout(60_000);
    const activated = await activateFlightdeck();
    api = activated.api;
    functionFile = vscode.Uri.joinPath(activated.folder, fn, 'index.js');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('deploying the current branch creates the personal environment; v1 serves over HTTP', async function () {
    this.timeout(90_000);
    await vscode.commands.executeCommand('flightdeck.deployCurrentBranch');
    provider = await api.provider();
    const home = process.env[ENV.home];
    if (home) assert.ok(existsSync(join(home, 'platform.json')), `the extension's platform is not in FLIGHTDECK_HOME ${home}`);

    const personal = (await provider.listEnvironments()).filter((e) => e.kind === 'personal' && e.branch === FIXTURE_BRANCH);
    assert.equal(personal.length, 1, `expected one personal environment for ${FIXTURE_BRANCH}, got ${JSON.stringify(personal)}`);
    env = personal[0];
    assert.match(env.name, /feature-login/);
    const owner = env.owner ?? '';
    assert.ok(owner.includes(FIXTURE_USER.email) || owner.includes(FIXTURE_USER.name), `owner "${owner}" is not the git user`);
    assert.equal(await api.personalEnvironment(), env.name, 'the UI and the platform disagree on the personal environment');

    const summary = await provider.getFunction(env.name, fn);
    assert.equal(summary.latestVersion, 1);
    url = await provider.functionUrl(env.name, fn);
    const served = await get(url);
    assert.equal(served.status, 200, served.body);
    assert.equal(served.version, '1');
    assert.match(served.body, /hello from v1/);
    // Which provider the views are on: the Environments view's description and the status bar tooltip.
    await waitFor('the Environments view to name its provider', () => /^Local platform \(127\.0\.0\.1:\d+\)$/.test(api.environmentsDescription() ?? ''));
    await waitFor(`the status bar tooltip to name the provider (it says "${api.statusBarTooltip()}")`, () => /On Local platform \(127\.0\.0\.1:\d+\)$/.test(api.statusBarTooltip()));
  });

  test('a changed function file deploys as version 2 and live moves to it', async function () {
    this.timeout(90_000);
    await editConstant(functionFile, 'GREETING', 'hello from v2');
    await vscode.commands.executeCommand('flightdeck.deployCurrentBranch');

    assert.equal((await provider.getFunction(env.name, fn)).latestVersion, 2);
    const live = await provider.getAlias(env.name, fn, 'live');
    assert.equal(describeAlias(live), 'live → v2 100%');
    const served = await get(url);
    assert.equal(served.version, '2');
    assert.match(served.body, /hello from v2/);
  });

  test('roll back to v1, then 10% canary on v2: platform, tree and status bar agree', async function () {
    this.timeout(90_000);
    await vscode.commands.executeCommand('flightdeck.rollback', { environment: env.name, function: fn, version: 1 });
    assert.equal(describeAlias(await provider.getAlias(env.name, fn, 'live')), 'live → v1 100%');

    await vscode.commands.executeCommand('flightdeck.setCanaryWeight', { environment: env.name, function: fn, version: 2, weight: 10 });
    const live = await provider.getAlias(env.name, fn, 'live');
    assert.equal(live.versionId, 1);
    assert.deepEqual(live.additionalVersionWeight, { '2': 0.1 });
    const expected = 'live → v1 90% · v2 10%';
    assert.equal(describeAlias(live), expected);

    // Real traffic splits by the weights: about 10 of 100 requests reach v2.
    const counts = new Map<string | null, number>();
    for (let i = 0; i < 100; i++) {
      const { version } = await get(url);
      counts.set(version, (counts.get(version) ?? 0) + 1);
    }
    const toV2 = counts.get('2') ?? 0;
    assert.ok(toV2 >= 8 && toV2 <= 12, `expected ~10 of 100 requests on v2, got ${JSON.stringify([...counts])}`);
    assert.equal((counts.get('1') ?? 0) + toV2, 100, `requests served by other versions: ${JSON.stringify([...counts])}`);

    const texts = await waitFor(`the environments tree to show "${expected}"`, async () => {
      const all = await treeTexts(api.environmentsTree);
      return all.some((t) => t.includes(expected)) && all;
    });
    assert.ok(texts.some((t) => t.includes(env.name)), `the tree shows no item for ${env.name}:\n${texts.join('\n')}`);
    await waitFor(`the status bar to show ${env.name} (it shows "${api.statusBarText()}")`, () => api.statusBarText().includes(env.name));

    api.selectFunction(env.name, fn);
    const versions = await waitFor('the versions view to list v2 (live 10%) above v1 (live 90%)', async () => {
      const [newest, older] = await treeTexts(api.versionsTree, 1);
      return /^v2\b.*live 10%/.test(newest ?? '') && /^v1\b.*live 90%/.test(older ?? '') && [newest, older];
    });
    assert.match(versions[0], new RegExp(FIXTURE_BRANCH), 'a version shows the branch it was deployed from');

    await showFlightdeckView();
    await screenshot('views-after-deploy');
  });

  test('a canary rollout of v2 reaches 100% and the status bar follows it', async function () {
    this.timeout(120_000);
    const failures = await underTraffic(url, async () => {
      await startCanaryRollout(env.name, fn, 2, [50, 100], 2000);
      const seen = new Set<string>();
      const progress = await waitFor('the status bar to show the rollout in progress (v1→v2 N%)', () => {
        const text = api.statusBarText();
        seen.add(text);
        return /v1\s*→\s*v2\s+\d+(\.\d+)?%/.test(text) && !/\b100%/.test(text) && text;
      });
      assert.match(api.statusBarTooltip(), /Error rate|Gates/, 'the status bar tooltip shows the gates');
      await screenshot('status-bar-rollout');

      const rollout = await waitForRolloutEnd(provider, env.name, fn, 2);
      assert.equal(rollout.status, 'succeeded', `rollout ended ${rollout.status}: ${rollout.reason ?? ''}`);
      assert.equal(describeAlias(await provider.getAlias(env.name, fn, 'live')), 'live → v2 100%');
      const done = await waitFor(`the status bar to show the rollout done (seen: ${[...seen].join(' | ')})`, () => {
        const text = api.statusBarText();
        seen.add(text);
        return (/done|succeeded/i.test(text) || (text.includes(env.name) && /\bv2\b/.test(text) && !text.includes('→'))) && text;
      });
      assert.notEqual(progress, done);
      assert.equal((await get(url)).version, '2');
    });
    assert.deepEqual(failures, [], 'requests failed during the rollout');
  });

  test('a failing v3 rolled out as a canary is rolled back by its gates, and the status bar says so', async function () {
    this.timeout(120_000);
    await editConstant(functionFile, 'GREETING', 'broken v3');
    await editConstant(functionFile, 'STATUS', 500);
    await vscode.commands.executeCommand('flightdeck.deployCurrentBranch');
    assert.equal((await provider.getFunction(env.name, fn)).latestVersion, 3);
    // A deploy to a personal environment goes live at once: put v2 back, then roll v3 out properly.
    await vscode.commands.executeCommand('flightdeck.rollback', { environment: env.name, function: fn, version: 2 });
    assert.equal(describeAlias(await provider.getAlias(env.name, fn, 'live')), 'live → v2 100%');

    const failures = await underTraffic(url, async () => {
      await startCanaryRollout(env.name, fn, 3, [50, 100], 4000);
      const rollout = await waitForRolloutEnd(provider, env.name, fn, 3);
      assert.equal(rollout.status, 'rolledBack', `rollout of a version answering 500 ended ${rollout.status}: ${JSON.stringify(rollout)}`);
      assert.match(rollout.reason ?? '', /error rate/i);
      assert.equal(describeAlias(await provider.getAlias(env.name, fn, 'live')), 'live → v2 100%');
      const text = await waitFor(`the status bar to say "rolled back" (it shows "${api.statusBarText()}")`, () => {
        const shown = api.statusBarText();
        return /rolled back/i.test(shown) && shown;
      });
      assert.match(text, /v3 rolled back to v2/);
      await screenshot('status-bar-rolled-back');
    });
    assert.ok(failures.some((f) => f.version === '3'), 'no request reached v3: its gates had nothing to judge');
    assert.deepEqual(failures.filter((f) => f.version !== '3'), [], 'only requests to the failing v3 may fail');
  });
});
