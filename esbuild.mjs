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

const entries = [
  // undici stays a runtime dependency of the extension (node_modules), loaded only when the local
  // provider is first used: bundled it would be 535 KB of the extension's 500 KB budget.
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['src/platform/main.ts'], outfile: 'dist/platform.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
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
