// `flightdeck serve [--port N] [--home DIR]`: runs the local platform in the foreground until
// Ctrl-C, printing the one `listening on` line (the platform's own log does not repeat it).

import { resolve } from 'node:path';
import { defaultHome, portFromEnvironment } from '../../platform/paths';
import { numberOption, stringOption, type Command } from '../command';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the local platform in the foreground (Ctrl-C stops it)',
  json: false,
  options: {
    port: { type: 'string', valueName: 'N', description: 'Port on 127.0.0.1 (default $FLIGHTDECK_PORT or 7420; 0 picks a free one)' },
    home: { type: 'string', valueName: 'DIR', description: 'State folder (default $FLIGHTDECK_HOME or ~/.flightdeck)' },
    'max-blob-bytes': { type: 'string', valueName: 'N', description: 'Largest file a function may hold (default 64 MiB)' },
    'max-code-bytes': { type: 'string', valueName: 'N', description: "Largest code a version may hold, all files (default the platform's)" },
  },
  async run(context) {
    const port = numberOption(context.values, 'port', 0, 65535) ?? portFromEnvironment(context.env);
    const { startPlatform } = await import('../../platform/server');
    const home = stringOption(context.values, 'home');
    const maxBlobBytes = numberOption(context.values, 'max-blob-bytes', 1, Number.MAX_SAFE_INTEGER);
    const maxCodeBytes = numberOption(context.values, 'max-code-bytes', 1, Number.MAX_SAFE_INTEGER);
    const platform = await startPlatform({
      port, home: home === undefined ? defaultHome(context.env) : resolve(context.cwd, home),
      ...(maxBlobBytes === undefined ? {} : { maxBlobBytes }), ...(maxCodeBytes === undefined ? {} : { maxCodeBytes }),
    });
    context.print(`Flightdeck platform listening on ${platform.url} (state ${platform.home})`);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await platform.close();
  },
};
