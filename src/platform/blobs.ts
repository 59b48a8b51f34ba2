// Content-addressed file store: a blob's name is the sha256 of its bytes, so an upload is
// verified by hashing it and a blob is written once however many versions share it.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FlightdeckError } from '../errors';
import { PRIVATE_FILE_MODE } from './privacy';
import { type DurableFiles, writeSynced } from './store';
import { checkSha256 } from './validate';

/**
 * Every blob file has exactly this mode (whatever the umask), so a copy of a blob has it too:
 * private (0600), like everything in the state folder.
 */
export const BLOB_MODE = PRIVATE_FILE_MODE;

export interface StoredBlob {
  sha256: string;
  size: number;
}

export class BlobStore {
  constructor(
    private readonly root: string,
    private readonly files: DurableFiles,
    readonly maxBlobBytes: number,
  ) {}

  path(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  /** Size of a stored blob, or undefined when the store lacks it. */
  async size(sha256: string): Promise<number | undefined> {
    // A stat takes microseconds; the thread pool's round trip would cost more (store.ts).
    return statSync(this.path(sha256), { throwIfNoEntry: false })?.size;
  }

  async missing(hashes: unknown): Promise<string[]> {
    if (!Array.isArray(hashes)) {
      throw new FlightdeckError('BAD_REQUEST', 'hashes must be an array of sha256 digests.', { field: 'hashes' });
    }
    const unique = [...new Set(hashes.map((h, i) => checkSha256(h, `hashes[${i}]`)))];
    const sizes = await Promise.all(unique.map((sha) => this.size(sha)));
    return unique.filter((_, i) => sizes[i] === undefined);
  }

  /**
   * Streams an upload to a temp file while hashing it; only bytes that hash to `sha256` are
   * renamed into the store, and only after they are on disk.
   */
  async put(sha256: string, body: Readable, declaredLength?: number): Promise<StoredBlob> {
    checkSha256(sha256, 'sha256');
    if (declaredLength !== undefined && declaredLength > this.maxBlobBytes) throw this.tooLarge(declaredLength);
    const existing = await this.size(sha256);
    if (existing !== undefined) {
      body.resume();
      return { sha256, size: existing };
    }
    return this.storeThrough(sha256, async (temp) => {
      const { digest, size } = await this.writeHashed(temp, body);
      if (size > this.maxBlobBytes) throw this.tooLarge(size);
      if (digest !== sha256) {
        throw new FlightdeckError('BAD_REQUEST', `The uploaded bytes hash to ${digest}, not ${sha256}; upload the file whose sha256 is in the URL.`, {
          field: 'sha256',
        });
      }
      return { sha256, size };
    });
  }

  /** Stores bytes already in memory whose sha256 the caller has checked (a deploy's inline files, validate.ts). */
  async putChecked(sha256: string, bytes: Uint8Array): Promise<StoredBlob> {
    if (bytes.length > this.maxBlobBytes) throw this.tooLarge(bytes.length);
    if ((await this.size(sha256)) !== undefined) return { sha256, size: bytes.length };
    return this.storeThrough(sha256, async (temp) => {
      await writeSynced(temp, bytes, BLOB_MODE, true);
      return { sha256, size: bytes.length };
    });
  }

  /** Has `write` fill a temp file, then renames it into the store as `sha256`; a failure leaves no temp file. */
  private async storeThrough(sha256: string, write: (temp: string) => Promise<StoredBlob>): Promise<StoredBlob> {
    const temp = this.files.tempPath(sha256);
    try {
      const stored = await write(temp);
      await this.files.moveIntoPlace(temp, this.path(sha256));
      return stored;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Writes and hashes the body; past the size limit it keeps reading (so the client gets the 413) but stops writing. */
  private async writeHashed(temp: string, body: Readable): Promise<{ digest: string; size: number }> {
    const hash = createHash('sha256');
    const handle = await open(temp, 'w', BLOB_MODE);
    let size = 0;
    try {
      await handle.chmod(BLOB_MODE);
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxBlobBytes) continue;
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { digest: hash.digest('hex'), size };
  }

  private tooLarge(size: number): FlightdeckError {
    return new FlightdeckError(
      'PAYLOAD_TOO_LARGE',
      `The blob is ${size} bytes, over the platform's limit of ${this.maxBlobBytes} bytes; leave large files out of the function's code or run the platform with a higher limit (\`flightdeck serve --max-blob-bytes N\`).`,
      { field: 'body' },
    );
  }
}
