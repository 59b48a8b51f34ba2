// How a person names a version, the same in the CLI (`--version`) and in command arguments
// (keybindings, other extensions): `latest`, `previous`, a number, `v12`, or a number as a string
// ("12" from a keybinding's JSON is version 12). `previous` is the version before the one the
// `live` alias serves as its primary. (A roll back without a version may go elsewhere: to that
// primary while a canary is on, past versions that never started.)

import { FlightdeckError } from './errors';
import { DEFAULT_ALIAS } from './model';
import type { Provider } from './provider';

export type VersionRef = number | 'latest' | 'previous';

/** undefined when `value` does not name a version; callers word the error for their surface. */
export function parseVersionRef(value: unknown): VersionRef | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'latest' || text === 'previous') return text;
  const match = /^v?(\d{1,15})$/.exec(text);
  const id = match ? Number(match[1]) : 0;
  return id >= 1 ? id : undefined;
}

export const VERSION_REF_HINT = 'a version number (12 or v12), latest or previous';

/** The version number a reference names for one function; NOT_FOUND when there is none. */
export async function resolveVersionRef(provider: Provider, environment: string, fn: string, ref: VersionRef): Promise<number> {
  if (typeof ref === 'number') return ref;
  if (ref === 'latest') {
    const { latestVersion } = await provider.getFunction(environment, fn);
    if (latestVersion === undefined) throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no version yet; deploy it first.`, { field: 'version' });
    return latestVersion;
  }
  const live = await provider.getAlias(environment, fn, DEFAULT_ALIAS);
  const { versions } = await provider.listVersions(environment, fn, { before: live.versionId, limit: 1 });
  if (!versions[0]) {
    throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no version before v${live.versionId} (what ${DEFAULT_ALIAS} serves), so "previous" names none.`, { field: 'version' });
  }
  return versions[0].id;
}
