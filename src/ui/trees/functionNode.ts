import * as vscode from 'vscode';
import { isActive } from '../../rollout/plan';
import { DEFAULT_ALIAS, type FunctionSummary } from '../../model';
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
    const ready = summary.instances.filter((i) => i.state === 'ready').length;
    item.description = [versionsText(summary), `${ready}/${summary.instances.length} ready`].join(' · ');
    item.iconPath = new vscode.ThemeIcon('symbol-function');
    item.tooltip = `${summary.environment}/${summary.name}\n${summary.config.runtime}${summary.config.handler ? ` ${summary.config.handler}` : ''}\n${summary.url}`;
    item.contextValue = contextFlags('function', {
      rollout: summary.rollout !== undefined && isActive(summary.rollout),
      versions: summary.latestVersion !== undefined,
    });
    return item;
  }
}

/** `v3`, or `live v2 · latest v3` when live does not serve the newest version (e.g. after a rollback). */
function versionsText(summary: FunctionSummary): string {
  if (summary.latestVersion === undefined) return 'no versions';
  const live = summary.aliases.find((a) => a.name === DEFAULT_ALIAS)?.versionId;
  if (live === undefined || live === summary.latestVersion) return `v${summary.latestVersion}`;
  return `live v${live} · latest v${summary.latestVersion}`;
}
