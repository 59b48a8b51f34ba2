// Copies what the detached platform appends to its log file (<home>/platform.log) into the
// "Flightdeck Platform" output channel, starting with the last few lines already there.
import { open, stat } from 'node:fs/promises';
import type * as vscode from 'vscode';

const INITIAL_BYTES = 4096;

export class PlatformLogTail {
  private offset: number | undefined;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly channel: vscode.LogOutputChannel,
  ) {}

  /** Reads what was appended since the last call; reads are queued so lines keep their order. */
  readNew(): Promise<void> {
    this.reading = this.reading.then(() => this.read()).catch(() => undefined);
    return this.reading;
  }

  private async read(): Promise<void> {
    const { size } = await stat(this.file);
    // First read: only the tail. A shrunk file was replaced: start it from the top.
    const from = this.offset === undefined ? Math.max(0, size - INITIAL_BYTES) : size < this.offset ? 0 : this.offset;
    if (size <= from) return;
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      const text = buffer.toString('utf8');
      // Keep a partial last line for the next read.
      const end = text.lastIndexOf('\n') + 1;
      this.offset = from + Buffer.byteLength(text.slice(0, end));
      text
        .slice(0, end)
        .split('\n')
        .filter((line) => line.trim())
        .forEach((line) => this.channel.appendLine(line));
    } finally {
      await handle.close();
    }
  }
}
