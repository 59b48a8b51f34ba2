// Connecting the CLI to its provider: the local platform, started in the background when none
// runs (dist/platform.js sits next to dist/cli.js). Loaded only by commands that talk to it.

import { join } from 'node:path';
import { readDiscovery } from '../platform/discovery';
import { processAlive } from '../platform/lock';
import { defaultHome, homeLayout } from '../platform/paths';
import type { Provider } from '../provider';
import { LocalProvider } from '../providers/local/localProvider';
import { ensurePlatform, findPlatform } from '../providers/local/platformProcess';

export async function connect(env: NodeJS.ProcessEnv, distDir: string): Promise<Provider> {
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
