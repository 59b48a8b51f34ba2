// A notification when a rollout rolls back, once per rollout, with why and the gates' figures.
import * as vscode from 'vscode';
import type { PlatformEvent } from '../model';

export class RolloutNotices {
  private readonly told = new Set<string>();

  onEvent(event: PlatformEvent): void {
    const rollout = event.rollout;
    if (event.type !== 'rollout.updated' || rollout?.status !== 'rolledBack' || this.told.has(rollout.id)) return;
    this.told.add(rollout.id);
    const target = { environment: rollout.environment, function: rollout.function, version: rollout.spec.toVersion };
    const message = `Rollout of ${rollout.environment}/${rollout.function} v${rollout.spec.toVersion} rolled back to v${rollout.fromVersion}: ${rollout.reason ?? 'no reason given'}.`;
    void vscode.window.showWarningMessage(message, 'Show Logs').then((choice) => {
      if (choice === 'Show Logs') void vscode.commands.executeCommand('flightdeck.showLogs', target);
    });
  }
}
