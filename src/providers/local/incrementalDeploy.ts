// Incremental deploy against the local platform: compare the local tree with the function's
// latest code manifest, upload only blobs the platform lacks (streamed from disk), then publish
// with a delta (`base` + `changed` + `removed`), or the whole manifest for a new function. A
// small new function's files travel inside the deploy request: one request instead of three.

import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { isFlightdeckError } from '../../errors';
import type { ManifestEntry } from '../../model';
import type { DeployOptions, DeployRequest, DeployResult, LocalCodeTree } from '../../provider';
import { formatBytes } from '../formatBytes';
import type { ApiClient } from './apiClient';

const PARALLEL_UPLOADS = 4;
/**
 * A new function whose files come to at most this sends them in the deploy's `blobs` (the
 * platform takes up to 1 MiB): asking which blobs it lacks and uploading them costs two round
 * trips and a request per file, more than sending a few kilobytes it may already hold.
 */
const INLINE_MAX_BYTES = 256 * 1024;

interface RemoteCode {
  tree: string;
  files: ManifestEntry[];
}

/** The platform's deploy answer (docs/api.md). */
type PublishAnswer = Omit<DeployResult, 'bytesSent' | 'filesSent'>;

interface Upload {
  bytes: number;
  files: number;
}

export async function deployIncrementally(
  client: ApiClient,
  functionPath: string,
  request: DeployRequest,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const progress = options.onProgress ?? (() => undefined);
  progress('comparing with the platform', 0);
  const remote = options.newFunction ? undefined : await latestCode(client, functionPath, options.signal);
  const delta = remote ? diffTrees(remote.files, request.code.entries) : undefined;
  const inline = delta ? undefined : inlineBlobs(request.code);
  let sent: Upload;
  if (inline) sent = inline.sent;
  else {
    const candidates = delta ? delta.changed : request.code.entries;
    const { missing } = (await client.call<{ missing: string[] }>('POST', '/v1/blobs/missing', {
      json: { hashes: unique(candidates.map((e) => e.sha256)) },
      signal: options.signal,
    })).body;
    sent = await uploadBlobs(client, request.code, missing, options);
  }

  const body = {
    config: request.config,
    ...(remote && delta ? { base: remote.tree, changed: delta.changed, removed: delta.removed } : { files: request.code.entries }),
    ...(inline ? { blobs: inline.blobs } : {}),
    description: request.description,
    branch: request.branch,
    commit: request.commit,
  };
  progress('publishing a version', 0.95);
  const answer = await publish(client, functionPath, body, options.signal).catch(async (error: unknown) => {
    // The platform lost blobs between our check and the deploy (e.g. pruned): send them, once.
    if (!isFlightdeckError(error, 'BLOBS_MISSING') || !error.details.missing) throw error;
    const more = await uploadBlobs(client, request.code, error.details.missing, options);
    sent.bytes += more.bytes;
    sent.files += more.files;
    return publish(client, functionPath, body, options.signal);
  });
  progress(answer.unchanged ? `unchanged: still v${answer.version.id}` : `published v${answer.version.id}`, 1);
  return { ...answer, bytesSent: sent.bytes, filesSent: sent.files };
}

/** Entries added or modified locally, and paths gone locally, relative to the remote manifest. */
export function diffTrees(remote: ManifestEntry[], local: ManifestEntry[]): { changed: ManifestEntry[]; removed: string[] } {
  const before = new Map(remote.map((e) => [e.path, e]));
  const after = new Set(local.map((e) => e.path));
  const changed = local.filter((e) => {
    const old = before.get(e.path);
    return !old || old.sha256 !== e.sha256 || old.mode !== e.mode || old.size !== e.size;
  });
  return { changed, removed: remote.filter((e) => !after.has(e.path)).map((e) => e.path) };
}

async function latestCode(client: ApiClient, functionPath: string, signal?: AbortSignal): Promise<RemoteCode | undefined> {
  try {
    return (await client.call<RemoteCode>('GET', `${functionPath}/code`, { signal })).body;
  } catch (error) {
    if (isFlightdeckError(error, 'NOT_FOUND')) return undefined; // a new function (or environment)
    throw error;
  }
}

async function publish(
  client: ApiClient,
  functionPath: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<PublishAnswer> {
  return (await client.call<PublishAnswer>('POST', `${functionPath}/deploy`, { json: body, signal })).body;
}

/**
 * The tree's files in base64 by sha256, when they come to at most INLINE_MAX_BYTES. Read in place:
 * a few small files take less time to read than a round trip through libuv's thread pool.
 */
function inlineBlobs(code: LocalCodeTree): { blobs: Record<string, string>; sent: Upload } | undefined {
  const bySha = new Map(code.entries.map((e) => [e.sha256, e]));
  const bytes = [...bySha.values()].reduce((sum, e) => sum + e.size, 0);
  if (bytes > INLINE_MAX_BYTES) return undefined;
  const blobs = Object.fromEntries([...bySha].map(([sha256, entry]) => [sha256, readFileSync(join(code.root, entry.path)).toString('base64')]));
  return { blobs, sent: { bytes, files: bySha.size } };
}

/** PUTs each missing blob from the first local file holding it, a few at a time. */
async function uploadBlobs(client: ApiClient, code: LocalCodeTree, hashes: string[], options: DeployOptions): Promise<Upload> {
  const bySha = new Map(code.entries.map((e) => [e.sha256, e]));
  const files = hashes.map((hash) => bySha.get(hash)).filter((e): e is ManifestEntry => e !== undefined);
  const total = files.reduce((sum, e) => sum + e.size, 0);
  const sent: Upload = { bytes: 0, files: 0 };
  const report = () => options.onProgress?.(`uploading ${files.length} file(s): ${formatBytes(sent.bytes)} of ${formatBytes(total)}`, 0.05 + 0.85 * (total ? sent.bytes / total : 1));
  for (let i = 0; i < files.length; i += PARALLEL_UPLOADS) {
    await Promise.all(files.slice(i, i + PARALLEL_UPLOADS).map(async (entry) => {
      await client.call('PUT', `/v1/blobs/${entry.sha256}`, {
        raw: () => countingStream(join(code.root, entry.path), (n) => {
          sent.bytes += n;
          report();
        }),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(entry.size) },
        signal: options.signal,
      });
      sent.files += 1;
    }));
  }
  return sent;
}

function countingStream(path: string, onBytes: (n: number) => void): Transform {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  return createReadStream(path).on('error', (error) => counter.destroy(error)).pipe(counter);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
