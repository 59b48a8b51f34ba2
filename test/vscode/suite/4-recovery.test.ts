// The platform crashing under the editor (kill -9): the views say it is not reachable, its
// function processes go with it, "Start Local Platform" brings it back with the state intact, and
// a platform restarted by someone else (the CLI) is found again without a click.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import { ensurePlatform } from '../../../src/providers/local/platformProcess';
import { ENV, FIXTURE_FUNCTION, platformPid } from '../fixture';
import { childPids, get, isRunning } from './platform';
import { deployedSession, EXTENSION_ID, type Session } from './session';
import { screenshot, showFlightdeckView, treeTexts, waitFor } from './workbench';

suite('Recovery from a killed platform', () => {
  let s: Session;
  let home: string;

  suiteSetup(async function () {
    this.timeout(60_000);
    s = await deployedSession();
    const fromEnv = process.env[ENV.home];
    assert.ok(fromEnv, `${ENV.home} is not set: the launcher gives the platform its own state folder`);
    home = fromEnv;
  });

  /** Kills the running platform as a crash would; returns its pid once the views say it is gone. */
  async function killPlatform(): Promise<number> {
    // A request first, so the platform has a function process that must not outlive it.
    await assertServes();
    const pid = platformPid(home);
    assert.ok(pid, `no platform.json with a pid in ${home}`);
    const children = childPids(pid);
    assert.ok(children.length > 0, `the platform (pid ${pid}) runs no function process`);
    process.kill(pid, 'SIGKILL');
    await waitFor(`the function processes ${children.join(', ')} to exit with their platform`, () => children.every((child) => !isRunning(child)));
    await waitFor(`the extension to notice (state "${s.api.platformState()}")`, () => ['reconnecting', 'unreachable'].includes(s.api.platformState()));
    return pid;
  }

  /** The function answers at the URL the extension's current provider gives (a new platform has a new port). */
  async function assertServes(): Promise<void> {
    const provider = await s.api.provider();
    const served = await get(await provider.functionUrl(s.environment, FIXTURE_FUNCTION));
    assert.equal(served.status, 200, served.body);
  }

  /** The views show the environment again, and the status bar no longer says unreachable. */
  async function viewsReconnected(): Promise<void> {
    await waitFor('the extension to reconnect', () => s.api.platformState() === 'connected', 30_000);
    await waitFor(`the environments tree to list ${s.environment} again`, async () => (await treeTexts(s.api.environmentsTree, 1)).some((t) => t.startsWith(s.environment)));
    await waitFor(`the status bar to stop saying "not reachable" (it shows "${s.api.statusBarText()}")`, () => !/not reachable/i.test(s.api.statusBarText()));
  }

  test('a killed platform shows as not reachable; Start Local Platform brings it back with its state', async function () {
    this.timeout(90_000);
    const killed = await killPlatform();
    await waitFor(`the status bar to say "not reachable" (it shows "${s.api.statusBarText()}")`, () => /not reachable/i.test(s.api.statusBarText()));
    assert.deepEqual(await s.api.environmentsTree.getChildren(), [], 'the environments tree still lists items from a dead platform');
    await showFlightdeckView(0);
    await screenshot('platform-unreachable');

    const label = await vscode.commands.executeCommand<string>('flightdeck.startPlatform');
    assert.match(label, /Local platform/);
    const restarted = platformPid(home);
    assert.ok(restarted && restarted !== killed && isRunning(restarted), `no new platform process (platform.json pid ${restarted})`);
    await viewsReconnected();
    await assertServes();
  });

  test('a platform restarted elsewhere (as the CLI does) is found again without a click', async function () {
    this.timeout(90_000);
    const killed = await killPlatform();
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    // Port 0: a free port, as the launcher's settings give the extension's own platform.
    const started = await ensurePlatform({
      home,
      platformScript: join(extension.extensionPath, 'dist', 'platform.js'),
      env: { ...process.env, FLIGHTDECK_PORT: '0', ELECTRON_RUN_AS_NODE: '1' },
    });
    assert.ok(started.started, 'ensurePlatform found a platform running: the extension restarted it itself');
    assert.notEqual(started.pid, killed);
    await viewsReconnected();
    await assertServes();
  });
});
