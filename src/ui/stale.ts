// Which environments the editor marks stale: personal ones whose branch is merged into the
// default branch or gone from the remote (as of the last fetch: no network on a refresh), or idle
// past flightdeck.yaml's personal.ttl. Read with the git CLI on the workspace folder; without a
// project or a repository nothing is stale, and another project's environments never are.
import { declaredProtected, findStale, mayGoStale, personalBranches, readBranchFacts, type StaleEnvironment } from '../deploy/stale';
import type { Environment } from '../model';
import type { ProjectWorkspace } from './workspace';

export async function staleEnvironments(workspace: ProjectWorkspace, environments: readonly Environment[]): Promise<StaleEnvironment[]> {
  if (!environments.some(mayGoStale)) return [];
  try {
    const [project, folder] = await Promise.all([workspace.load(), workspace.folder()]);
    const facts = await readBranchFacts(folder.fsPath, { remote: 'tracking', branches: personalBranches(environments, project.project), verdicts: workspace.mergeVerdicts }).catch(() => undefined);
    return findStale(environments, facts, {
      merged: true, gone: true, idleMs: project.personal.ttlMs, project: project.project,
      declaredProtected: declaredProtected(project),
    });
  } catch {
    return []; // no project: nothing to judge by
  }
}
