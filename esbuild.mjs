// Bundles every entry point: the extension (cjs, `vscode` external), the local platform process,
// the CLI and the warm Node.js function runtime. All land side by side in dist/ so each can find
// the others through __dirname; package.json `files` ships exactly these (VSIX and npm tarball).
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
  // Every bundle carries its dependencies (undici, yaml): the VSIX and the CLI's npm tarball ship
  // dist/ and no node_modules. The extension itself talks to the platform without undici.
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
