// `flightdeck deploy [--env NAME] [--function NAME] [--message TEXT] [--config PATH]`: deploys
// the project's functions. Without --env it deploys to the personal environment of the current
// git branch, creating it on first use.

import { dirname } from 'node:path';
import type { describeLiveChange as DescribeLiveChange, ProjectDeployResult } from '../../deploy/deployProject';
import type { BranchIdentity } from '../project';
import { formatBytes } from '../../providers/formatBytes';
import { stringOption, UsageError, type Command } from '../command';
import { BRANCH_OPTIONS, CONFIG_OPTION } from '../commonOptions';
import { table } from '../format';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Deploy the project (default: to the personal environment of the current git branch)',
  options: {
    env: { type: 'string', valueName: 'NAME', description: 'Target environment (must exist or be declared in flightdeck.yaml)' },
    function: { type: 'string', valueName: 'NAME', description: 'Deploy only this function' },
    message: { type: 'string', valueName: 'TEXT', description: 'Description of the new version(s)' },
    ...BRANCH_OPTIONS,
    ...CONFIG_OPTION,
  },
  async run(context) {
    const [{ loadProject, gitHead, branchIdentity }, { deployProject, deployFailure, describeLiveChange, notStarted }] = await Promise.all([import('../project'), import('../../deploy/deployProject')]);
    const project = loadProject(context, true);
    const environment = stringOption(context.values, 'env');
    if (environment !== undefined && (context.values.branch !== undefined || context.values.user !== undefined)) {
      throw new UsageError('--branch and --user name a branch environment: give them or --env, not both.');
    }
    // A personal environment needs git's branch and identity; another only the branch and commit it records.
    const gitLookup: Promise<Partial<BranchIdentity> | undefined> = environment === undefined ? branchIdentity(context, project) : gitHead(dirname(project.file), context.env);
    // Git and the provider connection each wait on another process: ask both at once.
    const [git, provider] = await Promise.all([gitLookup, context.provider()]);
    const result = await deployProject(provider, project, {
      environment,
      function: stringOption(context.values, 'function'),
      description: stringOption(context.values, 'message'),
      branch: git?.branch,
      commit: git?.commit,
      user: git?.user,
      owner: git?.owner,
      signal: context.signal,
      onProgress: uploadsAtMostPerSecond((message) => context.note(message)),
    });
    const failure = deployFailure(result);
    if (failure) {
      // What did deploy is printed before the error, so a pipeline's log shows both.
      context.print(context.values.json === true ? JSON.stringify(result, null, 2) : describeDeploy(result, describeLiveChange));
      throw failure;
    }
    const failed = notStarted(result);
    const notStartedFailure = failed.length === 0 ? undefined : {
      exitCode: 1,
      message: failed.map((f) => `${f.function} ${describeLiveChange(result.environment, f)}`).join('\n'),
    };
    return { data: result, text: describeDeploy(result, describeLiveChange), ...(notStartedFailure ? { failure: notStartedFailure } : {}) };
  },
};

/** `describeLiveChange` comes from the lazily loaded deployProject module, so `--help` and `envs` do not load it. */
function describeDeploy(result: ProjectDeployResult, describeLiveChange: typeof DescribeLiveChange): string {
  const header = `Environment ${result.environment}${result.createdEnvironment ? ' (created)' : ''}${result.environmentNote ? `: ${result.environmentNote}` : ''}`;
  const rows = result.functions.map((f) => [
    f.function,
    `v${f.version}`,
    f.unchanged ? 'unchanged' : `${f.filesSent} file(s), ${formatBytes(f.bytesSent)} sent`,
    // Proved to start but not yet asked for anything: `started`, not the record's `unknown`.
    f.start.started ? (f.health === 'unknown' ? 'started' : f.health) : 'did not start',
    f.url,
  ]);
  const live = result.functions.filter((f) => f.start.started).map((f) => `${f.function}: ${describeLiveChange(result.environment, f)}`);
  return [header, table(['FUNCTION', 'VERSION', 'UPLOAD', 'HEALTH', 'URL'], rows), ...live].join('\n');
}

/**
 * Progress as lines for a log: an upload reports every 64 KiB it sends, which in a CI log is a
 * line per chunk (458 for a 29 MiB file), so each function's upload lines come at most once a
 * second; its other steps all show.
 */
function uploadsAtMostPerSecond(note: (message: string) => void): (message: string) => void {
  const last = new Map<string, number>();
  return (message) => {
    const fn = /^(.+?): uploading /.exec(message)?.[1];
    if (fn !== undefined) {
      const now = Date.now();
      if (now - (last.get(fn) ?? 0) < 1000) return;
      last.set(fn, now);
    }
    note(message);
  };
}
