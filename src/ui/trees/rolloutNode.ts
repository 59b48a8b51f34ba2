import * as vscode from 'vscode';
import type { Rollout } from '../../model';
import { rolloutProgress, rolloutStatusWord, rolloutTooltip } from '../format';
import { isActive } from '../../rollout/plan';
import { contextFlags, type TreeNode } from './node';

/** The function's active rollout: progress, state, and the gates' figures in the tooltip. */
export class RolloutNode implements TreeNode {
  readonly environment: string;
  readonly function: string;

  constructor(readonly rollout: Rollout) {
    this.environment = rollout.environment;
    this.function = rollout.function;
  }

  toTreeItem(): vscode.TreeItem {
    const { rollout } = this;
    const item = new vscode.TreeItem(`Rollout ${rolloutProgress(rollout)}`, vscode.TreeItemCollapsibleState.None);
    item.id = `rollout:${rollout.environment}/${rollout.function}`;
    item.description = rolloutStatusWord(rollout.status);
    const active = isActive(rollout);
    item.tooltip = `${rolloutTooltip(rollout)}${active ? '\n\nClick to pause, resume, promote or abort it.' : ''}`;
    if (active) item.command = { title: 'Rollout Action…', command: 'flightdeck.rolloutAction', arguments: [this] };
    item.iconPath = new vscode.ThemeIcon(active ? (rollout.status === 'running' ? 'sync~spin' : 'debug-pause') : 'history');
    item.contextValue = contextFlags('rollout', { active, [rollout.status]: true });
    return item;
  }
}
