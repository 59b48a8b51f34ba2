// The YAML parser, required the first time a YAML file is read. It is close to half of the
// extension's bundle and a third of the CLI's: activating the extension in a folder without
// flightdeck.yaml, or listing environments, must not pay for loading it. The bundles keep it in a
// file of its own (dist/vendor-yaml.js, esbuild.mjs), so this require is where it loads.
import type * as Yaml from 'yaml';

// A synchronous load on first use (import() would make every YAML read async).
function yaml(): typeof Yaml {
  return require('yaml') as typeof Yaml;
}

export const parse = ((...args: Parameters<typeof Yaml.parse>) => yaml().parse(...args)) as typeof Yaml.parse;
export const parseDocument = ((...args: Parameters<typeof Yaml.parseDocument>) => yaml().parseDocument(...args)) as typeof Yaml.parseDocument;
export const stringify = ((...args: Parameters<typeof Yaml.stringify>) => yaml().stringify(...args)) as typeof Yaml.stringify;
export const isAlias = ((node: unknown) => yaml().isAlias(node)) as typeof Yaml.isAlias;
export const isMap = ((node: unknown) => yaml().isMap(node)) as typeof Yaml.isMap;
export const isScalar = ((node: unknown) => yaml().isScalar(node)) as typeof Yaml.isScalar;
export const isSeq = ((node: unknown) => yaml().isSeq(node)) as typeof Yaml.isSeq;

export function newLineCounter(): Yaml.LineCounter {
  return new (yaml().LineCounter)();
}
