// The project a command works on: --config PATH, else the flightdeck.yaml in the working folder or
// its nearest parent; and what git says about its folder. Commands import this lazily: it pulls in
// the YAML parser, which `envs` and `--help` do not need.

import { dirname, resolve } from 'node:path';
import { locateProjectFile, PROJECT_FILE_NAME } from '../config/names';
import { loadProjectFile, type ProjectConfig } from '../config/projectFile';
import { deployingOwner, deployingUser, readGitHead, readGitIdentity, readGitInfo, type GitHead } from '../deploy/git';
import { requireBranchEnvironment } from '../deploy/branchEnvironment';
import { personalEnvironmentName } from '../deploy/personalEnvironment';
import { FlightdeckError, isFlightdeckError } from '../errors';
import { stringOption, UsageError, type CommandContext } from './command';

/**
 * The project of --config, else the flightdeck.yaml found from cwd. Only a deploy (`requireCode`)
 * needs the functions' code folders to exist: deleting a branch's environment or reading logs must
 * work before a build makes a `code: ./dist`.
 */
export function loadProject(context: Pick<CommandContext, 'values' | 'cwd'>, requireCode = false): ProjectConfig {
  const config = stringOption(context.values, 'config');
  // --provider decides, like the block, whether functions must name an image (Knative runs images).
  return loadProjectFile(config ? resolve(context.cwd, config) : findProjectFile(context.cwd), { provider: stringOption(context.values, 'provider'), requireCode });
}

/** The project when there is one (--config must exist when given); undefined when none is found. */
export function loadProjectIfAny(context: Pick<CommandContext, 'values' | 'cwd'>): ProjectConfig | undefined {
  try {
    return loadProject(context);
  } catch (error) {
    if (isFlightdeckError(error, 'NO_PROJECT') && stringOption(context.values, 'config') === undefined) return undefined;
    throw error;
  }
}

/** Outside a personal environment git only adds the branch and commit to a version: none is fine. */
export async function gitHead(folder: string, env: NodeJS.ProcessEnv): Promise<GitHead | undefined> {
  const head = await withoutGit(readGitHead(folder), undefined);
  // CI runners check the commit out detached: the job's variables name its branch.
  const branch = head && head.branch === undefined ? ciBranch(env) : undefined;
  return branch === undefined ? head : { ...head, branch };
}

/** The branch a CI job runs for: GitLab's CI_COMMIT_BRANCH, GitHub's pushed branch or pull request head. */
function ciBranch(env: NodeJS.ProcessEnv): string | undefined {
  return env.CI_COMMIT_BRANCH || env.GITHUB_HEAD_REF || (env.GITHUB_REF_TYPE === 'branch' ? env.GITHUB_REF_NAME : undefined) || undefined;
}

/** What git answers, or `fallback` when there is no git or no repository (GIT). */
async function withoutGit<T>(reading: Promise<T>, fallback: T): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (!isFlightdeckError(error, 'GIT')) throw error;
    return fallback;
  }
}

function findProjectFile(cwd: string): string {
  const found = locateProjectFile(cwd);
  if (found) return found;
  throw new FlightdeckError('NO_PROJECT', `No ${PROJECT_FILE_NAME} in ${cwd} or its parents. Run from your project folder or pass --config PATH.`);
}

export interface FunctionRef {
  environment: string;
  function: string;
}

/**
 * --env and --function, or what they default to: the personal environment of the checked-out
 * branch, and the project's one function (or the environment's, when there is no project).
 */
export async function resolveTarget(context: Pick<CommandContext, 'values' | 'cwd' | 'provider'>): Promise<FunctionRef> {
  const explicitEnv = stringOption(context.values, 'env');
  const explicitFn = stringOption(context.values, 'function');
  const project = explicitEnv !== undefined && explicitFn !== undefined ? undefined : loadProjectIfAny(context);
  let environment = explicitEnv;
  if (environment === undefined) {
    if (!project) throw new FlightdeckError('NO_PROJECT', `Pass --env NAME: there is no ${PROJECT_FILE_NAME} here to find your personal environment from.`, { field: 'env' });
    const identity = await branchIdentity(context, project);
    // Never another branch's or project's that shares the plain name: the one this branch has (NOT_FOUND if none).
    environment = (await requireBranchEnvironment(await context.provider(), personalName(project, identity), { branch: identity.branch, project: project.project })).name;
  }
  if (explicitFn !== undefined) {
    // Not in flightdeck.yaml: a typo, unless the environment has it all the same (deployed from elsewhere).
    if (project && !project.functions.some((f) => f.name === explicitFn)) {
      const deployed = (await (await context.provider()).listFunctions(environment)).map((f) => f.name);
      if (!deployed.includes(explicitFn)) {
        throw new FlightdeckError('NOT_FOUND',
          `No function "${explicitFn}" in ${environment} (it has ${deployed.join(', ') || 'none'}), and ${project.file} declares ${project.functions.map((f) => f.name).join(', ')}.`,
          { field: 'function' });
      }
    }
    return { environment, function: explicitFn };
  }
  const names = project ? project.functions.map((f) => f.name) : (await (await context.provider()).listFunctions(environment)).map((f) => f.name);
  if (names.length === 0) throw new FlightdeckError('NOT_FOUND', `${environment} has no functions; deploy one first, or pass --function NAME.`, { field: 'function' });
  // Which one is the caller's to say: a usage error, known before any call.
  if (names.length > 1) throw new UsageError(`Pass --function NAME: there are ${names.length} (${names.join(', ')}).`);
  return { environment, function: names[0] };
}


/** Whose and which branch a personal environment is: --branch and --user (CI), else git's. */
export interface BranchIdentity {
  branch: string;
  commit?: string;
  /** `{user}` of the name template. */
  user: string;
  owner: string;
}

/**
 * --branch NAME stands in for the checked-out branch (a CI job's HEAD is often detached) and
 * --user NAME for the git identity; without --branch, git must name the branch.
 */
export async function branchIdentity(context: Pick<CommandContext, 'values'>, project: ProjectConfig): Promise<BranchIdentity> {
  const folder = dirname(project.file);
  // A CI step may hand over $GITHUB_REF: the branch is its name, as git and the pipelines name it.
  const branch = stringOption(context.values, 'branch')?.replace(/^refs\/heads\//, '');
  const user = stringOption(context.values, 'user');
  // --branch (CI, often on a detached HEAD) needs from git only the commit; else git names the branch and who deploys.
  if (branch !== undefined) {
    const [head, identity] = await Promise.all([withoutGit(readGitHead(folder), undefined), user === undefined ? withoutGit(readGitIdentity(folder), {}) : {}]);
    return { branch, commit: head?.commit, user: user ?? deployingUser(identity), owner: user ?? deployingOwner(identity) };
  }
  const git = await readGitInfo(folder);
  return { branch: git.branch, commit: git.commit, user: user ?? deployingUser(git), owner: user ?? deployingOwner(git) };
}

export function personalName(project: ProjectConfig, identity: Pick<BranchIdentity, 'branch' | 'user'>): string {
  return personalEnvironmentName(project.personal.name, { user: identity.user, branch: identity.branch, project: project.project });
}
