// Connecting the CLI to its provider: --provider, else the project's flightdeck.yaml `provider:`
// block, else the local platform, started in the background when none runs. dist/platform.js and
// the cloud providers' bundles (dist/provider-<kind>.js) sit next to dist/cli.js. Loaded only by
// commands that talk to a provider; the YAML parser only when there is a project file to read.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { locateProjectFile, mayNameProvider, PROJECT_FILE_NAME } from '../config/names';
import { readDiscovery } from '../platform/discovery';
import { processAlive } from '../platform/lock';
import { defaultHome, homeLayout } from '../platform/paths';
import type { Provider } from '../provider';
import { selectProvider, type ProviderKind, type ProviderSelection } from '../providers/kinds';
import { LocalProvider } from '../providers/local/localProvider';
import { ensurePlatform, findPlatform } from '../providers/local/platformProcess';

export interface ConnectRequest {
  /** --provider. */
  kind: ProviderKind | undefined;
  /** --config, else the flightdeck.yaml found from cwd. */
  projectFile: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  distDir: string;
}

export async function connect(request: ConnectRequest): Promise<Provider> {
  const selection = await chooseProvider(request);
  if (selection.kind === 'local') return connectLocal(request.env, request.distDir);
  const { connectProvider } = await import('../providers/registry');
  const host = { env: request.env, local: { platformScript: join(request.distDir, 'platform.js') } };
  return (await connectProvider(selection, host)).provider;
}

async function chooseProvider({ kind, projectFile, cwd }: ConnectRequest): Promise<ProviderSelection> {
  // The local platform takes no options, so an explicit --provider local reads no block.
  if (kind === 'local') return selectProvider(kind, undefined);
  let file = projectFile ?? locateProjectFile(cwd);
  // A --config that does not exist is the command's to report (NO_PROJECT) when it needs the project.
  if (file === undefined || !existsSync(file)) return selectProvider(kind, undefined);
  // --config may name the project's folder, as everywhere else.
  if (statSync(file).isDirectory()) file = join(file, PROJECT_FILE_NAME);
  if (!existsSync(file) || !mayNameProvider(readFileSync(file, 'utf8'))) return selectProvider(kind, undefined);
  const { loadProviderBlock } = await import('../config/providerBlock');
  return selectProvider(kind, loadProviderBlock(file));
}

async function connectLocal(env: NodeJS.ProcessEnv, distDir: string): Promise<Provider> {
  const home = defaultHome(env);
  // A discovery file whose process lives is trusted without a health round trip: a CLI call pays
  // for every request, the platform removes the file when it stops, and the provider reads the
  // file again by itself when a call finds no one there.
  const known = await readDiscovery(homeLayout(home).discovery);
  if (known && Number.isInteger(known.pid) && processAlive(known.pid)) return new LocalProvider({ home, connection: known });
  const info = await ensurePlatform({ platformScript: join(distDir, 'platform.js'), env, home });
  return new LocalProvider({ home: info.home, connection: info });
}

/** The provider only when a platform already runs (a TAB must not start one). */
export async function connectIfRunning(env: NodeJS.ProcessEnv): Promise<Provider | undefined> {
  const home = defaultHome(env);
  const info = await findPlatform(home);
  return info && new LocalProvider({ home, connection: info });
}
