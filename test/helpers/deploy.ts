// Deploys a folder to a test platform the way a client does, over real HTTP: walk the folder,
// hash every file, ask which blobs the platform lacks, upload only those, then POST the deploy.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Environment, EnvironmentKind, FunctionConfig, LiveChange, ManifestEntry, StartCheck, Version } from '../../src/model';
import type { TestPlatform } from './platform';

export type TestConfig = Partial<FunctionConfig> & Pick<FunctionConfig, 'runtime'>;

export interface DeployMeta {
  description?: string;
  branch?: string;
  commit?: string;
}

export interface DeployAnswer {
  version: Version;
  unchanged: boolean;
  url: string;
  start: StartCheck;
  live: LiveChange;
  /** Blobs this deploy had to upload. */
  filesSent: number;
  bytesSent: number;
}

export interface LocalFile {
  entry: ManifestEntry;
  absolute: string;
}

/** Every regular file under `dir`, as manifest entries with POSIX paths, sorted by path. */
export function walkDir(dir: string): LocalFile[] {
  const files: LocalFile[] = [];
  const visit = (folder: string): void => {
    for (const dirent of readdirSync(folder, { withFileTypes: true })) {
      const absolute = join(folder, dirent.name);
      if (dirent.isDirectory()) visit(absolute);
      else if (dirent.isFile()) files.push({ absolute, entry: fileEntry(dir, absolute) });
    }
  };
  visit(dir);
  return files.sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
}

function fileEntry(root: string, absolute: string): ManifestEntry {
  const bytes = readFileSync(absolute);
  return {
    path: relative(root, absolute).split(sep).join('/'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    mode: statSync(absolute).mode & 0o777,
  };
}

/** Uploads the blobs the platform lacks; returns how many files and bytes went over the wire. */
export async function uploadMissing(platform: TestPlatform, files: LocalFile[]): Promise<{ files: number; bytes: number }> {
  const hashes = [...new Set(files.map((f) => f.entry.sha256))];
  const missing = expectOk(await platform.api('POST', '/v1/blobs/missing', { hashes }), 'blobs/missing').missing as string[];
  let bytes = 0;
  for (const sha of missing) {
    const file = files.find((f) => f.entry.sha256 === sha);
    if (!file) throw new Error(`platform asked for blob ${sha} that is not in the manifest`);
    const body = readFileSync(file.absolute);
    expectOk(await platform.api('PUT', `/v1/blobs/${sha}`, body), `PUT blob ${file.entry.path}`);
    bytes += body.length;
  }
  return { files: missing.length, bytes };
}

export async function deployDir(
  platform: TestPlatform,
  env: string,
  fn: string,
  dir: string,
  config: TestConfig,
  meta: DeployMeta = {},
): Promise<DeployAnswer> {
  const files = walkDir(dir);
  const sent = await uploadMissing(platform, files);
  const path = `/v1/environments/${encodeURIComponent(env)}/functions/${encodeURIComponent(fn)}/deploy`;
  const body = { config, files: files.map((f) => f.entry), ...meta };
  const answer = expectOk(await platform.api('POST', path, body), `deploy ${env}/${fn}`);
  return { ...answer, filesSent: sent.files, bytesSent: sent.bytes };
}

export async function createEnv(
  platform: TestPlatform,
  name: string,
  kind: EnvironmentKind = 'personal',
  extra: { protected?: boolean; owner?: string; branch?: string } = {},
): Promise<Environment> {
  return expectOk(await platform.api('POST', '/v1/environments', { name, kind, ...extra }), `create environment ${name}`);
}

function expectOk(res: { status: number; text: string; json: any }, what: string): any {
  if (res.status >= 200 && res.status < 300) return res.json;
  throw new Error(`${what} failed with ${res.status}: ${res.text}`);
}
