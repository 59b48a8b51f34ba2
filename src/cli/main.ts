// dist/cli.js, the `flightdeck` command. Every command but `serve` finds the local platform
// through its discovery file and starts one in the background when none runs; dist/platform.js
// sits next to this file.

import { join } from 'node:path';
import { LocalProvider } from '../providers/local/localProvider';
import { ensurePlatform } from '../providers/local/platformProcess';
import { COMMANDS } from './commands';
import { runCli } from './run';

async function main(): Promise<void> {
  // `flightdeck versions … | head` closes the pipe early: stop quietly, as other commands do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  const code = await runCli(COMMANDS, {
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    signal: interrupt.signal,
    connect: async () => {
      const info = await ensurePlatform({ platformScript: join(__dirname, 'platform.js'), env: process.env });
      return new LocalProvider({ home: info.home, connection: info });
    },
  });
  process.exitCode = code;
}

void main();
