// Where everything lives inside the state folder. One place, so a layout change is one edit.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FlightdeckError } from '../errors';

export interface HomeLayout {
  home: string;
  /** Discovery file clients read to find the running platform. */
  discovery: string;
  /** Held for the platform's life: one platform per state folder. */
  lock: string;
  /** Content-addressed file contents, `blobs/ab/abcdef…`. */
  blobs: string;
  /** Canonical manifests by hash, `trees/<hash>.json`. */
  trees: string;
  /** Materialised code trees the runtime starts functions from (a cache rebuilt from blobs). */
  code: string;
  /**
   * code/package.json: the package scope that encloses every function's code, as nothing encloses
   * it in the cloud, so a package.json above the state folder (a `"type": "module"` in ~) does
   * not turn a function's .js files into ES modules. Its own package.json still applies first.
   */
  codeScope: string;
  /** Environments, functions, versions, aliases, rollouts. */
  state: string;
  /** Temp files before their atomic rename; emptied on every start. */
  tmp: string;
  /** Clients' scan caches: file hashes of code folders, so a redeploy re-reads only changed files. */
  scanCache: string;
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLIGHTDECK_HOME || join(homedir(), '.flightdeck');
}

/** `$FLIGHTDECK_PORT` as a port number; undefined when unset (the platform then uses its default). */
export function portFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.FLIGHTDECK_PORT;
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  throw new FlightdeckError('BAD_REQUEST', `FLIGHTDECK_PORT must be a port number from 0 to 65535, not ${JSON.stringify(value)}.`, { field: 'FLIGHTDECK_PORT' });
}

export function homeLayout(home: string): HomeLayout {
  return {
    home,
    discovery: join(home, 'platform.json'),
    lock: join(home, 'platform.lock'),
    blobs: join(home, 'blobs'),
    trees: join(home, 'trees'),
    code: join(home, 'code'),
    codeScope: join(home, 'code', 'package.json'),
    state: join(home, 'state'),
    tmp: join(home, 'tmp'),
    scanCache: join(home, 'scan-cache'),
  };
}
