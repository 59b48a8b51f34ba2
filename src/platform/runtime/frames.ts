// The gateway ↔ warm Node.js host wire format: length-prefixed frames over one persistent loopback
// socket per instance, requests multiplexed by id. It replaces HTTP on that hop only (the host
// keeps its HTTP port for direct calls), so neither side pays for HTTP parsing; the handler model
// buffers bodies anyway. Frame: u32le size of what follows, u32le request id, u8 type, payload.
import type { Socket } from 'node:net';

export const FrameType = {
  /** Gateway → host: `method\0path\0name\0value…`; body frames and an end frame follow. */
  requestHead: 1,
  /** Gateway → host: a request head with no body (nothing follows). */
  requestWhole: 6,
  requestBody: 2,
  requestEnd: 3,
  /** Gateway → host: the client went away or the gateway gave up; drop the answer. */
  cancel: 4,
  /** Host → gateway: u16le status, u32le head size, `name\0value…`, then the whole body. */
  response: 5,
} as const;

const PREFIX_SIZE = 9;
const RESPONSE_LEAD = 6;
/** Header strings cannot contain NUL (HTTP forbids it), so it separates them. */
export const SEPARATOR = '\0';

/** Headers about one connection, never passed on by the gateway (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export type FrameHandler = (id: number, type: number, payload: Buffer) => void;

/** Cuts a byte stream into frames; a large frame is joined once, when all of it has arrived. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = PREFIX_SIZE;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Throws on a malformed size; the caller drops the connection. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const data = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    while (data.length - offset >= PREFIX_SIZE) {
      const size = data.readUInt32LE(offset);
      if (size < PREFIX_SIZE - 4) throw new Error(`malformed frame: size ${size}`);
      const end = offset + 4 + size;
      if (end > data.length) break;
      this.onFrame(data.readUInt32LE(offset + 4), data[offset + 8], data.subarray(offset + PREFIX_SIZE, end));
      offset = end;
    }
    const rest = data.length - offset;
    this.chunks = rest > 0 ? [data.subarray(offset)] : [];
    this.buffered = rest;
    this.needed = rest >= 4 ? 4 + data.readUInt32LE(offset) : PREFIX_SIZE;
  }
}

/**
 * Writes frames to a socket, corked until the event loop's check phase so the frames of all the
 * requests that arrived in one poll leave in one system call (on loopback TCP the writer's
 * system call pays for the delivery too). The write methods return false when the socket asks
 * the writer to wait.
 */
export class FrameWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  /** A request head frame; `whole` when no body follows. */
  requestHead(id: number, text: string, whole: boolean): boolean {
    const size = Buffer.byteLength(text);
    const frame = Buffer.allocUnsafe(PREFIX_SIZE + size);
    writePrefix(frame, 5 + size, id, whole ? FrameType.requestWhole : FrameType.requestHead);
    frame.write(text, PREFIX_SIZE);
    return this.write(frame);
  }

  /** A response frame: status, `name\0value…` and the whole body (a string body is copied in). */
  response(id: number, status: number, headers: string, body: Buffer | string): boolean {
    const size = Buffer.byteLength(headers);
    const inline = typeof body === 'string' ? Buffer.byteLength(body) : 0;
    const frame = Buffer.allocUnsafe(PREFIX_SIZE + RESPONSE_LEAD + size + inline);
    writePrefix(frame, 5 + RESPONSE_LEAD + size + (typeof body === 'string' ? inline : body.length), id, FrameType.response);
    frame.writeUInt16LE(status, PREFIX_SIZE);
    frame.writeUInt32LE(size, PREFIX_SIZE + 2);
    frame.write(headers, PREFIX_SIZE + RESPONSE_LEAD);
    if (typeof body === 'string') {
      frame.write(body, PREFIX_SIZE + RESPONSE_LEAD + size);
      return this.write(frame);
    }
    const more = this.write(frame);
    return body.length ? this.socket.write(body) : more;
  }

  /** A frame carrying `bytes` as they are (a request body chunk). */
  bytes(id: number, type: number, bytes?: Buffer): boolean {
    const prefix = Buffer.allocUnsafe(PREFIX_SIZE);
    writePrefix(prefix, 5 + (bytes?.length ?? 0), id, type);
    const more = this.write(prefix);
    return bytes?.length ? this.socket.write(bytes) : more;
  }

  private write(frame: Buffer): boolean {
    this.cork();
    return this.socket.write(frame);
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }
}

function writePrefix(target: Buffer, size: number, id: number, type: number): void {
  target.writeUInt32LE(size, 0);
  target.writeUInt32LE(id, 4);
  target[8] = type;
}

export interface FramedResponse {
  status: number;
  /** Flat name/value list. */
  headers: string[];
  body: Buffer;
}

export function readResponse(payload: Buffer): FramedResponse {
  const size = payload.readUInt32LE(2);
  const end = RESPONSE_LEAD + size;
  return {
    status: payload.readUInt16LE(0),
    headers: size === 0 ? [] : payload.toString('utf8', RESPONSE_LEAD, end).split(SEPARATOR),
    body: payload.subarray(end),
  };
}
