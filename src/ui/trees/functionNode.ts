import * as vscode from 'vscode';
import { isActive } from '../../rollout/plan';
import type { FunctionSummary } from '../../model';
import { instancesText, servedVersionsText } from '../format';
import { contextFlags, type TreeNode } from './node';

/** A function in an environment; selecting it shows its versions in the versions view (see FlightdeckContext). */
export class FunctionNode implements TreeNode {
  readonly environment: string;
  readonly function: string;

  constructor(readonly summary: FunctionSummary) {
    this.environment = summary.environment;
    this.function = summary.name;
  }

  toTreeItem(): vscode.TreeItem {
    const { summary } = this;
    const item = new vscode.TreeItem(summary.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `fn:${summary.environment}/${summary.name}`;
    item.description = [servedVersionsText(summary), instancesText(summary)].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('symbol-function');
    item.tooltip = [
      `${summary.environment}/${summary.name}: ${item.description}`,
      `${summary.config.runtime}${summary.config.handler ? ` ${summary.config.handler}` : ''}`,
      summary.url,
      '',
      'Click to show its versions in the Versions view. Right-click to deploy, open the URL, set a canary weight, promote, roll back or start a rollout.',
    ].join('\n');
    item.contextValue = contextFlags('function', {
      rollout: summary.rollout !== undefined && isActive(summary.rollout),
      versions: summary.latestVersion !== undefined,
    });
    return item;
  }
}
