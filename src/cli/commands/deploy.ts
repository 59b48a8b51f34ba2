// `flightdeck deploy [--env NAME] [--function NAME] [--message TEXT] [--config PATH]`: deploys
// the project's functions. Without --env it deploys to the personal environment of the current
// git branch, creating it on first use.

import { dirname } from 'node:path';
import type { ProjectDeployResult } from '../../deploy/deployProject';
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
    const [{ loadProject, gitInfo, branchIdentity }, { deployProject, deployFailure }] = await Promise.all([import('../project'), import('../../deploy/deployProject')]);
    const project = loadProject(context);
    const environment = stringOption(context.values, 'env');
    if (environment !== undefined && (context.values.branch !== undefined || context.values.user !== undefined)) {
      throw new UsageError('--branch and --user name a branch environment: give them or --env, not both.');
    }
    const git = environment === undefined ? await branchIdentity(context, project) : await gitInfo(dirname(project.file), false);
    const result = await deployProject(await context.provider(), project, {
      environment,
      function: stringOption(context.values, 'function'),
      description: stringOption(context.values, 'message'),
      branch: git?.branch,
      commit: git?.commit,
      user: git && ('user' in git ? git.user : undefined),
      owner: git && ('owner' in git ? git.owner : undefined),
      signal: context.signal,
      onProgress: (message) => context.note(message),
    });
    const failure = deployFailure(result);
    if (failure) {
      // What did deploy is printed before the error, so a pipeline's log shows both.
      context.print(context.values.json === true ? JSON.stringify(result, null, 2) : describeDeploy(result));
      throw failure;
    }
    return { data: result, text: describeDeploy(result) };
  },
};

function describeDeploy(result: ProjectDeployResult): string {
  const header = `Environment ${result.environment}${result.createdEnvironment ? ' (created)' : ''}`;
  const rows = result.functions.map((f) => [
    f.function,
    `v${f.version}`,
    f.unchanged ? 'unchanged' : `${f.filesSent} file(s), ${formatBytes(f.bytesSent)} sent`,
    f.url,
  ]);
  return `${header}\n${table(['FUNCTION', 'VERSION', 'UPLOAD', 'URL'], rows)}`;
}
