// The commands that change traffic, beyond the happy paths of the first file: bad input refused
// with messages that say what to fix (and nothing changed), pause and roll back in the middle of a
// rollout, the no-argument forms answered through their quick picks, and Create flightdeck.yaml.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { describeAlias, type Alias, type Rollout } from '../../../src/model';
import { PRESET_EXAMPLES } from '../../../src/rollout/presets';
import type { WrittenImport } from '../../../src/config/serverlessDevs';
import type { InitResult } from '../../../src/ui/commands/init';
import { FIXTURE_FUNCTION } from '../fixture';
import { startCanaryRollout, waitForRolloutEnd } from './platform';
import { deployedSession, type Session } from './session';
import { runAnsweringQuickPicks, screenshot, showFlightdeckView, treeTexts, waitFor } from './workbench';

const fn = FIXTURE_FUNCTION;

suite('Commands', () => {
  let s: Session;
  const live = async () => describeAlias(await s.provider.getAlias(s.environment, fn, 'live'));
  /** Where `version` sits in a version quick pick that leaves out `excluded` (newest first, as the platform lists them). */
  const versionPickIndex = async (version: number, excluded: number) => {
    const { versions } = await s.provider.listVersions(s.environment, fn, { limit: 50 });
    const index = versions.filter((v) => v.id !== excluded).findIndex((v) => v.id === version);
    assert.ok(index >= 0, `v${version} is not offered when v${excluded} is excluded`);
    return index;
  };

  suiteSetup(async function () {
    this.timeout(60_000);
    s = await deployedSession();
    await vscode.commands.executeCommand('flightdeck.rollback', { environment: s.environment, function: fn, version: 1 });
    assert.equal(await live(), 'live → v1 100%');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a canary weight over 100% is refused naming the weight, and live is unchanged', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('flightdeck.setCanaryWeight', { environment: s.environment, function: fn, version: 2, weight: 150 })),
      /weight: 150% is out of range: type a percentage from 0 to 100/,
    );
    assert.equal(await live(), 'live → v1 100%');
  });

  test('a rollout action with no active rollout is refused and says to start one', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('flightdeck.rolloutAction', { environment: s.environment, function: fn, action: 'pause' })),
      new RegExp(`${s.environment}/${fn} has no active rollout.*Start one first`),
    );
  });

  test('a rollout refuses an unknown action; paused half-way and rolled back it is aborted: aborted on the platform, in the tree and the status bar', async function () {
    this.timeout(60_000);
    // A long step, so the rollout is still at 20% whatever the machine's load.
    const started = await startCanaryRollout(s.environment, fn, 2, [20, 100], 120_000);
    assert.equal(started.spec.toVersion, 2);
    await waitFor(`the status bar to show the rollout v1→v2 (it shows "${s.api.statusBarText()}")`, () => /v1\s*→\s*v2/.test(s.api.statusBarText()));

    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('flightdeck.rolloutAction', { environment: s.environment, function: fn, action: 'jump' })),
      /'action' must be one of pause, resume, continue, promote, abort; got 'jump'/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('flightdeck.rolloutAction', { environment: s.environment, function: fn, action: 'toString' })),
      /'action' must be one of pause, resume, continue, promote, abort; got 'toString'/,
    );
    const paused = await vscode.commands.executeCommand<Rollout>('flightdeck.rolloutAction', { environment: s.environment, function: fn, action: 'pause' });
    assert.equal(paused.status, 'paused');
    assert.equal((await s.provider.getRollout(s.environment, fn))?.status, 'paused');
    assert.equal(await live(), 'live → v1 80% · v2 20%');
    await waitFor(`the status bar to say paused (it shows "${s.api.statusBarText()}")`, () => /paused/i.test(s.api.statusBarText()));
    await waitFor('the environments tree to show the rollout paused', async () => (await treeTexts(s.api.environmentsTree, 3)).some((t) => /paused/i.test(t)));
    await screenshot('rollout-paused');

    // Rolling back another alias leaves live's rollout alone (beta does not exist: refused as such).
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('flightdeck.rollback', { environment: s.environment, function: fn, alias: 'beta' })));
    assert.equal((await s.provider.getRollout(s.environment, fn))?.status, 'paused', 'rolling back beta must not abort the rollout on live');
    assert.equal(await live(), 'live → v1 80% · v2 20%');

    const back = await vscode.commands.executeCommand<Alias>('flightdeck.rollback', { environment: s.environment, function: fn });
    assert.equal(back.versionId, 1, 'rolling back during a rollout returns to the version it started from');
    assert.equal(await live(), 'live → v1 100%');
    assert.equal((await s.provider.getRollout(s.environment, fn))?.status, 'aborted');
    await waitFor(`the status bar to say aborted (it shows "${s.api.statusBarText()}")`, () => /aborted/i.test(s.api.statusBarText()));
  });

  test('Set Canary Weight with no argument asks environment, version and share', async function () {
    this.timeout(30_000);
    const versionIndex = await versionPickIndex(2, 1);
    await runAnsweringQuickPicks<Alias>('flightdeck.setCanaryWeight', [0, versionIndex, 0]); // yours, v2, 1%
    assert.equal(await live(), 'live → v1 99% · v2 1%');
  });

  test('Promote with no argument asks the environment and promotes the canary', async function () {
    this.timeout(30_000);
    await runAnsweringQuickPicks<Alias>('flightdeck.promoteVersion', [0]);
    assert.equal(await live(), 'live → v2 100%');
  });

  test('Start Rollout with no argument asks environment, version and strategy; AllAtOnce goes live', async function () {
    this.timeout(60_000);
    const versionIndex = await versionPickIndex(1, 2);
    // The strategy pick lists Canary, then the presets (no `rollout:` defaults in the fixture).
    const allAtOnce = 1 + PRESET_EXAMPLES.indexOf('AllAtOnce');
    const rollout = await runAnsweringQuickPicks<Rollout>('flightdeck.startRollout', [0, versionIndex, allAtOnce]);
    assert.equal(rollout.spec.toVersion, 1);
    assert.deepEqual(rollout.spec.steps, [100]);
    const ended = await waitForRolloutEnd(s.provider, s.environment, fn, 1);
    // AllAtOnce has no step the gates could judge: it completes, unverified, not as a success.
    assert.equal(ended.status, 'completedUnverified', ended.reason);
    assert.equal(await live(), 'live → v1 100%');
  });

  /**
   * Puts the fixture's flightdeck.yaml back and waits until the workspace has read it: its project
   * (`shop`, not the starter's or the import's) names the personal environment again. The file
   * watcher reports the change a moment after the write, as it would to a person.
   */
  const restoreProject = async (saved: vscode.Uri, project: vscode.Uri) => {
    await vscode.workspace.fs.rename(saved, project, { overwrite: true });
    await waitFor('the workspace to read the restored flightdeck.yaml', async () => (await s.api.personalEnvironment()) === s.environment);
  };

  test('Create flightdeck.yaml opens the existing file and writes nothing', async () => {
    const result = await vscode.commands.executeCommand<InitResult>('flightdeck.init');
    assert.deepEqual(result.written, []);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), vscode.Uri.joinPath(s.folder, 'flightdeck.yaml').toString());
  });

  test('Create flightdeck.yaml in a folder without one writes a starter that has no problems', async function () {
    this.timeout(30_000);
    const project = vscode.Uri.joinPath(s.folder, 'flightdeck.yaml');
    const saved = vscode.Uri.joinPath(s.folder, 'flightdeck.yaml.suite-saved');
    const original = await vscode.workspace.fs.readFile(project);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.rename(project, saved);
    try {
      const result = await vscode.commands.executeCommand<InitResult>('flightdeck.init');
      assert.deepEqual(result.written.sort(), ['flightdeck.yaml', 'hello/index.js']);
      assert.match(new TextDecoder().decode(await vscode.workspace.fs.readFile(project)), /^functions:\n {2}hello:/m);
      // The editor may first show the text it last knew for this path, until the change on disk reaches it.
      await waitFor('the editor to show the new flightdeck.yaml', () => {
        const document = vscode.window.activeTextEditor?.document;
        return document?.uri.toString() === project.toString() && /^ {2}hello:/m.test(document.getText());
      });
      assert.deepEqual(vscode.languages.getDiagnostics(project), [], 'the starter flightdeck.yaml has problems');
      assert.deepEqual((await vscode.commands.executeCommand<InitResult>('flightdeck.init')).written, [], 'a second run writes nothing');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(s.folder, 'hello'), { recursive: true }).then(undefined, () => undefined);
      await restoreProject(saved, project);
    }
    assert.deepEqual(await vscode.workspace.fs.readFile(project), original);
  });
  test('Import s.yaml: offered by the welcome view, writes flightdeck.yaml, warns at s.yaml lines, never replaces without asking', async function () {
    this.timeout(60_000);
    const project = vscode.Uri.joinPath(s.folder, 'flightdeck.yaml');
    const saved = vscode.Uri.joinPath(s.folder, 'flightdeck.yaml.suite-saved');
    const sYaml = vscode.Uri.joinPath(s.folder, 's.yaml');
    const code = vscode.Uri.joinPath(s.folder, 'fcimport');
    const original = await vscode.workspace.fs.readFile(project);
    const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.rename(project, saved);
    try {
      await write(vscode.Uri.joinPath(code, 'index.js'), 'exports.handler = async (event) => ({ statusCode: 200, body: JSON.parse(event).rawPath });\n');
      await write(sYaml, [
        'edition: 3.0.0',
        'name: fc-import',
        'vars:',
        '  region: cn-hangzhou',
        'resources:',
        '  hello:',
        '    component: fc3',
        '    props:',
        '      region: ${vars.region}',
        '      functionName: fcimport',
        '      runtime: nodejs20',
        '      code: ./fcimport',
        '      handler: index.handler',
        '      role: acs:ram::1:role/x',
        '',
      ].join('\n'));
      // What a person sees: the welcome view of a folder with an s.yaml and no flightdeck.yaml.
      await showFlightdeckView(0);
      await screenshot('import-s-yaml-welcome');
      const result = await vscode.commands.executeCommand<WrittenImport>('flightdeck.importSYaml');
      assert.deepEqual(result.functions.map((f) => f.name), ['fcimport']);
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(project));
      assert.match(text, /^ {2}fcimport:\n {4}runtime: nodejs\n {4}code: \.\/fcimport\n {4}handler: index\.handler\n {4}events: fc3/m);
      await waitFor('the editor to show the imported flightdeck.yaml', () => vscode.window.activeTextEditor?.document.uri.toString() === project.toString());
      assert.deepEqual(vscode.languages.getDiagnostics(project), [], 'the imported flightdeck.yaml has problems');
      const warnings = vscode.languages.getDiagnostics(sYaml);
      assert.deepEqual(warnings.map((d) => [d.range.start.line + 1, d.severity]), [[14, vscode.DiagnosticSeverity.Warning]]);
      assert.match(warnings[0].message, /`role`.*not imported/);
      await screenshot('import-s-yaml-done');
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('flightdeck.importSYaml', { overwrite: false })),
        /already exists; importing would replace it/,
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(code, { recursive: true }).then(undefined, () => undefined);
      await vscode.workspace.fs.delete(sYaml).then(undefined, () => undefined);
      await restoreProject(saved, project);
    }
    assert.deepEqual(await vscode.workspace.fs.readFile(project), original);
  });
});
