// This workspace as Flightdeck sees it: its flightdeck.yaml, its repository and so its personal
// environment. Watches the project file and the branch so the views follow along.
import * as vscode from 'vscode';
import { loadProjectFile, PROJECT_FILE_NAME, type ProjectConfig, type RolloutDefaults } from '../config/projectFile';
import { S_YAML_NAMES } from '../config/names';
import { deployingUser, type GitInfo } from '../deploy/git';
import type { MergeVerdicts } from '../deploy/stale';
import { branchEnvironmentName, personalEnvironmentName } from '../deploy/personalEnvironment';
import { FlightdeckError } from '../errors';
import type { Environment } from '../model';
import { gitInfoOf, onDidChangeHead } from './git';

export class ProjectWorkspace implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when flightdeck.yaml appears, changes or goes, or the branch changes. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private personal: Promise<string | undefined> | undefined;
  private personalKnown: string | undefined;
  private headListener: vscode.Disposable | undefined;
  /** Bumped when the personal environment is invalidated (or on dispose): a computation older than that is stale. */
  private personalGeneration = 0;
  private disposed = false;
  /** What git said about squash and rebase merges, so a tree refresh does not ask again for the same tips. */
  readonly mergeVerdicts: MergeVerdicts = new Map();

  /**
   * `environments` lists the provider's environments when it is reachable: a branch whose plain
   * personal name belongs to another branch has its own under a branch-distinct name.
   */
  constructor(private readonly environments: () => Promise<Environment[] | undefined>) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${PROJECT_FILE_NAME}`);
    // A Serverless Devs s.yaml appearing or going changes what the welcome view offers.
    const sYamlWatcher = vscode.workspace.createFileSystemWatcher(`**/{${S_YAML_NAMES.join(',')}}`, false, true, false);
    this.disposables.push(
      watcher,
      sYamlWatcher,
      watcher.onDidCreate(() => this.invalidate()),
      watcher.onDidDelete(() => this.invalidate()),
      watcher.onDidChange(() => this.invalidate()),
      sYamlWatcher.onDidCreate(() => this.invalidate()),
      sYamlWatcher.onDidDelete(() => this.invalidate()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.invalidate()),
      this.changed,
    );
  }

  /** The first workspace folder's flightdeck.yaml, if any folder has one. */
  projectFile(): Promise<vscode.Uri | undefined> {
    return firstInFolders([PROJECT_FILE_NAME]);
  }

  /** The first workspace folder's Serverless Devs s.yaml (or s.yml), if any folder has one. */
  sYamlFile(): Promise<vscode.Uri | undefined> {
    return firstInFolders(S_YAML_NAMES);
  }

  /** The parsed project; NO_PROJECT or CONFIG_INVALID say what to fix. */
  async load(): Promise<ProjectConfig> {
    const file = await this.projectFile();
    if (!file) {
      const where = vscode.workspace.workspaceFolders?.length ? 'this workspace' : 'an open folder (open one first)';
      throw new FlightdeckError('NO_PROJECT', `There is no ${PROJECT_FILE_NAME} in ${where}. Run "Flightdeck: Create flightdeck.yaml".`);
    }
    return loadProjectFile(file.fsPath);
  }

  /** Where the project lives: the folder of its flightdeck.yaml. */
  async folder(): Promise<vscode.Uri> {
    const file = await this.projectFile();
    if (file) return vscode.Uri.joinPath(file, '..');
    const [first] = vscode.workspace.workspaceFolders ?? [];
    if (!first) throw new FlightdeckError('NO_PROJECT', 'No folder is open. Open the folder of your project first.');
    return first.uri;
  }

  /** The function's `rollout:` defaults from flightdeck.yaml; none without a (valid) project file, where the engine's defaults apply. */
  async rolloutDefaults(fn: string): Promise<RolloutDefaults> {
    try {
      return (await this.load()).functions.find((f) => f.name === fn)?.rollout ?? {};
    } catch {
      return {};
    }
  }

  async git(): Promise<GitInfo> {
    return gitInfoOf(await this.folder());
  }

  /** This workspace's personal environment, or undefined without a project or a branch. */
  personalEnvironment(): Promise<string | undefined> {
    this.personal ??= this.computePersonal(this.personalGeneration);
    return this.personal;
  }

  /** The last known personal environment, for synchronous callers (tree items). */
  get personalEnvironmentNow(): string | undefined {
    return this.personalKnown;
  }

  private async computePersonal(generation: number): Promise<string | undefined> {
    const name = await this.readPersonal();
    if (generation !== this.personalGeneration) {
      // Invalidated meanwhile (an environment came, the branch or the project changed): keep nothing
      // of this reading, and answer the caller from the reading that replaces it.
      return this.disposed ? undefined : this.personalEnvironment();
    }
    this.personalKnown = name;
    return name;
  }

  private async readPersonal(): Promise<string | undefined> {
    try {
      const project = await this.load();
      const folder = await this.folder();
      const git = await gitInfoOf(folder);
      await this.listenToHead(folder);
      const plain = personalEnvironmentName(project.personal.name, { user: deployingUser(git), branch: git.branch, project: project.project });
      const known = await this.environments().catch(() => undefined);
      return branchEnvironmentName(known ?? [], plain, { branch: git.branch, project: project.project });
    } catch {
      return undefined; // no project, invalid project or no branch: the commands explain why
    }
  }

  /** Swaps the HEAD listener only once the new one exists, and only if nothing invalidated it meanwhile. */
  private async listenToHead(folder: vscode.Uri): Promise<void> {
    const generation = this.personalGeneration;
    const listener = await onDidChangeHead(folder, () => this.invalidate());
    if (generation !== this.personalGeneration) {
      listener.dispose();
      return;
    }
    this.headListener?.dispose();
    this.headListener = listener;
  }

  /** An environment came or went: the branch's own may now have another name. */
  environmentsChanged(): void {
    this.invalidate();
  }

  private invalidate(): void {
    this.personalGeneration++;
    this.personal = undefined;
    this.changed.fire();
  }

  dispose(): void {
    this.disposed = true;
    this.personalGeneration++;
    this.headListener?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

async function firstInFolders(names: readonly string[]): Promise<vscode.Uri | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const name of names) {
      const uri = vscode.Uri.joinPath(folder.uri, name);
      if (await fileExists(uri)) return uri;
    }
  }
  return undefined;
}

export function fileExists(uri: vscode.Uri): Promise<boolean> {
  return Promise.resolve(vscode.workspace.fs.stat(uri)).then(
    () => true,
    () => false,
  );
}
