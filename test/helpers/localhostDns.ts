// Name resolution for the cloud stand-ins: every name under `localhost` is the loopback address,
// as RFC 6761 §6.3 lets resolvers answer (systemd-resolved and browsers do; glibc here does not).
// Alibaba Cloud SDKs put a name in front of the endpoint (SLS: <project>.<endpoint>), and FC's
// trigger URLs are host names: with the stand-ins at `localhost:<port>` these must reach them.
// Loaded in a test process by importing it, and in a CLI child by `node --require` (NODE_OPTIONS).
import dns from 'node:dns';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const lookup = dns.lookup;
const loopback = (host: string) => host === 'localhost' || host.endsWith('.localhost');

(dns as { lookup: unknown }).lookup = (host: string, options: dns.LookupOptions | number | LookupCallback, callback?: LookupCallback): void => {
  const done = (typeof options === 'function' ? options : callback)!;
  const all = typeof options === 'object' && options.all === true;
  if (!loopback(host)) return void (lookup as (...args: unknown[]) => void)(host, options, callback);
  process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)));
};

/** For a CLI child: NODE_OPTIONS that load this file first. */
export const LOCALHOST_DNS_NODE_OPTIONS = `--require ${__filename}`;
