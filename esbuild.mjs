// Bundles every entry point: the extension (cjs, `vscode` external), the local platform process,
// the CLI and the warm Node.js function runtime. All land side by side in dist/ so each can find
// the others through __dirname; .vscodeignore (the VSIX) and .npmignore (the CLI's tarball) ship them.
//
// The CLI is split: every `await import('./…')` of our own code in it becomes a file of its own
// (dist/cli-<path>.js) that Node loads only when a command gets there, so `flightdeck --help` and
// `flightdeck envs` do not load the rollout engine or the platform. The YAML parser is a file of
// its own for every bundle (dist/vendor-yaml.js), required on first use (src/config/yaml.ts).
import { existsSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
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

// The YAML parser is close to half of the extension's code and a third of the CLI's, and several
// bundles need it (the project file, the provider block, s.yaml, FC credentials): one file of its
// own, which src/config/yaml.ts requires the first time a YAML file is read.
const YAML_CHUNK = 'vendor-yaml.js';
const sharedYaml = {
  name: 'shared-yaml',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: `./${YAML_CHUNK}`, external: true }));
  },
};

const entries = [
  // Every bundle carries its dependencies (undici, the cloud SDKs) or has them next to it (yaml):
  // the VSIX and the CLI's npm tarball ship dist/ and no node_modules. The extension itself talks
  // to the platform without undici.
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [providerChunks, sharedYaml] },
  { entryPoints: ['src/platform/main.ts'], outfile: 'dist/platform.js' },
  // lz4-napi: a native addon the SLS SDK loads but Flightdeck's GetLogs never uses (src/providers/fc3/lz4Absent.ts).
  ...Object.entries(PROVIDER_CHUNKS).map(([kind, entry]) => ({
    entryPoints: [entry], outfile: `dist/provider-${kind}.js`, alias: { 'lz4-napi': './src/providers/fc3/lz4Absent.ts' }, plugins: [sharedYaml],
  })),
  { entryPoints: ['src/platform/runtime/nodeBootstrap.ts'], outfile: 'dist/runtime-node.js' },
  { stdin: { contents: "module.exports = require('yaml');", resolveDir: '.', loader: 'js' }, outfile: `dist/${YAML_CHUNK}` },
];

/**
 * dist/cli.js, then one file per module the CLI imports dynamically, and theirs in turn. A cloud
 * provider's connect is not a CLI chunk: providerChunks (first) points it at dist/provider-<kind>.js.
 */
async function buildCli() {
  const pending = [{ entry: resolve('src/cli/main.ts'), outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }];
  const built = new Set();
  while (pending.length > 0) {
    const { entry, outfile, banner } = pending.shift();
    if (built.has(entry)) continue;
    built.add(entry);
    const found = new Set();
    // `supported: dynamic-import false` turns each `import()` into a plain require(): Node's ESM
    // loader (and its scan of a CommonJS chunk's exports) is not needed to load our own chunks.
    await esbuild.build({ ...common, entryPoints: [entry], outfile, banner, supported: { 'dynamic-import': false }, plugins: [providerChunks, sharedYaml, lazyChunks(found)] });
    for (const module of found) pending.push({ entry: module, outfile: `dist/${chunkName(module)}` });
  }
}

function lazyChunks(found) {
  return {
    name: 'lazy-chunks',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const module = sourceFile(resolve(args.resolveDir, args.path));
        found.add(module);
        return { path: `./${chunkName(module)}`, external: true };
      });
    },
  };
}

function sourceFile(base) {
  const file = [`${base}.ts`, `${base}/index.ts`].find((f) => existsSync(f));
  if (!file) throw new Error(`esbuild.mjs: cannot find the source of dynamic import ${base}`);
  return file;
}

/** src/deploy/stale.ts → cli-deploy-stale.js */
function chunkName(module) {
  return `cli-${relative(resolve('src'), module).replace(/\.ts$/, '').replace(/[\\/]/g, '-')}.js`;
}

if (watch) {
  for (const entry of entries) {
    const ctx = await esbuild.context({ ...common, ...entry });
    await ctx.watch();
  }
  await buildCli(); // not watched: run `npm run build` after changing the CLI
} else {
  // From an empty dist/: a chunk no import names any more must not linger and ship in a package.
  rmSync('dist', { recursive: true, force: true });
  await Promise.all([...entries.map((entry) => esbuild.build({ ...common, ...entry })), buildCli()]);
}
