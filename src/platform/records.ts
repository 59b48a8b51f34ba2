// Pure changes to a function record: publishing a version and updating an alias. They run inside
// DurableState.mutateFunction, so they see the current record and nothing interleaves.
import { randomUUID } from 'node:crypto';
import { FlightdeckError } from '../errors';
import { DEFAULT_ALIAS, type Alias, type AliasUpdate, type FunctionConfig, type Version } from '../model';
import type { FunctionRecord } from './state';
import type { CanonicalTree } from './trees';
import { checkAliasUpdate } from './validate';

export interface PublishInput {
  environment: string;
  fn: string;
  config: FunctionConfig;
  tree: CanonicalTree;
  meta: Pick<Version, 'description' | 'branch' | 'commit'>;
  now: string;
}

export interface PublishOutcome {
  version: Version;
  unchanged: boolean;
  created: boolean;
  configChanged: boolean;
  codeChanged: boolean;
  /** `live`, when this first version created it; later versions move it only once they start (ControlPlane). */
  live?: Alias;
}

export function newEtag(): string {
  return randomUUID();
}

export function findVersion(record: FunctionRecord | undefined, id: number): Version | undefined {
  // Ids ascend; garbage collection may have pruned older ones, so search rather than index.
  const versions = record?.versions ?? [];
  let low = 0;
  let high = versions.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const found = versions[middle].id;
    if (found === id) return versions[middle];
    if (found < id) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

export function publishVersion(current: FunctionRecord | undefined, input: PublishInput): { next: FunctionRecord; result: PublishOutcome } {
  const latest = current?.versions.at(-1);
  const configChanged = !latest || JSON.stringify(latest.config) !== JSON.stringify(input.config);
  const codeChanged = !latest || latest.tree !== input.tree.hash;
  if (current && latest && !configChanged && !codeChanged) {
    return { next: current, result: { version: latest, unchanged: true, created: false, configChanged, codeChanged } };
  }
  const record: FunctionRecord = current ?? { name: input.fn, created: input.now, versions: [], aliases: [], rollouts: [] };
  const version: Version = {
    id: (latest?.id ?? 0) + 1,
    environment: input.environment,
    function: input.fn,
    tree: input.tree.hash,
    config: input.config,
    ...dropUndefined(input.meta),
    created: input.now,
    fileCount: input.tree.entries.length,
    codeSize: input.tree.entries.reduce((sum, e) => sum + e.size, 0),
    health: 'unknown',
  };
  record.versions.push(version);
  const previous = record.aliases.find((a) => a.name === DEFAULT_ALIAS);
  const outcome: PublishOutcome = { version, unchanged: false, created: !current, configChanged, codeChanged };
  if (!previous) {
    const live: Alias = { name: DEFAULT_ALIAS, versionId: version.id, additionalVersionWeight: {}, etag: newEtag(), updated: input.now };
    record.aliases = [live, ...record.aliases];
    outcome.live = live;
  }
  return { next: record, result: outcome };
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `If-Match` value → bare ETag (`W/"x"`, `"x"` and `x` all name `x`). */
function bareEtag(ifMatch: string): string {
  return ifMatch.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function checkPrecondition(name: string, existing: Alias | undefined, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  if (ifMatch.trim() === '*' ? existing : existing && bareEtag(ifMatch) === existing.etag) return;
  throw new FlightdeckError(
    'PRECONDITION_FAILED',
    existing
      ? `Alias ${JSON.stringify(name)} changed since you read it (If-Match ${ifMatch}, now ${JSON.stringify(existing.etag)}); read it again and reapply your change.`
      : `Alias ${JSON.stringify(name)} no longer exists, so If-Match ${ifMatch} cannot match; create it without If-Match.`,
  );
}

export function updateAliasRecord(
  current: FunctionRecord | undefined,
  name: string,
  raw: unknown,
  ifMatch: string | undefined,
  now: string,
): { next: FunctionRecord; result: Alias } {
  if (!current) throw new FlightdeckError('NOT_FOUND', 'The function does not exist; deploy it first.');
  const update: AliasUpdate = checkAliasUpdate(raw, (id) => findVersion(current, id) !== undefined);
  const existing = current.aliases.find((a) => a.name === name);
  checkPrecondition(name, existing, ifMatch);
  const description = update.description ?? existing?.description;
  const alias: Alias = {
    name,
    versionId: update.versionId,
    additionalVersionWeight: update.additionalVersionWeight,
    ...(description !== undefined ? { description } : {}),
    etag: newEtag(),
    updated: now,
  };
  current.aliases = existing ? current.aliases.map((a) => (a.name === name ? alias : a)) : [...current.aliases, alias];
  return { next: current, result: alias };
}
