// Starts the local platform inside the current process: state folder, durable state, code
// store, runtime, rollout engine and one loopback HTTP server for the control API (/v1, token)
// and the gateway (/fn, no token). The platform process (main.ts) and `flightdeck serve` both
// call startPlatform.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FlightdeckError } from '../errors';
import { BlobStore } from './blobs';
import type { FunctionRuntime } from './contracts';
import { ControlPlane, createStateView, type Log } from './control';
import { discoveryIsLive, readDiscovery, removeDiscovery, writeDiscovery } from './discovery';
import { DurableFiles } from './store';
import { EventHub } from './events';
import { FunctionOperations } from './functionOps';
import { DEFAULT_RETENTION, GarbageCollector, type Retention } from './gc';
import { acquireFolderLock, type FolderLock } from './lock';
import { Router, sendError } from './http';
import { defaultHome, homeLayout, type HomeLayout } from './paths';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenTree } from './privacy';
import { RolloutEngine } from './rollouts';
import { controlRoutes } from './routes';
import { createRuntime } from './runtime';
import { DurableState } from './state';
import { TreeStore } from './trees';

export const DEFAULT_PORT = 7420;
const HOST = '127.0.0.1';
const MIB = 1024 * 1024;
const PLATFORM_VERSION = '0.1.0';

export interface PlatformOptions {
  /** State folder; default $FLIGHTDECK_HOME or ~/.flightdeck. */
  home?: string;
  /** Default 7420; 0 picks a free port; a busy port falls back to a free one. */
  port?: number;
  idleTimeoutMs?: number;
  queueTimeoutMs?: number;
  warmPool?: number;
  warmPoolMax?: number;
  warmPoolHoldMs?: number;
  /** Default 64 MiB. */
  maxBlobBytes?: number;
  /** Total size of one function's code; default 512 MiB. */
  maxCodeBytes?: number;
  runtimeScript?: string;
  /** Interval of the SSE keep-alive comment; default 15 s. */
  heartbeatMs?: number;
  /** Versions kept per function by environment kind; default all in production, 50 elsewhere. */
  retention?: Retention;
  /** How often garbage is collected; default hourly. */
  gcIntervalMs?: number;
  log?: Log;
}

export interface RunningPlatform {
  url: string;
  token: string;
  home: string;
  /** Stops instances, closes connections and removes the discovery file. Idempotent. */
  close(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const layout = homeLayout(options.home ?? defaultHome());
  const log = options.log ?? ((message: string) => process.stderr.write(`[platform] ${message}\n`));
  // This run of the platform: in its lock, its discovery file, its health answer and its event ids.
  const instance = randomBytes(8).toString('hex');
  const lock = await lockHome(layout, instance);
  try {
    await prepareHome(layout, log);
    return await run(layout, lock, instance, options, log);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

interface Services {
  state: DurableState;
  blobs: BlobStore;
  events: EventHub;
  runtime: FunctionRuntime;
  control: ControlPlane;
  rollouts: RolloutEngine;
  collector: GarbageCollector;
}

const DEFAULT_GC_INTERVAL_MS = 3_600_000;

/** Builds the platform's parts around the loaded state; `url` is where the server listens. */
function assemble(layout: HomeLayout, files: DurableFiles, state: DurableState, url: string, instance: string, options: PlatformOptions, log: Log): Services {
  const blobs = new BlobStore(layout.blobs, files, options.maxBlobBytes ?? 64 * MIB);
  const trees = new TreeStore(layout.trees, layout.code, files, blobs);
  const events = new EventHub(instance);
  const operations = new FunctionOperations();
  const view = createStateView(state, trees, log);
  const runtime = createRuntime(view, events.emit, {
    home: layout.home,
    idleTimeoutMs: options.idleTimeoutMs,
    queueTimeoutMs: options.queueTimeoutMs,
    warmPool: options.warmPool,
    warmPoolMax: options.warmPoolMax,
    warmPoolHoldMs: options.warmPoolHoldMs,
    runtimeScript: options.runtimeScript,
  });
  const collector = new GarbageCollector({
    layout,
    state,
    trees,
    blobs,
    versionsInUse: (env, fn) => runtime.versionsInUse(env, fn),
    retention: options.retention ?? DEFAULT_RETENTION,
    log,
  });
  const control = new ControlPlane({
    state,
    trees,
    blobs,
    events,
    runtime,
    operations,
    collector,
    baseUrl: url,
    maxCodeBytes: options.maxCodeBytes ?? 512 * MIB,
    log,
  });
  const rollouts = new RolloutEngine({
    store: {
      functionConfig: view.functionConfig,
      getVersion: view.getVersion,
      getAlias: view.getAlias,
      // The engine's effects run in the function's turn already.
      updateAlias: (env, fn, name, update, etag) => control.changeAlias(env, fn, name, update, etag, true),
      rollouts: (env, fn) => state.rollouts(env, fn),
      latestRollouts: () => state.latestRollouts(),
      saveRollout: (rollout) => state.saveRollout(rollout),
      // A rollout is about to send the version traffic: its proof's instance is kept.
      proveStart: (env, fn, id) => control.proveStart(env, fn, control.version(env, fn, id), true),
    },
    runtime,
    emit: events.emit,
    operations,
  });
  return { state, blobs, events, runtime, control, rollouts, collector };
}

/** `/fn/…` goes to the gateway without a token; everything else needs the bearer token. */
function requestHandler(services: Services, router: Router, token: string, discoveryFile: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    // The raw path decides, so a gateway request does not pay for a URL object.
    if (req.url?.startsWith('/fn/')) return services.runtime.handleGateway(req, res);
    const url = new URL(`http://${HOST}${req.url ?? '/'}`);
    if (!authorized(req, token)) {
      req.resume();
      return sendError(res, new FlightdeckError('UNAUTHORIZED', `Send the token from ${discoveryFile} as "Authorization: Bearer <token>".`));
    }
    void router.handle(req, res, url);
  };
}

async function run(layout: HomeLayout, lock: FolderLock, instance: string, options: PlatformOptions, log: Log): Promise<RunningPlatform> {
  const files = new DurableFiles(layout.tmp);
  const state = await DurableState.open(layout.state, files);
  const server = createServer();
  const url = `http://${HOST}:${await listen(server, options.port ?? DEFAULT_PORT, log)}`;
  const services = assemble(layout, files, state, url, instance, options, log);
  const close = async () => {
    services.rollouts.close();
    services.collector.close();
    server.close();
    server.closeAllConnections();
    await services.runtime.close();
    await state.saveNotes();
    await state.idle();
    await removeDiscovery(layout.discovery, process.pid);
    await lock.release();
  };
  try {
    const token = randomBytes(32).toString('base64url');
    const started = new Date().toISOString();
    const router = new Router().add(
      controlRoutes({
        ...services,
        log,
        heartbeatMs: options.heartbeatMs ?? 15_000,
        health: () => ({ ok: true, pid: process.pid, version: PLATFORM_VERSION, started, instance, warmPool: services.runtime.warmPool() }),
      }),
    );
    server.on('request', requestHandler(services, router, token, layout.discovery));
    await writeDiscovery(layout.discovery, { url, pid: process.pid, token, started, instance }, files);
    services.events.emit({ type: 'platform.started' });
    services.control.warmAll().catch((error: Error) => log(`could not start warm instances: ${error.message}`));
    void services.rollouts.resume(log);
    services.collector.every(options.gcIntervalMs ?? DEFAULT_GC_INTERVAL_MS);
    let closing: Promise<void> | undefined;
    return { url, token, home: layout.home, close: () => (closing ??= close()) };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Takes the state folder's lock; refuses while another platform holds it. */
async function lockHome(layout: HomeLayout, instance: string): Promise<FolderLock> {
  await mkdir(layout.home, { recursive: true, mode: PRIVATE_DIR_MODE });
  const lock = await acquireFolderLock(layout.lock, instance);
  if ('release' in lock) return lock;
  const discovery = await readDiscovery(layout.discovery);
  if (discovery && (await discoveryIsLive(discovery))) {
    throw new FlightdeckError(
      'CONFLICT',
      `A Flightdeck platform is already running at ${discovery.url} (pid ${discovery.pid}) with state folder ${layout.home}; stop it first, or start this one with another --home.`,
    );
  }
  throw new FlightdeckError(
    'CONFLICT',
    `Another Flightdeck platform (pid ${lock.heldBy}) holds state folder ${layout.home} and does not answer on its socket yet (it may still be starting); wait for it, or start this one with another --home.`,
  );
}

/** A package.json of no package: Node.js reads it as the scope of the functions' code (paths.ts). */
const CODE_SCOPE = `${JSON.stringify({ '//': 'Written by the Flightdeck platform: the package scope of the functions in this folder, so a package.json above it does not apply to them (none does in the cloud).' }, null, 1)}\n`;

/** Creates the folders, drops temp files a crash left behind and makes the whole folder private. */
async function prepareHome(layout: HomeLayout, log: Log): Promise<void> {
  // Never renamed into place, so never part of the state; only the lock holder may do this.
  await rm(layout.tmp, { recursive: true, force: true });
  for (const dir of [layout.tmp, layout.blobs, layout.trees, layout.code, layout.state]) await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFile(layout.codeScope, CODE_SCOPE, { mode: PRIVATE_FILE_MODE });
  const tightened = await tightenTree(layout.home, new Set([layout.code]));
  if (tightened > 0) log(`tightened ${tightened} file(s) and folder(s) in ${layout.home} to owner-only (they were open to other users)`);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (\S+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function listenOnce(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function listen(server: Server, port: number, log: Log): Promise<number> {
  try {
    return await listenOnce(server, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    log(`port ${port} is busy; using a free port instead`);
    return listenOnce(server, 0);
  }
}
