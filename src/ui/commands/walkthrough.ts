// The "Get Started with Flightdeck" walkthrough (package.json contributes.walkthroughs): opened by
// the command (the welcome views link it) and once on the first activation of an installed copy,
// where VS Code's own open-on-install does not reach (a VSIX installed from the command line or
// before the window opened).
import * as vscode from 'vscode';
import type { FlightdeckContext } from '../context';

const WALKTHROUGH_ID = 'gettingStarted';
const OPENED_KEY = 'flightdeck.walkthroughOpened';

export async function openWalkthrough(ctx: FlightdeckContext): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ctx.extension.extension.id}#${WALKTHROUGH_ID}`, false);
}

/** Opens the walkthrough on the first run of an installed extension; never in development or tests. */
export async function openWalkthroughOnFirstRun(ctx: FlightdeckContext): Promise<void> {
  const { extensionMode, globalState } = ctx.extension;
  if (extensionMode !== vscode.ExtensionMode.Production || globalState.get<boolean>(OPENED_KEY)) return;
  await globalState.update(OPENED_KEY, true);
  await openWalkthrough(ctx);
}
