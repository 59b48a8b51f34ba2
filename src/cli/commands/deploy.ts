// `flightdeck deploy [--env NAME] [--function NAME] [--message TEXT] [--config PATH]`: deploys
// the project's functions. Without --env it deploys to the personal environment of the current
// git branch, creating it on first use.

import { dirname, resolve } from 'node:path';
import { findProjectFile, loadProjectFile, PROJECT_FILE_NAME } from '../../config/projectFile';
import { deployProject, describeLiveChange, notStarted, type ProjectDeployResult } from '../../deploy/deployProject';
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
    const project = loadProjectFile(config ? resolve(context.cwd, config) : projectFileOf(context.cwd));
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
    const failed = notStarted(result);
    const failure = failed.length === 0 ? undefined : {
      exitCode: 1,
      message: failed.map((f) => `${f.function} ${describeLiveChange(result.environment, f)}`).join('\n'),
    };
    return { data: result, text: describeDeploy(result), ...(failure ? { failure } : {}) };
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

function projectFileOf(cwd: string): string {
  const found = findProjectFile(cwd);
  if (found) return found;
  throw new FlightdeckError('NO_PROJECT', `No ${PROJECT_FILE_NAME} in ${cwd} or its parents. Run from your project folder or pass --config PATH.`);
}

function describeDeploy(result: ProjectDeployResult): string {
  const header = `Environment ${result.environment}${result.createdEnvironment ? ' (created)' : ''}${result.environmentNote ? `: ${result.environmentNote}` : ''}`;
  const rows = result.functions.map((f) => [
    f.function,
    `v${f.version}`,
    f.unchanged ? 'unchanged' : `${f.filesSent} file(s), ${formatBytes(f.bytesSent)} sent`,
    f.start.started ? f.health : 'did not start',
    f.url,
  ]);
  const live = result.functions.filter((f) => f.start.started).map((f) => `${f.function}: ${describeLiveChange(result.environment, f)}`);
  return [header, table(['FUNCTION', 'VERSION', 'UPLOAD', 'HEALTH', 'URL'], rows), ...live].join('\n');
}
