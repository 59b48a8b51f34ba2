// The one interface every provider implements (the local platform, Knative, Function Compute 3.0).
// The UI and the CLI talk only to this; they never know which provider is behind it.

import type { FlightdeckError } from './errors';
import type {
  Alias,
  AliasUpdate,
  Environment,
  EnvironmentKind,
  FunctionConfig,
  FunctionSummary,
  GarbageReport,
  Instance,
  LiveChange,
  ManifestEntry,
  PlatformEvent,
  Rollout,
  RolloutSpec,
  StartCheck,
  Version,
  VersionMetrics,
} from './model';

export interface FollowLogsOptions {
  version?: number;
  /** Called once when the stream cannot go on (404: the function or version is gone); it is not retried. */
  onGone?(error: FlightdeckError): void;
}

export interface Subscription {
  close(): void;
}

export interface NewEnvironment {
  name: string;
  kind: EnvironmentKind;
  protected?: boolean;
  owner?: string;
  branch?: string;
  project?: string;
}

/** A function's code on the local disk: the manifest plus where to read each file from. */
export interface LocalCodeTree {
  /** Absolute folder the manifest paths are relative to. */
  root: string;
  entries: ManifestEntry[];
}

/** The container image a function runs, for engines that run images (Knative). */
export interface ImageSource {
  /** A reference; one without a digest is resolved to the digest it names now. */
  image?: string;
  /** A shell command, run in the code folder, that builds and pushes an image and prints its reference. */
  build?: string;
}

export interface DeployRequest {
  config: FunctionConfig;
  code: LocalCodeTree;
  /** Engines that run images need it; the local platform runs `code` and ignores it. */
  image?: ImageSource;
  description?: string;
  branch?: string;
  commit?: string;
}

export interface DeployResult {
  version: Version;
  /** True when code and config matched the latest version, so no new version was published. */
  unchanged: boolean;
  url: string;
  /** File bytes uploaded (0 when the platform had every blob; a small new function's files travel with the deploy). */
  bytesSent: number;
  filesSent: number;
  /**
   * Whether the version proved it starts, by the engine's own readiness (see StartCheck), before
   * `live` moved. A version that did not start is still published (`version.health` unhealthy,
   * `healthReason` saying why) and `live` is `held` with reason `notStarted`.
   */
  start: StartCheck;
  /**
   * What happened to `live`. Outside production live ends up on the deployed version (also when
   * nothing changed but live had moved elsewhere), unless the version did not start or a rollout
   * is moving live (then the deploy publishes without touching it). Production deploys hold it.
   */
  live: LiveChange;
}

export interface DeployProgress {
  /** `fraction` in 0–1 of this function's deploy, when known. */
  (message: string, fraction?: number): void;
}

export interface DeployOptions {
  signal?: AbortSignal;
  onProgress?: DeployProgress;
  /**
   * The function is new in the environment (this deploy just created the environment): a
   * provider may skip looking for its current code. A hint only; a deploy is right either way.
   */
  newFunction?: boolean;
}

export interface VersionPage {
  /** Newest first. */
  versions: Version[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  nextBefore?: number;
}

export interface LogLine {
  time: string;
  versionId: number;
  instance: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export type RolloutAction = 'pause' | 'resume' | 'continue' | 'promote' | 'abort';

export interface UrlTarget {
  alias?: string;
  version?: number;
}

export interface ProviderCapabilities {
  /** The provider runs rollouts server-side; otherwise the client drives them (src/rollout). */
  serverRollouts: boolean;
}

export interface Provider {
  /** e.g. `local`, `knative`, `fc3`. */
  readonly kind: string;
  /** For people, the engine and where it is: `Local platform (127.0.0.1:7420)`, `Function Compute 3.0 (cn-hangzhou)`. */
  readonly label: string;
  /**
   * Whose resources these are, for people: the cloud account (FC account id) or the cluster
   * context (Knative); undefined for the local platform. Shown next to `label` in the tree
   * description, the status bar tooltip and the `flightdeck envs` header (see describeProvider).
   */
  readonly account?: string;
  readonly capabilities: ProviderCapabilities;

  listEnvironments(): Promise<Environment[]>;
  createEnvironment(input: NewEnvironment): Promise<Environment>;
  /** Protected environments need `confirm` equal to the environment's name. */
  deleteEnvironment(name: string, confirm?: string): Promise<void>;

  listFunctions(environment: string): Promise<FunctionSummary[]>;
  getFunction(environment: string, fn: string): Promise<FunctionSummary>;

  /** Incremental upload, then publish a version (or report `unchanged`). */
  deploy(environment: string, fn: string, request: DeployRequest, options?: DeployOptions): Promise<DeployResult>;

  listVersions(environment: string, fn: string, page?: { limit?: number; before?: number }): Promise<VersionPage>;
  getVersion(environment: string, fn: string, id: number): Promise<Version>;
  listVersionFiles(environment: string, fn: string, id: number): Promise<ManifestEntry[]>;
  readVersionFile(environment: string, fn: string, id: number, path: string): Promise<Uint8Array>;

  listAliases(environment: string, fn: string): Promise<Alias[]>;
  getAlias(environment: string, fn: string, name: string): Promise<Alias>;
  /**
   * `etag` from the alias read; a stale one fails with PRECONDITION_FAILED, never a lost update.
   * While a rollout moves the alias, the update is refused with ROLLOUT_ACTIVE (naming the rollout
   * and how to end it): a manual change must never fight the rollout's own traffic moves.
   */
  updateAlias(environment: string, fn: string, name: string, update: AliasUpdate, etag?: string): Promise<Alias>;

  listInstances(environment: string, fn: string): Promise<Instance[]>;
  /**
   * Per-version figures over the last `windowMs`. UNAVAILABLE with `field: 'metrics'` when the
   * engine refuses them (no permission, throttled, not reachable): client-driven rollouts then
   * advance by time and say they are ungated, with this error's message as the reason.
   */
  getMetrics(environment: string, fn: string, windowMs?: number): Promise<VersionMetrics[]>;
  readLogs(environment: string, fn: string, options?: { version?: number; tail?: number }): Promise<LogLine[]>;
  followLogs(
    environment: string,
    fn: string,
    options: FollowLogsOptions,
    onLine: (line: LogLine) => void,
  ): Subscription;

  /** Every change, as it happens. `onConnection` reports the stream going down and coming back. */
  subscribe(onEvent: (event: PlatformEvent) => void, onConnection?: (connected: boolean) => void): Subscription;

  functionUrl(environment: string, fn: string, target?: UrlTarget): Promise<string>;

  /**
   * Proves `spec.toVersion` starts (as a deploy does) before step 0 moves traffic; one that does
   * not is refused with UNAVAILABLE and marked unhealthy. CONFLICT while another rollout is active.
   */
  startRollout(environment: string, fn: string, spec: RolloutSpec): Promise<Rollout>;
  getRollout(environment: string, fn: string): Promise<Rollout | undefined>;
  rolloutAction(environment: string, fn: string, action: RolloutAction): Promise<Rollout>;
  /** In-place restart of the function's instances, batch by batch. */
  restart(environment: string, fn: string, options?: { batches?: number }): Promise<void>;
  /**
   * Deletes versions past retention and the code nothing references (the local platform's state
   * folder); a dry run only reports. Engines that keep code themselves leave it out.
   */
  collectGarbage?(options: { dryRun: boolean }): Promise<GarbageReport>;

  dispose(): void;
}

/** `Function Compute 3.0 (cn-hangzhou) · account 1234…`: which provider and account the UI and CLI are on. */
export function describeProvider(provider: Pick<Provider, 'label' | 'account'>): string {
  return provider.account ? `${provider.label} · account ${provider.account}` : provider.label;
}
