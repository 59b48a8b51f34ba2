// `flightdeck rollout start|status|pause|resume|continue|promote|abort [--env E] [--function F]`.
// `start` merges the function's `rollout:` defaults from flightdeck.yaml (here, or --config) with
// the flags. With --wait it follows the rollout to its end, printing a line per change, and exits
// 0 when it succeeded, 1 when it rolled back or was aborted (or the version does not start), and 3
// when it reached 100% without one step judged (completed unverified), so CI can gate on it. Providers
// without server-side rollouts (FC, Knative) are driven from this process (src/rollout/driven.ts),
// which therefore always waits; their state lives on the engine, so `rollout status|pause|abort…`
// from another shell or machine act on it, and `rollout resume` drives a paused one on from here.
// Ctrl-C while driving pauses the rollout, so nothing is left running without a driver.

import { resolve } from 'node:path';
import { parseDuration } from '../../config/duration';
import type { RolloutDefaults } from '../../config/projectFile';
import { locateProjectFile, PROJECT_FILE_NAME } from '../../config/names';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, trafficSplit, type Rollout, type RolloutSpec, type RolloutStrategy } from '../../model';
import type { Provider, RolloutAction } from '../../provider';
import { describeRollout, isActive } from '../../rollout/plan';
import type { RolloutRequest } from '../../rollout/spec';
import {
  FORCE_OPTION,
  guardUnhealthy,
  numberOption,
  stringOption,
  UsageError,
  type Command,
  type CommandContext,
  type CommandResult,
  type OptionValues,
} from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption, versionOption } from '../versionOption';

export const rolloutStartCommand: Command = {
  name: 'rollout start',
  summary: 'Roll a version out progressively (canary steps or in-place batches)',
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'The version to roll out: N, vN, latest or previous', required: true },
    strategy: { type: 'string', valueName: 'canary|batch', description: 'Traffic steps (canary, default) or in-place instance batches' },
    steps: { type: 'string', valueName: 'P1,P2,…', description: 'canary: traffic percentages ending at 100 (default 10,25,50,100)' },
    preset: { type: 'string', valueName: 'NAME', description: 'canary: steps and interval like Canary10Percent5Minutes' },
    interval: { type: 'string', valueName: 'DURATION', description: 'Time per step, or between batches (default 30s)' },
    'max-error-rate': { type: 'string', valueName: 'RATE', description: '5xx rate of the new version that rolls back, 0–1 (default 0.01)' },
    'max-p95': { type: 'string', valueName: 'DURATION', description: 'p95 latency of the new version that rolls back (default 500ms)' },
    'min-requests': { type: 'string', valueName: 'N', description: 'Requests a step needs before it is judged (default 20)' },
    batches: { type: 'string', valueName: 'B', description: 'batch: number of batches (default 2)' },
    manual: { type: 'boolean', description: 'batch: wait for `rollout continue` between batches' },
    mode: { type: 'string', valueName: 'inPlace|recreate', description: 'batch: upgrade slots in place (default) or start new ones' },
    alias: { type: 'string', valueName: 'A', description: 'Alias to move (default live)' },
    config: { type: 'string', valueName: 'PATH', description: `Project file with rollout defaults (default: ${PROJECT_FILE_NAME} here or in a parent folder, when there is one)` },
    wait: { type: 'boolean', description: 'Follow to the end; exit 1 if it rolls back or is aborted, 3 if it completes unverified' },
    ...FORCE_OPTION,
    'skip-if-live': { type: 'boolean', description: 'Succeed doing nothing when the version already serves all of the alias (a pipeline with nothing new)' },
  },
  async run(context) {
    const { environment: env, function: fn } = await functionTarget(context);
    const flags = flagRequest(context.values);
    const { mergeRequest, normaliseSpec } = await import('../../rollout/spec');
    const defaults = await projectDefaults(context, fn);
    checkStrategyFlags(context.values, mergeRequest(defaults, flags).strategy ?? 'canary');
    // Everything but the version (resolved against the function) and the batch count against the
    // function's instances is checked before any call.
    inFlagTerms(() => normaliseSpec({ ...mergeRequest(defaults, flags), toVersion: 1 }, { instances: Number.MAX_SAFE_INTEGER }));
    const provider = await context.provider();
    flags.toVersion = await versionNumberOption(context.values, provider, env, fn);
    const request = mergeRequest(defaults, flags);
    if (context.values['skip-if-live'] === true) {
      const alias = await provider.getAlias(env, fn, request.alias ?? DEFAULT_ALIAS);
      if (alias.versionId === request.toVersion && trafficSplit(alias).length === 1) {
        return { data: { skipped: true, alias }, text: `v${request.toVersion} already serves all of ${alias.name}; nothing to roll out.` };
      }
    }
    await guardUnhealthy(context, provider, env, fn, request.toVersion as number, `roll out v${request.toVersion}`);
    const progress = (rollout: Rollout) => context.values.json !== true && context.print(describeRollout(rollout));
    // A client-driven provider checks the request against what its engine can do first (FC
    // refuses batch releases), then its driver normalises it like the platform does.
    const summaryMin = provider.capabilities.serverRollouts ? (await provider.getFunction(env, fn)).config.instances.min : 0;
    const spec = provider.capabilities.serverRollouts
      ? inFlagTerms(() => normaliseSpec(request, { instances: summaryMin }))
      : (request as RolloutSpec);
    const started = await provider.startRollout(env, fn, spec);
    if (context.values.wait !== true && provider.capabilities.serverRollouts) return { data: started, text: describeRollout(started) };
    progress(started);
    return outcome(await follow(provider, started, progress, context.signal));
  },
};

export const rolloutStatusCommand: Command = {
  name: 'rollout status',
  summary: "Show a function's active (or last) rollout",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    wait: { type: 'boolean', description: 'Follow an active rollout to its end (and a CI job gets start --wait\'s exit code back after an interruption)' },
  },
  async run(context) {
    const { environment: env, function: fn } = await functionTarget(context);
    const provider = await context.provider();
    const rollout = await provider.getRollout(env, fn);
    if (!rollout) throw new FlightdeckError('NOT_FOUND', `${env}/${fn} has never had a rollout; start one with \`flightdeck rollout start\`.`);
    if (context.values.wait !== true) return { data: rollout, text: describeRollout(rollout) };
    if (!isActive(rollout)) return outcome(rollout);
    // An engine whose rollouts this CLI drives: following is driving, which `resume` does.
    if (!provider.capabilities.serverRollouts) {
      throw new FlightdeckError('CONFLICT', `On this engine the CLI drives rollouts: \`flightdeck rollout resume\` drives v${rollout.spec.toVersion}'s on to its end.`);
    }
    const progress = (r: Rollout) => context.values.json !== true && context.print(describeRollout(r));
    progress(rollout);
    return outcome(await follow(provider, rollout, progress, context.signal));
  },
};

const ACTION_SUMMARIES: Record<RolloutAction, string> = {
  pause: 'Pause the active rollout where it is',
  resume: 'Resume a paused rollout (its step starts over)',
  continue: 'Go to the next step or batch now',
  promote: 'Send all traffic to the new version and finish',
  abort: 'Send all traffic back to the stable version and stop',
};

export const rolloutActionCommands: Command[] = (Object.keys(ACTION_SUMMARIES) as RolloutAction[]).map((action) => ({
  name: `rollout ${action}`,
  summary: ACTION_SUMMARIES[action],
  options: OPTIONAL_TARGET_OPTIONS,
  async run(context) {
    const { environment: env, function: fn } = await functionTarget(context);
    const provider = await context.provider();
    const rollout = await provider.rolloutAction(env, fn, action);
    // Resumed on a client-driven provider: this process drives it now, to its end.
    if (action === 'resume' && !provider.capabilities.serverRollouts && isActive(rollout)) {
      const progress = (r: Rollout) => context.values.json !== true && context.print(describeRollout(r));
      progress(rollout);
      return outcome(await follow(provider, rollout, progress, context.signal));
    }
    return { data: rollout, text: describeRollout(rollout) };
  },
}));

export const ROLLOUT_COMMANDS: readonly Command[] = [rolloutStartCommand, rolloutStatusCommand, ...rolloutActionCommands];

/**
 * Succeeded: the rollout as the result. Completed unverified: the result with exit code 3 (no step
 * was judged, so a CI gate must not pass it as tested). Rolled back or aborted: ROLLOUT_FAILED, exit 1.
 */
function outcome(rollout: Rollout): CommandResult {
  if (rollout.status === 'completedUnverified') {
    const message = rollout.ungated
      ? `v${rollout.spec.toVersion} reached 100% of ${rollout.spec.alias} unverified: it was ungated, its steps advanced by time because ${rollout.ungated} (exit code 3). ` +
        'Let this client read the metrics to get a verdict.'
      : `v${rollout.spec.toVersion} reached 100% of ${rollout.spec.alias} unverified: no step had the ${rollout.spec.gates.minRequests} requests the gates need to judge it ` +
        '(exit code 3). Send traffic during the steps, or lower --min-requests, to get a verdict.';
    // The last progress line already described the rollout; the text only sums it up.
    return { data: rollout, text: `v${rollout.spec.toVersion} serves 100% of ${rollout.spec.alias}, unverified.`, failure: { exitCode: 3, message } };
  }
  if (rollout.status !== 'succeeded') {
    const what = rollout.status === 'aborted' ? 'was aborted' : 'rolled back';
    throw new FlightdeckError('ROLLOUT_FAILED', `The rollout of v${rollout.spec.toVersion} ${what}: ${rollout.reason ?? 'no reason given'}. Traffic is back on v${rollout.fromVersion}.`);
  }
  return { data: rollout, text: `v${rollout.spec.toVersion} now serves 100% of ${rollout.spec.alias}.` };
}

/**
 * Follows the rollout to its end. A client-driven one lives in this process: on Ctrl-C it is
 * paused (its stored state says so) rather than left running with nobody driving it.
 */
async function follow(provider: Provider, started: Rollout, progress: (rollout: Rollout) => void, signal: AbortSignal): Promise<Rollout> {
  const { followRollout } = await import('../../rollout/follow');
  try {
    return await followRollout(provider, started, progress, signal);
  } catch (error) {
    if (provider.capabilities.serverRollouts || !isFlightdeckError(error, 'CANCELLED')) throw error;
    const paused = await provider.rolloutAction(started.environment, started.function, 'pause').catch(() => undefined);
    throw new FlightdeckError('CANCELLED', `Stopped driving the rollout of v${started.spec.toVersion}${paused ? ` and paused it at ${paused.percent}%` : ''}; \`flightdeck rollout resume\` drives it on.`);
  }
}

/** The function's `rollout:` block of --config, or of the flightdeck.yaml found as deploy finds it (here or a parent). */
async function projectDefaults(context: CommandContext, fn: string): Promise<RolloutDefaults> {
  const { loadProjectFile } = await import('../../config/projectFile');
  const explicit = stringOption(context.values, 'config');
  const file = explicit === undefined ? locateProjectFile(context.cwd) : resolve(context.cwd, explicit);
  if (file === undefined) return {};
  return loadProjectFile(file, { requireCode: false }).functions.find((f) => f.name === fn)?.rollout ?? {};
}

/** The flags given, as a partial request (absent flags leave the defaults alone). */
function flagRequest(values: OptionValues): RolloutRequest {
  const gates = dropUndefined({
    maxErrorRate: numberOption(values, 'max-error-rate', 0, 1, false),
    maxP95Ms: durationOption(values, 'max-p95'),
    minRequests: numberOption(values, 'min-requests', 0, 1_000_000),
  });
  versionOption(values); // checked before connecting; resolved against the function in run()
  return dropUndefined({
    strategy: choiceOption<RolloutStrategy>(values, 'strategy', ['canary', 'batch']),
    steps: stepsOption(values),
    preset: stringOption(values, 'preset'),
    intervalMs: durationOption(values, 'interval', MAX_INTERVAL_MS),
    batches: numberOption(values, 'batches', 1, 10_000),
    manual: values.manual === true ? true : undefined,
    mode: choiceOption<NonNullable<RolloutSpec['mode']>>(values, 'mode', ['inPlace', 'recreate']),
    alias: stringOption(values, 'alias'),
    gates: Object.keys(gates).length > 0 ? gates : undefined,
  });
}

const CANARY_ONLY = ['steps', 'preset'];
const BATCH_ONLY = ['batches', 'manual', 'mode'];

/** Flags of the other strategy are a mistake, not something to ignore. */
function checkStrategyFlags(values: OptionValues, strategy: RolloutStrategy): void {
  const foreign = (strategy === 'canary' ? BATCH_ONLY : CANARY_ONLY).filter((flag) => values[flag] !== undefined);
  if (foreign.length === 0) return;
  const other = strategy === 'canary' ? 'batch' : 'canary';
  throw new UsageError(`${foreign.map((f) => `--${f}`).join(', ')} appl${foreign.length === 1 ? 'ies' : 'y'} to --strategy ${other} only; this rollout is ${strategy}.`);
}

/** Request fields → the flags that set them, so a bad value is told in the terms the person typed. */
const FLAG_OF: Record<string, string> = {
  toVersion: '--version',
  intervalMs: '--interval',
  steps: '--steps',
  'gates.maxErrorRate': '--max-error-rate',
  'gates.maxP95Ms': '--max-p95',
  'gates.minRequests': '--min-requests',
  batches: '--batches',
  preset: '--preset',
  strategy: '--strategy',
  mode: '--mode',
  alias: '--alias',
};

/** Runs a spec check; its BAD_REQUEST naming a request field becomes a usage error naming the flag. */
function inFlagTerms<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!isFlightdeckError(error, 'BAD_REQUEST') || error.details.field === undefined) throw error;
    const field = error.details.field.replace(/\.\d+$/, '');
    const flag = FLAG_OF[field];
    if (!flag) throw error;
    const message = error.message.replaceAll(error.details.field, flag).replaceAll(field, flag);
    throw new UsageError(message.startsWith(flag) ? message : `${flag}: ${message}`);
  }
}

function stepsOption(values: OptionValues): number[] | undefined {
  const text = stringOption(values, 'steps');
  if (text === undefined) return undefined;
  const steps = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  const increasing = steps.every((step, i) => Number.isInteger(step) && step >= 1 && step <= 100 && (i === 0 || step > steps[i - 1]));
  if (!increasing || steps.at(-1) !== 100) {
    throw new UsageError(`--steps must be increasing whole percentages from 1 to 100, separated by commas and ending at 100 (e.g. 10,50,100), not ${JSON.stringify(text)}.`);
  }
  return steps;
}

function choiceOption<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const text = stringOption(values, name);
  if (text === undefined || allowed.includes(text as T)) return text as T | undefined;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(text)}.`);
}

const MAX_INTERVAL_MS = 24 * 3_600_000;

function durationOption(values: OptionValues, name: string, maxMs = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const ms = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  if (ms === undefined) throw new UsageError(`--${name} must be a duration like 500ms, 30s or 5m, not ${JSON.stringify(text)}.`);
  if (ms > maxMs) throw new UsageError(`--${name} ${text}: at most ${maxMs / 3_600_000}h.`);
  return ms;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
