// Pause, Resume, Continue, Promote or Abort a rollout: `{environment, function, action}`, or a
// quick pick of the actions that fit its state (the status bar's rollout when there is one).
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import type { Rollout, RolloutStatus } from '../../model';
import type { RolloutAction } from '../../provider';
import { isActive } from '../../rollout/plan';
import type { FlightdeckContext } from '../context';
import { confirmProtected, resolveFunction, type Target } from '../pick';
import { argsOf, stringArg, targetOf } from './args';

const ACTIONS: Record<RolloutAction, { label: string; detail: string }> = {
  pause: { label: 'Pause', detail: 'Hold traffic where it is' },
  resume: { label: 'Resume', detail: 'Carry on from the current step' },
  continue: { label: 'Continue', detail: 'Start the next batch' },
  promote: { label: 'Promote', detail: 'Skip the remaining steps: 100% to the new version now' },
  abort: { label: 'Abort', detail: 'Send all traffic back to the previous version' },
};

/** The actions that make sense in each state; ended rollouts take none. */
export const ACTIONS_BY_STATUS: Record<RolloutStatus, RolloutAction[]> = {
  running: ['pause', 'promote', 'abort'],
  paused: ['resume', 'promote', 'abort'],
  waiting: ['continue', 'promote', 'abort'],
  succeeded: [],
  completedUnverified: [],
  rolledBack: [],
  aborted: [],
};

export async function rolloutAction(ctx: FlightdeckContext, arg: unknown): Promise<Rollout> {
  const provider = await ctx.session.provider();
  const shown = ctx.statusBar.shownRollout;
  const given = targetOf(arg);
  const target: Target = given.environment || !shown ? given : { environment: shown.environment, function: shown.function };
  const ref = await resolveFunction(provider, target, 'Rollout action', ctx.workspace.personalEnvironmentNow);
  const rollout = await provider.getRollout(ref.environment, ref.function);
  if (!rollout || !isActive(rollout)) {
    throw new FlightdeckError('NOT_FOUND', `${ref.environment}/${ref.function} has no active rollout${rollout ? ` (the last one ${rollout.status})` : ''}. Start one first.`);
  }
  const action = actionArg(arg) ?? (await pickAction(rollout));
  await confirmProtected(provider, ref.environment, `${ACTIONS[action].label} the rollout of v${rollout.spec.toVersion}`, given.confirm);
  return provider.rolloutAction(ref.environment, ref.function, action);
}

function actionArg(arg: unknown): RolloutAction | undefined {
  const action = stringArg(argsOf(arg), 'action');
  if (action === undefined || Object.hasOwn(ACTIONS, action)) return action as RolloutAction | undefined;
  throw new FlightdeckError('BAD_REQUEST', `'action' must be one of ${Object.keys(ACTIONS).join(', ')}; got '${action}'.`, { field: 'action' });
}

async function pickAction(rollout: Rollout): Promise<RolloutAction> {
  const items = ACTIONS_BY_STATUS[rollout.status].map((action) => ({ ...ACTIONS[action], action }));
  const pick = await vscode.window.showQuickPick(items, { placeHolder: `Rollout of v${rollout.spec.toVersion} is ${rollout.status}: what now?` });
  if (!pick) throw new FlightdeckError('CANCELLED', 'No rollout action chosen.');
  return pick.action;
}
