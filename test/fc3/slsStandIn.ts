// SlsStandIn: a TEST DOUBLE of Simple Log Service's GetLogs (API version 2020-12-30) for the log
// stores FC functions write to, built from the API reference
// (https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogs) and
// its signature page (https://www.alibabacloud.com/help/en/sls/developer-reference/request-signatures).
// Its log lines are the ones FC would write for the invocations the FC stand-in's trigger URLs
// really served (FcApiStandIn.invocations), in the function's logConfig store, with FC's fields
// (functionName, qualifier, versionId, instanceID, requestId, message; topic FCLogs:<function>,
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/print-function-logs).
//
// What it holds the client to:
// - the project is the first label of the Host (<project>.<endpoint>); GET /logstores/<logstore>
//   with type=log;
// - SLS's signature: Authorization "LOG <AccessKeyId>:<base64 hmac-sha256>" over
//   VERB \n Content-MD5 \n Content-Type \n Date \n x-log-/x-acs- headers (sorted, name:value\n)
//   and the resource (path ? sorted k=v&…), x-log-signaturemethod hmac-sha256, Date within
//   15 minutes, else 401 SignatureNotMatch / 400 RequestTimeTooSkewed;
// - every parameter is a field of the SDK's generated GetLogsRequest (@alicloud/sls20201230) by
//   its wire name, or `type`; `from`/`to` are seconds, `to` exclusive; `line` at most 100;
// - the answer: a JSON array of logs ({__time__, __topic__, __source__, fields…}) with headers
//   x-log-progress Complete and x-log-count; errors are HTTP status + {errorCode, errorMessage}.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetLogsRequest } from '@alicloud/sls20201230/dist/models/GetLogsRequest';
import type { FcApiStandIn } from './fcStandIn';

class SlsError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

type Log = Record<string, string>;

export class SlsStandIn {
  /** Every GetLogs answered: its project, logstore and query parameters. */
  readonly requests: { project: string; logstore: string; query: Record<string, string> }[] = [];
  private readonly server: Server;
  private readonly secrets: Map<string, string>;
  /**
   * The log store each function has written to: an SLS project and its lines outlive the
   * functions that ship to it (deleting a function deletes none of its logs).
   */
  private readonly storeOf = new Map<string, { project?: string; logstore?: string }>();

  private constructor(private readonly fc: FcApiStandIn, options: { accessKeyId: string; accessKeySecret: string }) {
    this.secrets = new Map([[options.accessKeyId, options.accessKeySecret]]);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(fc: FcApiStandIn, options: { accessKeyId: string; accessKeySecret: string }): Promise<SlsStandIn> {
    const standIn = new SlsStandIn(fc, options);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  /** The endpoint to configure: the SDK puts the project in front of it (test/helpers/localhostDns.ts resolves that). */
  get endpoint(): string {
    return `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().replace(/-/g, '').toUpperCase().slice(0, 24);
    for await (const _chunk of req) void _chunk;
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      this.verify(req, url);
      const project = String(req.headers.host).split('.')[0];
      const match = /^\/logstores\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'GET' || !match || url.searchParams.get('type') !== 'log') throw new SlsError(404, 'ParameterInvalid', `${req.method} ${url.pathname} is not GetLogs`);
      const logstore = decodeURIComponent(match[1]);
      const query = Object.fromEntries(url.searchParams);
      this.requests.push({ project, logstore, query });
      const logs = this.getLogs(project, logstore, url.searchParams);
      res.writeHead(200, { 'content-type': 'application/json', 'x-log-requestid': requestId, 'x-log-progress': 'Complete', 'x-log-count': String(logs.length) }).end(JSON.stringify(logs));
    } catch (error) {
      const e = error instanceof SlsError ? error : new SlsError(500, 'InternalServerError', (error as Error).message);
      res.writeHead(e.status, { 'content-type': 'application/json', 'x-log-requestid': requestId }).end(JSON.stringify({ errorCode: e.code, errorMessage: e.message }));
    }
  }

  private verify(req: IncomingMessage, url: URL): void {
    const match = /^LOG ([^:]+):(.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!match) throw new SlsError(401, 'Unauthorized', 'the Authorization header must be LOG <AccessKeyId>:<Signature>');
    const secret = this.secrets.get(match[1]);
    if (secret === undefined) throw new SlsError(401, 'Unauthorized', `AccessKeyId ${match[1]} is not found`);
    if (req.headers['x-log-signaturemethod'] !== 'hmac-sha256') throw new SlsError(400, 'ParameterInvalid', 'x-log-signaturemethod must be hmac-sha256');
    const date = Date.parse(String(req.headers.date));
    if (!(Math.abs(Date.now() - date) <= 15 * 60_000)) throw new SlsError(400, 'RequestTimeTooSkewed', 'Date must be within 15 minutes of now');
    const header = (name: string) => String(req.headers[name] ?? '');
    const logHeaders = Object.keys(req.headers).filter((n) => n.startsWith('x-log-') || n.startsWith('x-acs-')).sort().map((n) => `${n}:${header(n)}\n`).join('');
    const params = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
    const resource = `${url.pathname}${params ? `?${params}` : ''}`;
    const stringToSign = `${req.method}\n${header('content-md5')}\n${header('content-type')}\n${header('date')}\n${logHeaders}${resource}`;
    const expected = createHmac('sha256', secret).update(stringToSign).digest('base64');
    if (expected.length !== match[2].length || !timingSafeEqual(Buffer.from(expected), Buffer.from(match[2]))) {
      throw new SlsError(401, 'SignatureNotMatch', 'signature does not match');
    }
  }

  private getLogs(project: string, logstore: string, q: URLSearchParams): Log[] {
    const wireNames = new Set([...Object.values(GetLogsRequest.names()), 'type']);
    for (const key of q.keys()) if (!wireNames.has(key)) throw new SlsError(400, 'ParameterInvalid', `${key} is not a parameter of GetLogs`);
    const from = Number(q.get('from'));
    const to = Number(q.get('to'));
    if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to) throw new SlsError(400, 'ParameterInvalid', 'from and to must be whole seconds, from before to');
    const line = Number(q.get('line') ?? 100);
    if (!(line >= 0 && line <= 100)) throw new SlsError(400, 'ParameterInvalid', 'line must be within [0, 100]');
    const offset = Number(q.get('offset') ?? 0);
    const topic = q.get('topic');
    // The query language's `field: "value"` terms joined by `and`, all the stand-in needs.
    const terms = (q.get('query') ?? '').split(/\s+and\s+/i).filter((t) => t && t !== '*').map((term) => {
      const m = /^(\w+):\s*"?([^"]*)"?$/.exec(term.trim());
      if (!m) throw new SlsError(400, 'ParameterInvalid', `the stand-in does not read the query term ${term}`);
      return [m[1], m[2]] as const;
    });
    for (const name of this.fc.functionNames()) {
      const config = this.fc.logConfigOf(name);
      if (config) this.storeOf.set(name, config);
    }
    const known = [...this.storeOf].filter(([, config]) => config.project === project && config.logstore === logstore).map(([name]) => name);
    if (known.length === 0 && ![...this.storeOf.values()].some((config) => config.project === project)) {
      throw new SlsError(404, 'ProjectNotExist', `project ${project} does not exist`);
    }
    const logs: Log[] = this.fc.invocations.filter((call) => known.includes(call.functionName)).flatMap((call) =>
      call.logs.map((message): Log => ({
        __time__: String(Math.floor(call.time / 1000)),
        __topic__: `FCLogs:${call.functionName}`,
        __source__: call.instanceId,
        functionName: call.functionName,
        qualifier: call.qualifier,
        versionId: call.versionId,
        instanceID: call.instanceId,
        requestId: call.requestId,
        message,
      })),
    ).filter((log) => {
      const time = Number(log.__time__);
      return time >= from && time < to && (!topic || log.__topic__ === topic) && terms.every(([field, value]) => log[field] === value);
    });
    if (q.get('reverse') === 'true') logs.reverse();
    return logs.slice(offset, offset + line);
  }
}
