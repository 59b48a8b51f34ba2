// `flightdeck deploy [--env NAME] [--function NAME] [--message TEXT] [--config PATH]`: deploys
// the project's functions. Without --env it deploys to the personal environment of the current
// git branch, creating it on first use.

import { dirname, resolve } from 'node:path';
import { loadProjectFile, locateProjectFile, PROJECT_FILE_NAME } from '../../config/projectFile';
import { deployProject, type ProjectDeployResult } from '../../deploy/deployProject';
import { deployingOwner, deployingUser, readGitInfo, type GitInfo } from '../../deploy/git';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { formatBytes } from '../../providers/formatBytes';
import { stringOption, type Command } from '../command';
import { table } from '../format';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Deploy the project (default: to the personal environment of the current git branch)',
  options: {
    env: { type: 'string', valueName: 'NAME', description: 'Target environment (must exist or be declared in flightdeck.yaml)' },
    function: { type: 'string', valueName: 'NAME', description: 'Deploy only this function' },
    message: { type: 'string', valueName: 'TEXT', description: 'Description of the new version(s)' },
    config: { type: 'string', valueName: 'PATH', description: `Project file (default: ${PROJECT_FILE_NAME} here or in a parent folder)` },
  },
  async run(context) {
    const config = stringOption(context.values, 'config');
    // --provider decides, like the block, whether functions must name an image (Knative runs images).
    const project = loadProjectFile(config ? resolve(context.cwd, config) : findProjectFile(context.cwd), { provider: stringOption(context.values, 'provider') });
    const environment = stringOption(context.values, 'env');
    const git = await gitInfo(dirname(project.file), environment === undefined);
    const result = await deployProject(await context.provider(), project, {
      environment,
      function: stringOption(context.values, 'function'),
      description: stringOption(context.values, 'message'),
      branch: git?.branch,
      commit: git?.commit,
      user: git && deployingUser(git),
      owner: git && deployingOwner(git),
      signal: context.signal,
      onProgress: (message) => context.note(message),
    });
    return { data: result, text: describeDeploy(result) };
  },
};

/** Git is required for a personal deploy (the branch names it); otherwise it only adds metadata. */
async function gitInfo(folder: string, required: boolean): Promise<GitInfo | undefined> {
  try {
    return await readGitInfo(folder);
  } catch (error) {
    if (required || !isFlightdeckError(error, 'GIT')) throw error;
    return undefined;
  }
}

function findProjectFile(cwd: string): string {
  const found = locateProjectFile(cwd);
  if (found) return found;
  throw new FlightdeckError('NO_PROJECT', `No ${PROJECT_FILE_NAME} in ${cwd} or its parents. Run from your project folder or pass --config PATH.`);
}

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
