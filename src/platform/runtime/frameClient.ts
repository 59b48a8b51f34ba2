// The gateway's end of one warm Node.js host's frame socket (see frames.ts): one persistent
// loopback connection, opened ahead (a spare's) or on first use, and again after it drops,
// carrying many calls at once.
import { connect, type Socket } from 'node:net';
import { FrameReader, FrameType, FrameWriter, readResponse, type FramedResponse } from './frames';

/** One request in flight on the socket. */
export interface FrameCall {
  answered(response: FramedResponse): void;
  /** The connection went away (or the client was destroyed) before the answer. */
  failed(error: Error): void;
}

const MAX_ID = 0xffffffff;

export class FrameClient {
  private socket: Socket | undefined;
  private writer: FrameWriter | undefined;
  private readonly calls = new Map<number, FrameCall>();
  /** Request bodies paused until the socket drains. */
  private readonly paused = new Set<() => void>();
  private lastId = 0;
  private destroyed = false;

  constructor(private readonly port: number) {}

  /**
   * Sends a request head (`method\0path\0name\0value…`), `whole` when no body follows; the call
   * hears back exactly once.
   */
  open(call: FrameCall, head: string, whole: boolean): number {
    const id = (this.lastId = this.lastId === MAX_ID ? 1 : this.lastId + 1);
    if (this.destroyed) {
      call.failed(new Error('instance stopped'));
      return id;
    }
    const writer = this.connection();
    this.calls.set(id, call);
    writer.requestHead(id, head, whole);
    return id;
  }

  /** Opens the connection now, so the first call does not pay for it (a spare's, while the pool is at rest). */
  connect(): this {
    if (!this.destroyed) this.connection();
    return this;
  }

  /** false: pause the body and pass its resume to whenDrained(). */
  body(id: number, chunk: Buffer): boolean {
    return this.calls.has(id) ? (this.writer as FrameWriter).bytes(id, FrameType.requestBody, chunk) : true;
  }

  end(id: number): void {
    if (this.calls.has(id)) this.writer?.bytes(id, FrameType.requestEnd);
  }

  /** The gateway no longer wants the answer. */
  cancel(id: number): void {
    if (this.calls.delete(id)) this.writer?.bytes(id, FrameType.cancel);
  }

  whenDrained(resume: () => void): void {
    this.paused.add(resume);
  }

  /** Fails the calls in flight (the gateway answers them 502) and refuses new ones. */
  destroy(): Promise<void> {
    this.destroyed = true;
    this.socket?.destroy();
    this.dropped(new Error('instance stopped'));
    return Promise.resolve();
  }

  private connection(): FrameWriter {
    if (this.socket && this.writer) return this.writer;
    const socket = connect(this.port, '127.0.0.1');
    socket.setNoDelay(true);
    const reader = new FrameReader((id, type, payload) => this.onFrame(id, type, payload));
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on('drain', () => this.resumeBodies());
    socket.on('error', (error) => (lastError = error));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.writer = undefined;
      this.dropped(lastError ?? new Error('connection closed'));
    });
    this.socket = socket;
    this.writer = new FrameWriter(socket);
    return this.writer;
  }

  private onFrame(id: number, type: number, payload: Buffer): void {
    if (type !== FrameType.response) throw new Error(`unexpected frame type ${type} from the instance`);
    const call = this.calls.get(id);
    if (!call) return; // cancelled
    this.calls.delete(id);
    call.answered(readResponse(payload));
  }

  private dropped(error: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.failed(error);
    this.resumeBodies();
  }

  private resumeBodies(): void {
    const paused = [...this.paused];
    this.paused.clear();
    for (const resume of paused) resume();
  }
}
