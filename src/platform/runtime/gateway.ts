// The gateway: /fn/:env/:fn[:alias|:version]/rest → a version (alias weights or sticky key) →
// an instance slot (now, or after a queue wait) → the request forwarded to it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ALIAS, formatPercent, trafficSplit, type Alias } from '../../model';
import type { FlightdeckError } from '../../errors';
import type { StateView } from '../contracts';
import type { FunctionPool } from './functionPool';
import { fc3Function } from './fc3';
import { forward, readHeaders, sendText, INSTANCE_HEADER, VERSION_HEADER, type Exchange } from './proxy';

const PREFIX = '/fn/';
const USAGE = 'Gateway URLs look like /fn/<environment>/<function>[:<alias> or :<version>]/<path>.';

export interface GatewayTarget {
  environment: string;
  fn: string;
  /** Alias name or version digits after `:`; undefined means `live`. */
  selector: string | undefined;
  /** What the function sees: the rest of the path, with the query. */
  path: string;
}

/** Splits `/fn/env/fn:sel/rest?q`; undefined when the URL is not a gateway URL. */
export function parseTarget(url: string): GatewayTarget | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const envEnd = url.indexOf('/', PREFIX.length);
  if (envEnd <= PREFIX.length) return undefined;
  let fnEnd = envEnd + 1;
  while (fnEnd < url.length && url[fnEnd] !== '/' && url[fnEnd] !== '?') fnEnd++;
  const fnPart = decode(url.slice(envEnd + 1, fnEnd));
  const environment = decode(url.slice(PREFIX.length, envEnd));
  if (!fnPart || environment === undefined || fnPart === undefined) return undefined;
  const colon = fnPart.indexOf(':');
  const rest = url.slice(fnEnd);
  return {
    environment,
    fn: colon < 0 ? fnPart : fnPart.slice(0, colon),
    selector: colon < 0 ? undefined : fnPart.slice(colon + 1),
    path: rest.startsWith('/') ? rest : '/' + rest,
  };
}

function decode(part: string): string | undefined {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

const DIGITS = /^\d+$/;

export class Gateway {
  constructor(
    private readonly state: StateView,
    private readonly poolFor: (environment: string, fn: string) => FunctionPool,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const target = parseTarget(req.url ?? '/');
    if (!target) return sendText(res, 404, `Not a function URL: ${req.url}. ${USAGE}`);
    const { environment, fn, selector } = target;
    if (!this.state.functionConfig(environment, fn)) {
      return sendText(res, 404, `No function "${fn}" in environment "${environment}": check both names, or deploy it first.`);
    }
    this.state.noteRequest(environment);
    const pool = this.poolFor(environment, fn);
    const headers = readHeaders(req.rawHeaders);
    const chosen = this.chooseVersion(pool, selector, headers.stickyKey, res);
    if (chosen === undefined) return;
    const { versionId, alias } = chosen;
    const version = pool.version(versionId);
    if (!version) return sendText(res, 404, `Function "${fn}" in environment "${environment}" has no version ${versionId}.`);
    const exchange: Exchange = {
      req,
      res,
      pool,
      window: pool.metrics.window(versionId),
      started: performance.now(),
      path: target.path,
      headers,
      timeoutMs: version.config.timeoutMs,
      ...(version.config.events === 'fc3' && version.config.runtime === 'custom'
        ? { fc3: { fn: fc3Function(fn, versionId, version.config), qualifier: selector || DEFAULT_ALIAS } }
        : {}),
    };
    const acquired = pool.acquire(versionId);
    if (!(acquired instanceof Promise)) return forward(exchange, acquired);
    acquired.then(
      (slot) => {
        if (res.destroyed) pool.release(slot);
        else forward(exchange, slot);
      },
      (error: FlightdeckError) => {
        exchange.window.record(503, performance.now() - exchange.started, Date.now());
        sendText(res, 503, unavailableText(pool, versionId, alias, error), { [VERSION_HEADER]: String(versionId), [INSTANCE_HEADER]: 'none' });
      },
    );
  }

  /** The version and the alias that chose it (none for a version URL); undefined when it already answered 404. */
  private chooseVersion(
    pool: FunctionPool,
    selector: string | undefined,
    stickyKey: string | undefined,
    res: ServerResponse,
  ): { versionId: number; alias?: Alias } | undefined {
    if (selector !== undefined && DIGITS.test(selector)) return { versionId: Number(selector) };
    const aliasName = selector || DEFAULT_ALIAS;
    const alias = this.state.getAlias(pool.environment, pool.fn, aliasName);
    if (!alias) {
      sendText(res, 404, `Function "${pool.fn}" in environment "${pool.environment}" has no alias "${aliasName}".`);
      return undefined;
    }
    return { versionId: pool.pick(alias, stickyKey), alias };
  }
}

/** The 503's text: for a crash-looping version, what is true now and the way out. */
function unavailableText(pool: FunctionPool, versionId: number, alias: Alias | undefined, error: FlightdeckError): string {
  const loop = pool.crashLoop(versionId);
  if (loop === undefined) return error.message;
  const target = `--env ${pool.environment} --function ${pool.fn}`;
  if (!alias) {
    return `${pool.fn} v${versionId} is crash-looping (${loop}); this URL asks for v${versionId} itself. Fix the code and deploy again; the function's logs say why.`;
  }
  const share = trafficSplit(alias).find((s) => s.versionId === versionId)?.weight ?? 0;
  return (
    `${pool.fn} v${versionId} is crash-looping (${loop}); ${alias.name} still sends it ${formatPercent(share)}. ` +
    `Fix the code and deploy again, or move ${alias.name} to a healthy version: flightdeck promote ${target} --version N${alias.name === DEFAULT_ALIAS ? '' : ` --alias ${alias.name}`}.`
  );
}
