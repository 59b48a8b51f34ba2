// A loopback TCP relay in front of the platform that counts the bytes the client sends: the
// total request bytes of a deploy (headers, JSON manifests, blob bodies), not just file bytes.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface CountingProxy {
  url: string;
  /** Client → platform bytes since the last reset. */
  bytesUp(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(upstreamUrl: string): Promise<CountingProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  let up = 0;
  const server: Server = createServer((client) => {
    const remote = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
    for (const s of [client, remote]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => [client, remote].forEach((x) => x.destroy()));
    }
    client.on('data', (chunk: Buffer) => (up += chunk.length));
    client.pipe(remote);
    remote.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytesUp: () => up,
    reset: () => {
      up = 0;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
