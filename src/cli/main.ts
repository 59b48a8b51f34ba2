// dist/cli.js, the `flightdeck` command. Every command but `serve` talks to the provider that
// --provider, else the project's flightdeck.yaml `provider:` block, chooses (src/cli/connect.ts);
// the local platform (the default) is found through its discovery file and started in the
// background when none runs. This entry holds only the command table and the option parser; what
// a command needs beyond that (the provider, the YAML parser, the rollout engine, the platform) it
// loads when it runs, so `--help` and `envs` start about as fast as Node itself (esbuild.mjs puts
// each lazy import in its own file).

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
  const argv = process.argv.slice(2);
  if (argv[0] === '__complete') return complete(argv.slice(1));
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  const code = await runCli(COMMANDS, {
    argv,
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    signal: interrupt.signal,
    connect: async (kind, projectFile) => (await import('./connect')).connect({ kind, projectFile, cwd: process.cwd(), env: process.env, distDir: __dirname }),
  });
  process.exitCode = code;
}

/** `flightdeck __complete WORD…`, called by the completion scripts: candidates, one a line. */
async function complete(words: string[]): Promise<void> {
  const { completeWords } = await import('./complete');
  const candidates = await completeWords(COMMANDS, words, {
    async environments() {
      const provider = await (await import('./connect')).connectIfRunning(process.env);
      try {
        return provider ? (await provider.listEnvironments()).map((e) => e.name) : [];
      } finally {
        provider?.dispose();
      }
    },
    async functions() {
      const { loadProject } = await import('./project');
      return loadProject({ values: {}, cwd: process.cwd() }).functions.map((f) => f.name);
    },
  });
  process.stdout.write(candidates.map((c) => `${c}\n`).join(''));
}

void main();
