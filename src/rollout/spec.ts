// Turns a partial rollout request (API body, CLI flags, flightdeck.yaml `rollout:` defaults) into a
// complete, validated RolloutSpec. Pure: no I/O. Every error is BAD_REQUEST naming the field.

import { FlightdeckError } from '../errors';
import { DEFAULT_ALIAS, type Alias, type RolloutGates, type RolloutSpec, type RolloutStrategy } from '../model';
import { parsePreset, PRESET_EXAMPLES } from './presets';

/** What a caller may send: any field may be missing; `preset` names CodeDeploy-style steps. */
export interface RolloutRequest {
  strategy?: RolloutStrategy;
  alias?: string;
  toVersion?: number;
  /** e.g. `Canary10Percent5Minutes`; explicit `steps` / `intervalMs` win over it. */
  preset?: string;
  steps?: number[];
  intervalMs?: number;
  gates?: Partial<RolloutGates>;
  batches?: number;
  manual?: boolean;
  mode?: 'inPlace' | 'recreate';
}

export const DEFAULT_STEPS: readonly number[] = [10, 25, 50, 100];
export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_GATES: Readonly<RolloutGates> = { maxErrorRate: 0.01, maxP95Ms: 500, minRequests: 20 };
/** Batches when none are given: two, or one when there is a single instance. */
export const DEFAULT_BATCHES = 2;

export interface SpecContext {
  /** The function's provisioned instances (instances.min); a batch release upgrades these. */
  instances: number;
}

/** Validates `input` (untrusted JSON or typed flags) and fills in defaults. */
export function normaliseSpec(input: unknown, context: SpecContext): RolloutSpec {
  const body = asObject(input, 'rollout');
  const strategy = oneOf(body.strategy, 'strategy', ['canary', 'batch'] as const) ?? 'canary';
  const preset = presetOf(body.preset);
  const spec: RolloutSpec = {
    strategy,
    alias: nonEmptyString(body.alias, 'alias') ?? DEFAULT_ALIAS,
    toVersion: requiredVersion(body.toVersion),
    intervalMs: integerIn(body.intervalMs, 'intervalMs', 0, 24 * 3_600_000) ?? preset?.intervalMs ?? DEFAULT_INTERVAL_MS,
    gates: gatesOf(body.gates),
  };
  if (strategy === 'canary') {
    spec.steps = stepsOf(body.steps) ?? preset?.steps ?? [...DEFAULT_STEPS];
  } else {
    spec.batches = batchesOf(body.batches, context.instances);
    spec.manual = booleanOf(body.manual, 'manual') ?? false;
    spec.mode = oneOf(body.mode, 'mode', ['inPlace', 'recreate'] as const) ?? 'inPlace';
  }
  return spec;
}

/**
 * A request over defaults (flightdeck.yaml `rollout:`): the request wins field by field and gate by
 * gate, and a preset in the request also beats the defaults' steps and interval, since it names
 * both (normaliseSpec would otherwise let the file's explicit steps win over the chosen preset).
 */
export function mergeRequest(defaults: RolloutRequest, request: RolloutRequest): RolloutRequest {
  const base = { ...defaults };
  if (request.preset !== undefined) {
    delete base.steps;
    delete base.intervalMs;
  }
  const merged: RolloutRequest = { ...base, ...request };
  const gates = { ...defaults.gates, ...request.gates };
  if (Object.keys(gates).length > 0) merged.gates = gates;
  return merged;
}

/** The version the alias serves now (its primary): what a rollback returns to. */
export function stableVersionOf(alias: Alias | undefined, spec: RolloutSpec): number {
  if (!alias) throw new FlightdeckError('NOT_FOUND', `Alias ${JSON.stringify(spec.alias)} does not exist; create it or roll out on live.`, { field: 'alias' });
  if (alias.versionId === spec.toVersion) {
    throw new FlightdeckError('BAD_REQUEST', `v${spec.toVersion} is already the primary version of ${spec.alias}; deploy a new version to roll out.`, { field: 'toVersion' });
  }
  return alias.versionId;
}

function gatesOf(value: unknown): RolloutGates {
  if (value === undefined) return { ...DEFAULT_GATES };
  const gates = asObject(value, 'gates');
  return {
    maxErrorRate: numberIn(gates.maxErrorRate, 'gates.maxErrorRate', 0, 1) ?? DEFAULT_GATES.maxErrorRate,
    maxP95Ms: integerIn(gates.maxP95Ms, 'gates.maxP95Ms', 1, 3_600_000) ?? DEFAULT_GATES.maxP95Ms,
    minRequests: integerIn(gates.minRequests, 'gates.minRequests', 0, 1_000_000) ?? DEFAULT_GATES.minRequests,
  };
}

function stepsOf(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw badRequest('steps', 'steps must be a non-empty list of percentages ending at 100, e.g. [10, 50, 100]');
  }
  const steps = value.map((step, i) => integerIn(step, `steps.${i}`, 1, 100) as number);
  steps.forEach((step, i) => {
    if (step === undefined) throw badRequest(`steps.${i}`, `steps.${i} is missing; give a percentage from 1 to 100`);
    if (i > 0 && step <= steps[i - 1]) {
      throw badRequest(`steps.${i}`, `steps must increase: step ${i + 1} (${step}%) is not above step ${i} (${steps[i - 1]}%)`);
    }
  });
  if (steps[steps.length - 1] !== 100) {
    throw badRequest('steps', `steps must end at 100 so the new version gets all traffic; the last is ${steps[steps.length - 1]}`);
  }
  return steps;
}

function batchesOf(value: unknown, instances: number): number {
  if (instances < 1) {
    throw badRequest('strategy', 'a batch release upgrades provisioned instances: set instances.min to at least 1, or use strategy canary');
  }
  const batches = integerIn(value, 'batches', 1, Number.MAX_SAFE_INTEGER) ?? Math.min(DEFAULT_BATCHES, instances);
  if (batches > instances) {
    throw badRequest('batches', `batches (${batches}) must not exceed the function's ${instances} provisioned instance(s) (instances.min)`);
  }
  return batches;
}

function presetOf(value: unknown) {
  const name = nonEmptyString(value, 'preset');
  if (name === undefined) return undefined;
  const preset = parsePreset(name);
  if (!preset) throw badRequest('preset', `unknown preset "${name}"; use one like ${PRESET_EXAMPLES.join(', ')}`);
  return preset;
}

function requiredVersion(value: unknown): number {
  const id = integerIn(value, 'toVersion', 1, Number.MAX_SAFE_INTEGER);
  if (id === undefined) throw badRequest('toVersion', 'toVersion is required: the version number to roll out');
  return id;
}

// ---- Field readers: undefined passes through (the default applies), anything else must fit ----

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(field, `${field} must be an object`);
  return value as Record<string, unknown>;
}

function numberIn(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badRequest(field, `${field} must be a number from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function integerIn(value: unknown, field: string, min: number, max: number): number | undefined {
  const n = numberIn(value, field, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw badRequest(field, `${field} must be a whole number; got ${n}`);
  return n;
}

function nonEmptyString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(field, `${field} must be a non-empty string`);
  return value;
}

function booleanOf(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badRequest(field, `${field} must be true or false`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw badRequest(field, `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  return value as T;
}

function badRequest(field: string, message: string): FlightdeckError {
  return new FlightdeckError('BAD_REQUEST', message, { field });
}
