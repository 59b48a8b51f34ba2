// Deploys the checked-out branch to its personal environment (or `{environment}`): every function
// of flightdeck.yaml, or `{function}`. Creates the environment on first deploy.
import * as vscode from 'vscode';
import { deployFailure, deployProject, describeLiveChange, notStarted, type ProjectDeployResult } from '../../deploy/deployProject';
import { deployingOwner, deployingUser, type GitInfo } from '../../deploy/git';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { homeLayout } from '../../platform/paths';
import type { Provider } from '../../provider';
import { FlightdeckContext } from '../context';
import { confirmProtected } from '../pick';
import { argsOf, booleanArg, stringArg } from './args';

export async function deployCurrentBranch(ctx: FlightdeckContext, arg: unknown): Promise<ProjectDeployResult> {
  const args = argsOf(arg);
  const fn = stringArg(args, 'function');
  const project = await ctx.workspace.load();
  await saveDirtyFiles(booleanArg(args, 'save') ?? (FlightdeckContext.isProgrammatic(arg) ? true : undefined));
  const explicit = stringArg(args, 'environment');
  const git = await gitInfo(ctx, explicit !== undefined);
  const provider = await ctx.session.provider();
  if (explicit) await confirmIfProtected(provider, explicit, stringArg(args, 'confirm'));
  const where = explicit ?? 'your personal environment';
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Deploying ${fn ?? project.project} to ${where}`, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      return deployProject(provider, project, {
        environment: explicit,
        function: fn,
        branch: git?.branch,
        commit: git?.commit,
        user: git && deployingUser(git),
        owner: git && deployingOwner(git),
        description: stringArg(args, 'description'),
        // The configured state folder's cache, so files unchanged since the last deploy are not hashed again.
        scanCacheDir: homeLayout(ctx.config.local.home).scanCache,
        signal: abort.signal,
        onProgress: (message: string, fraction?: number) => {
          const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - reported);
          if (fraction !== undefined) reported = fraction * 100;
          progress.report({ message, increment });
        },
      }).finally(() => cancel.dispose());
    },
  );
  ctx.refresh();
  void announce(result);
  // The functions that deployed are announced and shown; the error names the ones that did not.
  const failure = deployFailure(result);
  if (failure) throw failure;
  return result;
}

/** Git names the personal environment; with an explicit environment it only adds metadata, so a
 * folder without git or a detached HEAD still deploys (as the CLI does). */
async function gitInfo(ctx: FlightdeckContext, explicitEnvironment: boolean): Promise<GitInfo | undefined> {
  try {
    return await ctx.workspace.git();
  } catch (error) {
    if (!explicitEnvironment || !isFlightdeckError(error, 'GIT')) throw error;
    return undefined;
  }
}

/** Offers to save dirty files, since a deploy reads the disk; code callers choose with `save` (default: save). */
async function saveDirtyFiles(save: boolean | undefined): Promise<void> {
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && !d.isUntitled);
  if (dirty.length === 0 || save === false) return;
  if (save === undefined) {
    const answer = await vscode.window.showWarningMessage(
      `${dirty.length} file(s) have unsaved changes that this deploy would not include.`,
      { modal: true },
      'Save All and Deploy',
      'Deploy Without Saving',
    );
    if (answer === undefined) throw new FlightdeckError('CANCELLED', 'Deploy cancelled.');
    if (answer === 'Deploy Without Saving') return;
  }
  await vscode.workspace.saveAll(false);
}

/** Deploying into an existing protected environment needs its confirmation; new ones are created by the deploy. */
async function confirmIfProtected(provider: Provider, name: string, confirm: string | undefined): Promise<void> {
  const exists = (await provider.listEnvironments()).some((e) => e.name === name);
  if (exists) await confirmProtected(provider, name, 'Deploy', confirm);
}

/** A version that did not start is an error with Show Logs (its start failure is in its logs); else what live did, with the URL. */
async function announce(result: ProjectDeployResult): Promise<void> {
  for (const failed of notStarted(result)) {
    const message = `${result.environment}/${failed.function}: ${describeLiveChange(result.environment, failed)}`;
    void vscode.window.showErrorMessage(message, 'Show Logs').then(async (choice) => {
      if (choice === 'Show Logs') {
        await vscode.commands.executeCommand('flightdeck.showLogs', { environment: result.environment, function: failed.function, version: failed.version });
      }
    });
  }
  const started = result.functions.filter((f) => f.start.started);
  const [first] = started;
  if (!first) return;
  const summary = started.map((f) => `${f.function}: ${describeLiveChange(result.environment, f)}`).join('; ');
  const note = result.environmentNote ? ` ${result.environmentNote}` : '';
  const choice = await vscode.window.showInformationMessage(`Deployed to ${result.environment}: ${summary}.${note} ${first.url}`, 'Open', 'Copy URL');
  if (choice === 'Open') await vscode.env.openExternal(vscode.Uri.parse(first.url));
  if (choice === 'Copy URL') await vscode.env.clipboard.writeText(first.url);
}
