// `flightdeck serve [--port N]`: runs the local platform in the foreground until Ctrl-C.

import { defaultHome, portFromEnvironment } from '../../platform/paths';
import { numberOption, type Command } from '../command';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the local platform in the foreground (Ctrl-C stops it)',
  json: false,
  options: {
    port: { type: 'string', valueName: 'N', description: 'Port on 127.0.0.1 (default $FLIGHTDECK_PORT or 7420; 0 picks a free one)' },
  },
  async run(context) {
    const port = numberOption(context.values, 'port', 0, 65535) ?? portFromEnvironment(context.env);
    const { startPlatform } = await import('../../platform/server');
    const platform = await startPlatform({ port, home: defaultHome(context.env) });
    context.print(`Flightdeck platform listening on ${platform.url} (state ${platform.home})`);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await platform.close();
  },
};
