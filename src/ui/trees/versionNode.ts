import * as vscode from 'vscode';
import { formatPercent, type Version, type VersionMetrics } from '../../model';
import { age, liveFiguresText, sourceOf } from '../format';
import { contextFlags, type TreeNode } from './node';

/** How much of an alias's traffic goes to a version. */
export interface AliasShare {
  alias: string;
  /** 0–1. */
  weight: number;
}

/** A serving version's last-minute figures, and the error rate the project's rollout gate allows. */
export interface LiveFigures {
  metrics: VersionMetrics;
  /** 0–1: flightdeck.yaml's `rollout.maxErrorRate` for the function, else the engine's default. */
  maxErrorRate: number;
}

/** One immutable version: id, age, branch@commit, description, and which aliases serve it. */
export class VersionNode implements TreeNode {
  readonly environment: string;
  readonly function: string;
  /** The version id, under the name commands take it as. */
  readonly version: number;

  constructor(
    readonly data: Version,
    readonly shares: AliasShare[],
    private readonly now: number,
    /** Only for versions serving traffic. */
    readonly live?: LiveFigures,
  ) {
    this.environment = data.environment;
    this.function = data.function;
    this.version = data.id;
  }

  toTreeItem(): vscode.TreeItem {
    const { data } = this;
    const item = new vscode.TreeItem(`v${data.id}`, vscode.TreeItemCollapsibleState.None);
    item.id = `version:${data.environment}/${data.function}/${data.id}`;
    const traffic = this.shares.map((s) => `${s.alias} ${formatPercent(s.weight)}`).join(', ');
    const { live } = this;
    const failingGate = live !== undefined && live.metrics.requests > 0 && live.metrics.errorRate > live.maxErrorRate;
    item.description = [
      traffic && `← ${traffic}`,
      live && `${failingGate ? '⚠ ' : ''}${liveFiguresText(live.metrics)}`,
      age(data.created, this.now),
      sourceOf(data),
      data.description,
    ]
      .filter(Boolean)
      .join(' · ');
    const unhealthy = data.health === 'unhealthy';
    item.iconPath = failingGate
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
      : new vscode.ThemeIcon(
          unhealthy ? 'warning' : this.shares.length ? 'circle-filled' : 'circle-outline',
          unhealthy ? new vscode.ThemeColor('list.warningForeground') : this.shares.length ? new vscode.ThemeColor('charts.green') : undefined,
        );
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**v${data.id}** of \`${data.environment}/${data.function}\`\n\n`);
    tooltip.appendText(
      [
        `Created ${data.created}`,
        sourceOf(data) && `Source ${sourceOf(data)}`,
        data.description,
        `${data.fileCount} files, ${data.codeSize} bytes, tree ${data.tree.slice(0, 12)}`,
        `Health: ${data.health}${data.healthReason ? ` (${data.healthReason})` : ''}`,
        traffic && `Traffic: ${traffic}`,
        live && `Last minute: ${liveFiguresText(live.metrics)}`,
        failingGate && `Error rate above the rollout gate (${formatPercent(live.maxErrorRate)}, flightdeck.yaml rollout.maxErrorRate)`,
        '\nRight-click to open its URL, set a canary weight, promote, roll back, start a rollout, compare or show logs.',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    item.tooltip = tooltip;
    item.contextValue = contextFlags('version', { serving: this.shares.length > 0, unhealthy, failingGate });
    return item;
  }
}

/** The last item of a page of versions: loads the next, older page. */
export class LoadMoreNode implements TreeNode {
  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
    item.id = 'versions:load-more';
    item.tooltip = 'Click to load older versions.';
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.command = { title: 'Load More Versions', command: 'flightdeck.loadMoreVersions' };
    item.contextValue = 'loadMore';
    return item;
  }
}
