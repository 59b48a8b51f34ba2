// A function's logs from its Simple Log Service log store (the function's logConfig.project /
// logstore), through SLS's GetLogs as the official SDK @alicloud/sls20201230 calls it: its
// generated request and response models, sent by the OpenAPI core client with SLS's gateway
// (@alicloud/gateway-sls: project host, SLS's own signature). Not the SDK's Client class: it
// loads all of SLS's models (0.8 MB minified) for one call (GetLogs,
// https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogs:
// GET /logstores/{logstore}?type=log&from&to&topic&query&line&offset&reverse on host
// {project}.{endpoint}; `from`/`to` in seconds, `to` exclusive; at most 100 lines a call; the
// answer is a JSON array of log objects, each with `__time__`; x-log-progress Complete|Incomplete).
//
// What FC writes there ("Print function logs",
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/print-function-logs: every
// line the function prints goes under topic `FCLogs:<functionName>`; the fields, "Function Compute
// 3.0 log field details", https://help.aliyun.com/zh/sls/function-compute-3-0-log-field-details):
// functionName, qualifier, versionId, instanceID, requestId and the line itself in `message`.
// FC keeps stdout and stderr in one store without saying which, so every line reads as stdout.
// Filtering by version (`flightdeck logs --version N`) queries `versionId`, which needs the log
// store's field index (FC's console creates it with the store).
import type OpenApiClient from '@alicloud/openapi-core';
import { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import { GetLogsRequest } from '@alicloud/sls20201230/dist/models/GetLogsRequest';
import { GetLogsResponse } from '@alicloud/sls20201230/dist/models/GetLogsResponse';
import * as $dara from '@darabonba/typescript';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import type { LogLine, Subscription } from '../../provider';

export interface LogStore {
  project: string;
  logstore: string;
}

/** GetLogs' page size limit. */
const PAGE = 100;
/** How far back `recent` looks. */
const RECENT_S = 24 * 3600;
/**
 * SLS indexes a line a few seconds after FC ships it, so a follower re-reads this much before now
 * each time and keeps only lines it has not shown.
 */
const FOLLOW_OVERLAP_S = 60;

/** A follow asks FC whether the function is still there once in this many polls. */
const FUNCTION_CHECK_POLLS = 5;

interface SlsLog {
  __time__?: string | number;
  message?: string;
  versionId?: string;
  instanceID?: string;
  requestId?: string;
}

export class SlsLogs {
  constructor(
    /** An OpenAPI client with SLS's gateway, configured for SLS's endpoint (connect.ts). */
    private readonly client: OpenApiClient,
    private readonly counted: (action: string) => void,
    private readonly followEveryMs = 1000,
  ) {}

  /** The last `tail` lines of the past day, oldest first. */
  async recent(store: LogStore, fcName: string, options: { version?: number; tail: number }, now = Date.now()): Promise<LogLine[]> {
    const to = Math.floor(now / 1000) + 1;
    const newestFirst: SlsLog[] = [];
    while (newestFirst.length < options.tail) {
      const line = Math.min(PAGE, options.tail - newestFirst.length);
      const page = await this.getLogs(store, fcName, options.version, { from: to - RECENT_S, to, line, offset: newestFirst.length, reverse: true });
      newestFirst.push(...page.logs);
      if (page.logs.length < line) break;
    }
    return newestFirst.reverse().map(lineOf);
  }

  /**
   * New lines as SLS indexes them, polled every `followEveryMs` over a window reaching
   * FOLLOW_OVERLAP_S back; each distinct line is shown once (a line printed twice in the same
   * second is two lines: counted, not just seen). Refusals that will not pass (gone, no
   * permission) end the follow through `onGone`; others are retried on the next poll. SLS keeps a
   * function's lines after the function is deleted, so every few polls `stillThere` asks FC
   * whether it is: its NOT_FOUND ends the follow too.
   */
  follow(
    store: LogStore,
    fcName: string,
    version: number | undefined,
    handlers: { onLine: (line: LogLine) => void; onGone: (error: FlightdeckError) => void; stillThere: () => Promise<unknown> },
  ): Subscription {
    const { onLine, onGone, stillThere } = handlers;
    const started = Math.floor(Date.now() / 1000);
    const shown = new Map<string, { time: number; count: number }>();
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async () => {
      const to = Math.floor(Date.now() / 1000) + 1;
      const from = Math.max(started, to - FOLLOW_OVERLAP_S);
      const fresh: SlsLog[] = [];
      const counts = new Map<string, number>();
      for (let offset = 0; ; offset += PAGE) {
        const page = await this.getLogs(store, fcName, version, { from, to, line: PAGE, offset, reverse: false });
        for (const log of page.logs) {
          const key = JSON.stringify([log.__time__, log.requestId, log.instanceID, log.message]);
          const n = (counts.get(key) ?? 0) + 1;
          counts.set(key, n);
          const before = shown.get(key);
          if (!before || before.count < n) {
            shown.set(key, { time: Number(log.__time__), count: n });
            fresh.push(log);
          }
        }
        if (page.logs.length < PAGE) break;
      }
      for (const [key, seen] of shown) if (seen.time < from) shown.delete(key);
      if (!closed) fresh.map(lineOf).forEach(onLine);
    };
    let polls = 0;
    const loop = () => {
      if (closed) return;
      const checked = ++polls % FUNCTION_CHECK_POLLS === 0 ? stillThere() : Promise.resolve();
      checked.then(() => (closed ? undefined : poll())).then(
        () => (closed ? undefined : (timer = setTimeout(loop, this.followEveryMs))),
        (error: unknown) => {
          if (closed) return;
          if (isFlightdeckError(error, 'NOT_FOUND') || isFlightdeckError(error, 'UNAUTHORIZED')) onGone(error);
          else timer = setTimeout(loop, this.followEveryMs);
        },
      );
    };
    loop();
    return {
      close: () => {
        closed = true;
        clearTimeout(timer);
      },
    };
  }

  private async getLogs(store: LogStore, fcName: string, version: number | undefined, window: { from: number; to: number; line: number; offset: number; reverse: boolean }): Promise<{ logs: SlsLog[] }> {
    const request = new GetLogsRequest({
      ...window,
      topic: `FCLogs:${fcName}`,
      ...(version !== undefined ? { query: `versionId: "${version}"` } : {}),
    });
    this.counted('GetLogs');
    try {
      request.validate();
      // What the SDK's getLogsWithOptions sends (@alicloud/sls20201230 dist/client.js).
      const params = new $OpenApiUtil.Params({
        action: 'GetLogs',
        version: '2020-12-30',
        protocol: 'HTTPS',
        pathname: `/logstores/${store.logstore}?type=log`,
        method: 'GET',
        authType: 'AK',
        style: 'ROA',
        reqBodyType: 'json',
        bodyType: 'array',
      });
      const openApiRequest = new $OpenApiUtil.OpenApiRequest({ hostMap: { project: store.project }, headers: {}, query: OpenApiUtil.query(request.toMap()) });
      const answer = await this.client.execute(params, openApiRequest, new $dara.RuntimeOptions({}));
      return { logs: ($dara.cast<GetLogsResponse>(answer, new GetLogsResponse({})).body ?? []) as SlsLog[] };
    } catch (error) {
      throw slsError(error, store);
    }
  }
}

function lineOf(log: SlsLog): LogLine {
  return {
    time: new Date(Number(log.__time__) * 1000).toISOString(),
    versionId: Number(log.versionId ?? 0),
    instance: log.instanceID ?? '',
    stream: 'stdout',
    text: log.message ?? '',
  };
}

/** SLS answers errors as {errorCode, errorMessage} with an HTTP status; the SDK's gateway puts them on the error. */
function slsError(error: unknown, store: LogStore): FlightdeckError {
  const e = error as { code?: string; message?: string; data?: { httpCode?: number; requestId?: string } };
  const status = e.data?.httpCode;
  const where = `SLS ${store.project}/${store.logstore}`;
  const what = `${e.code ?? 'error'}: ${e.message ?? String(error)}${e.data?.requestId ? ` (request ${e.data.requestId})` : ''}`;
  if (status === 401 || status === 403) return new FlightdeckError('UNAUTHORIZED', `${where} refused to give its logs: ${what}. The key needs log:GetLogStoreLogs on that log store.`, { status });
  if (status === 404) return new FlightdeckError('NOT_FOUND', `${where} does not exist (${what}); fix the function's logConfig.`, { status, field: 'logConfig' });
  return new FlightdeckError('UNAVAILABLE', `${where}: cannot read logs: ${what}`, status ? { status } : {});
}
