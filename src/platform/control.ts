// The control plane: what the /v1 API does, over the durable state, the code store, the event
// hub and the runtime. Routes translate HTTP to these calls; the rollout engine uses them too
// (alias updates go through the same ETag-checked path).
import { FlightdeckError } from '../errors';
import { mapInPool } from '../concurrency';
import {
  DEFAULT_ALIAS,
  type Alias,
  type Environment,
  type FunctionSummary,
  type Rollout,
  type LiveChange,
  type ManifestEntry,
  type StartCheck,
  type Version,
  type VersionHealth,
} from '../model';
import type { VersionPage } from '../provider';
import { activeRolloutOn } from '../rollout/activeRollout';
import { isActive } from '../rollout/plan';
import type { BlobStore } from './blobs';
import type { FunctionRuntime, StateView } from './contracts';
import type { EventHub } from './events';
import type { FunctionOperations } from './functionOps';
import type { GarbageCollector } from './gc';
import { findVersion, newEtag, publishVersion, updateAliasRecord, type PublishOutcome } from './records';
import { rolloutActiveError } from '../trafficGuard';
import type { DurableState, FunctionRecord } from './state';
import type { TreeStore } from './trees';
import { checkAliasName, checkDnsName, checkInlineBlobs, checkNewEnvironment, normaliseConfig, optionalString, requireObject } from './validate';

export type Log = (message: string) => void;

export interface DeployAnswer {
  version: Version;
  unchanged: boolean;
  url: string;
  start: StartCheck;
  live: LiveChange;
}

const DEFAULT_PAGE = 50;
/** Inline blobs written at once: a small function may still have hundreds of files. */
const INLINE_WRITES = 16;

export interface ControlOptions {
  state: DurableState;
  trees: TreeStore;
  /** Where a deploy's inline `blobs` are stored. */
  blobs: BlobStore;
  events: EventHub;
  runtime: FunctionRuntime;
  /** Orders every change to one function with every other. */
  operations: FunctionOperations;
  /** Keeps a deploy's blobs from collection until it publishes; collects after an environment delete. */
  collector?: GarbageCollector;
  baseUrl: string;
  maxCodeBytes: number;
  log: Log;
}

/** What the runtime may see of the state; health reports are persisted in the background. */
export function createStateView(state: DurableState, trees: TreeStore, log: Log): StateView {
  return {
    functionConfig: (env, fn) => state.fn(env, fn)?.versions.at(-1)?.config,
    getVersion: (env, fn, id) => findVersion(state.fn(env, fn), id),
    getAlias: (env, fn, name) => state.fn(env, fn)?.aliases.find((a) => a.name === name),
    codeDir: (version) => trees.workDir(version),
    servedVersions: (env, fn) => servedVersions(state.fn(env, fn)),
    noteRequest: (env) => state.noteActivity(env, 'lastRequest', new Date().toISOString()),
    setVersionHealth(env, fn, id, health, reason) {
      state
        .noteFunction(env, fn, (current) => {
          const version = findVersion(current, id);
          if (!version) throw new FlightdeckError('NOT_FOUND', 'the version no longer exists');
          setHealth(version, health, reason);
        })
        .catch((error: Error) => log(`could not record health of ${env}/${fn} v${id}: ${error.message}`));
    },
  };
}

/** The versions a function's aliases send traffic to, and those its active rollout moves between. */
export function servedVersions(record: FunctionRecord | undefined): Set<number> {
  const served = new Set<number>();
  for (const alias of record?.aliases ?? []) {
    served.add(alias.versionId);
    for (const id of Object.keys(alias.additionalVersionWeight)) served.add(Number(id));
  }
  const rollout = record?.rollouts.at(-1);
  if (rollout && isActive(rollout)) {
    served.add(rollout.fromVersion);
    served.add(rollout.spec.toVersion);
  }
  return served;
}

function setHealth(version: Version, health: VersionHealth, reason?: string): void {
  if (version.health !== health || version.healthReason !== reason) version.healthUpdated = new Date().toISOString();
  version.health = health;
  if (reason === undefined) delete version.healthReason;
  else version.healthReason = reason;
}

/** The active rollout moving `alias` of the function, if any. */
export function rolloutMoving(record: FunctionRecord | undefined, alias: string): Rollout | undefined {
  return activeRolloutOn(record?.rollouts.at(-1), alias);
}


export class ControlPlane {
  constructor(private readonly deps: ControlOptions) {}

  functionUrl(env: string, fn: string): string {
    return `${this.deps.baseUrl}/fn/${encodeURIComponent(env)}/${encodeURIComponent(fn)}/`;
  }

  // ---- environments ----

  environments(): Environment[] {
    return this.deps.state.environments();
  }

  environment(name: string): Environment {
    return this.deps.state.requireEnvironment(name);
  }

  async createEnvironment(raw: unknown): Promise<Environment> {
    const input = checkNewEnvironment(raw);
    const environment: Environment = {
      name: input.name,
      kind: input.kind,
      protected: input.protected ?? false,
      ...(input.owner !== undefined ? { owner: input.owner } : {}),
      ...(input.branch !== undefined ? { branch: input.branch } : {}),
      ...(input.project !== undefined ? { project: input.project } : {}),
      created: new Date().toISOString(),
    };
    await this.deps.state.createEnvironment(environment);
    this.deps.events.emit({ type: 'environment.created', environment: environment.name });
    return environment;
  }

  async deleteEnvironment(name: string, confirm: string | undefined): Promise<void> {
    await this.deps.state.deleteEnvironment(name, (env) => {
      if (env.protected && confirm !== name) {
        throw new FlightdeckError('CONFLICT', `Environment ${JSON.stringify(name)} is protected; pass ?confirm=${name} to delete it.`, {
          field: 'confirm',
        });
      }
    });
    await this.deps.runtime.stopEnvironment(name);
    this.deps.events.emit({ type: 'environment.deleted', environment: name });
    this.deps.collector?.soon();
  }

  // ---- functions ----

  requireFunction(env: string, fn: string): FunctionRecord {
    return this.deps.state.requireFunction(env, fn);
  }

  summaries(env: string): FunctionSummary[] {
    return this.deps.state.functions(env).map((record) => this.summaryOf(env, record));
  }

  summary(env: string, fn: string): FunctionSummary {
    return this.summaryOf(env, this.deps.state.requireFunction(env, fn));
  }

  private summaryOf(env: string, record: FunctionRecord): FunctionSummary {
    const latest = record.versions.at(-1)!;
    const rollout = record.rollouts.at(-1);
    return {
      environment: env,
      name: record.name,
      config: latest.config,
      latestVersion: latest.id,
      aliases: record.aliases,
      instances: this.deps.runtime.instances(env, record.name),
      url: this.functionUrl(env, record.name),
      ...(rollout && isActive(rollout) ? { rollout } : {}),
    };
  }

  /**
   * Checks code and config, publishes a version (or finds it unchanged), proves it starts, then
   * (outside production, unless a rollout moves live) moves `live` to it and answers once warm
   * instances serve it. A version that does not start is published but marked unhealthy, and
   * live stays where it was.
   */
  async deploy(env: string, fn: string, raw: unknown): Promise<DeployAnswer> {
    checkDnsName(fn, 'function');
    const environment = this.deps.state.requireEnvironment(env);
    const body = requireObject(raw, 'body');
    const config = normaliseConfig(body.config);
    const inline = checkInlineBlobs(body.blobs);
    const meta = {
      description: optionalString(body, 'description'),
      branch: optionalString(body, 'branch'),
      commit: optionalString(body, 'commit'),
    };
    return this.deps.operations.run(env, fn, 'deploy', async () => {
      const outcome = await this.guardCode(async (use) => {
        const tree = await this.deps.trees.resolve(body);
        const size = tree.entries.reduce((sum, e) => sum + e.size, 0);
        if (size > this.deps.maxCodeBytes) {
          throw new FlightdeckError('PAYLOAD_TOO_LARGE', `The code is ${size} bytes, over the platform's limit of ${this.deps.maxCodeBytes} bytes; leave build output and large assets out of the function's folder.`, {
            field: 'files',
          });
        }
        use([tree.hash, ...tree.entries.map((e) => e.sha256)]);
        await this.storeInline(tree.entries, inline);
        // The blobs just stored need no second look.
        const known = new Map([...(tree.knownBlobs ?? []), ...[...inline].map(([sha256, bytes]) => [sha256, bytes.length] as const)]);
        const missing = await this.deps.trees.missingBlobs({ ...tree, knownBlobs: known });
        if (missing.length > 0) {
          throw new FlightdeckError('BLOBS_MISSING', `${missing.length} file(s) of this deploy are not uploaded; PUT /v1/blobs/<sha256> each one in \`missing\`, then deploy again.`, {
            missing,
          });
        }
        await this.deps.trees.put(tree);
        const input = { environment: env, fn, config, tree, meta, now: new Date().toISOString() };
        const published = await this.deps.state.mutateFunction(env, fn, (current) => publishVersion(current, input));
        this.deps.state.noteActivity(env, 'lastDeploy', input.now);
        return published;
      });
      this.announce(env, fn, outcome);
      // The proof's instance is kept when live is to move to the version (checked again as it moves).
      const liveMayMove = environment.kind !== 'production' && !rolloutMoving(this.deps.state.fn(env, fn), DEFAULT_ALIAS);
      const start = await this.proveStart(env, fn, outcome.version, liveMayMove);
      const live: LiveChange = outcome.created
        ? { outcome: 'moved' }
        : await this.moveLive(env, fn, outcome.version.id, environment.kind === 'production' ? 'production' : start.started ? undefined : 'notStarted');
      if (start.started) await this.serveNewVersion(env, fn, outcome.version.id, live.outcome === 'moved' ? live.previousVersion : undefined);
      return { version: this.version(env, fn, outcome.version.id), unchanged: outcome.unchanged, url: this.functionUrl(env, fn), start, live };
    });
  }

  /** Stores the files a deploy carried in `blobs`; each must be a file of the deploy's tree. */
  private async storeInline(entries: readonly ManifestEntry[], inline: ReadonlyMap<string, Buffer>): Promise<void> {
    if (inline.size === 0) return;
    const inTree = new Set(entries.map((e) => e.sha256));
    for (const sha256 of inline.keys()) {
      if (!inTree.has(sha256)) {
        throw new FlightdeckError('BAD_REQUEST', `blobs.${sha256.slice(0, 12)}: no file of this deploy has sha256 ${sha256}; send only the deploy's own files in blobs.`, { field: 'blobs' });
      }
    }
    await mapInPool([...inline], INLINE_WRITES, ([sha256, bytes]) => this.deps.blobs.putChecked(sha256, bytes));
  }

  /** Runs a deploy from reading its code to its publish so that garbage collection deletes nothing it `use`s. */
  private guardCode<T>(task: (use: (hashes: readonly string[]) => void) => Promise<T>): Promise<T> {
    return this.deps.collector ? this.deps.collector.whileDeploying(task) : task(() => undefined);
  }

  /** Proves the version starts (a healthy one has proved it by serving) and records the verdict. */
  async proveStart(env: string, fn: string, version: Version, keep: boolean): Promise<StartCheck> {
    if (version.health === 'healthy') return { started: true, how: 'it has served requests' };
    const start = await this.deps.runtime.proveStart(env, fn, version.id, keep);
    const health: VersionHealth = start.started ? (version.health === 'unhealthy' ? 'unknown' : version.health) : 'unhealthy';
    if (health !== version.health || !start.started) {
      await this.deps.state.mutateFunction(env, fn, (current) => {
        const record = findVersion(current, version.id);
        if (!current || !record) throw new FlightdeckError('NOT_FOUND', `Version ${version.id} of ${env}/${fn} no longer exists.`);
        setHealth(record, health, start.reason);
        return { next: current, result: undefined };
      });
      this.deps.events.emit({ type: 'version.health', environment: env, function: fn, versionId: version.id, version: this.version(env, fn, version.id) });
    }
    return start;
  }

  /** Points live at the version alone, unless `hold` says why not or a rollout moves live. */
  private async moveLive(env: string, fn: string, versionId: number, hold: LiveChange['reason']): Promise<LiveChange> {
    const result = await this.deps.state.mutateFunction(env, fn, (current): { next: FunctionRecord; result: { change: LiveChange; alias?: Alias } } => {
      const live = current?.aliases.find((a) => a.name === DEFAULT_ALIAS);
      if (!current || !live) throw new FlightdeckError('NOT_FOUND', `${env}/${fn} has no ${DEFAULT_ALIAS} alias.`);
      const previousVersion = live.versionId;
      const rollout = rolloutMoving(current, DEFAULT_ALIAS);
      const held = (reason: LiveChange['reason'], more: Partial<LiveChange> = {}) =>
        ({ next: current, result: { change: { outcome: 'held', previousVersion, reason, ...more } as LiveChange } });
      if (hold) return held(hold);
      if (rollout) return held('rollout', { rollout: rollout.id });
      if (live.versionId === versionId && Object.keys(live.additionalVersionWeight).length === 0) {
        return { next: current, result: { change: { outcome: 'kept', previousVersion } as LiveChange } };
      }
      const moved: Alias = { ...live, versionId, additionalVersionWeight: {}, etag: newEtag(), updated: new Date().toISOString() };
      current.aliases = current.aliases.map((a) => (a.name === DEFAULT_ALIAS ? moved : a));
      return { next: current, result: { change: { outcome: 'moved', previousVersion } as LiveChange, alias: moved } };
    });
    if (result.alias) this.deps.events.emit({ type: 'alias.updated', environment: env, function: fn, alias: result.alias });
    return result.change;
  }

  private announce(env: string, fn: string, outcome: PublishOutcome): void {
    if (outcome.unchanged) return;
    const emit = this.deps.events.emit;
    const base = { environment: env, function: fn };
    if (outcome.configChanged) emit({ type: 'function.updated', ...base });
    if (outcome.codeChanged) emit({ type: 'code.updated', ...base, versionId: outcome.version.id });
    emit({ type: 'version.published', ...base, versionId: outcome.version.id, version: outcome.version });
    if (outcome.live) emit({ type: 'alias.updated', ...base, alias: outcome.live });
  }

  /** Warm instances move from the version live left (in place) and `min` is kept. */
  private async serveNewVersion(env: string, fn: string, versionId: number, fromVersion: number | undefined): Promise<void> {
    const { runtime, log } = this.deps;
    try {
      if (fromVersion !== undefined && fromVersion !== versionId) await runtime.upgrade(env, fn, versionId, { fromVersion });
      await runtime.ensureMinimum(env, fn);
    } catch (error) {
      // The version is published either way; its health tells whether it serves.
      log(`${env}/${fn} v${versionId}: instances did not come up: ${(error as Error).message}`);
    }
  }

  // ---- versions and code ----

  versionPage(env: string, fn: string, limit = DEFAULT_PAGE, before?: number): VersionPage {
    const versions = this.deps.state.requireFunction(env, fn).versions;
    const older = before === undefined ? versions : versions.filter((v) => v.id < before);
    const page = older.slice(-limit).reverse();
    const oldest = page.at(-1);
    return { versions: page, ...(oldest && oldest.id > versions[0].id ? { nextBefore: oldest.id } : {}) };
  }

  version(env: string, fn: string, id: number): Version {
    const version = findVersion(this.deps.state.requireFunction(env, fn), id);
    if (!version) throw new FlightdeckError('NOT_FOUND', `Version ${id} of ${env}/${fn} does not exist.`, { field: 'version' });
    return version;
  }

  async files(env: string, fn: string, versionId?: number): Promise<{ tree: string; files: ManifestEntry[] }> {
    const version = versionId === undefined ? this.deps.state.requireFunction(env, fn).versions.at(-1)! : this.version(env, fn, versionId);
    const files = await this.deps.trees.get(version.tree);
    if (!files) throw new FlightdeckError('INTERNAL', `Code tree ${version.tree} of ${env}/${fn} v${version.id} is missing from the store.`);
    return { tree: version.tree, files };
  }

  async file(env: string, fn: string, versionId: number, path: string): Promise<ManifestEntry> {
    const { files } = await this.files(env, fn, versionId);
    const entry = files.find((f) => f.path === path);
    if (!entry) throw new FlightdeckError('NOT_FOUND', `Version ${versionId} of ${env}/${fn} has no file ${JSON.stringify(path)}.`, { field: 'path' });
    return entry;
  }

  // ---- aliases ----

  aliases(env: string, fn: string): Alias[] {
    return this.deps.state.requireFunction(env, fn).aliases;
  }

  alias(env: string, fn: string, name: string): Alias {
    const alias = this.aliases(env, fn).find((a) => a.name === name);
    if (!alias) throw new FlightdeckError('NOT_FOUND', `Alias ${JSON.stringify(name)} of ${env}/${fn} does not exist.`, { field: 'alias' });
    return alias;
  }

  /** Creates or updates an alias in the function's turn; a stale `ifMatch` fails with PRECONDITION_FAILED. */
  updateAlias(env: string, fn: string, name: string, update: unknown, ifMatch?: string): Promise<Alias> {
    checkAliasName(name);
    this.deps.state.requireFunction(env, fn);
    return this.deps.operations.run(env, fn, 'alias change', () => this.changeAlias(env, fn, name, update, ifMatch));
  }

  /**
   * updateAlias for a caller that already holds the function's turn. While a rollout moves the
   * alias only the rollout engine (`byRollout`, a rollout step) may change it: ROLLOUT_ACTIVE otherwise.
   */
  async changeAlias(env: string, fn: string, name: string, update: unknown, ifMatch?: string, byRollout = false): Promise<Alias> {
    checkAliasName(name);
    const now = new Date().toISOString();
    const alias = await this.deps.state.mutateFunction(env, fn, (current) => {
      const rollout = byRollout ? undefined : rolloutMoving(current, name);
      if (rollout) throw rolloutActiveError(rollout, env, fn, 'changing its traffic by hand');
      return updateAliasRecord(current, name, update, ifMatch, now);
    });
    this.deps.events.emit({ type: 'alias.updated', environment: env, function: fn, alias });
    this.deps.runtime.ensureMinimum(env, fn).catch((error: Error) => this.deps.log(`${env}/${fn}: ensureMinimum failed: ${error.message}`));
    return alias;
  }

  async deleteAlias(env: string, fn: string, name: string): Promise<void> {
    if (name === DEFAULT_ALIAS) {
      throw new FlightdeckError('CONFLICT', `The ${DEFAULT_ALIAS} alias serves the function's URL and cannot be deleted; point it elsewhere instead.`, {
        field: 'alias',
      });
    }
    await this.deps.operations.run(env, fn, 'alias delete', () =>
      this.deps.state.mutateFunction(env, fn, (current) => {
        if (!current?.aliases.some((a) => a.name === name)) {
          throw new FlightdeckError('NOT_FOUND', `Alias ${JSON.stringify(name)} of ${env}/${fn} does not exist.`, { field: 'alias' });
        }
        const rollout = rolloutMoving(current, name);
        if (rollout) throw rolloutActiveError(rollout, env, fn, 'deleting it');
        current.aliases = current.aliases.filter((a) => a.name !== name);
        return { next: current, result: undefined };
      }),
    );
    this.deps.events.emit({ type: 'function.updated', environment: env, function: fn });
  }

  /** Starts `min` instances of every function that keeps some warm (after a platform start). */
  async warmAll(): Promise<void> {
    for (const env of this.deps.state.environments()) {
      // Warming awaits; an environment deleted meanwhile has nothing left to warm.
      if (!this.deps.state.environment(env.name)) continue;
      for (const record of this.deps.state.functions(env.name)) {
        if ((record.versions.at(-1)?.config.instances.min ?? 0) === 0) continue;
        await this.deps.runtime
          .ensureMinimum(env.name, record.name)
          .catch((error: Error) => this.deps.log(`${env.name}/${record.name}: could not start warm instances: ${error.message}`));
      }
    }
  }
}
