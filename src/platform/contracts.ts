// The seams inside the platform process: the durable state and control API on one side, the
// function runtime (instances, gateway, metrics, logs) on the other, the rollout engine using
// both. Each side is built and tested on its own against these interfaces.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Alias, FunctionConfig, Instance, PlatformEvent, StartCheck, Version, VersionHealth, VersionMetrics } from '../model';
import type { LogLine } from '../provider';

/** Publishes a change on the event stream; seq and time are filled in by the hub. */
export type EmitEvent = (event: Omit<PlatformEvent, 'seq' | 'time'>) => void;

/** What the runtime may read of (and report into) the durable state. */
export interface StateView {
  /** Current config of a function (the latest deploy's), or undefined if it does not exist. */
  functionConfig(environment: string, fn: string): FunctionConfig | undefined;
  getVersion(environment: string, fn: string, id: number): Version | undefined;
  getAlias(environment: string, fn: string, name: string): Alias | undefined;
  /** The version's own working folder holding its code, materialised from the blob store. */
  codeDir(version: Version): Promise<string>;
  setVersionHealth(environment: string, fn: string, id: number, health: VersionHealth, reason?: string): void;
  /** The gateway took a request for one of the environment's functions (its `lastRequest`). */
  noteRequest(environment: string): void;
  /** Versions an alias sends traffic to or an active rollout moves; the runtime keeps metrics for these only. */
  servedVersions(environment: string, fn: string): Set<number>;
}

export interface UpgradeOptions {
  /** Upgrade at most this many slots (a batch); default all warm slots of the function. */
  slots?: number;
  /** `recreate` starts fresh slots for the new version and then stops the old ones. */
  mode?: 'inPlace' | 'recreate';
  /** Only slots now running this version are upgraded; default any version other than the target. */
  fromVersion?: number;
}

/** The warm pool of spare Node.js hosts, in `GET /v1/health`. */
export interface WarmPoolStatus {
  /** Spares forked and listening now. */
  ready: number;
  /** How many the pool keeps: its size, or a recent burst's size up to its maximum. */
  target: number;
}

/** Implemented by src/platform/runtime; used by the control API and the rollout engine. */
export interface FunctionRuntime {
  /** Serves a gateway request (`/fn/...`). */
  handleGateway(req: IncomingMessage, res: ServerResponse): void;
  warmPool(): WarmPoolStatus;
  instances(environment: string, fn: string): Instance[];
  /** Versions with a process now or one starting (an instance, a start proof): their working folders must stay. */
  versionsInUse(environment: string, fn: string): Set<number>;
  /** Per-version figures over the window, for `versions` only when given (a gate check reads one version, not all). */
  metrics(environment: string, fn: string, windowMs: number, versions?: readonly number[]): VersionMetrics[];
  logs(environment: string, fn: string, options: { version?: number; tail?: number }): LogLine[];
  /** `onEnd`: no more lines will come (the function was deleted, or the platform stops). */
  followLogs(environment: string, fn: string, version: number | undefined, onLine: (line: LogLine) => void, onEnd: () => void): () => void;
  /**
   * Moves warm slots of the function to `toVersion` without failing a request: stop routing to a
   * slot, let its in-flight requests finish, swap code, restart, ready-check, route again.
   * Resolves with the number of slots upgraded once they are all ready.
   */
  upgrade(environment: string, fn: string, toVersion: number, options?: UpgradeOptions): Promise<number>;
  /**
   * Starts one instance of the version: proof it loads (nodejs) or listens and answers its
   * healthPath (custom) within its start timeout, before any alias moves to it. With `keep` (traffic
   * is about to move there) the instance stays as one of the version's, else it stops again.
   */
  proveStart(environment: string, fn: string, versionId: number, keep: boolean): Promise<StartCheck>;
  /** Restarts the function's instances in place, `batches` at a time, without failing a request. */
  restart(environment: string, fn: string, batches: number): Promise<void>;
  /**
   * Keeps `min` instances for the versions `live` serves, split by weight: reuses slots of versions
   * it no longer serves, starts new ones, or moves idle slots a version can spare.
   */
  ensureMinimum(environment: string, fn: string): Promise<void>;
  stopFunction(environment: string, fn: string): Promise<void>;
  stopEnvironment(environment: string): Promise<void>;
  close(): Promise<void>;
}
