// Shared quick picks: each asks for one thing a command is missing, and throws CANCELLED when the
// user dismisses it, so commands read as straight-line code.
import * as vscode from 'vscode';
import { FlightdeckError } from '../errors';
import { describeAlias, type Alias, type Environment, type FunctionSummary } from '../model';
import type { Provider } from '../provider';
import type { VersionRef } from '../versionRef';
import { describeUnhealthy, unhealthyVersion } from '../trafficGuard';
import { age, sourceOf } from './format';
import { parsePercent, weightProblem } from './input';

/** A command's target so far: from its argument object, a clicked tree node, or nothing. */
export interface Target {
  environment?: string;
  function?: string;
  version?: VersionRef;
  alias?: string;
  /** The environment's name, confirming an action on a protected environment without a prompt. */
  confirm?: string;
  /** Send traffic to a version marked unhealthy without asking. */
  force?: boolean;
}

export interface FunctionTarget {
  environment: string;
  function: string;
}

async function chosen<T extends vscode.QuickPickItem>(items: T[] | Promise<T[]>, placeHolder: string): Promise<T> {
  const item = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  if (!item) throw new FlightdeckError('CANCELLED', `${placeHolder}: cancelled.`);
  return item;
}

export async function pickEnvironment(provider: Provider, placeHolder: string, preferred?: string): Promise<Environment> {
  const environments = await provider.listEnvironments();
  if (environments.length === 0) {
    throw new FlightdeckError('NOT_FOUND', 'There are no environments yet. Deploy the current branch to create your personal environment.');
  }
  environments.sort((a, b) => Number(b.name === preferred) - Number(a.name === preferred) || a.name.localeCompare(b.name));
  const items = environments.map((env) => ({
    label: env.name,
    description: [env.name === preferred ? 'yours' : env.kind, env.protected ? 'protected' : '', env.branch].filter(Boolean).join(' · '),
    env,
  }));
  return (await chosen(items, placeHolder)).env;
}

async function pickFunction(provider: Provider, environment: string, placeHolder: string): Promise<FunctionSummary> {
  const functions = await provider.listFunctions(environment);
  if (functions.length === 0) throw new FlightdeckError('NOT_FOUND', `Environment '${environment}' has no functions yet. Deploy to it first.`);
  if (functions.length === 1) return functions[0];
  const items = functions.map((f) => ({ label: f.name, description: f.aliases.map(describeAlias).join('; '), summary: f }));
  return (await chosen(items, placeHolder)).summary;
}

/** Fills in environment and function from the target, asking for what is missing. */
export async function resolveFunction(provider: Provider, target: Target, verb: string, preferredEnvironment?: string): Promise<FunctionTarget> {
  const environment = target.environment ?? (await pickEnvironment(provider, `${verb}: pick an environment`, preferredEnvironment)).name;
  const fn = target.function ?? (await pickFunction(provider, environment, `${verb}: pick a function in ${environment}`)).name;
  return { environment, function: fn };
}

export async function pickVersion(provider: Provider, ref: FunctionTarget, placeHolder: string, exclude: number[] = []): Promise<number> {
  const page = await provider.listVersions(ref.environment, ref.function, { limit: 50 });
  const versions = page.versions.filter((v) => !exclude.includes(v.id));
  if (versions.length === 0) throw new FlightdeckError('NOT_FOUND', `${ref.environment}/${ref.function} has no other version to choose. Deploy a change first.`);
  const now = Date.now();
  const items = versions.map((v) => ({
    label: `v${v.id}`,
    description: [age(v.created, now), sourceOf(v), v.health === 'unhealthy' ? 'unhealthy' : ''].filter(Boolean).join(' · '),
    detail: v.description,
    id: v.id,
  }));
  return (await chosen(items, placeHolder)).id;
}

export async function pickAlias(provider: Provider, ref: FunctionTarget, placeHolder: string): Promise<Alias> {
  const aliases = await provider.listAliases(ref.environment, ref.function);
  if (aliases.length === 0) throw new FlightdeckError('NOT_FOUND', `${ref.environment}/${ref.function} has no aliases yet. Deploy it first.`);
  if (aliases.length === 1) return aliases[0];
  const items = aliases.map((alias) => ({ label: alias.name, description: describeAlias(alias), alias }));
  return (await chosen(items, placeHolder)).alias;
}

const WEIGHT_PRESETS = [1, 5, 10, 25, 50];

/** A canary weight in percent: a preset or a typed value validated as it is typed. */
export async function pickWeightPercent(canary: number): Promise<number> {
  const other = { label: 'Other…', description: 'type a percentage', percent: undefined as number | undefined };
  const presets = WEIGHT_PRESETS.map((percent) => ({ label: `${percent}%`, description: `to v${canary}`, percent }));
  const pick = await chosen([...presets, other], `Share of traffic for v${canary}`);
  if (pick.percent !== undefined) return pick.percent;
  const typed = await vscode.window.showInputBox({
    prompt: `Percentage of traffic for v${canary} (0–100)`,
    placeHolder: 'e.g. 15',
    validateInput: weightProblem,
    ignoreFocusOut: true,
  });
  if (typed === undefined) throw new FlightdeckError('CANCELLED', 'No weight typed.');
  return parsePercent(typed);
}

/**
 * A protected environment always needs a modal naming it, unless the caller passed its name as
 * `confirm` (the argument form, for tests and keybindings).
 */
export async function confirmProtected(provider: Provider, environment: string, action: string, confirm?: string): Promise<void> {
  const env = (await provider.listEnvironments()).find((e) => e.name === environment);
  if (!env) throw new FlightdeckError('NOT_FOUND', `Environment '${environment}' does not exist. Refresh the Environments view.`);
  if (!env.protected || confirm === env.name) return;
  const answer = await vscode.window.showWarningMessage(
    `'${env.name}' is a protected ${env.kind} environment. ${action} in '${env.name}'?`,
    { modal: true },
    action,
  );
  if (answer !== action) throw new FlightdeckError('CANCELLED', `${action} in '${env.name}' cancelled.`);
}

/**
 * Traffic to a version marked unhealthy asks first, with Show Logs to see why; `force` (from an
 * argument) skips the question. Dismissing it cancels.
 */
export async function confirmUnhealthy(provider: Provider, ref: FunctionTarget, version: number, action: string, force?: boolean): Promise<void> {
  const sick = await unhealthyVersion(provider, ref.environment, ref.function, version);
  if (!sick || force) return;
  const go = `${action} Anyway`;
  const answer = await vscode.window.showWarningMessage(
    `${describeUnhealthy(sick)}. ${action}?`,
    { modal: true, detail: 'Requests it gets will likely fail. Fix the code and deploy a new version, or go ahead anyway.' },
    go,
    'Show Logs',
  );
  if (answer === 'Show Logs') await vscode.commands.executeCommand('flightdeck.showLogs', { ...ref, version });
  if (answer !== go) throw new FlightdeckError('CANCELLED', `${action}: cancelled (v${version} is unhealthy).`);
}
