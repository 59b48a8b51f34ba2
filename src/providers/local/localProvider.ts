// The Provider over the embedded local platform's HTTP API (docs/api.md). Construct it with a
// connection from ensurePlatform/findPlatform and the state folder; it finds the platform again
// by itself when it restarts (new port or token).
//
//   const info = await ensurePlatform({ platformScript });
//   const provider = new LocalProvider({ home: info.home, connection: info });

import type {
  Alias,
  AliasUpdate,
  Environment,
  FunctionSummary,
  Instance,
  ManifestEntry,
  GarbageReport,
  PlatformEvent,
  Rollout,
  RolloutSpec,
  Version,
  VersionMetrics,
} from '../../model';
import { isFlightdeckError } from '../../errors';
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
import { ApiClient, type Connection } from './apiClient';
import { deployIncrementally } from './incrementalDeploy';
import { findPlatform } from './platformProcess';
import { followSse } from './sse';

export interface LocalProviderOptions {
  /** State folder whose discovery file names the platform. */
  home: string;
  connection: Connection;
}

export class LocalProvider implements Provider {
  readonly kind = 'local';
  readonly capabilities: ProviderCapabilities = { serverRollouts: true };
  private readonly client: ApiClient;

  constructor(options: LocalProviderOptions) {
    this.client = new ApiClient({ url: options.connection.url, token: options.connection.token }, () => findPlatform(options.home));
  }

  get label(): string {
    return `Local platform (${new URL(this.client.url).host})`;
  }

  async listEnvironments(): Promise<Environment[]> {
    return (await this.get<{ environments: Environment[] }>('/v1/environments')).environments;
  }

  async createEnvironment(input: NewEnvironment): Promise<Environment> {
    return (await this.client.call<Environment>('POST', '/v1/environments', { json: input })).body;
  }

  async deleteEnvironment(name: string, confirm?: string): Promise<void> {
    const query = confirm === undefined ? '' : `?confirm=${encodeURIComponent(confirm)}`;
    await this.client.call('DELETE', `${envPath(name)}${query}`);
  }

  async listFunctions(environment: string): Promise<FunctionSummary[]> {
    return (await this.get<{ functions: FunctionSummary[] }>(`${envPath(environment)}/functions`)).functions;
  }

  getFunction(environment: string, fn: string): Promise<FunctionSummary> {
    return this.get(fnPath(environment, fn));
  }

  deploy(environment: string, fn: string, request: DeployRequest, options?: DeployOptions): Promise<DeployResult> {
    return deployIncrementally(this.client, fnPath(environment, fn), request, options);
  }

  listVersions(environment: string, fn: string, page: { limit?: number; before?: number } = {}): Promise<VersionPage> {
    return this.get(`${fnPath(environment, fn)}/versions${query({ limit: page.limit, before: page.before })}`);
  }

  getVersion(environment: string, fn: string, id: number): Promise<Version> {
    return this.get(`${fnPath(environment, fn)}/versions/${id}`);
  }

  async listVersionFiles(environment: string, fn: string, id: number): Promise<ManifestEntry[]> {
    return (await this.get<{ files: ManifestEntry[] }>(`${fnPath(environment, fn)}/code${query({ version: id })}`)).files;
  }

  readVersionFile(environment: string, fn: string, id: number, path: string): Promise<Uint8Array> {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return this.client.bytes(`${fnPath(environment, fn)}/versions/${id}/files/${encoded}`);
  }

  async listAliases(environment: string, fn: string): Promise<Alias[]> {
    return (await this.get<{ aliases: Alias[] }>(`${fnPath(environment, fn)}/aliases`)).aliases;
  }

  getAlias(environment: string, fn: string, name: string): Promise<Alias> {
    return this.get(aliasPath(environment, fn, name));
  }

  async updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias> {
    const headers: Record<string, string> = etag === undefined ? {} : { 'if-match': etag };
    return (await this.client.call<Alias>('PUT', aliasPath(environment, fn, name), { json: update, headers })).body;
  }

  async listInstances(environment: string, fn: string): Promise<Instance[]> {
    return (await this.get<{ instances: Instance[] }>(`${fnPath(environment, fn)}/instances`)).instances;
  }

  async getMetrics(environment: string, fn: string, windowMs?: number): Promise<VersionMetrics[]> {
    return (await this.get<{ versions: VersionMetrics[] }>(`${fnPath(environment, fn)}/metrics${query({ windowMs })}`)).versions;
  }

  async readLogs(environment: string, fn: string, options: { version?: number; tail?: number } = {}): Promise<LogLine[]> {
    return (await this.get<{ lines: LogLine[] }>(`${fnPath(environment, fn)}/logs${query(options)}`)).lines;
  }

  followLogs(environment: string, fn: string, options: FollowLogsOptions, onLine: (line: LogLine) => void): Subscription {
    const path = `${fnPath(environment, fn)}/logs${query({ follow: 1, version: options.version })}`;
    return followSse(this.client, path, {
      onMessage: (message) => {
        if (message.event === 'log') onLine(JSON.parse(message.data) as LogLine);
        // The platform skipped lines this reader was too slow for: say so in the stream itself.
        else if (message.event === 'dropped') onLine(droppedNotice(JSON.parse(message.data) as { dropped: number }, options.version));
      },
      onGone: options.onGone,
    });
  }

  subscribe(onEvent: (event: PlatformEvent) => void, onConnection?: (connected: boolean) => void): Subscription {
    return followSse(this.client, '/v1/events', {
      onMessage: (message) => onEvent(JSON.parse(message.data) as PlatformEvent),
      onConnection,
    });
  }

  async functionUrl(environment: string, fn: string, target: UrlTarget = {}): Promise<string> {
    const suffix = target.version !== undefined ? `:${target.version}` : target.alias !== undefined ? `:${target.alias}` : '';
    return `${this.client.url}/fn/${encodeURIComponent(environment)}/${encodeURIComponent(fn)}${suffix}/`;
  }

  async startRollout(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout> {
    return (await this.client.call<Rollout>('POST', `${fnPath(environment, fn)}/rollout`, { json: spec })).body;
  }

  async getRollout(environment: string, fn: string): Promise<Rollout | undefined> {
    try {
      return await this.get<Rollout>(`${fnPath(environment, fn)}/rollout`);
    } catch (error) {
      if (isFlightdeckError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  }

  async rolloutAction(environment: string, fn: string, action: RolloutAction): Promise<Rollout> {
    return (await this.client.call<Rollout>('POST', `${fnPath(environment, fn)}/rollout/${action}`)).body;
  }

  async restart(environment: string, fn: string, options: { batches?: number } = {}): Promise<void> {
    await this.client.call('POST', `${fnPath(environment, fn)}/restart`, { json: options });
  }

  async collectGarbage({ dryRun }: { dryRun: boolean }): Promise<GarbageReport> {
    return (await this.client.call<GarbageReport>('POST', `/v1/gc${query({ dryRun: dryRun ? 1 : undefined })}`)).body;
  }

  dispose(): void {
    this.client.close();
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.client.call<T>('GET', path)).body;
  }
}

function envPath(environment: string): string {
  return `/v1/environments/${encodeURIComponent(environment)}`;
}

function fnPath(environment: string, fn: string): string {
  return `${envPath(environment)}/functions/${encodeURIComponent(fn)}`;
}

function aliasPath(environment: string, fn: string, alias: string): string {
  return `${fnPath(environment, fn)}/aliases/${encodeURIComponent(alias)}`;
}

function query(params: Record<string, number | string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function droppedNotice({ dropped }: { dropped: number }, version: number | undefined): LogLine {
  return {
    time: new Date().toISOString(),
    versionId: version ?? 0,
    instance: 'flightdeck',
    stream: 'stderr',
    text: `[flightdeck] ${dropped} log line(s) skipped: this reader fell too far behind the function's output.`,
  };
}
