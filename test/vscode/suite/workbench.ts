// Helpers the extension-host suite uses to work the workbench the way a user does: the Flightdeck
// view shown and expanded, the tree's rendered labels, edits through the editor, quick picks
// answered with the keyboard's commands, screenshots taken by the launcher.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

export interface ReplacedLine {
  /** Zero-based, as vscode.Position counts. */
  line: number;
  /** The text before the edit, to put back. */
  before: string;
}

/** Replaces the first line of `file` that starts with `prefix` through the editor (unsaved). */
export async function replaceLine(file: vscode.Uri, prefix: string, text: string): Promise<ReplacedLine> {
  const document = await vscode.workspace.openTextDocument(file);
  const line = [...Array(document.lineCount).keys()].find((i) => document.lineAt(i).text.startsWith(prefix));
  assert.ok(line !== undefined, `${file.fsPath} has no line starting "${prefix}" to edit`);
  const before = document.lineAt(line).text;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(file, document.lineAt(line).range, text);
  assert.ok(await vscode.workspace.applyEdit(edit), `the edit of ${file.fsPath} was not applied`);
  return { line, before };
}

/** Sets `const NAME = …;` in a function's source through the editor, as a user would, and saves. */
export async function editConstant(file: vscode.Uri, name: string, value: string | number): Promise<void> {
  await replaceLine(file, `const ${name} =`, `const ${name} = ${JSON.stringify(value)};`);
  assert.ok(await (await vscode.workspace.openTextDocument(file)).save(), `${file.fsPath} was not saved`);
}

/**
 * Resolves with the placeholder of the workbench's quick pick (read from the page by the launcher)
 * once one other than `previous` is open with its rows rendered. The extension host
 * has no event for a quick pick opening; the launcher watches the quick input widget instead.
 * Where no launcher reads the page (FLIGHTDECK_SCREENSHOTS unset: the Electron runner) it can
 * only allow a fixed second.
 */
async function quickPickShown(previous: string, what: string): Promise<string> {
  const dir = process.env[ENV.screenshots];
  if (!dir) {
    await sleep(1000);
    return `${previous}+`;
  }
  const name = `quick-pick-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, `${name}.pick`), previous);
  const shown = join(dir, `${name}.shown`);
  const state = await waitFor(what, () => (existsSync(shown) ? readFileSync(shown, 'utf8') : undefined), 20_000);
  if (!state) throw new Error(`${what} did not show within 15 s`);
  return state;
}

/**
 * Runs a command with no argument and answers the quick picks it asks, in order, with the item at
 * each given index (0 = the first), as a user does with the arrow keys and Enter. A command still
 * waiting after the last answer (a pick it asked that was not foreseen) is cancelled and fails.
 */
export async function runAnsweringQuickPicks<T>(command: string, answers: number[], timeoutMs = 15_000): Promise<T> {
  let settled = false;
  const result = Promise.resolve(vscode.commands.executeCommand<T>(command)).finally(() => (settled = true));
  result.catch(() => undefined); // a failure is reported after the answers, not as unhandled meanwhile
  let previous = '';
  for (const [n, index] of answers.entries()) {
    const settledFirst = result.then(() => undefined, () => undefined);
    const showing = quickPickShown(previous, `quick pick ${n + 1} of ${command}`);
    showing.catch(() => undefined); // lost to the command settling first: nothing to report
    const shown = await Promise.race([showing, settledFirst]);
    if (settled || shown === undefined) break; // it failed or asked less: send no keys to whatever has focus now
    previous = shown;
    for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${command} did not finish after ${answers.length} quick-pick answers: it asked one more, or a pick showed too late to be answered`)), timeoutMs);
  });
  try {
    return await Promise.race([result, late]);
  } catch (error) {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen'); // leave no pick open for the next test
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** What the page showed when the launcher clicked a notification's button (see clickNotification). */
export interface ClickedNotification {
  toasts: string[];
  clicked: boolean;
  /** The text of the panel (Output) after the click. */
  panel: string;
}

/**
 * Asks the launcher to click `button` on the notification whose text contains `toast`, as a
 * person would, waiting (bounded) for the panel to show `panelShows`; undefined where no launcher drives a page (FLIGHTDECK_SCREENSHOTS unset).
 */
export async function clickNotification(name: string, toast: string, button: string, panelShows?: string): Promise<ClickedNotification | undefined> {
  const dir = process.env[ENV.screenshots];
  if (!dir) return undefined;
  await sleep(500); // the notification shows after the command that raised it returns
  writeFileSync(join(dir, `${name}.click`), JSON.stringify({ toast, button, panelShows }));
  const answer = join(dir, `${name}.clicked`);
  await waitFor(`the launcher to click ${button} on "${toast}"`, () => existsSync(answer), 30_000);
  return JSON.parse(readFileSync(answer, 'utf8')) as ClickedNotification;
}
