// The warm Node.js host's end of the gateway's frame sockets (see frames.ts): a loopback server
// that gathers each request's head and body frames, asks `answer` and writes one response frame.
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { FrameReader, FrameType, FrameWriter, SEPARATOR } from './frames';

/** One request, whichever way it arrived. */
export interface HostRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The same headers as a flat name/value list, as they came. */
  rawHeaders: string[];
  body: Buffer;
}

/** One answer; `headers` is a flat name/value list without hop-by-hop headers or content-length. */
export interface HostReply {
  status: number;
  headers: string[];
  body: Buffer | string;
}

export type Answer = (request: HostRequest) => Promise<HostReply>;

interface Open {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  chunks: Buffer[];
}

export function frameServer(answer: Answer): Server {
  return createServer((socket) => serveConnection(socket, answer));
}

function serveConnection(socket: Socket, answer: Answer): void {
  socket.setNoDelay(true);
  const writer = new FrameWriter(socket);
  const open = new Map<number, Open>();
  const start = (id: number, request: Open): void => {
    const body = request.chunks.length === 1 ? request.chunks[0] : Buffer.concat(request.chunks);
    request.chunks = [];
    void answer({ method: request.method, url: request.url, headers: request.headers, rawHeaders: request.rawHeaders, body }).then((reply) => {
      // Only the latest request under this id, and only if the gateway still wants it.
      if (open.get(id) !== request || socket.destroyed) return;
      open.delete(id);
      writer.response(id, reply.status, reply.headers.join(SEPARATOR), reply.body);
    });
  };
  const reader = new FrameReader((id, type, payload) => {
    if (type === FrameType.requestHead) open.set(id, readHead(payload));
    else if (type === FrameType.requestBody) open.get(id)?.chunks.push(payload);
    else if (type === FrameType.cancel) open.delete(id);
    else if (type === FrameType.requestWhole) {
      const request = readHead(payload);
      open.set(id, request);
      start(id, request);
    } else if (type === FrameType.requestEnd) {
      const request = open.get(id);
      if (request) start(id, request);
    } else throw new Error(`unexpected frame type ${type} from the gateway`);
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch (error) {
      socket.destroy(error as Error);
    }
  });
  socket.on('error', () => undefined); // the gateway went away; its calls are gone with it
  socket.on('close', () => open.clear());
}

function readHead(payload: Buffer): Open {
  const parts = payload.toString('utf8').split(SEPARATOR);
  const rawHeaders = parts.slice(2);
  return { method: parts[0], url: parts[1], headers: headersObject(rawHeaders), rawHeaders, chunks: [] };
}

/** Headers whose repeats Node.js drops (as its HTTP server does for req.headers). */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/** The same object Node.js's req.headers would be for these raw headers. */
function headersObject(flat: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i].toLowerCase();
    const value = flat[i + 1];
    const seen = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (seen === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (!SINGLE.has(name)) headers[name] = `${seen}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}
