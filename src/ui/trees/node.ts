// What every tree item is: a small class that knows how it looks. The trees decide children;
// contextValue on the item is for package.json menus only, never for logic.
import type * as vscode from 'vscode';

export interface TreeNode {
  toTreeItem(): vscode.TreeItem;
}

/** Space-separated flags matched by regex in package.json menus (`viewItem =~ /\bcanary\b/`). */
export function contextFlags(kind: string, flags: Record<string, boolean>): string {
  return [kind, ...Object.entries(flags).filter(([, on]) => on).map(([flag]) => flag)].join(' ');
}
