// `--version V` as every command takes it: latest, previous, 12 or v12 (src/versionRef.ts).

import type { Provider } from '../provider';
import { parseVersionRef, resolveVersionRef, VERSION_REF_HINT, type VersionRef } from '../versionRef';
import { stringOption, UsageError, type OptionValues } from './command';

export function versionOption(values: OptionValues, name = 'version'): VersionRef | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const ref = parseVersionRef(text);
  if (ref === undefined) throw new UsageError(`--${name} must be ${VERSION_REF_HINT}, not ${JSON.stringify(text)}.`);
  return ref;
}

/** The version number `--version` names for one function (else `fallback`'s), or undefined when neither was given. */
export async function versionNumberOption(values: OptionValues, provider: Provider, environment: string, fn: string, fallback?: VersionRef): Promise<number | undefined> {
  const ref = versionOption(values) ?? fallback;
  return ref === undefined ? undefined : resolveVersionRef(provider, environment, fn, ref);
}
