// Branch, commit and user of the workspace's repository, from the built-in Git extension when it
// is there (it tracks the editor's view of the repository), else from the git CLI.
import * as vscode from 'vscode';
import { FlightdeckError } from '../errors';
import { readGitInfo, type GitInfo } from '../deploy/git';

/** The part of the built-in Git extension's API (vscode.git, version 1) used here. */
interface GitExtension {
  getAPI(version: 1): GitApi;
}

interface GitApi {
  state: 'uninitialized' | 'initialized';
  onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  getRepository(uri: vscode.Uri): GitRepository | null;
}

interface GitRepository {
  state: { HEAD?: { name?: string; commit?: string }; onDidChange: vscode.Event<void> };
  getConfig(key: string): Promise<string>;
  getGlobalConfig(key: string): Promise<string>;
}

const GIT_API_WAIT_MS = 3000;

async function gitApi(): Promise<GitApi | undefined> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) return undefined;
  try {
    const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
    if (api.state === 'initialized') return api;
    // The extension finds repositories after activating; don't wait on it for long.
    return await new Promise<GitApi | undefined>((resolve) => {
      const timer = setTimeout(() => (listener.dispose(), resolve(undefined)), GIT_API_WAIT_MS);
      const listener = api.onDidChangeState((state) => {
        if (state !== 'initialized') return;
        clearTimeout(timer);
        listener.dispose();
        resolve(api);
      });
    });
  } catch {
    return undefined; // disabled or failing: the CLI still works
  }
}

async function repositoryOf(folder: vscode.Uri): Promise<GitRepository | undefined> {
  return (await gitApi())?.getRepository(folder) ?? undefined;
}

/** Branch, commit and identity of the repository holding `folder`; GIT errors say what to fix. */
export async function gitInfoOf(folder: vscode.Uri): Promise<GitInfo> {
  const repository = await repositoryOf(folder);
  const head = repository?.state.HEAD;
  if (!repository || !head?.commit) return readGitInfo(folder.fsPath);
  if (!head.name) {
    throw new FlightdeckError('GIT', `HEAD is detached at ${head.commit.slice(0, 7)} in ${folder.fsPath}: check out a branch (git switch <branch>) to deploy it to its personal environment.`);
  }
  const [userName, userEmail] = await Promise.all([configOf(repository, 'user.name'), configOf(repository, 'user.email')]);
  return { branch: head.name, commit: head.commit, userName, userEmail };
}

async function configOf(repository: GitRepository, key: string): Promise<string | undefined> {
  const local = await repository.getConfig(key).catch(() => '');
  return local || (await repository.getGlobalConfig(key).catch(() => '')) || undefined;
}

/** Calls `listener` when the branch or commit of the repository holding `folder` changes. */
export async function onDidChangeHead(folder: vscode.Uri, listener: () => void): Promise<vscode.Disposable> {
  const repository = await repositoryOf(folder);
  if (!repository) return new vscode.Disposable(() => undefined);
  let last = `${repository.state.HEAD?.name}@${repository.state.HEAD?.commit}`;
  return repository.state.onDidChange(() => {
    const now = `${repository.state.HEAD?.name}@${repository.state.HEAD?.commit}`;
    if (now !== last) {
      last = now;
      listener();
    }
  });
}
