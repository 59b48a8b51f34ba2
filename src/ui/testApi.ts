// What activate() returns: a small, stable surface for the extension-host test suite
// (test/vscode/**) and for other extensions. Commands remain the main API; this exposes what
// commands cannot: the trees' contents, the status bar, and the provider behind them.
//
//   const api = vscode.extensions.getExtension<FlightdeckTestApi>('flightdeck.flightdeck')!.exports;
//   const [env] = await api.environmentsTree.getChildren();
//   api.environmentsTree.getTreeItem(env).label;   // 'alice-example-feature-login'
//   api.selectFunction('alice-example-feature-login', 'api');
//   await api.versionsTree.getChildren();          // VersionNode items, newest first
//   api.statusBarText();                           // '$(rocket) alice-example-feature-login v3'
import type * as vscode from 'vscode';
import type { Provider } from '../provider';
import type { PlatformState } from './platform';
import type { TreeNode } from './trees/node';

export interface TreeApi {
  /** Children of `node`, or the roots. Nodes carry `environment`, `function`, `version`, `alias` where they apply. */
  getChildren(node?: TreeNode): Promise<TreeNode[]>;
  getTreeItem(node: TreeNode): vscode.TreeItem;
}

export interface FlightdeckTestApi {
  environmentsTree: TreeApi;
  /** Versions of the function chosen with selectFunction (or clicked in the environments view). */
  versionsTree: TreeApi;
  statusBarText(): string;
  statusBarTooltip(): string;
  /** The Environments view's description: which provider and account. */
  environmentsDescription(): string | undefined;
  /** The provider the UI talks to; starts or reuses the local platform on first use. */
  provider(): Promise<Provider>;
  selectFunction(environment: string, fn: string): void;
  /** This workspace's personal environment name (from flightdeck.yaml `personal.name`, git user and branch). */
  personalEnvironment(): Promise<string | undefined>;
  platformState(): PlatformState;
  /** The flightdeck.yaml problems shown in the Problems panel for `uri`. */
  diagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[];
}
