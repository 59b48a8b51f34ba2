// A command's argument: an object from code (tests, keybindings, other extensions), a clicked
// tree node (nodes carry the same fields), or nothing. Only known fields of the right type count;
// a wrong type is a BAD_REQUEST naming the field rather than a silent prompt.
import { FlightdeckError } from '../../errors';
import type { Provider } from '../../provider';
import { parseVersionRef, resolveVersionRef, VERSION_REF_HINT, type VersionRef } from '../../versionRef';
import type { FunctionTarget, Target } from '../pick';

export type Args = Record<string, unknown>;

export function argsOf(arg: unknown): Args {
  return typeof arg === 'object' && arg !== null ? (arg as Args) : {};
}

export function stringArg(args: Args, field: string): string | undefined {
  const value = args[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new FlightdeckError('BAD_REQUEST', `'${field}' must be a non-empty string.`, { field });
  return value;
}

export function numberArg(args: Args, field: string): number | undefined {
  const value = args[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FlightdeckError('BAD_REQUEST', `'${field}' must be a number.`, { field });
  return value;
}

export function booleanArg(args: Args, field: string): boolean | undefined {
  const value = args[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new FlightdeckError('BAD_REQUEST', `'${field}' must be true or false.`, { field });
  return value;
}

/** A version as a number, `"12"`, `"v12"`, `"latest"` or `"previous"` (src/versionRef.ts). */
export function versionArg(args: Args, field: string): VersionRef | undefined {
  const value = args[field];
  if (value === undefined) return undefined;
  const ref = parseVersionRef(value);
  if (ref === undefined) throw new FlightdeckError('BAD_REQUEST', `'${field}' must be ${VERSION_REF_HINT}, not ${JSON.stringify(value)}.`, { field });
  return ref;
}

/** The target's version as a number for this function (latest and previous looked up), if it names one. */
export async function resolveTargetVersion(provider: Provider, ref: FunctionTarget, target: Target): Promise<number | undefined> {
  return target.version === undefined ? undefined : resolveVersionRef(provider, ref.environment, ref.function, target.version);
}

/** environment / function / version / alias / confirm / force, as far as the argument gives them. */
export function targetOf(arg: unknown): Target {
  const args = argsOf(arg);
  return {
    environment: stringArg(args, 'environment'),
    function: stringArg(args, 'function'),
    version: versionArg(args, 'version'),
    alias: stringArg(args, 'alias'),
    confirm: stringArg(args, 'confirm'),
    force: booleanArg(args, 'force'),
  };
}
