import * as vscode from 'vscode';
import { describeAlias, trafficSplit, type Alias } from '../../model';
import { contextFlags, type TreeNode } from './node';

/** An alias with its weights inline: `live → v12 90% · v13 10%`. */
export class AliasNode implements TreeNode {
  readonly function: string;
  readonly alias: string;

  constructor(
    readonly environment: string,
    fn: string,
    readonly data: Alias,
  ) {
    this.function = fn;
    this.alias = data.name;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(describeAlias(this.data), vscode.TreeItemCollapsibleState.None);
    item.id = `alias:${this.environment}/${this.function}/${this.data.name}`;
    item.iconPath = new vscode.ThemeIcon('git-compare');
    item.tooltip = `${this.data.description ?? this.data.name}\nUpdated ${this.data.updated}\n\nRight-click (or the inline button) to set its canary weight, promote or roll back.`;
    item.contextValue = contextFlags('alias', { canary: trafficSplit(this.data).length > 1 });
    return item;
  }
}
