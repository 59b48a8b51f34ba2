import * as vscode from 'vscode';
import { describeReason, reasonBadge, type StaleReason } from '../../deploy/stale';
import type { Environment } from '../../model';
import { contextFlags, type TreeNode } from './node';

/** An environment; `yours` when it is the current user's personal environment; `stale` says why it may go. */
export class EnvironmentNode implements TreeNode {
  /** The environment's name, so the node can be passed to commands as their argument. */
  readonly environment: string;

  constructor(
    readonly env: Environment,
    readonly yours: boolean,
    readonly stale: readonly StaleReason[] = [],
  ) {
    this.environment = env.name;
  }

  toTreeItem(): vscode.TreeItem {
    // Yours opens expanded: it is what you deploy to all day.
    const state = this.yours ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(this.env.name, state);
    item.id = `env:${this.env.name}`;
    // Your own environment needs no owner; others' show whose they are. Why it is stale comes
    // first, where a narrow side bar does not cut it off.
    const parts = this.yours ? ['yours', this.env.branch] : [this.env.kind, this.env.owner, this.env.branch];
    item.description = [...this.stale.map(reasonBadge), ...parts].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(
      this.yours ? 'account' : this.env.protected ? 'lock' : this.env.kind === 'staging' ? 'beaker' : 'server-environment',
      this.yours ? new vscode.ThemeColor('charts.green') : undefined,
    );
    item.tooltip = [
      `${this.env.name} (${this.env.kind}${this.env.protected ? ', protected' : ''})`,
      this.env.owner ? `Owner: ${this.env.owner}` : '',
      this.env.branch ? `Branch: ${this.env.branch}` : '',
      this.env.project ? `Project: ${this.env.project}` : '',
      `Created: ${this.env.created}`,
      this.stale.length > 0 ? `Stale: ${this.stale.map(describeReason).join(', ')} (Delete Stale Environments… removes it)` : '',
      '\nClick to show or hide its functions. Right-click to deploy the current branch here or delete it.',
    ]
      .filter(Boolean)
      .join('\n');
    item.contextValue = contextFlags('environment', { [this.env.kind]: true, protected: this.env.protected, yours: this.yours, stale: this.stale.length > 0 });
    return item;
  }
}
