// The Provider over Alibaba Cloud Function Compute 3.0, through the official SDK
// (@alicloud/fc20230330). The mapping is in mapping.ts; this file makes the calls. Rollout gates
// read CloudMonitor (cloudMonitor.ts), logs come from the function's SLS log store (slsLogs.ts).
//
// What FC does not have is refused with a message rather than faked: in-place batch releases and
// restarts (FC owns its instances), and the event stream carries only what this client does
// (FC pushes no change events; views re-read on refresh).

import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Client, * as fc from '@alicloud/fc20230330';
import type OpenApiClient from '@alicloud/openapi-core';
import { FlightdeckError, isFlightdeckError, type ErrorCode } from '../../errors';
import type {
  Alias,
  AliasUpdate,
  Environment,
  FunctionSummary,
  Instance,
  LiveChange,
  ManifestEntry,
  PlatformEvent,
  PlatformEventType,
  Rollout,
  RolloutSpec,
  StartCheck,
  Version,
  VersionMetrics,
} from '../../model';
import { DEFAULT_ALIAS } from '../../model';
import type {
  DeployOptions,
  DeployRequest,
  DeployResult,
  FollowLogsOptions,
  LogLine,
  NewEnvironment,
  Provider,
  ProviderCapabilities,
  RolloutAction,
  Subscription,
  UrlTarget,
  VersionPage,
} from '../../provider';
import { DrivenRollouts } from '../../rollout/driven';
import { plannedLiveChange } from '../../rollout/activeRollout';
import { isActive } from '../../rollout/plan';
import type { RolloutStore } from '../../rollout/driver';
import {
  aliasOf,
  configOfFunction,
  decodeRollout,
  encodeRollout,
  environmentOfTags,
  environmentTags,
  fcFunctionInput,
  fcFunctionName,
  fingerprintOf,
  flightdeckFunctionName,
  joinAliasDescription,
  parseVersionDescription,
  splitAliasDescription,
  versionDescription,
  type FcAlias,
} from './mapping';
import { CloudMonitorMetrics, FC_METRICS_PERIOD_MS } from './cloudMonitor';
import { SlsLogs, type LogStore } from './slsLogs';
import { readZip, writeZip, type ZipEntry } from './zip';

export interface Fc3ProviderOptions {
  client: Client;
  region: string;
  accountId: string;
  /** Where the credentials came from, for messages about refused ones. */
  credentialSource: string;
  /** How often client-driven rollouts look at their gates; default 1 s. */
  checkEveryMs?: number;
  /** CloudMonitor, where the rollout gates' figures come from. */
  cloudMonitor: OpenApiClient;
  /** Simple Log Service, where the functions' logs are (each function's logConfig names its store). */
  sls: OpenApiClient;
  /** The log store every deployed function logs to (its logConfig); none leaves logConfig as it is. */
  logStore?: LogStore;
}

export class Fc3Provider implements Provider {
  readonly kind = 'fc3';
  readonly capabilities: ProviderCapabilities = { serverRollouts: false };
  readonly account: string;
  readonly label: string;
  /** SDK calls made, by FC action name (the bench counts round trips with it). */
  readonly calls = new Map<string, number>();
  private readonly client: Client;
  private readonly events = new EventEmitter();
  private readonly rollouts: DrivenRollouts;
  /** Environments created here that have no function on FC yet (FC has nothing to hold them). */
  private readonly pending = new Map<string, Environment>();
  private readonly codeCache = new Map<string, Promise<ZipEntry[]>>();
  private readonly metrics: CloudMonitorMetrics;
  private readonly logs: SlsLogs;
  private seq = 0;

  constructor(private readonly options: Fc3ProviderOptions) {
    this.client = options.client;
    this.account = options.accountId;
    this.label = `Function Compute 3.0 (${options.region})`;
    const count = (action: string) => this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    this.metrics = new CloudMonitorMetrics(options.cloudMonitor, options.region, count);
    this.logs = new SlsLogs(options.sls, count);
    this.rollouts = new DrivenRollouts(this, {
      store: this.rolloutStore(),
      onUpdate: (rollout) => this.emit('rollout.updated', rollout.environment, rollout.function, { rollout }),
      checkEveryMs: options.checkEveryMs,
      check: refuseBatch,
      firstNote: shortStepWarning,
    });
  }

  // ---- Environments ---------------------------------------------------------------------------

  async listEnvironments(): Promise<Environment[]> {
    const found = new Map<string, Environment>(this.pending);
    for (const fn of await this.allFunctions()) {
      const env = environmentOfTags(fn.tags);
      if (env && !found.has(env.name)) found.set(env.name, env);
      if (env) this.pending.delete(env.name);
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async createEnvironment(input: NewEnvironment): Promise<Environment> {
    if ((await this.listEnvironments()).some((e) => e.name === input.name)) {
      throw new FlightdeckError('CONFLICT', `Environment ${input.name} already exists on FC.`, { field: 'name' });
    }
    const env: Environment = {
      name: input.name,
      kind: input.kind,
      protected: input.protected ?? input.kind === 'production',
      created: new Date().toISOString(),
      ...(input.owner ? { owner: input.owner } : {}),
      ...(input.branch ? { branch: input.branch } : {}),
      ...(input.project ? { project: input.project } : {}),
    };
    // On FC an environment is its functions: it is written with the first deploy.
    this.pending.set(env.name, env);
    this.emit('environment.created', env.name);
    return env;
  }

  async deleteEnvironment(name: string, confirm?: string): Promise<void> {
    const env = await this.environment(name);
    if (env.protected && confirm !== name) {
      throw new FlightdeckError('CONFLICT', `Environment ${name} is protected: confirm with its name to delete it.`, { field: 'confirm' });
    }
    for (const fcName of await this.functionNamesOf(name)) await this.deleteFunction(fcName);
    this.pending.delete(name);
    this.emit('environment.deleted', name);
  }

  /** Triggers, aliases and versions go first: FC refuses to delete a function that still has them. */
  private async deleteFunction(fcName: string): Promise<void> {
    for (const trigger of await this.triggers(fcName)) await this.call('DeleteTrigger', () => this.client.deleteTrigger(fcName, trigger.triggerName!));
    for (const alias of await this.fcAliases(fcName)) await this.call('DeleteAlias', () => this.client.deleteAlias(fcName, alias.aliasName!));
    for (const version of await this.fcVersions(fcName)) await this.call('DeleteFunctionVersion', () => this.client.deleteFunctionVersion(fcName, version.versionId!));
    await this.call('DeleteFunction', () => this.client.deleteFunction(fcName));
  }

  // ---- Functions ------------------------------------------------------------------------------

  async listFunctions(environment: string): Promise<FunctionSummary[]> {
    await this.environment(environment);
    const names = await this.functionNamesOf(environment);
    return Promise.all(names.map((fcName) => this.summary(environment, flightdeckFunctionName(environment, fcName)!, false)));
  }

  getFunction(environment: string, fn: string): Promise<FunctionSummary> {
    return this.summary(environment, fn, true);
  }

  private async summary(environment: string, fn: string, withInstances: boolean): Promise<FunctionSummary> {
    const fcName = fcFunctionName(environment, fn);
    const [fcFn, versions, aliases] = await Promise.all([
      this.fcFunction(environment, fn),
      this.call('ListFunctionVersions', () => this.client.listFunctionVersions(fcName, new fc.ListFunctionVersionsRequest({ direction: 'BACKWARD', limit: 1 }))),
      this.fcAliases(fcName),
    ]);
    const latest = versions.body?.versions?.[0]?.versionId;
    const rollout = this.latestRollout(environment, fn, aliases);
    return {
      environment,
      name: fn,
      config: configOfFunction(fcFn),
      ...(latest ? { latestVersion: Number(latest) } : {}),
      aliases: aliases.map(aliasOf),
      instances: withInstances ? await this.listInstances(environment, fn) : [],
      url: aliases.some((a) => a.aliasName === DEFAULT_ALIAS) ? await this.functionUrl(environment, fn) : '',
      ...(rollout ? { rollout } : {}),
    };
  }

  // ---- Deploy ---------------------------------------------------------------------------------

  /**
   * Zip the scanned tree → CreateFunction/UpdateFunction → PublishFunctionVersion (the description
   * carries branch@commit) → invoke the new version once (FC's own invocation of that qualifier,
   * as the readiness check) → UpdateAlias `live` to it (not in production) → the HTTP trigger.
   */
  async deploy(environment: string, fn: string, request: DeployRequest, options: DeployOptions = {}): Promise<DeployResult> {
    const progress = options.onProgress ?? (() => undefined);
    const fcName = fcFunctionName(environment, fn);
    const fingerprint = fingerprintOf(request.code.entries, request.config);
    // A function new to a just-created environment skips the lookup (one round trip to FC fewer).
    const existing = options.newFunction ? undefined : await this.fcFunctionOrUndefined(fcName);
    const env = existing ? environmentOfTags(existing.tags) : await this.environment(environment);
    if (!env) throw new FlightdeckError('CONFLICT', `FC function ${fcName} exists but was not made by Flightdeck (no ${environment} tags); rename or delete it.`);
    if (existing) {
      const [latest] = (await this.call('ListFunctionVersions', () => this.client.listFunctionVersions(fcName, new fc.ListFunctionVersionsRequest({ direction: 'BACKWARD', limit: 1 })))).body?.versions ?? [];
      if (latest && parseVersionDescription(latest.description).fingerprint === fingerprint.slice(0, 16)) {
        // Unchanged, but outside production live still ends on the deployed code (it may have been moved elsewhere).
        const id = Number(latest.versionId);
        const live = await this.pointLive(environment, fn, env.kind === 'production', id);
        const start: StartCheck = { started: true, how: `v${id} was published before` };
        return { version: await this.versionOf(environment, fn, latest, request.config), unchanged: true, url: await this.functionUrl(environment, fn), bytesSent: 0, filesSent: 0, start, live };
      }
    }
    options.signal?.throwIfAborted();
    progress(`Zipping ${request.code.entries.length} file(s)…`, 0.1);
    const zip = await zipTree(request.code.root, request.code.entries);
    const logConfig = this.options.logStore ? { logConfig: new fc.LogConfig({ ...this.options.logStore, logBeginRule: 'DefaultRegex' }) } : {};
    const input = { ...fcFunctionInput(request.config), ...logConfig, code: new fc.InputCodeLocation({ zipFile: zip.toString('base64') }) };
    progress(`Uploading ${zip.length} bytes to FC…`, 0.3);
    if (existing) {
      await this.call('UpdateFunction', () => this.client.updateFunction(fcName, new fc.UpdateFunctionRequest({ body: new fc.UpdateFunctionInput(input) })));
    } else {
      const tags = environmentTags(env).map((t) => new fc.Tag(t));
      try {
        await this.call('CreateFunction', () => this.client.createFunction(new fc.CreateFunctionRequest({ body: new fc.CreateFunctionInput({ ...input, functionName: fcName, tags }) })));
      } catch (error) {
        // The hint was wrong (the function was made meanwhile): deploy as to an existing one.
        if (options.newFunction && isFlightdeckError(error, 'CONFLICT')) return this.deploy(environment, fn, request, { ...options, newFunction: false });
        throw error;
      }
      this.pending.delete(environment);
    }
    progress('Publishing a version…', 0.6);
    const description = versionDescription({ branch: request.branch, commit: request.commit, text: request.description, fingerprint, fileCount: request.code.entries.length });
    const published = (await this.call('PublishFunctionVersion', () => this.client.publishFunctionVersion(fcName, new fc.PublishFunctionVersionRequest({ body: new fc.PublishVersionInput({ description }) })))).body!;
    const versionId = Number(published.versionId);
    progress(`Invoking v${versionId} once before it takes traffic…`, 0.7);
    const start = await this.checkReady(fcName, versionId);
    const live = start.started
      ? await this.pointLive(environment, fn, env.kind === 'production', versionId)
      : await this.holdLive(fcName, 'notStarted');
    const version: Version = await this.versionOf(environment, fn, published, request.config);
    this.emit('version.published', environment, fn, { versionId, version });
    return { version, unchanged: false, url: await this.functionUrl(environment, fn), bytesSent: zip.length, filesSent: request.code.entries.length, start, live };
  }

  /**
   * FC's invocation of the new version is the readiness check: one that cannot start (init error,
   * crash, timeout) is published (it is history) but never takes traffic.
   */
  private async checkReady(fcName: string, versionId: number): Promise<StartCheck> {
    const response = await this.call('InvokeFunction', () =>
      this.client.invokeFunction(fcName, new fc.InvokeFunctionRequest({ qualifier: String(versionId) })));
    const errorType = response.headers?.['x-fc-error-type'];
    const how = `FC invoked v${versionId}`;
    // A handler error on an empty event is the function's business; failing to start is not.
    if (errorType && /Init|Timeout|Crash|Exited|Killed/i.test(errorType)) {
      return { started: false, how, reason: `FC could not run it (${errorType}); see the function's logs` };
    }
    return { started: true, how };
  }

  /** Live where it is, and why (a first deploy that did not start has no live to hold). */
  private async holdLive(fcName: string, reason: NonNullable<LiveChange['reason']>, rollout?: string): Promise<LiveChange> {
    const live = await this.fcAliasOrUndefined(fcName, DEFAULT_ALIAS);
    return { outcome: 'held', reason, ...(live ? { previousVersion: Number(live.versionId) } : {}), ...(rollout ? { rollout } : {}) };
  }

  /** Live to the version alone, unless this is production or a rollout moves live (client-driven: its state is on the alias). */
  private async pointLive(environment: string, fn: string, production: boolean, versionId: number): Promise<LiveChange> {
    const fcName = fcFunctionName(environment, fn);
    const live = await this.fcAliasOrUndefined(fcName, DEFAULT_ALIAS);
    if (!live) {
      await this.call('CreateAlias', () => this.client.createAlias(fcName, new fc.CreateAliasRequest({ body: new fc.CreateAliasInput({ aliasName: DEFAULT_ALIAS, versionId: String(versionId), additionalVersionWeight: {} }) })));
      this.emit('alias.updated', environment, fn);
      return { outcome: 'moved' };
    }
    const current = { versionId: Number(live.versionId), additionalVersionWeight: live.additionalVersionWeight ?? {} };
    const change = await plannedLiveChange(current, versionId, production, () => this.getRollout(environment, fn));
    if (change.outcome !== 'moved') return change;
    await this.call('UpdateAlias', () => this.client.updateAlias(fcName, DEFAULT_ALIAS, new fc.UpdateAliasRequest({ body: new fc.UpdateAliasInput({ versionId: String(versionId), additionalVersionWeight: {}, description: live.description ?? '' }) })));
    this.emit('alias.updated', environment, fn);
    return change;
  }

  // ---- Versions -------------------------------------------------------------------------------

  async listVersions(environment: string, fn: string, page: { limit?: number; before?: number } = {}): Promise<VersionPage> {
    await this.fcFunction(environment, fn);
    const all = (await this.fcVersions(fcFunctionName(environment, fn))).filter((v) => page.before === undefined || Number(v.versionId) < page.before);
    const limit = page.limit ?? 50;
    const versions = await Promise.all(all.slice(0, limit).map((v) => this.versionOf(environment, fn, v)));
    return all.length > limit ? { versions, nextBefore: versions.at(-1)!.id } : { versions };
  }

  async getVersion(environment: string, fn: string, id: number): Promise<Version> {
    await this.fcFunction(environment, fn);
    const found = (await this.fcVersions(fcFunctionName(environment, fn))).find((v) => Number(v.versionId) === id);
    if (!found) throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no version ${id}.`, { field: 'version' });
    return this.versionOf(environment, fn, found);
  }

  async listVersionFiles(environment: string, fn: string, id: number): Promise<ManifestEntry[]> {
    const { createHash } = await import('node:crypto');
    return (await this.code(environment, fn, id)).map((e) => ({ path: e.path, sha256: createHash('sha256').update(e.data).digest('hex'), size: e.data.length, mode: e.mode }));
  }

  async readVersionFile(environment: string, fn: string, id: number, path: string): Promise<Uint8Array> {
    const file = (await this.code(environment, fn, id)).find((e) => e.path === path);
    if (!file) throw new FlightdeckError('NOT_FOUND', `v${id} of ${environment}/${fn} has no file ${path}.`, { field: 'path' });
    return file.data;
  }

  /** GetFunctionCode answers a URL to the version's zip; versions are immutable, so it is kept. */
  private code(environment: string, fn: string, id: number): Promise<ZipEntry[]> {
    const key = `${environment}/${fn}/${id}`;
    let entries = this.codeCache.get(key);
    if (!entries) {
      entries = (async () => {
        const { url } = (await this.call('GetFunctionCode', () => this.client.getFunctionCode(fcFunctionName(environment, fn), new fc.GetFunctionCodeRequest({ qualifier: String(id) })))).body!;
        const response = await fetch(url!);
        if (!response.ok) throw new FlightdeckError('UNAVAILABLE', `Downloading the code of v${id} from FC failed: HTTP ${response.status}.`);
        return readZip(new Uint8Array(await response.arrayBuffer()));
      })();
      entries.catch(() => this.codeCache.delete(key));
      this.codeCache.set(key, entries);
    }
    return entries;
  }

  private async versionOf(environment: string, fn: string, v: fc.Version, knownConfig?: Version['config']): Promise<Version> {
    const meta = parseVersionDescription(v.description);
    const config = knownConfig ?? configOfFunction((await this.call('GetFunction', () => this.client.getFunction(fcFunctionName(environment, fn), new fc.GetFunctionRequest({ qualifier: v.versionId })))).body!);
    const version: Version = {
      id: Number(v.versionId),
      environment,
      function: fn,
      tree: meta.fingerprint ?? '',
      config,
      created: v.createdTime ?? '',
      fileCount: meta.fileCount ?? 0,
      codeSize: 0,
      health: 'unknown',
    };
    return {
      ...version,
      ...(meta.text ? { description: meta.text } : {}),
      ...(meta.branch ? { branch: meta.branch } : {}),
      ...(meta.commit ? { commit: meta.commit } : {}),
    };
  }

  // ---- Aliases --------------------------------------------------------------------------------

  async listAliases(environment: string, fn: string): Promise<Alias[]> {
    await this.fcFunction(environment, fn);
    return (await this.fcAliases(fcFunctionName(environment, fn))).map(aliasOf);
  }

  async getAlias(environment: string, fn: string, name: string): Promise<Alias> {
    const alias = await this.fcAliasOrUndefined(fcFunctionName(environment, fn), name);
    if (!alias) {
      await this.fcFunction(environment, fn);
      throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no alias ${name}.`, { field: 'alias' });
    }
    return aliasOf(alias);
  }

  /**
   * FC 3.0's UpdateAlias has no If-Match: the ETag (a hash of the alias) is checked against a
   * fresh GetAlias right before the write. Two writers inside that gap can still both win, which
   * the README says; every Flightdeck writer re-reads and retries on PRECONDITION_FAILED.
   */
  async updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias> {
    const fcName = fcFunctionName(environment, fn);
    const current = await this.fcAliasOrUndefined(fcName, name);
    if (current && etag !== undefined && aliasOf(current).etag !== etag) {
      throw new FlightdeckError('PRECONDITION_FAILED', `Alias ${name} of ${environment}/${fn} changed since it was read; read it again.`);
    }
    if (!current && etag !== undefined) throw new FlightdeckError('NOT_FOUND', `Function ${environment}/${fn} has no alias ${name}.`, { field: 'alias' });
    const weights = Object.fromEntries(Object.entries(update.additionalVersionWeight).map(([id, w]) => [id, w]));
    const { text, rollout } = splitAliasDescription(current?.description);
    const description = joinAliasDescription(update.description ?? text, rollout);
    const body = { versionId: String(update.versionId), additionalVersionWeight: weights, description };
    const written = current
      ? await this.call('UpdateAlias', () => this.client.updateAlias(fcName, name, new fc.UpdateAliasRequest({ body: new fc.UpdateAliasInput(body) })))
      : await this.call('CreateAlias', () => this.client.createAlias(fcName, new fc.CreateAliasRequest({ body: new fc.CreateAliasInput({ ...body, aliasName: name }) })));
    const alias = aliasOf(written.body!);
    this.emit('alias.updated', environment, fn, { alias });
    return alias;
  }

  // ---- Instances, metrics, logs ---------------------------------------------------------------

  async listInstances(environment: string, fn: string): Promise<Instance[]> {
    const response = await this.call('ListInstances', () => this.client.listInstances(fcFunctionName(environment, fn), new fc.ListInstancesRequest({})));
    return (response.body?.instances ?? []).map((instance, slot) => ({
      id: instance.instanceId ?? '',
      slot,
      versionId: Number(instance.versionId ?? 0),
      state: 'ready',
      inFlight: 0,
      started: '',
      restarts: 0,
    }));
  }

  /** Per-version figures from CloudMonitor (cloudMonitor.ts says how periods and lag are handled). */
  getMetrics(environment: string, fn: string, windowMs = 60_000): Promise<VersionMetrics[]> {
    return this.metrics.read(fcFunctionName(environment, fn), windowMs);
  }

  async readLogs(environment: string, fn: string, options: { version?: number; tail?: number } = {}): Promise<LogLine[]> {
    return this.logs.recent(await this.logStoreOf(environment, fn), fcFunctionName(environment, fn), { version: options.version, tail: options.tail ?? 200 });
  }

  followLogs(environment: string, fn: string, options: FollowLogsOptions, onLine: (line: LogLine) => void): Subscription {
    const gone = (error: unknown) => options.onGone?.(isFlightdeckError(error) ? error : new FlightdeckError('UNAVAILABLE', String(error)));
    let inner: Subscription | undefined;
    let closed = false;
    this.logStoreOf(environment, fn).then((store) => {
      if (!closed) inner = this.logs.follow(store, fcFunctionName(environment, fn), options.version, { onLine, onGone: gone, stillThere: () => this.fcFunction(environment, fn) });
    }, gone);
    return {
      close: () => {
        closed = true;
        inner?.close();
      },
    };
  }

  private async logStoreOf(environment: string, fn: string): Promise<LogStore> {
    const { logConfig } = await this.fcFunction(environment, fn);
    if (!logConfig?.project || !logConfig.logstore) {
      throw new FlightdeckError('NOT_FOUND', `${environment}/${fn} has no log store configured on FC (logConfig); set one to keep its logs (provider.logProject and provider.logstore in flightdeck.yaml).`, { field: 'logConfig' });
    }
    return { project: logConfig.project, logstore: logConfig.logstore };
  }

  // ---- Events, URLs ---------------------------------------------------------------------------

  subscribe(onEvent: (event: PlatformEvent) => void, onConnection?: (connected: boolean) => void): Subscription {
    this.events.on('event', onEvent);
    queueMicrotask(() => onConnection?.(true));
    return { close: () => this.events.off('event', onEvent) };
  }

  /** The URL of the HTTP trigger of the alias (default live) or version; FC makes one on first ask. */
  async functionUrl(environment: string, fn: string, target: UrlTarget = {}): Promise<string> {
    const fcName = fcFunctionName(environment, fn);
    const qualifier = target.version !== undefined ? String(target.version) : (target.alias ?? DEFAULT_ALIAS);
    let trigger = (await this.triggers(fcName)).find((t) => t.triggerType === 'http' && t.qualifier === qualifier);
    if (!trigger) {
      const input = new fc.CreateTriggerInput({
        triggerName: `flightdeck-${qualifier}`,
        triggerType: 'http',
        qualifier,
        triggerConfig: JSON.stringify({ authType: 'anonymous', methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] }),
      });
      trigger = (await this.call('CreateTrigger', () => this.client.createTrigger(fcName, new fc.CreateTriggerRequest({ body: input })))).body!;
    }
    const url = trigger.httpTrigger?.urlInternet;
    if (!url) throw new FlightdeckError('UNAVAILABLE', `FC gave the HTTP trigger of ${fcName}:${qualifier} no internet URL.`);
    return url;
  }

  // ---- Rollouts (client-driven, state in the alias description) -------------------------------

  startRollout(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout> {
    return this.rollouts.start(environment, fn, spec);
  }

  getRollout(environment: string, fn: string): Promise<Rollout | undefined> {
    return this.rollouts.get(environment, fn);
  }

  rolloutAction(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    return this.rollouts.act(environment, fn, action);
  }

  async restart(): Promise<void> {
    throw new FlightdeckError('BAD_REQUEST', 'FC starts and stops instances itself; there is nothing to restart in place. Publish a new version (deploy) to replace them.');
  }

  private rolloutStore(): RolloutStore {
    return {
      load: async (environment, fn) => this.latestRollout(environment, fn, await this.fcAliases(fcFunctionName(environment, fn))),
      save: async (rollout, previous) => {
        const fcName = fcFunctionName(rollout.environment, rollout.function);
        const aliases = await this.fcAliases(fcName);
        const alias = aliases.find((a) => a.aliasName === rollout.spec.alias);
        if (!alias) throw new FlightdeckError('CONFLICT', `${rollout.spec.alias} was deleted during the rollout of v${rollout.spec.toVersion}`);
        const stored = this.latestRollout(rollout.environment, rollout.function, aliases);
        const changed = stored && (stored.id === previous.id ? encodeRollout(stored) !== encodeRollout(previous) : isActive(stored));
        if (changed) throw new FlightdeckError('PRECONDITION_FAILED', `The rollout of ${rollout.environment}/${rollout.function} was changed by another client (now ${stored.status}); read it again.`);
        const description = joinAliasDescription(splitAliasDescription(alias.description).text, encodeRollout(rollout));
        const body = new fc.UpdateAliasInput({ versionId: alias.versionId, additionalVersionWeight: alias.additionalVersionWeight ?? {}, description });
        await this.call('UpdateAlias', () => this.client.updateAlias(fcName, rollout.spec.alias, new fc.UpdateAliasRequest({ body })));
      },
    };
  }

  private latestRollout(environment: string, fn: string, aliases: FcAlias[]): Rollout | undefined {
    const rollouts = aliases
      .map((a) => {
        const state = splitAliasDescription(a.description).rollout;
        return state ? decodeRollout(state, environment, fn, a.aliasName!) : undefined;
      })
      .filter((r): r is Rollout => r !== undefined);
    return rollouts.sort((a, b) => Date.parse(b.started) - Date.parse(a.started))[0];
  }

  dispose(): void {
    this.rollouts.dispose();
    this.events.removeAllListeners();
  }

  // ---- FC reads -------------------------------------------------------------------------------

  private async environment(name: string): Promise<Environment> {
    const env = (await this.listEnvironments()).find((e) => e.name === name);
    if (!env) throw new FlightdeckError('NOT_FOUND', `There is no environment ${name} on FC.`, { field: 'environment' });
    return env;
  }

  private allFunctions(): Promise<fc.Function[]> {
    return allPages(async (nextToken) => {
      const page = (await this.call('ListFunctions', () => this.client.listFunctions(new fc.ListFunctionsRequest({ limit: 100, nextToken })))).body;
      return { items: page?.functions, nextToken: page?.nextToken };
    });
  }

  private async functionNamesOf(environment: string): Promise<string[]> {
    return (await this.allFunctions())
      .filter((f) => environmentOfTags(f.tags)?.name === environment && flightdeckFunctionName(environment, f.functionName ?? ''))
      .map((f) => f.functionName!);
  }

  private async fcFunction(environment: string, fn: string): Promise<fc.Function> {
    const found = await this.fcFunctionOrUndefined(fcFunctionName(environment, fn));
    if (!found) throw new FlightdeckError('NOT_FOUND', `There is no function ${fn} in environment ${environment} on FC.`, { field: 'function' });
    return found;
  }

  private async fcFunctionOrUndefined(fcName: string): Promise<fc.Function | undefined> {
    return orUndefined(async () => (await this.call('GetFunction', () => this.client.getFunction(fcName, new fc.GetFunctionRequest({})))).body);
  }

  private async fcVersions(fcName: string): Promise<fc.Version[]> {
    const versions = await allPages(async (nextToken) => {
      const page = (await this.call('ListFunctionVersions', () => this.client.listFunctionVersions(fcName, new fc.ListFunctionVersionsRequest({ direction: 'BACKWARD', limit: 100, nextToken })))).body;
      return { items: page?.versions, nextToken: page?.nextToken };
    });
    return versions.sort((a, b) => Number(b.versionId) - Number(a.versionId));
  }

  private fcAliases(fcName: string): Promise<fc.Alias[]> {
    return allPages(async (nextToken) => {
      const page = (await this.call('ListAliases', () => this.client.listAliases(fcName, new fc.ListAliasesRequest({ limit: 100, nextToken })))).body;
      return { items: page?.aliases, nextToken: page?.nextToken };
    });
  }

  private fcAliasOrUndefined(fcName: string, name: string): Promise<fc.Alias | undefined> {
    return orUndefined(async () => (await this.call('GetAlias', () => this.client.getAlias(fcName, name))).body);
  }

  private async triggers(fcName: string): Promise<fc.Trigger[]> {
    return (await this.call('ListTriggers', () => this.client.listTriggers(fcName, new fc.ListTriggersRequest({ limit: 100 })))).body?.triggers ?? [];
  }

  /** One SDK call, counted, with FC's error (Code, Message, RequestId) turned into a FlightdeckError. */
  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    try {
      return await request();
    } catch (error) {
      throw fcError(error, action, this.options.credentialSource);
    }
  }

  private emit(type: PlatformEventType, environment: string, fn?: string, extra: Partial<PlatformEvent> = {}): void {
    const event: PlatformEvent = { seq: ++this.seq, type, time: new Date().toISOString(), environment, ...(fn ? { function: fn } : {}), ...extra };
    this.events.emit('event', event);
  }
}

/** CloudMonitor's period and lag (cloudMonitor.ts): steps under three periods may end before their traffic is published. */
function shortStepWarning(spec: RolloutSpec): string | undefined {
  if (spec.intervalMs >= 3 * FC_METRICS_PERIOD_MS) return undefined;
  return 'steps under 3 min may end unjudged: CloudMonitor has FC figures per minute, a minute late';
}

function refuseBatch(spec: RolloutSpec): void {
  if (spec.strategy === 'batch') {
    throw new FlightdeckError('BAD_REQUEST',
      'FC has no batch release: its instances belong to FC, not to Flightdeck, so they cannot be upgraded in place (provisioned instances scale per alias instead). Use strategy canary.',
      { field: 'strategy' });
  }
}

async function zipTree(root: string, entries: readonly ManifestEntry[]): Promise<Buffer> {
  const files = await Promise.all(entries.map(async (e) => ({ path: e.path, mode: e.mode, data: await readFile(join(root, ...e.path.split('/'))) })));
  return writeZip(files);
}

/** FC pages lists with an opaque nextToken until it is empty. */
async function allPages<T>(fetchPage: (nextToken: string | undefined) => Promise<{ items?: T[]; nextToken?: string }>): Promise<T[]> {
  const all: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    all.push(...(page.items ?? []));
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return all;
}

async function orUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isFlightdeckError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

const CODES_BY_STATUS: Record<number, ErrorCode> = { 400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'UNAUTHORIZED', 404: 'NOT_FOUND', 409: 'CONFLICT', 412: 'PRECONDITION_FAILED' };

/** FC answers errors as {Code, Message, RequestId} with an HTTP status; the SDK puts them on the error. */
function fcError(error: unknown, action: string, credentialSource: string): FlightdeckError {
  if (error instanceof FlightdeckError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string; data?: { Code?: string; Message?: string; RequestId?: string } };
  const status = e.statusCode;
  const code = e.data?.Code ?? e.code;
  const message = e.data?.Message ?? e.message ?? String(error);
  const requestId = e.data?.RequestId ? ` (request ${e.data.RequestId})` : '';
  if (status === 401 || status === 403 || code === 'InvalidAccessKeyId' || code === 'SignatureNotMatch') {
    return new FlightdeckError('UNAUTHORIZED', `FC refused the credentials from ${credentialSource} on ${action}: ${code}: ${message}${requestId}. Check the key, its RAM permissions (fc:${action}) and the account id.`, { status });
  }
  if (status === undefined) return new FlightdeckError('UNAVAILABLE', `FC ${action} failed: ${message}`);
  return new FlightdeckError(CODES_BY_STATUS[status] ?? 'UNAVAILABLE', `FC ${action}: ${code}: ${message}${requestId}`, { status });
}
