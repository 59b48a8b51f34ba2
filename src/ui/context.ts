// The one object that owns everything the extension creates: output channels, the platform
// session, the trees, the status bar, diagnostics, logs. Disposing it disposes all of them.
import * as vscode from 'vscode';
import { loadProviderBlock } from '../config/providerBlock';
import { describeProvider, type Provider } from '../provider';
import { DEFAULT_GATES } from '../rollout/spec';
import { registerCommands } from './commands';
import { openWalkthroughOnFirstRun } from './commands/walkthrough';
import { Config } from './config';
import { CODE_SCHEME, CodeFileSystem } from './codeFileSystem';
import { Debouncer } from './debounce';
import { ProjectDiagnostics } from './diagnostics';
import { FunctionLogs } from './logs';
import { PlatformSession, type PlatformState } from './platform';
import { RolloutNotices } from './rolloutNotices';
import { staleEnvironments } from './stale';
import { StatusBar } from './statusBar';
import type { FlightdeckTestApi } from './testApi';
import { EnvironmentsTree } from './trees/environmentsTree';
import { FunctionNode } from './trees/functionNode';
import type { TreeNode } from './trees/node';
import { VersionsTree, type FunctionRef } from './trees/versionsTree';
import { WhileVisible } from './whileVisible';
import { ProjectWorkspace } from './workspace';

const REFRESH_DEBOUNCE_MS = 150;
/** How often the Versions view re-reads its live figures while it is visible. */
const LIVE_FIGURES_REFRESH_MS = 5_000;

const STATE_MESSAGES: Record<PlatformState, string | undefined> = {
  starting: 'Connecting to the Flightdeck platform…',
  connected: undefined,
  // The welcome view says these, with Start/Show Log buttons; a tree message would hide it.
  reconnecting: undefined,
  unreachable: undefined,
};

export class FlightdeckContext implements vscode.Disposable {
  readonly config = new Config();
  readonly log = vscode.window.createOutputChannel('Flightdeck', { log: true });
  readonly platformLog = vscode.window.createOutputChannel('Flightdeck Platform', { log: true });
  readonly session: PlatformSession;
  readonly workspace = new ProjectWorkspace(async () => (await this.session.reachableProvider())?.listEnvironments());
  readonly environmentsTree: EnvironmentsTree;
  readonly versionsTree: VersionsTree;
  readonly statusBar = new StatusBar();
  readonly logs = new FunctionLogs();
  readonly diagnostics = new ProjectDiagnostics();
  private readonly environmentsView: vscode.TreeView<TreeNode>;
  private readonly versionsView: vscode.TreeView<TreeNode>;
  private readonly refreshSoon = new Debouncer(REFRESH_DEBOUNCE_MS, () => this.refresh());
  private readonly disposables: vscode.Disposable[] = [];
  /** Settles once the walkthrough is open (first run) or was not to be opened. */
  private walkthroughShown: Promise<void> = Promise.resolve();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.session = new PlatformSession({
      config: this.config,
      platformScript: extension.asAbsolutePath('dist/platform.js'),
      platformLog: this.platformLog,
      projectProvider: async () => {
        const file = await this.workspace.projectFile();
        return file && loadProviderBlock(file.fsPath);
      },
      secrets: extension.secrets,
    });
    const reachable = () => this.session.reachableProvider();
    this.environmentsTree = new EnvironmentsTree({
      reachableProvider: reachable,
      personalEnvironment: () => this.workspace.personalEnvironmentNow,
      staleEnvironments: (environments) => staleEnvironments(this.workspace, environments),
    });
    this.versionsTree = new VersionsTree({
      reachableProvider: reachable,
      maxErrorRate: async (fn) => (await this.workspace.rolloutDefaults(fn)).gates?.maxErrorRate ?? DEFAULT_GATES.maxErrorRate,
    });
    this.environmentsView = vscode.window.createTreeView('flightdeck.environments', { treeDataProvider: this.environmentsTree, showCollapseAll: true });
    this.versionsView = vscode.window.createTreeView('flightdeck.versions', { treeDataProvider: this.versionsTree });
    this.disposables.push(
      this.log,
      this.platformLog,
      this.session,
      this.workspace,
      this.environmentsTree,
      this.versionsTree,
      this.environmentsView,
      this.versionsView,
      new WhileVisible(this.versionsView, LIVE_FIGURES_REFRESH_MS, () => this.versionsTree.selected && this.versionsTree.refresh()),
      this.statusBar,
      this.logs,
      this.diagnostics,
      this.refreshSoon,
    );
  }

  /** Wires events and registers commands; cheap: nothing here waits on the platform. */
  activate(): FlightdeckTestApi {
    const notices = new RolloutNotices();
    this.disposables.push(
      vscode.workspace.registerFileSystemProvider(CODE_SCHEME, new CodeFileSystem(() => this.session.provider()), { isReadonly: true }),
      ...registerCommands(this),
      this.environmentsView.onDidChangeSelection((e) => {
        const [node] = e.selection;
        if (node instanceof FunctionNode) this.selectFunction(node);
      }),
      this.session.onDidEvent((event) => {
        this.statusBar.onEvent(event);
        notices.onEvent(event);
        this.logs.onEvent(event);
        if (event.type === 'environment.created' || event.type === 'environment.deleted') this.workspace.environmentsChanged();
        this.refreshSoon.trigger();
      }),
      this.session.onDidChangeState((state) => this.onPlatformState(state)),
      this.workspace.onDidChange(() => void this.onWorkspaceChange()),
      vscode.workspace.onDidChangeConfiguration((e) => Config.affectsProvider(e) && void this.session.restart().catch(() => undefined)),
    );
    this.onPlatformState(this.session.state);
    this.walkthroughShown = openWalkthroughOnFirstRun(this).catch((error) => this.log.warn(`Walkthrough not opened: ${String(error)}`));
    void this.onWorkspaceChange();
    void this.diagnostics.scanWorkspace();
    return this.testApi();
  }

  /** Re-reads everything shown: trees and the status bar. */
  refresh(): void {
    this.environmentsTree.refresh();
    this.versionsTree.refresh();
    void this.reloadStatusBar();
  }

  /** Shows a function's versions in the versions view; undefined clears it. */
  selectFunction(ref: FunctionRef | undefined): void {
    this.versionsTree.select(ref);
    this.versionsView.description = ref && `${ref.environment}/${ref.function}`;
  }

  /** Whether a command argument came from code (a plain object) rather than a click on a node. */
  static isProgrammatic(arg: unknown): boolean {
    return typeof arg === 'object' && arg !== null && Object.getPrototypeOf(arg) === Object.prototype;
  }

  private onPlatformState(state: PlatformState): void {
    void vscode.commands.executeCommand('setContext', 'flightdeck.platform', state);
    this.environmentsView.message = STATE_MESSAGES[state];
    this.statusBar.setConnected(state !== 'unreachable' && state !== 'reconnecting');
    this.logs.onPlatformState(state);
    // Down: the trees empty so the welcome offers Start / Show Log. Back: events may have been missed.
    if (state !== 'starting') this.refresh();
    if (state === 'connected') void this.showProvider();
  }

  /** Which provider and account the views are on: the Environments view's description and the status bar tooltip. */
  private async showProvider(): Promise<void> {
    const provider = await this.session.reachableProvider();
    if (!provider) return;
    this.environmentsView.description = describeProvider(provider);
    this.statusBar.setProvider(describeProvider(provider));
  }

  private async onWorkspaceChange(): Promise<void> {
    const file = await this.workspace.projectFile();
    await vscode.commands.executeCommand('setContext', 'flightdeck.hasProject', file !== undefined);
    await vscode.commands.executeCommand('setContext', 'flightdeck.hasSYaml', (await this.workspace.sYamlFile()) !== undefined);
    // The walkthrough's project step has a key of its own, set only once the walkthrough is open:
    // VS Code completes an onContext step only on a change it sees after registering the walkthrough.
    void this.walkthroughShown.then(() => vscode.commands.executeCommand('setContext', 'flightdeck.walkthrough.hasProject', file !== undefined));
    await this.workspace.personalEnvironment();
    await this.session.reselect();
    this.refreshSoon.trigger();
  }

  private async reloadStatusBar(): Promise<void> {
    const provider = await this.session.reachableProvider();
    if (!provider) return;
    try {
      await this.statusBar.reload(provider, await this.workspace.personalEnvironment());
    } catch (error) {
      this.log.warn(`Status bar not updated: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private testApi(): FlightdeckTestApi {
    const treeApi = (tree: vscode.TreeDataProvider<TreeNode>) => ({
      getChildren: async (node?: TreeNode) => (await tree.getChildren(node)) ?? [],
      getTreeItem: (node: TreeNode) => node.toTreeItem(),
    });
    return {
      environmentsTree: treeApi(this.environmentsTree),
      versionsTree: treeApi(this.versionsTree),
      statusBarText: () => this.statusBar.text(),
      statusBarTooltip: () => this.statusBar.tooltip(),
      environmentsDescription: () => this.environmentsView.description,
      provider: (): Promise<Provider> => this.session.provider(),
      selectFunction: (environment, fn) => this.selectFunction({ environment, function: fn }),
      personalEnvironment: () => this.workspace.personalEnvironment(),
      platformState: () => this.session.state,
      diagnostics: (uri) => this.diagnostics.problemsOf(uri),
    };
  }

  dispose(): void {
    this.disposables.splice(0).reverse().forEach((d) => d.dispose());
  }
}
