// Helpers the extension-host suite uses to look at the workbench the way a user does: the
// Flightdeck view shown and expanded, the tree's rendered labels, screenshots taken by the launcher.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as vscode from 'vscode';
import type { TreeApi } from '../../../src/ui/testApi';
import type { TreeNode } from '../../../src/ui/trees/node';
import { ENV } from '../fixture';

/** Polls `probe` until it returns a value other than undefined/false; fails naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error; // keep polling: the platform or the view may still be catching up
    }
    await sleep(100);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${cause}`);
}

/** The text a user reads on a tree item: label and description. */
function itemText(item: vscode.TreeItem): string {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const description = typeof item.description === 'string' ? item.description : '';
  return description ? `${label} — ${description}` : label;
}

/** Every item of a tree, depth first, as the text a user reads, down to `maxDepth` levels. */
export async function treeTexts(tree: TreeApi, maxDepth = 4): Promise<string[]> {
  const texts: string[] = [];
  const visit = async (node: TreeNode | undefined, depth: number): Promise<void> => {
    if (depth >= maxDepth) return;
    for (const child of await tree.getChildren(node)) {
      const item = tree.getTreeItem(child);
      texts.push('  '.repeat(depth) + itemText(item));
      if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None) await visit(child, depth + 1);
    }
  };
  await visit(undefined, 0);
  return texts;
}

/**
 * Shows the Flightdeck view container and expands the environments tree from the top, so a
 * screenshot shows what a user sees after clicking through it. Keyboard-style (`list.expand`,
 * `list.focusDown`) because the test API hands out the data, not the TreeView. The pauses let
 * the view render children it loads asynchronously from the provider.
 */
export async function showFlightdeckView(steps = 8): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.extension.flightdeck');
  await sleep(1000);
  await vscode.commands.executeCommand('flightdeck.environments.focus');
  await sleep(500);
  await vscode.commands.executeCommand('list.focusFirst');
  for (let i = 0; i < steps; i++) {
    await vscode.commands.executeCommand('list.expand');
    await sleep(500);
    await vscode.commands.executeCommand('list.focusDown');
  }
}

/**
 * Asks the launcher for a screenshot of the whole workbench (test-results/<name>.png) and waits
 * for it. A no-op where no launcher takes screenshots (FLIGHTDECK_SCREENSHOTS unset).
 */
export async function screenshot(name: string): Promise<void> {
  const dir = process.env[ENV.screenshots];
  if (!dir) return;
  await sleep(500); // the workbench paints after the commands that changed it return
  writeFileSync(join(dir, `${name}.request`), '');
  await waitFor(`the launcher to take screenshot ${name}`, () => existsSync(join(dir, `${name}.done`)), 20_000);
}
