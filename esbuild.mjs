// Bundles every entry point: the extension (cjs, `vscode` external), the local platform process,
// the CLI and the warm Node.js function runtime. All land side by side in dist/ so each can find
// the others through __dirname.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: !process.argv.includes('--no-minify'),
  logLevel: 'warning',
};

// Cloud providers are their own bundles, loaded only when chosen (src/providers/registry.ts): the
// extension and the CLI keep `import('./fc3/connect')` as a require of the file next to them.
const PROVIDER_CHUNKS = { fc3: 'src/providers/fc3/connect.ts', knative: 'src/providers/knative/connect.ts' };
const providerChunks = {
  name: 'provider-chunks',
  setup(build) {
    build.onResolve({ filter: /^\.\/(fc3|knative)\/connect$/ }, (args) => {
      const kind = args.path.split('/')[1];
      return Object.hasOwn(PROVIDER_CHUNKS, kind) ? { path: `./provider-${kind}.js`, external: true } : undefined;
    });
  },
};

const entries = [
  // undici stays a runtime dependency of the extension (node_modules), loaded only when the local
  // provider is first used: bundled it would be 535 KB of the extension's 500 KB budget.
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [providerChunks] },
  { entryPoints: ['src/platform/main.ts'], outfile: 'dist/platform.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [providerChunks] },
  ...Object.entries(PROVIDER_CHUNKS).map(([kind, entry]) => ({ entryPoints: [entry], outfile: `dist/provider-${kind}.js` })),
  { entryPoints: ['src/platform/runtime/nodeBootstrap.ts'], outfile: 'dist/runtime-node.js' },
];

if (watch) {
  for (const entry of entries) {
    const ctx = await esbuild.context({ ...common, ...entry });
    await ctx.watch();
  }
} else {
  await Promise.all(entries.map((entry) => esbuild.build({ ...common, ...entry })));
}
