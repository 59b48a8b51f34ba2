// The environments view: environment → function → aliases, URL, instances, active rollout.
// Children come from the provider on demand; the context refreshes it on platform events.
import { isActive } from '../../rollout/plan';
import * as vscode from 'vscode';
import type { StaleEnvironment } from '../../deploy/stale';
import type { Environment, FunctionSummary } from '../../model';
import type { Provider } from '../../provider';
import { AliasNode } from './aliasNode';
import { EnvironmentNode } from './environmentNode';
import { FunctionNode } from './functionNode';
import { InstancesNode } from './instanceNode';
import type { TreeNode } from './node';
import { RolloutNode } from './rolloutNode';
import { UrlNode } from './urlNode';

export interface EnvironmentsTreeSource {
  /** The provider, or undefined when the platform is not reachable (the view then shows its welcome). */
  reachableProvider(): Promise<Provider | undefined>;
  /** The current user's personal environment, to mark it `yours`. */
  personalEnvironment(): string | undefined;
  /** The environments to mark stale, and why. */
  staleEnvironments(environments: readonly Environment[]): Promise<StaleEnvironment[]>;
}

export class EnvironmentsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly source: EnvironmentsTreeSource) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node instanceof FunctionNode) return functionChildren(node.summary);
    if (node instanceof InstancesNode) return node.children();
    if (node !== undefined && !(node instanceof EnvironmentNode)) return [];
    const provider = await this.source.reachableProvider();
    if (!provider) return [];
    if (node instanceof EnvironmentNode) {
      const functions = await provider.listFunctions(node.env.name);
      return functions.sort((a, b) => a.name.localeCompare(b.name)).map((f) => new FunctionNode(f));
    }
    const personal = this.source.personalEnvironment();
    const environments = await provider.listEnvironments();
    const stale = new Map((await this.source.staleEnvironments(environments)).map((s) => [s.environment.name, s.reasons]));
    return environments
      .map((env) => new EnvironmentNode(env, env.name === personal, stale.get(env.name)))
      .sort((a, b) => Number(b.yours) - Number(a.yours) || a.env.name.localeCompare(b.env.name));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function functionChildren(summary: FunctionSummary): TreeNode[] {
  const { environment, name } = summary;
  const nodes: TreeNode[] = summary.aliases.map((alias) => new AliasNode(environment, name, alias));
  if (summary.rollout && isActive(summary.rollout)) nodes.unshift(new RolloutNode(summary.rollout));
  nodes.push(new UrlNode(environment, name, summary.url));
  if (summary.instances.length) nodes.push(new InstancesNode(environment, name, summary.instances));
  return nodes;
}
