// A command's argument: an object from code (tests, keybindings, other extensions), a clicked
// tree node (nodes carry the same fields), or nothing. Only known fields of the right type count;
// a wrong type is a BAD_REQUEST naming the field rather than a silent prompt.
import { FlightdeckError } from '../../errors';
import type { Target } from '../pick';

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

/** environment / function / version / alias / confirm / force, as far as the argument gives them. */
export function targetOf(arg: unknown): Target {
  const args = argsOf(arg);
  return {
    environment: stringArg(args, 'environment'),
    function: stringArg(args, 'function'),
    version: numberArg(args, 'version'),
    alias: stringArg(args, 'alias'),
    confirm: stringArg(args, 'confirm'),
    force: booleanArg(args, 'force'),
  };
}
