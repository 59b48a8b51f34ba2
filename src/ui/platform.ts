// The connection to the platform: creates the provider lazily (reusing a running local platform
// or starting one), forwards its events and tracks whether it is reachable. The provider's event
// stream reconnects by itself (finding a restarted platform again), so this only reports it.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { FlightdeckError } from '../errors';
import type { PlatformEvent } from '../model';
import type { Provider, Subscription } from '../provider';
import { selectProvider, type ProviderSelection } from '../providers/kinds';
import { connectProvider, type ProviderHost, type SecretStore } from '../providers/registry';
import type { Config } from './config';
import { PlatformLogTail } from './platformLogTail';

export type PlatformState = 'starting' | 'connected' | 'reconnecting' | 'unreachable';

export interface PlatformSessionOptions {
  config: Config;
  /** dist/platform.js of this extension. */
  platformScript: string;
  /** "Flightdeck Platform": the platform's own output and what the session does with it. */
  platformLog: vscode.LogOutputChannel;
  /** The `provider:` block of the workspace's flightdeck.yaml, if it has one. */
  projectProvider(): Promise<ProviderSelection | undefined>;
  /** Where credentials typed into the editor are kept. */
  secrets: SecretStore;
}

export class PlatformSession implements vscode.Disposable {
  private current: Promise<Provider> | undefined;
  /** Bumped by every disconnect, so a connect that was still running when it came is known as stale. */
  private generation = 0;
  private subscription: Subscription | undefined;
  private logWatcher: FSWatcher | undefined;
  private selected: ProviderSelection | undefined;
  private stateValue: PlatformState = 'starting';
  private readonly stateChanged = new vscode.EventEmitter<PlatformState>();
  private readonly events = new vscode.EventEmitter<PlatformEvent>();
  readonly onDidChangeState = this.stateChanged.event;
  readonly onDidEvent = this.events.event;

  constructor(private readonly options: PlatformSessionOptions) {}

  get state(): PlatformState {
    return this.stateValue;
  }

  /** The provider, connecting on first use; fails with PLATFORM_UNREACHABLE. */
  provider(): Promise<Provider> {
    this.current ??= this.connect();
    return this.current;
  }

  /** The provider when the platform is up; undefined (no retry) while it is down. */
  async reachableProvider(): Promise<Provider | undefined> {
    if (this.stateValue === 'unreachable' || this.stateValue === 'reconnecting') return undefined;
    try {
      return await this.provider();
    } catch {
      return undefined;
    }
  }

  /** Drops the current connection and connects again, starting the platform if none runs. */
  async restart(): Promise<Provider> {
    this.disconnect();
    return this.provider();
  }

  /** The provider kind and options the current connection was made with. */
  get selection(): ProviderSelection | undefined {
    return this.selected;
  }

  /** Reconnects when the setting or the project's provider block now chooses differently. */
  async reselect(): Promise<void> {
    const next = await selectionOf(this.options).catch(() => undefined);
    if (this.current && JSON.stringify(next) !== JSON.stringify(this.selected)) await this.restart().catch(() => undefined);
  }

  private async connect(): Promise<Provider> {
    const generation = this.generation;
    this.setState('starting');
    let kind = 'selected';
    try {
      const selection = await selectionOf(this.options);
      kind = selection.kind;
      this.selected = selection;
      const { provider, logFile } = await connectProvider(selection, this.hostOf());
      // Superseded by a restart or disconnect meanwhile: that one disposes this provider; no events from it.
      if (generation !== this.generation) return provider;
      this.subscription = provider.subscribe(
        (event) => this.events.fire(event),
        (connected) => this.setState(connected ? 'connected' : 'reconnecting'),
      );
      if (logFile) this.followLog(logFile);
      this.setState('connected');
      return provider;
    } catch (error) {
      if (generation !== this.generation) throw error;
      this.current = undefined;
      this.setState('unreachable');
      const message = error instanceof Error ? error.message : String(error);
      this.options.platformLog.error(`Could not reach the ${kind} provider: ${message}`);
      if (error instanceof FlightdeckError) throw error;
      throw new FlightdeckError('PLATFORM_UNREACHABLE', `Could not reach the ${kind} provider (${message}). See the Flightdeck Platform log.`);
    }
  }

  private hostOf(): ProviderHost {
    const { config, platformScript, platformLog, secrets } = this.options;
    const { home, port } = config.local;
    return {
      env: process.env,
      // VS Code's own runtime runs the platform: no separate Node.js install needed.
      local: { home, port, platformScript, execPath: process.execPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
      secrets,
      log: (message) => platformLog.info(message),
    };
  }

  /** Follows the platform's log file (it runs detached) into the output channel. */
  private followLog(file: string): void {
    this.logWatcher?.close();
    const tail = new PlatformLogTail(file, this.options.platformLog);
    void tail.readNew();
    try {
      // The folder, not the file: the file may not exist yet, or be replaced.
      this.logWatcher = watch(dirname(file), (_event, name) => name === basename(file) && void tail.readNew());
    } catch {
      this.logWatcher = undefined; // the log is still in the file; the session works without it
    }
  }

  private disconnect(): void {
    this.generation++;
    this.subscription?.close();
    this.subscription = undefined;
    this.logWatcher?.close();
    this.logWatcher = undefined;
    const previous = this.current;
    this.current = undefined;
    void previous?.then((p) => p.dispose(), () => undefined);
  }

  private setState(state: PlatformState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.platformLog.info(`Platform ${state}.`);
    this.stateChanged.fire(state);
  }

  dispose(): void {
    this.disconnect();
    this.stateChanged.dispose();
    this.events.dispose();
  }
}

/** The provider kind and options: the setting, else flightdeck.yaml's provider block, else local. */
async function selectionOf(options: PlatformSessionOptions): Promise<ProviderSelection> {
  const explicit = options.config.provider;
  return selectProvider(explicit, await options.projectProvider());
}
