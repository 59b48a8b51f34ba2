// The versions view: the versions of the function selected in the environments view, newest
// first, a page at a time, each with the aliases that send it traffic and, for those serving, its
// last minute's figures against the project's rollout gate.
import * as vscode from 'vscode';
import { trafficSplit, type Alias, type Version, type VersionMetrics } from '../../model';
import type { Provider } from '../../provider';
import type { TreeNode } from './node';
import { LoadMoreNode, VersionNode, type AliasShare } from './versionNode';

/** The window the live figures cover. */
export const LIVE_WINDOW_MS = 60_000;

export interface FunctionRef {
  environment: string;
  function: string;
}

const PAGE_SIZE = 20;

/** What has been loaded for the selected function; dropped when the selection changes. */
interface Loaded {
  versions: Version[];
  nextBefore?: number;
  aliases: Alias[];
  metrics: VersionMetrics[];
  /** The function's rollout gate error rate, 0–1. */
  maxErrorRate: number;
}

export interface VersionsTreeSource {
  reachableProvider(): Promise<Provider | undefined>;
  /** The error rate a rollout of the function would stop at (flightdeck.yaml, else the engine's default). */
  maxErrorRate(fn: string): Promise<number>;
}

export class VersionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private selectedRef: FunctionRef | undefined;
  private loaded: Promise<Loaded> | undefined;

  constructor(private readonly source: VersionsTreeSource) {}

  get selected(): FunctionRef | undefined {
    return this.selectedRef;
  }

  select(ref: FunctionRef | undefined): void {
    this.selectedRef = ref && { environment: ref.environment, function: ref.function };
    this.loaded = undefined;
    this.changed.fire(undefined);
  }

  /** Reloads as many versions as were shown, so paging survives a refresh. */
  refresh(): void {
    const previous = this.loaded;
    this.loaded = previous && previous.then(
      (p) => this.load(Math.max(PAGE_SIZE, p.versions.length)),
      () => this.load(PAGE_SIZE),
    );
    this.changed.fire(undefined);
  }

  async loadMore(): Promise<void> {
    const current = this.loaded && (await this.loaded);
    if (!current?.nextBefore || !this.selectedRef) return;
    const ref = this.selectedRef;
    const provider = await this.source.reachableProvider();
    if (!provider) return;
    const page = await provider.listVersions(ref.environment, ref.function, { limit: PAGE_SIZE, before: current.nextBefore });
    this.loaded = Promise.resolve({ ...current, versions: [...current.versions, ...page.versions], nextBefore: page.nextBefore });
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node || !this.selectedRef) return [];
    this.loaded ??= this.load(PAGE_SIZE);
    const { versions, nextBefore, aliases, metrics, maxErrorRate } = await this.loaded;
    const now = Date.now();
    const nodes: TreeNode[] = versions.map((v) => {
      const shares = sharesOf(v.id, aliases);
      const figures = shares.length > 0 ? metrics.find((m) => m.versionId === v.id) : undefined;
      return new VersionNode(v, shares, now, figures && { metrics: figures, maxErrorRate });
    });
    if (nextBefore !== undefined) nodes.push(new LoadMoreNode());
    return nodes;
  }

  private async load(limit: number): Promise<Loaded> {
    const ref = this.selectedRef;
    const provider = await this.source.reachableProvider();
    if (!ref || !provider) return { versions: [], aliases: [], metrics: [], maxErrorRate: 1 };
    try {
      const [page, aliases, metrics, maxErrorRate] = await Promise.all([
        provider.listVersions(ref.environment, ref.function, { limit }),
        provider.listAliases(ref.environment, ref.function),
        provider.getMetrics(ref.environment, ref.function, LIVE_WINDOW_MS),
        this.source.maxErrorRate(ref.function),
      ]);
      return { versions: page.versions, nextBefore: page.nextBefore, aliases, metrics, maxErrorRate };
    } catch (error) {
      // The function may have gone with its environment; show nothing rather than a stale page.
      this.loaded = undefined;
      throw error;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function sharesOf(versionId: number, aliases: Alias[]): AliasShare[] {
  return aliases.flatMap((alias) =>
    trafficSplit(alias)
      .filter((share) => share.versionId === versionId && share.weight > 0)
      .map((share) => ({ alias: alias.name, weight: share.weight })),
  );
}
