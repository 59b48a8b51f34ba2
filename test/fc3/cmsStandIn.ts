// CmsStandIn: a TEST DOUBLE of CloudMonitor's DescribeMetricList (API version 2019-01-01) for FC's
// metrics, built from the API reference
// (https://www.alibabacloud.com/help/en/cms/developer-reference/api-cms-2019-01-01-describemetriclist)
// and FC's metric pages (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/monitoring-data,
// .../monitoring-metrics-1). Its datapoints are derived from the invocations the FC stand-in's
// trigger URLs really served (FcApiStandIn.invocations), one per 60 s period and version qualifier.
//
// What it holds the client to:
// - RPC style: POST / with the parameters in the query, x-acs-action DescribeMetricList,
//   x-acs-version 2019-01-01, and a valid ACS3-HMAC-SHA256 signature (acs3.ts), else 403;
// - every parameter is a field of the SDK's generated DescribeMetricListRequest (@alicloud/cms20190101,
//   generated from CloudMonitor's OpenAPI metadata) by its wire name; Namespace acs_fc, Period 60
//   (FC's only period), Dimensions a JSON object;
// - the answer: {RequestId, Success, Code "200", Period, Datapoints (a JSON string of
//   [{timestamp, userId, region, functionName, qualifier, Value}]), NextToken}; the range is
//   (StartTime, EndTime]; errors are HTTP status + {RequestId, Code, Message}.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeMetricListRequest } from '@alicloud/cms20190101/dist/models/DescribeMetricListRequest';
import { Acs3Checks } from './acs3';
import type { FcApiStandIn, Invocation } from './fcStandIn';

const PERIOD_MS = 60_000;

/** FC's function-qualifier metrics, each as a figure of one period's invocations. */
const METRICS: Record<string, (calls: Invocation[]) => number> = {
  FunctionQualifierTotalInvocations: (calls) => calls.length,
  // FC-side failures are not something the stand-in makes; handler failures are function errors.
  FunctionQualifierServerErrors: () => 0,
  FunctionQualifierFunctionErrors: (calls) => calls.filter((c) => c.errorType !== undefined).length,
  FunctionQualifierLatencyAvg: (calls) => calls.reduce((sum, c) => sum + c.latencyMs, 0) / calls.length,
  FunctionQualifierLatencyMax: (calls) => Math.max(...calls.map((c) => c.latencyMs)),
};

class CmsError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class CmsStandIn {
  /** Every action answered, in order. */
  readonly actions: string[] = [];
  /** When set, every request is refused with it (a key without CloudMonitor permission, throttling). */
  refuse: { status: number; code: string; message: string } | undefined;
  private readonly server: Server;
  private readonly checks: Acs3Checks;

  private constructor(private readonly fc: FcApiStandIn, options: { accessKeyId: string; accessKeySecret: string; region?: string; accountId?: string }) {
    this.checks = new Acs3Checks(new Map([[options.accessKeyId, options.accessKeySecret]]), { version: '2019-01-01', wrongVersionCode: 'InvalidVersion' });
    this.region = options.region ?? 'cn-hangzhou';
    this.accountId = options.accountId ?? '0';
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  private readonly region: string;
  private readonly accountId: string;

  static async start(fc: FcApiStandIn, options: { accessKeyId: string; accessKeySecret: string; region?: string; accountId?: string }): Promise<CmsStandIn> {
    const standIn = new CmsStandIn(fc, options);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const refused = this.checks.refusal({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      if (refused) throw new CmsError(refused.status, refused.code, refused.message);
      const action = String(req.headers['x-acs-action']);
      const url = new URL(req.url ?? '/', 'http://stand-in');
      if (req.method !== 'POST' || url.pathname !== '/' || action !== 'DescribeMetricList') throw new CmsError(400, 'InvalidAction.NotFound', `${req.method} ${url.pathname} ${action} is not served here`);
      this.actions.push(action);
      if (this.refuse) throw new CmsError(this.refuse.status, this.refuse.code, this.refuse.message);
      const answer = { RequestId: requestId, ...this.describeMetricList(url.searchParams) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (error) {
      const e = error instanceof CmsError ? error : new CmsError(500, 'InternalError', (error as Error).message);
      res.writeHead(e.status, { 'content-type': 'application/json' }).end(JSON.stringify({ RequestId: requestId, Code: e.code, Message: e.message }));
    }
  }

  private describeMetricList(q: URLSearchParams): Record<string, unknown> {
    const wireNames = new Set(Object.values(DescribeMetricListRequest.names()));
    for (const key of q.keys()) if (!wireNames.has(key)) throw new CmsError(400, 'InvalidParameter', `${key} is not a parameter of DescribeMetricList`);
    const metric = METRICS[q.get('MetricName') ?? ''];
    if (q.get('Namespace') !== 'acs_fc') throw new CmsError(400, 'InvalidParameter', 'Namespace must be acs_fc here');
    if (!metric) throw new CmsError(400, 'InvalidParameter', `MetricName ${q.get('MetricName')} is not an FC function-qualifier metric`);
    if (q.get('Period') !== '60') throw new CmsError(400, 'InvalidParameter', "FC's metrics have a Period of 60 s");
    let dimensions: Record<string, string>;
    try {
      dimensions = JSON.parse(q.get('Dimensions') ?? '{}');
    } catch {
      throw new CmsError(400, 'InvalidParameter', 'Dimensions must be JSON');
    }
    const start = Number(q.get('StartTime'));
    const end = Number(q.get('EndTime'));
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) throw new CmsError(400, 'InvalidParameter', 'StartTime and EndTime must be ms timestamps, StartTime first');
    const periods = new Map<string, Invocation[]>();
    for (const call of this.fc.invocations) {
      const timestamp = Math.floor(call.time / PERIOD_MS) * PERIOD_MS;
      // (StartTime, EndTime]; the dimensions asked for must all match.
      if (timestamp <= start || timestamp > end) continue;
      const point = { region: this.region, functionName: call.functionName, qualifier: call.versionId };
      if (Object.entries(dimensions).some(([k, v]) => point[k as keyof typeof point] !== v)) continue;
      const key = JSON.stringify([timestamp, call.versionId]);
      periods.set(key, [...(periods.get(key) ?? []), call]);
    }
    const datapoints = [...periods.entries()].map(([key, calls]) => {
      const [timestamp, qualifier] = JSON.parse(key) as [number, string];
      return { timestamp, userId: this.accountId, region: this.region, functionName: calls[0].functionName, qualifier, Value: metric(calls) };
    });
    // One page is enough for the stand-in's few periods; NextToken is left out, as on a last page.
    return { Success: true, Code: '200', Period: '60', Datapoints: JSON.stringify(datapoints.sort((a, b) => a.timestamp - b.timestamp)) };
  }
}
