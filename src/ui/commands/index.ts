// The command table: every command id and its handler, registered in one loop through the one
// error wrapper. Handlers return their result so code callers (tests) can check it.
import * as vscode from 'vscode';
import { FlightdeckContext } from '../context';
import { runReporting } from '../errors';
import { compareVersions } from './compareVersions';
import { deleteEnvironment } from './deleteEnvironment';
import { deleteStaleEnvironments } from './deleteStaleEnvironments';
import { deployCurrentBranch } from './deployCurrentBranch';
import { enterAlibabaCloudKey } from './enterAlibabaCloudKey';
import { importSYaml } from './importSYaml';
import { init } from './init';
import { showLog, showPlatformLog, startPlatform } from './platform';
import { promoteVersion } from './promoteVersion';
import { rollback } from './rollback';
import { rolloutAction } from './rolloutAction';
import { setCanaryWeight } from './setCanaryWeight';
import { showLogs } from './showLogs';
import { startRollout } from './startRollout';
import { statusBarActions } from './statusBarActions';
import type { CommandHandler } from './types';
import { copyUrl, openUrl } from './url';
import { loadMoreVersions, refresh, selectFunction } from './views';
import { openWalkthrough } from './walkthrough';

const COMMANDS: Record<string, CommandHandler> = {
  'flightdeck.deployCurrentBranch': deployCurrentBranch,
  'flightdeck.setCanaryWeight': setCanaryWeight,
  'flightdeck.promoteVersion': promoteVersion,
  'flightdeck.rollback': rollback,
  'flightdeck.compareVersions': compareVersions,
  'flightdeck.openUrl': openUrl,
  'flightdeck.copyUrl': copyUrl,
  'flightdeck.deleteEnvironment': deleteEnvironment,
  'flightdeck.deleteStaleEnvironments': deleteStaleEnvironments,
  'flightdeck.refresh': refresh,
  'flightdeck.init': init,
  'flightdeck.importSYaml': importSYaml,
  'flightdeck.showLogs': showLogs,
  'flightdeck.startRollout': startRollout,
  'flightdeck.rolloutAction': rolloutAction,
  'flightdeck.startPlatform': startPlatform,
  'flightdeck.showPlatformLog': showPlatformLog,
  'flightdeck.showLog': showLog,
  'flightdeck.selectFunction': selectFunction,
  'flightdeck.loadMoreVersions': loadMoreVersions,
  'flightdeck.statusBarActions': statusBarActions,
  'flightdeck.openWalkthrough': openWalkthrough,
  'flightdeck.enterAlibabaCloudKey': enterAlibabaCloudKey,
};

export function registerCommands(ctx: FlightdeckContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, (arg: unknown) =>
      runReporting(id, () => handler(ctx, arg), { log: ctx.log, rethrow: FlightdeckContext.isProgrammatic(arg) }),
    ),
  );
}
