// Connects to the local platform of the state folder, starting it detached (so it outlives the
// editor or the CLI command) when none runs.

import { join } from 'node:path';
import type { ProviderSelection } from '../kinds';
import type { ConnectedProvider, ProviderHost } from '../registry';
import { LocalProvider } from './localProvider';
import { ensurePlatform, PLATFORM_LOG_NAME } from './platformProcess';

export async function connect(_selection: ProviderSelection, host: ProviderHost): Promise<ConnectedProvider> {
  const { home, port, platformScript, execPath, env } = host.local;
  const platform = await ensurePlatform({
    home,
    platformScript,
    execPath,
    env: { ...(env ?? host.env), ...(port === undefined ? {} : { FLIGHTDECK_PORT: String(port) }) },
  });
  host.log?.(`${platform.started ? 'Started' : 'Reusing'} the local platform (pid ${platform.pid}) at ${platform.url}, state in ${platform.home}.`);
  return { provider: new LocalProvider({ home: platform.home, connection: platform }), logFile: join(platform.home, PLATFORM_LOG_NAME) };
}
