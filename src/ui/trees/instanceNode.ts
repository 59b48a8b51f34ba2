import * as vscode from 'vscode';
import type { Instance, InstanceState } from '../../model';
import type { TreeNode } from './node';

const ICONS: Record<InstanceState, [string, string | undefined]> = {
  starting: ['loading~spin', undefined],
  ready: ['pass', 'testing.iconPassed'],
  draining: ['debug-disconnect', 'charts.yellow'],
  stopping: ['debug-stop', 'charts.yellow'],
  crashed: ['error', 'testing.iconFailed'],
};

/** The instances of a function, grouped under one collapsible item. */
export class InstancesNode implements TreeNode {
  readonly function: string;

  constructor(
    readonly environment: string,
    fn: string,
    readonly instances: Instance[],
  ) {
    this.function = fn;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Instances', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `instances:${this.environment}/${this.function}`;
    item.description = String(this.instances.length);
    item.iconPath = new vscode.ThemeIcon('server-process');
    item.tooltip = `${this.instances.length} instance(s) of ${this.environment}/${this.function}. Click to show or hide them.`;
    item.contextValue = 'instances';
    return item;
  }

  children(): InstanceNode[] {
    return [...this.instances].sort((a, b) => a.slot - b.slot).map((i) => new InstanceNode(this.environment, this.function, i));
  }
}

/** One running instance: its slot, state and version. */
export class InstanceNode implements TreeNode {
  readonly function: string;
  readonly version: number;

  constructor(
    readonly environment: string,
    fn: string,
    readonly instance: Instance,
  ) {
    this.function = fn;
    this.version = instance.versionId;
  }

  toTreeItem(): vscode.TreeItem {
    const { instance } = this;
    const item = new vscode.TreeItem(`slot ${instance.slot}`, vscode.TreeItemCollapsibleState.None);
    item.id = `instance:${this.environment}/${this.function}/${instance.id}`;
    item.description = `${instance.state} · v${instance.versionId}${instance.inFlight ? ` · ${instance.inFlight} in flight` : ''}`;
    const [icon, color] = ICONS[instance.state];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = [
      `Instance ${instance.id}`,
      instance.pid ? `pid ${instance.pid}` : '',
      instance.port ? `port ${instance.port}` : '',
      `started ${instance.started}`,
      `restarts ${instance.restarts}`,
      `\nClick to show v${instance.versionId}'s logs.`,
    ]
      .filter(Boolean)
      .join('\n');
    item.command = { title: 'Show Logs', command: 'flightdeck.showLogs', arguments: [this] };
    item.contextValue = 'instance';
    return item;
  }
}
