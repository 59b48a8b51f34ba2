// The /v1 route table: HTTP in, ControlPlane / runtime / rollout engine calls, HTTP out. Other
// parts of the platform extend it by adding rows.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { FlightdeckError } from '../errors';
import type { PlatformEvent } from '../model';
import type { RolloutAction } from '../provider';
import type { BlobStore } from './blobs';
import type { FunctionRuntime, WarmPoolStatus } from './contracts';
import type { ControlPlane, Log } from './control';
import type { EventHub } from './events';
import type { GarbageCollector } from './gc';
import type { RolloutEngine } from './rollouts';
import { openSse, type Handler, type Reply, type RequestContext, type Route } from './http';
import { pathInteger, queryInteger, requireObject } from './validate';

export interface RouteDeps {
  control: ControlPlane;
  blobs: BlobStore;
  events: EventHub;
  runtime: FunctionRuntime;
  /** Garbage collection; blobs uploaded or reported present are kept for the deploy that follows. */
  collector?: GarbageCollector;
  /** The server-side rollout engine; absent, the rollout routes answer 501. */
  rollouts?: Pick<RolloutEngine, 'get' | 'start' | 'act' | 'restart'>;
  heartbeatMs: number;
  log: Log;
  health: () => { ok: true; pid: number; version: string; started: string; instance: string; warmPool: WarmPoolStatus };
}

const ROLLOUT_ACTIONS: readonly RolloutAction[] = ['pause', 'resume', 'continue', 'promote', 'abort'];
const FN = '/v1/environments/:env/functions/:fn';

const ok = (body: unknown) => ({ status: 200, body });

function etagHeader(etag: string): Record<string, string> {
  return { etag: `"${etag}"` };
}

function requireRollouts(deps: RouteDeps): NonNullable<RouteDeps['rollouts']> {
  if (!deps.rollouts) throw new FlightdeckError('UNAVAILABLE', 'This platform runs without a rollout engine.', { status: 501 });
  return deps.rollouts;
}

/** The function named in the URL must exist (404 otherwise) before the runtime is asked about it. */
function existing(deps: RouteDeps, handler: (ctx: RequestContext, env: string, fn: string) => ReturnType<Handler>): Handler {
  return (ctx) => {
    const { env, fn } = ctx.params;
    deps.control.requireFunction(env, fn);
    return handler(ctx, env, fn);
  };
}

export function controlRoutes(deps: RouteDeps): Route[] {
  const { control, blobs, runtime } = deps;
  return [
    { method: 'GET', pattern: '/v1/health', handler: () => ok(deps.health()) },
    { method: 'GET', pattern: '/v1/events', handler: (ctx) => streamEvents(ctx, deps) },

    {
      method: 'POST',
      pattern: '/v1/gc',
      handler: async (ctx) => {
        if (!deps.collector) throw new FlightdeckError('UNAVAILABLE', 'This platform runs without garbage collection.', { status: 501 });
        return ok(await deps.collector.collect(queryFlag(ctx.query, 'dryRun')));
      },
    },

    { method: 'GET', pattern: '/v1/environments', handler: () => ok({ environments: control.environments() }) },
    { method: 'POST', pattern: '/v1/environments', handler: async (ctx) => ({ status: 201, body: await control.createEnvironment(await ctx.json()) }) },
    { method: 'GET', pattern: '/v1/environments/:env', handler: (ctx) => ok(control.environment(ctx.params.env)) },
    {
      method: 'DELETE',
      pattern: '/v1/environments/:env',
      handler: async (ctx) => {
        await control.deleteEnvironment(ctx.params.env, ctx.query.get('confirm') ?? undefined);
        return { status: 204 };
      },
    },
    { method: 'GET', pattern: '/v1/environments/:env/functions', handler: (ctx) => ok({ functions: control.summaries(ctx.params.env) }) },
    { method: 'GET', pattern: FN, handler: (ctx) => ok(control.summary(ctx.params.env, ctx.params.fn)) },

    {
      method: 'POST',
      pattern: '/v1/blobs/missing',
      handler: async (ctx) => {
        const hashes = requireObject(await ctx.json(), 'body').hashes;
        const missing = await blobs.missing(hashes);
        // Present ones are about to be referenced by a deploy: keep them though nothing uses them yet.
        deps.collector?.protect(hashes as string[]);
        return ok({ missing });
      },
    },
    {
      method: 'PUT',
      pattern: '/v1/blobs/:sha256',
      handler: async (ctx) => {
        const length = ctx.req.headers['content-length'];
        const stored = await blobs.put(ctx.params.sha256, ctx.req, length === undefined ? undefined : Number(length));
        deps.collector?.protect([stored.sha256]);
        return { status: 201, body: stored };
      },
    },

    { method: 'POST', pattern: `${FN}/deploy`, handler: async (ctx) => ok(await control.deploy(ctx.params.env, ctx.params.fn, await ctx.json())) },
    {
      method: 'GET',
      pattern: `${FN}/code`,
      handler: async (ctx) => ok(await control.files(ctx.params.env, ctx.params.fn, queryInteger(ctx.query, 'version', 1))),
    },
    {
      method: 'GET',
      pattern: `${FN}/versions`,
      handler: (ctx) =>
        ok(control.versionPage(ctx.params.env, ctx.params.fn, queryInteger(ctx.query, 'limit', 1), queryInteger(ctx.query, 'before', 1))),
    },
    { method: 'GET', pattern: `${FN}/versions/:id`, handler: (ctx) => ok(control.version(ctx.params.env, ctx.params.fn, pathInteger(ctx.params.id, 'id'))) },
    { method: 'GET', pattern: `${FN}/versions/:id/files/*path`, handler: (ctx) => sendFile(ctx, deps) },

    { method: 'GET', pattern: `${FN}/aliases`, handler: (ctx) => ok({ aliases: control.aliases(ctx.params.env, ctx.params.fn) }) },
    {
      method: 'GET',
      pattern: `${FN}/aliases/:name`,
      handler: (ctx) => {
        const alias = control.alias(ctx.params.env, ctx.params.fn, ctx.params.name);
        return { status: 200, body: alias, headers: etagHeader(alias.etag) };
      },
    },
    {
      method: 'PUT',
      pattern: `${FN}/aliases/:name`,
      handler: async (ctx) => {
        const { env, fn, name } = ctx.params;
        const alias = await control.updateAlias(env, fn, name, await ctx.json(), ctx.req.headers['if-match']);
        return { status: 200, body: alias, headers: etagHeader(alias.etag) };
      },
    },
    {
      method: 'DELETE',
      pattern: `${FN}/aliases/:name`,
      handler: async (ctx) => {
        await control.deleteAlias(ctx.params.env, ctx.params.fn, ctx.params.name);
        return { status: 204 };
      },
    },

    { method: 'GET', pattern: `${FN}/instances`, handler: existing(deps, (_ctx, env, fn) => ok({ instances: runtime.instances(env, fn) })) },
    {
      method: 'GET',
      pattern: `${FN}/metrics`,
      handler: existing(deps, (ctx, env, fn) => ok({ versions: runtime.metrics(env, fn, queryInteger(ctx.query, 'windowMs', 1) ?? 60_000) })),
    },
    { method: 'GET', pattern: `${FN}/logs`, handler: existing(deps, (ctx, env, fn) => logs(ctx, env, fn, deps)) },

    {
      method: 'GET',
      pattern: `${FN}/rollout`,
      handler: existing(deps, (_ctx, env, fn) => {
        const rollout = requireRollouts(deps).get(env, fn);
        if (!rollout) throw new FlightdeckError('NOT_FOUND', `${env}/${fn} has never had a rollout.`);
        return ok(rollout);
      }),
    },
    {
      method: 'POST',
      pattern: `${FN}/rollout`,
      handler: existing(deps, async (ctx, env, fn) => ({ status: 201, body: await requireRollouts(deps).start(env, fn, await ctx.json()) })),
    },
    {
      method: 'POST',
      pattern: `${FN}/rollout/:action`,
      handler: existing(deps, async (ctx, env, fn) => {
        const action = ctx.params.action as RolloutAction;
        if (!ROLLOUT_ACTIONS.includes(action)) {
          throw new FlightdeckError('BAD_REQUEST', `Rollout action must be one of ${ROLLOUT_ACTIONS.join(', ')}.`, { field: 'action' });
        }
        return ok(await requireRollouts(deps).act(env, fn, action));
      }),
    },
    { method: 'POST', pattern: `${FN}/restart`, handler: existing(deps, async (ctx, env, fn) => restart(ctx, env, fn, deps)) },
  ];
}

/** `?name=1` or `?name=true` (absent: false); anything else is 400. */
function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new FlightdeckError('BAD_REQUEST', `${name} must be 1 or true, or 0 or false; got ${JSON.stringify(value)}.`, { field: name });
}

function streamEvents(ctx: RequestContext, deps: RouteDeps): undefined {
  const lastId = ctx.req.headers['last-event-id'];
  // A reader too far behind is cut off; it reconnects with Last-Event-ID and is replayed what it missed.
  const stream = openSse(ctx.res, { heartbeatMs: deps.heartbeatMs, overflow: 'disconnect' });
  const send = (event: PlatformEvent) => stream.send(event.type, event, deps.events.idOf(event));
  // Replay and subscribe in one synchronous step, so no event falls between them.
  if (typeof lastId === 'string' && lastId !== '') deps.events.since(lastId).forEach(send);
  stream.onClose(deps.events.subscribe(send));
  return undefined;
}

function logs(ctx: RequestContext, env: string, fn: string, deps: RouteDeps) {
  const version = queryInteger(ctx.query, 'version', 1);
  if (ctx.query.get('follow') !== '1') {
    return ok({ lines: deps.runtime.logs(env, fn, { version, tail: queryInteger(ctx.query, 'tail', 0) ?? 200 }) });
  }
  // Log lines are not replayable: a reader too far behind misses some and is told how many.
  const stream = openSse(ctx.res, { heartbeatMs: deps.heartbeatMs, overflow: 'drop' });
  stream.onClose(deps.runtime.followLogs(env, fn, version, (line) => stream.send('log', line), () => stream.end()));
  return undefined;
}

async function sendFile(ctx: RequestContext, deps: RouteDeps): Promise<undefined> {
  const { env, fn, id, path } = ctx.params;
  const entry = await deps.control.file(env, fn, pathInteger(id, 'id'), path);
  ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.size });
  await pipeline(createReadStream(deps.blobs.path(entry.sha256)), ctx.res);
  return undefined;
}

/**
 * Answers 202 once the engine accepts the restart: its checks fail before its first await, so
 * a rejection by the next macrotask is a refusal (400/409); later failures are only logged.
 */
async function restart(ctx: RequestContext, env: string, fn: string, deps: RouteDeps): Promise<Reply> {
  const body = await ctx.json();
  const done = requireRollouts(deps).restart(env, fn, body);
  const refused = await Promise.race([done.then(() => undefined, (error: unknown) => error), new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
  if (refused) throw refused;
  done.catch((error: Error) => deps.log(`${env}/${fn}: restart failed: ${error.message}`));
  return { status: 202, body: { accepted: true } };
}
