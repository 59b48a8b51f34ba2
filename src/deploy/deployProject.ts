// Deploys a project's functions to one environment through any Provider: resolves (and if need
// be creates) the target environment, scans each function's code and hands it to
// provider.deploy, which uploads only what changed. Used by the CLI and the editor alike.
//
// Target: an explicit environment must exist or be declared under `environments:` (then it is
// created with that kind and protection); without one, the personal environment of the branch:
// the one that records this branch and project, else a new one named from `personal.name` (or a
// twin of that name when another branch or project holds it), with owner, branch and project.

import { availableParallelism } from 'node:os';
import type { ProjectConfig, ProjectFunction } from '../config/projectFile';
import { FlightdeckError, isFlightdeckError, type ErrorCode } from '../errors';
import { mapInPool, Slots } from '../concurrency';
import type { LiveChange, StartCheck, VersionHealth } from '../model';
import { defaultHome, homeLayout } from '../platform/paths';
import type { DeployProgress, LocalCodeTree, NewEnvironment, Provider } from '../provider';
import { ensureBranchEnvironment, type BranchEnvironment } from './branchEnvironment';
import { personalEnvironmentName, type BranchOwner } from './personalEnvironment';
import { scanCode } from './scan';

export interface DeployProjectOptions {
  /** Target environment; absent = the personal environment of `branch`. */
  environment?: string;
  /** Deploy only this function. */
  function?: string;
  branch?: string;
  commit?: string;
  /** `{user}` of the personal name template. */
  user?: string;
  /** Recorded as the owner of a personal environment this deploy creates. */
  owner?: string;
  description?: string;
  signal?: AbortSignal;
  /** Overall progress of the whole deploy, `fraction` in 0–1; messages start with the function's name. */
  onProgress?: DeployProgress;
  /**
   * Functions deployed at once (default 16: a deploy mostly waits on uploads, API calls and the
   * engine's starts, and the local platform bounds its own boots, so a project of up to 16
   * functions goes in one wave rather than leaving its last ones to start after the others).
   * Functions that build an image here (`build:`) build at most one per CPU at once, so a laptop
   * is not swamped.
   */
  concurrency?: number;
  /** Where file hashes are remembered between deploys; default the scan cache of $FLIGHTDECK_HOME (else ~/.flightdeck). */
  scanCacheDir?: string;
}

export interface FunctionDeployOutcome {
  function: string;
  version: number;
  unchanged: boolean;
  url: string;
  bytesSent: number;
  filesSent: number;
  /** Whether the version proved it starts; when not, `start.reason` says why (its own file:line). */
  start: StartCheck;
  /** What happened to live. */
  live: LiveChange;
  health: VersionHealth;
}

export interface FunctionDeployFailure {
  function: string;
  error: { code: string; message: string };
}

export interface ProjectDeployResult {
  environment: string;
  /** True when this deploy created the environment. */
  createdEnvironment: boolean;
  /** Why the environment is not the one the name template gives (its name belongs to another branch). */
  environmentNote?: string;
  /** The functions that deployed, in flightdeck.yaml's order. */
  functions: FunctionDeployOutcome[];
  /** The ones that did not; the others deployed all the same. */
  failures: FunctionDeployFailure[];
}

export async function deployProject(
  provider: Provider,
  project: ProjectConfig,
  options: DeployProjectOptions = {},
): Promise<ProjectDeployResult> {
  const functions = selectFunctions(project, options.function);
  const progress = options.onProgress ?? (() => undefined);
  throwIfCancelled(options.signal);
  // The functions' code is scanned while the environment is found or created.
  const resolving = resolveEnvironment(provider, project, options);
  let unresolved = false;
  resolving.catch(() => (unresolved = true)); // the rejection is thrown below, once
  // Each function's own fraction; the overall one is their mean.
  const fractions = functions.map(() => 0);
  const report = (index: number, message: string, fraction?: number) => {
    if (fraction !== undefined) fractions[index] = fraction;
    progress(`${functions[index].name}: ${message}`, fractions.reduce((sum, f) => sum + f, 0) / functions.length);
  };
  const builds = new Slots(availableParallelism());
  const settled = await mapBounded(functions, options.concurrency ?? DEFAULT_CONCURRENCY, async (fn, index) => {
    const deploy = async () => {
      throwIfCancelled(options.signal);
      if (unresolved) await resolving; // throws: no more scanning once the environment failed
      report(index, `scanning ${fn.code}`, 0);
      const code = await scanCode(fn.code, fn.ignore, { cacheDir: options.scanCacheDir ?? homeLayout(defaultHome()).scanCache });
      const target = await resolving;
      throwIfCancelled(options.signal);
      return deployFunction(provider, target, fn, code, options, (message, fraction) => report(index, message, fraction));
    };
    const outcome = fn.image?.build ? await builds.run(deploy) : await deploy();
    report(index, outcome.unchanged ? `v${outcome.version} unchanged` : `v${outcome.version} deployed`, 1);
    return outcome;
  });
  const target = await resolving;
  if (options.signal?.aborted) throwIfCancelled(options.signal);
  const outcomes: FunctionDeployOutcome[] = [];
  const failures: FunctionDeployFailure[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') outcomes.push(result.value);
    else failures.push({ function: functions[index].name, error: errorSummary(result.reason) });
  });
  progress('done', 1);
  return { environment: target.name, createdEnvironment: target.created, ...(target.note ? { environmentNote: target.note } : {}), functions: outcomes, failures };
}

const DEFAULT_CONCURRENCY = 16;

/** Runs `work` on every item, at most `limit` at once; one failing does not stop the others. */
function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  return mapInPool(items, limit, (item, index) => work(item, index).then(
    (value): PromiseSettledResult<R> => ({ status: 'fulfilled', value }),
    (reason: unknown): PromiseSettledResult<R> => ({ status: 'rejected', reason }),
  ));
}

function errorSummary(error: unknown): FunctionDeployFailure['error'] {
  return isFlightdeckError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
}

/** The error a caller raises after reporting what did deploy: it names every function that failed. */
export function deployFailure(result: ProjectDeployResult): FlightdeckError | undefined {
  if (result.failures.length === 0) return undefined;
  const list = result.failures.map((f) => `${f.function}: ${f.error.message}`).join('\n  ');
  const done = result.functions.length > 0 ? ` (${result.functions.map((f) => f.function).join(', ')} deployed)` : '';
  const code = result.failures.length === 1 ? (result.failures[0].error.code as ErrorCode) : 'BAD_REQUEST';
  return new FlightdeckError(code, `${result.failures.length} of ${result.failures.length + result.functions.length} function(s) did not deploy to ${result.environment}${done}:\n  ${list}`);
}

async function deployFunction(
  provider: Provider,
  target: BranchEnvironment,
  fn: ProjectFunction,
  code: LocalCodeTree,
  options: DeployProjectOptions,
  onProgress: DeployProgress,
): Promise<FunctionDeployOutcome> {
  const result = await provider.deploy(target.name, fn.name, {
    config: fn.config,
    code,
    ...(fn.image ? { image: fn.image } : {}),
    description: options.description,
    branch: options.branch,
    commit: options.commit,
  }, { signal: options.signal, onProgress, newFunction: target.created });
  return {
    function: fn.name,
    version: result.version.id,
    unchanged: result.unchanged,
    url: result.url,
    bytesSent: result.bytesSent,
    filesSent: result.filesSent,
    start: result.start,
    live: result.live,
    health: result.version.health,
  };
}

/** The functions whose new version did not start (live stayed where it was). */
export function notStarted(result: ProjectDeployResult): FunctionDeployOutcome[] {
  return result.functions.filter((f) => !f.start.started);
}

/**
 * What the deploy did to live, for people: `v7 unchanged; live moved back to v7 (it was on v3)`,
 * `v8 did not start: index.js:4: SyntaxError: …; live stays on v7`, or how to move a production
 * environment's live.
 */
export function describeLiveChange(environment: string, f: FunctionDeployOutcome): string {
  const { live, version } = f;
  const was = live.previousVersion;
  const what = f.unchanged ? `v${version} unchanged` : `v${version} published`;
  if (!f.start.started) {
    return `v${version} did not start: ${f.start.reason ?? 'no reason given'}; ${was === undefined || was === version ? 'it has nowhere else to send live' : `live stays on v${was}`}. Fix the code and deploy again.`;
  }
  switch (live.outcome) {
    case 'moved':
      return was === undefined ? `${what}; live → v${version}` : `${what}; live moved ${f.unchanged ? 'back ' : ''}to v${version} (it was on v${was})`;
    case 'kept':
      return `${what}; live already serves it`;
    case 'held': {
      const move = `flightdeck promote --env ${environment} --function ${f.function} --version ${version}`;
      if (live.reason === 'rollout') {
        return `${what}; live did not move: rollout ${live.rollout ?? ''} is moving it (promote or abort the rollout first, then ${move})`;
      }
      return `${what}; live did not move (a production deploy moves no traffic) and stays on v${was}; move it with \`${move}\` or \`flightdeck rollout start --env ${environment} --function ${f.function} --version ${version}\``;
    }
  }
}

function selectFunctions(project: ProjectConfig, name: string | undefined): ProjectFunction[] {
  if (name === undefined) return project.functions;
  const fn = project.functions.find((f) => f.name === name);
  if (!fn) {
    const known = project.functions.map((f) => f.name).join(', ');
    throw new FlightdeckError('NOT_FOUND', `No function "${name}" in ${project.file}; it declares: ${known}.`, { field: 'function' });
  }
  return [fn];
}

async function resolveEnvironment(
  provider: Provider,
  project: ProjectConfig,
  options: DeployProjectOptions,
): Promise<BranchEnvironment> {
  const environments = await provider.listEnvironments();
  if (options.environment === undefined) return ensureBranchEnvironment(provider, environments, personalTarget(project, options));
  const wanted = declaredTarget(project, options.environment);
  const existing = environments.find((e) => e.name === wanted.name);
  if (existing) return { name: existing.name, created: false };
  return createTarget(provider, project, wanted);
}

async function createTarget(
  provider: Provider,
  project: ProjectConfig,
  wanted: Partial<NewEnvironment> & { name: string },
): Promise<BranchEnvironment> {
  if (!wanted.kind) {
    throw new FlightdeckError('NOT_FOUND',
      `Environment "${wanted.name}" does not exist. Declare it under environments: in ${project.file} (e.g. ${wanted.name}: { kind: staging }) or pick an existing one.`,
      { field: 'environment' });
  }
  try {
    await provider.createEnvironment(wanted as NewEnvironment);
    return { name: wanted.name, created: true };
  } catch (error) {
    // Someone (another window, the CLI) created it meanwhile: deploy into it.
    if (isFlightdeckError(error, 'CONFLICT')) return { name: wanted.name, created: false };
    throw error;
  }
}

function declaredTarget(project: ProjectConfig, name: string): Partial<NewEnvironment> & { name: string } {
  const declared = project.environments.find((e) => e.name === name);
  return declared ? { name, kind: declared.kind, protected: declared.protected, project: project.project } : { name };
}

function personalTarget(project: ProjectConfig, options: DeployProjectOptions): NewEnvironment & BranchOwner {
  if (!options.branch || !options.user) {
    throw new FlightdeckError('GIT', 'Deploying to your personal environment needs the git branch and user; check out a branch, or pass an environment name.');
  }
  const name = personalEnvironmentName(project.personal.name, { user: options.user, branch: options.branch, project: project.project });
  return { name, kind: 'personal', protected: false, owner: options.owner ?? options.user, branch: options.branch, project: project.project };
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FlightdeckError('CANCELLED', 'Deploy cancelled.');
}
