// A click on the status bar: the actions that fit what it shows (a rollout's state, the
// personal environment, or a platform that is down).
import * as vscode from 'vscode';
import { isActive } from '../../rollout/plan';
import type { FlightdeckContext } from '../context';
import { ACTIONS_BY_STATUS } from './rolloutAction';

interface ActionItem extends vscode.QuickPickItem {
  run(): Thenable<unknown>;
}

export async function statusBarActions(ctx: FlightdeckContext): Promise<void> {
  const pick = await vscode.window.showQuickPick(actionsFor(ctx), { placeHolder: 'Flightdeck' });
  // The command reports its own failure; don't report it twice.
  await pick?.run().then(undefined, () => undefined);
}

function actionsFor(ctx: FlightdeckContext): ActionItem[] {
  const command = (label: string, id: string, arg?: unknown, description?: string): ActionItem => ({
    label,
    description,
    run: () => vscode.commands.executeCommand(id, arg),
  });
  const state = ctx.session.state;
  if (state === 'unreachable' || state === 'reconnecting') {
    return [command('$(play) Start Local Platform', 'flightdeck.startPlatform'), command('$(output) Show Platform Log', 'flightdeck.showPlatformLog')];
  }
  const rollout = ctx.statusBar.shownRollout;
  if (rollout) {
    const ref = { environment: rollout.environment, function: rollout.function };
    const actions = ACTIONS_BY_STATUS[rollout.status].map((action) =>
      command(`$(debug-${action === 'abort' ? 'stop' : action === 'pause' ? 'pause' : 'continue'}) ${action[0].toUpperCase()}${action.slice(1)}`, 'flightdeck.rolloutAction', { ...ref, action }),
    );
    const logs = command('$(output) Show Logs', 'flightdeck.showLogs', { ...ref, version: rollout.spec.toVersion }, `v${rollout.spec.toVersion}`);
    const dismiss: ActionItem = { label: '$(close) Dismiss', description: 'back to the environment', run: async () => ctx.statusBar.dismissRollout() };
    return isActive(rollout) ? [...actions, logs] : [logs, dismiss];
  }
  const personal = ctx.workspace.personalEnvironmentNow;
  const ref = personal ? { environment: personal } : undefined;
  return [
    command('$(rocket) Deploy Current Branch', 'flightdeck.deployCurrentBranch'),
    command('$(link-external) Open URL', 'flightdeck.openUrl', ref),
    command('$(copy) Copy URL', 'flightdeck.copyUrl', ref),
    command('$(output) Show Logs', 'flightdeck.showLogs', ref),
    command('$(refresh) Refresh', 'flightdeck.refresh'),
  ];
}
