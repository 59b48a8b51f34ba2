// The content hash of a code tree: sha256 of its canonical manifest (sorted entries, fixed keys).
// The platform stores trees under it; engines that run images (Knative) record it on a version
// so two deploys of the same files are recognised as the same code.
import { createHash } from 'node:crypto';
import type { ManifestEntry } from './model';

export interface CanonicalManifest {
  hash: string;
  entries: ManifestEntry[];
}

export function canonicalManifest(entries: readonly ManifestEntry[]): CanonicalManifest {
  const sorted = [...entries]
    .map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { hash: createHash('sha256').update(JSON.stringify(sorted)).digest('hex'), entries: sorted };
}
