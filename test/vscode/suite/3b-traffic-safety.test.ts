// Traffic safety in the editor: a deploy whose code does not start is shown as an error with
// Show Logs (clicked here as a person would, opening the version's logs) and live stays; canary,
// promote and rollout to an unhealthy version ask first; a canary weight during a rollout is
// refused naming the rollout.
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { ProjectDeployResult } from '../../../src/deploy/deployProject';
import { describeAlias } from '../../../src/model';
import { FIXTURE_FUNCTION } from '../fixture';
import { startCanaryRollout } from './platform';
import { deployedSession, type Session } from './session';
import { clickNotification, editConstant, replaceLine, screenshot } from './workbench';

const fn = FIXTURE_FUNCTION;

suite('Traffic safety', () => {
  let s: Session;
  let file: vscode.Uri;
  let broken: number;
  let good: number;
  const live = async () => describeAlias(await s.provider.getAlias(s.environment, fn, 'live'));

  suiteSetup(async function () {
    this.timeout(90_000);
    s = await deployedSession();
    file = vscode.Uri.joinPath(s.folder, fn, 'index.js');
    good = (await s.provider.getAlias(s.environment, fn, 'live')).versionId;
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a deploy whose code does not parse shows the error with Show Logs, which opens its logs; live stays', async function () {
    this.timeout(90_000);
    const edit = await replaceLine(file, 'const STATUS =', 'const STATUS = ;');
    const document = await vscode.workspace.openTextDocument(file);
    assert.ok(await document.save());
    try {
      const result = await vscode.commands.executeCommand<ProjectDeployResult>('flightdeck.deployCurrentBranch', {});
      const [api] = result.functions;
      broken = api.version;
      assert.equal(api.start.started, false);
      assert.match(api.start.reason ?? '', /index\.js:2: SyntaxError/);
      assert.equal(await live(), `live → v${good} 100%`);
      await screenshot('deploy-did-not-start');
      const channel = `Flightdeck: ${s.environment}/${fn} v${broken}`;
      const shown = await clickNotification('deploy-did-not-start', `v${broken} did not start`, 'Show Logs', channel);
      if (shown) {
        assert.ok(shown.toasts.some((t) => new RegExp(`${fn}: v${broken} did not start: .*index\\.js:2: SyntaxError.*live stays on v${good}`).test(t)), shown.toasts.join('\n'));
        assert.ok(shown.clicked, `no Show Logs button on the error: ${shown.toasts.join('\n')}`);
        // The click opened the Output panel on the version's own log channel (it exists only once Show Logs ran).
        assert.ok(shown.panel.includes(channel), `Show Logs did not open ${channel}; the panel shows: ${shown.panel.slice(0, 2000)}`);
        const lines = await s.provider.readLogs(s.environment, fn, { version: broken });
        assert.ok(lines.some((l) => /\[flightdeck\] v\d+ did not start: .*SyntaxError/.test(l.text)), 'the version\'s logs say why it did not start');
        await screenshot('deploy-did-not-start-logs');
      }
    } finally {
      const restore = new vscode.WorkspaceEdit();
      restore.replace(file, document.lineAt(edit.line).range, edit.before);
      await vscode.workspace.applyEdit(restore);
      await document.save();
    }
  });

  test('canary, promote and rollout to the unhealthy version ask first; force goes ahead', async function () {
    this.timeout(60_000);
    const target = { environment: s.environment, function: fn, version: broken };
    // VS Code refuses modals to an extension under test by quoting them: that is the question asked.
    const asked = (action: string) => new RegExp(`v${broken} is unhealthy \\(.*SyntaxError.*\\)\\. ${action}\\?`);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('flightdeck.setCanaryWeight', { ...target, weight: 10 })), asked(`Send 10% to v${broken}`));
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('flightdeck.promoteVersion', target)), asked(`Promote v${broken}`));
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('flightdeck.startRollout', { ...target, strategy: 'canary', steps: [50, 100], intervalMs: 60_000 })), asked(`Roll Out v${broken}`));
    assert.equal(await live(), `live → v${good} 100%`, 'nothing moved while asking');
    await vscode.commands.executeCommand('flightdeck.setCanaryWeight', { ...target, weight: 10, force: true });
    assert.equal(await live(), `live → v${good} 90% · v${broken} 10%`);
    await vscode.commands.executeCommand('flightdeck.setCanaryWeight', { ...target, weight: 0 });
    assert.equal(await live(), `live → v${good} 100%`);
  });

  test('a canary weight on the primary is refused; during a rollout a canary weight is refused naming it', async function () {
    this.timeout(60_000);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('flightdeck.setCanaryWeight', { environment: s.environment, function: fn, version: good, weight: 30 })),
      new RegExp(`v${good} is live's primary: it gets what the other versions leave`),
    );
    await editConstant(file, 'GREETING', 'hello from traffic safety');
    const fixed = await vscode.commands.executeCommand<ProjectDeployResult>('flightdeck.deployCurrentBranch', {});
    const next = fixed.functions[0].version;
    await vscode.commands.executeCommand('flightdeck.rollback', { environment: s.environment, function: fn, version: good });
    const rollout = await startCanaryRollout(s.environment, fn, next, [20, 100], 120_000);
    try {
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('flightdeck.setCanaryWeight', { environment: s.environment, function: fn, version: next, weight: 50 })),
        new RegExp(`Rollout ${rollout.id} of v${next} is running .*Promote it .* or abort it`),
      );
      assert.equal(await live(), `live → v${good} 80% · v${next} 20%`);
    } finally {
      await vscode.commands.executeCommand('flightdeck.rolloutAction', { environment: s.environment, function: fn, action: 'abort' });
    }
  });
});
