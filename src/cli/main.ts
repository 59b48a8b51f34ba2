// dist/cli.js, the `flightdeck` command. Every command but `serve` talks to the provider that
// --provider, else the project's flightdeck.yaml `provider:` block, chooses; the local platform
// (the default) is found through its discovery file and started in the background when none
// runs; dist/platform.js and the cloud providers' bundles sit next to this file.

import { join } from 'node:path';
import { locateProjectFile } from '../config/projectFile';
import { loadProviderBlock } from '../config/providerBlock';
import { selectProvider, type ProviderKind } from '../providers/kinds';
import { connectProvider } from '../providers/registry';
import { COMMANDS } from './commands';
import { runCli } from './run';

async function main(): Promise<void> {
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
    connect: async (kind: ProviderKind | undefined, configFile?: string) => {
      const projectFile = configFile ?? locateProjectFile(process.cwd());
      const selection = selectProvider(kind, projectFile ? loadProviderBlock(projectFile) : undefined);
      const host = { env: process.env, local: { platformScript: join(__dirname, 'platform.js') } };
      return (await connectProvider(selection, host)).provider;
    },
  });
  process.exitCode = code;
}

void main();
