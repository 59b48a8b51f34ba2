// `flightdeck env create|delete|prune`: environments come and go with their branches.
//
//   env create [NAME] [--kind K] [--protected]   no name: the current branch's personal one
//   env delete NAME [--confirm NAME]             a protected one needs --confirm <its name>
//   env delete --branch B [--user U]             the branch's own (found by branch and project)
//   env prune [--merged] [--gone] [--idle 7d] [--dry-run] [--yes]
//
// create and delete also take the name as --env NAME, as every other command does.
//
// Prune deletes personal environments whose branch is merged into the default branch, deleted
// from the remote, or idle past the TTL (`--idle`, else `personal.ttl`); with no criterion given it
// applies all three. It never touches production, staging or protected environments.

import { dirname } from 'node:path';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { ENVIRONMENT_KINDS, type Environment, type EnvironmentKind } from '../../model';
import type { NewEnvironment, Provider } from '../../provider';
import { stringOption, UsageError, type Command, type CommandContext, type CommandResult } from '../command';
import { BRANCH_OPTIONS, CONFIG_OPTION } from '../commonOptions';
import { table } from '../format';

export const envCreateCommand: Command = {
  name: 'env create',
  summary: "Create an environment (default: the current branch's personal one)",
  argument: { name: 'NAME', description: 'Its name, or use --env (default: your personal environment of the checked-out branch)' },
  options: {
    env: { type: 'string', valueName: 'NAME', description: 'Name (default: your personal environment of the checked-out branch)' },
    kind: { type: 'string', valueName: 'KIND', description: `${ENVIRONMENT_KINDS.join('|')} (default: as declared in flightdeck.yaml, else personal)` },
    protected: { type: 'boolean', description: 'Deleting it will need --confirm <name>' },
    ...BRANCH_OPTIONS,
    ...CONFIG_OPTION,
  },
  async run(context) {
    const kind = kindOption(context);
    const provider = await context.provider();
    const named = namedEnvironment(context);
    if (named !== undefined) {
      const environment = await provider.createEnvironment(await namedNewEnvironment(context, named, kind));
      return { data: environment, text: `Created ${describe(environment)}.` };
    }
    return createBranchEnvironment(context, provider, kind);
  },
};

export const envDeleteCommand: Command = {
  name: 'env delete',
  summary: 'Delete an environment and stop its instances (a protected one needs --confirm <name>)',
  argument: { name: 'NAME', description: 'The environment to delete, or use --env', environment: true },
  options: {
    env: { type: 'string', valueName: 'NAME', description: 'The environment to delete (or the branch environment of --branch)' },
    confirm: { type: 'string', valueName: 'NAME', description: 'Its name again, required for a protected environment' },
    'missing-ok': { type: 'boolean', description: 'Succeed when it does not exist (a CI cleanup that may run twice)' },
    ...BRANCH_OPTIONS,
    ...CONFIG_OPTION,
  },
  async run(context) {
    const provider = await context.provider();
    const { environment, missing } = await environmentToDelete(context, provider);
    if (!environment && context.values['missing-ok'] === true) return { data: { deleted: null }, text: `${missing}; nothing to delete.` };
    if (!environment) throw new FlightdeckError('NOT_FOUND', `${missing}; \`flightdeck envs\` lists them.`, { field: 'env' });
    const { name } = environment;
    const confirm = stringOption(context.values, 'confirm');
    if (confirm !== undefined && confirm !== name) throw new UsageError(`--confirm must repeat the environment's name (${name}), not ${JSON.stringify(confirm)}.`);
    if (confirm === undefined && (environment.protected || (await protectedInProject(context, name)))) {
      throw new UsageError(`${name} is a protected ${environment.kind} environment: pass --confirm ${name} to delete it.`);
    }
    await provider.deleteEnvironment(name, confirm);
    return { data: { deleted: name }, text: `Deleted ${describe(environment)}.` };
  },
};

export const envPruneCommand: Command = {
  name: 'env prune',
  summary: 'Delete personal environments whose branch is merged, gone from the remote, or idle past the TTL',
  options: {
    merged: { type: 'boolean', description: 'Branch merged into the default branch (by a merge, squash or rebase)' },
    gone: { type: 'boolean', description: 'Branch deleted from the remote (asks it with git ls-remote)' },
    idle: { type: 'string', valueName: 'DURATION', description: 'No deploy and no request for this long, e.g. 7d (default: personal.ttl)' },
    'dry-run': { type: 'boolean', description: 'Only list what would be deleted, and why' },
    yes: { type: 'boolean', description: 'Delete without asking (needed when not on a terminal)' },
    ...CONFIG_OPTION,
  },
  async run(context) {
    const [{ formatDuration, parseDuration }, { loadProject }, stale] = await Promise.all([
      import('../../config/duration'), import('../project'), import('../../deploy/stale'),
    ]);
    const idleText = stringOption(context.values, 'idle');
    const idleFlag = idleText === undefined ? undefined : parseDuration(idleText);
    if (idleText !== undefined && (idleFlag === undefined || idleFlag <= 0)) {
      throw new UsageError(`--idle must be a duration above zero, like 7d, 48h or 90m, not ${JSON.stringify(idleText)}.`);
    }
    const dryRun = context.values['dry-run'] === true;
    // Branch environments are a project's: its flightdeck.yaml names the project, its repository the branches.
    const project = loadProject(context);
    const all = context.values.merged !== true && context.values.gone !== true && idleFlag === undefined;
    const criteria = {
      merged: all || context.values.merged === true,
      gone: all || context.values.gone === true,
      idleMs: idleFlag ?? (all ? project.personal.ttlMs : undefined),
      project: project.project,
      declaredProtected: stale.declaredProtected(project),
    };
    const folder = dirname(project.file);
    const provider = await context.provider();
    const environments = await provider.listEnvironments();
    // The remote is asked (not the last fetch): a branch someone pushed to since is not merged.
    const facts = criteria.merged || criteria.gone
      ? await stale.readBranchFacts(folder, { remote: 'ls-remote', branches: stale.personalBranches(environments, criteria.project) }).catch(async (error: unknown) => {
        // Outside a repository only the idle check is left: fine when nothing else was asked for.
        if (!all || !(await import('../../deploy/git')).isNotARepository(error)) throw error;
        criteria.merged = false;
        criteria.gone = false;
        return undefined;
      })
      : undefined;
    if (criteria.gone && facts && !facts.remote) {
      if (context.values.gone === true) {
        throw new FlightdeckError('GIT', `No remote to ask whether branches are gone: ${facts.noRemote}. Add one named origin (git remote add origin URL), or leave out --gone.`);
      }
      criteria.gone = false; // the summary then says what was checked
    }
    // Said on stderr, so a dry run's listing stays as it is.
    if (facts?.shallow) context.note('This is a shallow clone: branches merged before its history begins are not seen as merged (git fetch --unshallow).');
    const found = stale.findStale(environments, facts, criteria);
    const rows = found.map((s) => [s.environment.name, s.environment.branch ?? '', s.reasons.map(stale.describeReason).join(', ')]);
    const listing = table(['ENVIRONMENT', 'BRANCH', 'WHY'], rows);
    const data = (deleted: boolean) => ({ dryRun, stale: found.map((s) => ({ environment: s.environment.name, branch: s.environment.branch, reasons: s.reasons, deleted })) });
    if (found.length === 0) return { data: data(false), text: `No stale personal environments (${describeCriteria(criteria, formatDuration)}).` };
    if (dryRun) return { data: data(false), text: `Would delete ${found.length} environment(s):\n${listing}` };
    if (context.values.yes !== true) await confirmOnTerminal(context, `${listing}\nDelete these ${found.length} environment(s)?`);
    const failed: string[] = [];
    for (const { environment, reasons } of found) {
      try {
        await provider.deleteEnvironment(environment.name);
        context.note(`deleted ${environment.name} (${reasons.map(stale.describeReason).join(', ')})`);
      } catch (error) {
        // Another prune or a CI stop job got there first: it is gone all the same.
        if (isFlightdeckError(error, 'NOT_FOUND')) context.note(`${environment.name} was deleted meanwhile`);
        else failed.push(`${environment.name}: ${(error as Error).message}`);
      }
    }
    if (failed.length > 0) {
      throw new FlightdeckError('UNAVAILABLE', `${failed.length} of ${found.length} environment(s) could not be deleted (the others were):\n  ${failed.join('\n  ')}`);
    }
    return { data: data(true), text: `Deleted ${found.length} environment(s):\n${listing}` };
  },
};

export const ENV_COMMANDS: readonly Command[] = [envCreateCommand, envDeleteCommand, envPruneCommand];

/** The environment named by the argument or --env (the same name if both are given). */
function namedEnvironment(context: CommandContext): string | undefined {
  const flag = stringOption(context.values, 'env');
  if (context.argument !== undefined && flag !== undefined && context.argument !== flag) {
    throw new UsageError(`Two environments named: ${context.argument} and --env ${flag}; give one.`);
  }
  return context.argument ?? flag;
}

/**
 * The named environment, or the environment of the branch --branch names (under the name
 * personal.name gives or a twin; never another branch's or project's); when there is none, why.
 */
async function environmentToDelete(context: CommandContext, provider: Provider): Promise<{ environment?: Environment; missing: string }> {
  const explicit = namedEnvironment(context);
  const branch = stringOption(context.values, 'branch');
  if ((explicit === undefined) === (branch === undefined)) throw new UsageError('Name the environment (env delete NAME), or a branch environment with --branch NAME (not both).');
  if (explicit !== undefined) {
    return { environment: (await provider.listEnvironments()).find((e) => e.name === explicit), missing: `Environment ${JSON.stringify(explicit)} does not exist` };
  }
  const [{ loadProject, branchIdentity, personalName }, { findBranchEnvironment }] = await Promise.all([import('../project'), import('../../deploy/branchEnvironment')]);
  const project = loadProject(context);
  const identity = await branchIdentity(context, project);
  return findBranchEnvironment(provider, personalName(project, identity), { branch: identity.branch, project: project.project });
}

/** Whether flightdeck.yaml (when there is one) declares the environment protected, whatever it recorded when created. */
async function protectedInProject(context: CommandContext, name: string): Promise<boolean> {
  const [{ loadProjectIfAny }, { declaredProtected }] = await Promise.all([import('../project'), import('../../deploy/stale')]);
  try {
    const project = loadProjectIfAny(context);
    return project !== undefined && declaredProtected(project).has(name);
  } catch {
    return false; // a broken flightdeck.yaml declares nothing; the recorded protection still holds
  }
}

function kindOption(context: CommandContext): EnvironmentKind | undefined {
  const kind = stringOption(context.values, 'kind');
  if (kind === undefined || ENVIRONMENT_KINDS.includes(kind as EnvironmentKind)) return kind as EnvironmentKind | undefined;
  throw new UsageError(`--kind must be one of ${ENVIRONMENT_KINDS.join(', ')}, not ${JSON.stringify(kind)}.`);
}

/** A named environment takes its kind and protection from --kind and --protected, else from its declaration in flightdeck.yaml. */
async function namedNewEnvironment(context: CommandContext, name: string, kind: EnvironmentKind | undefined): Promise<NewEnvironment> {
  const { loadProjectIfAny } = await import('../project');
  const project = loadProjectIfAny(context);
  const declared = project?.environments.find((e) => e.name === name);
  return {
    name, kind: kind ?? declared?.kind ?? 'personal', protected: context.values.protected === true || (declared?.protected ?? false), ...(project ? { project: project.project } : {}),
  };
}

/**
 * The branch's personal environment, named as a deploy names it: from `personal.name`, or a twin
 * of that name when another branch or project holds it. It records owner, branch and project.
 */
async function createBranchEnvironment(context: CommandContext, provider: Provider, kind: EnvironmentKind | undefined): Promise<CommandResult> {
  if (kind !== undefined && kind !== 'personal') throw new UsageError(`A branch's own environment is personal; name a ${kind} environment (env create NAME --kind ${kind}).`);
  const [{ loadProject, branchIdentity, personalName }, { ensureBranchEnvironment }] = await Promise.all([import('../project'), import('../../deploy/branchEnvironment')]);
  const project = loadProject(context);
  const identity = await branchIdentity(context, project);
  const wanted = {
    name: personalName(project, identity), kind: 'personal' as const, protected: context.values.protected === true, owner: identity.owner, branch: identity.branch, project: project.project,
  };
  const { environment, created, note } = await ensureBranchEnvironment(provider, await provider.listEnvironments(), wanted);
  if (!created) throw new FlightdeckError('CONFLICT', `Branch ${identity.branch} already has its environment ${environment.name}.`, { field: 'env' });
  return { data: environment, text: `Created ${describe(environment)}.${note ? ` ${note}` : ''}` };
}

/** Asks on a terminal; anywhere else (CI) deleting needs --yes, so nothing goes without being asked for. */
async function confirmOnTerminal(context: CommandContext, question: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError('Not on a terminal: pass --yes to delete, or --dry-run to only list.');
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `, { signal: context.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new FlightdeckError('CANCELLED', 'Nothing deleted.');
  } finally {
    prompt.close();
  }
}

function describeCriteria(criteria: { merged: boolean; gone: boolean; idleMs?: number }, formatDuration: (ms: number) => string): string {
  const parts = [criteria.merged ? 'merged' : '', criteria.gone ? 'branch gone' : '', criteria.idleMs !== undefined ? `idle over ${formatDuration(criteria.idleMs)}` : ''];
  return `checked: ${parts.filter(Boolean).join(', ') || 'nothing'}`;
}

function describe(environment: Environment): string {
  const parts = [environment.kind, environment.protected ? 'protected' : '', environment.branch ? `branch ${environment.branch}` : ''].filter(Boolean);
  return `${environment.name} (${parts.join(', ')})`;
}
