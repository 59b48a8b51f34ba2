import * as vscode from 'vscode';
import type { TreeNode } from './node';

/** The function's stable URL (served by `live`). */
export class UrlNode implements TreeNode {
  readonly function: string;

  constructor(
    readonly environment: string,
    fn: string,
    readonly url: string,
  ) {
    this.function = fn;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.url, vscode.TreeItemCollapsibleState.None);
    item.id = `url:${this.environment}/${this.function}`;
    item.iconPath = new vscode.ThemeIcon('link');
    item.tooltip = `Click to open ${this.url} in the browser. Right-click to copy it.`;
    item.command = { title: 'Open URL', command: 'flightdeck.openUrl', arguments: [this] };
    item.contextValue = 'url';
    return item;
  }
}
