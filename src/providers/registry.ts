// Loads the chosen provider. Each kind's code is imported only when that kind is chosen, so the
// extension's activation and bundle pay for none of them; esbuild.mjs builds the cloud providers
// as their own files next to the extension (dist/provider-<kind>.js).
//
//   const { provider } = await connectProvider(selectProvider(flagKind, project?.provider), host);

import type { Provider } from '../provider';
import type { ProviderKind, ProviderSelection } from './kinds';

/** Where a credential typed into the editor is kept (VS Code SecretStorage); the CLI has none. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** What a provider may need from whoever loads it (the CLI or the editor). */
export interface ProviderHost {
  env: NodeJS.ProcessEnv;
  /** The local platform: its state folder, its script, how to run it. */
  local: {
    home?: string;
    port?: number;
    /** dist/platform.js. */
    platformScript: string;
    /** The Node.js binary that runs the platform (the editor passes its own, with ELECTRON_RUN_AS_NODE). */
    execPath?: string;
    env?: NodeJS.ProcessEnv;
  };
  secrets?: SecretStore;
  /** Notes for people about what the provider did (started a platform, found credentials where). */
  log?(message: string): void;
}

export interface ConnectedProvider {
  provider: Provider;
  /** A log file the provider's own process writes (the local platform), for the editor to follow. */
  logFile?: string;
}

/** What every provider folder's `connect.ts` exports. */
export interface ProviderModule {
  connect(selection: ProviderSelection, host: ProviderHost): Promise<ConnectedProvider>;
}

// esbuild.mjs maps the cloud providers' imports to their own bundles (see PROVIDER_CHUNKS there).
const LOADERS: Record<ProviderKind, () => Promise<ProviderModule>> = {
  local: () => import('./local/connect'),
  fc3: () => import('./fc3/connect'),
  knative: () => import('./knative/connect'),
};

export async function connectProvider(selection: ProviderSelection, host: ProviderHost): Promise<ConnectedProvider> {
  const module = await LOADERS[selection.kind]();
  return module.connect(selection, host);
}
