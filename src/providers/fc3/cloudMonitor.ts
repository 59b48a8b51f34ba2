// Rollout gate figures for Function Compute 3.0 from CloudMonitor's DescribeMetricList
// (https://www.alibabacloud.com/help/en/cms/developer-reference/api-cms-2019-01-01-describemetriclist),
// called as the official SDK @alicloud/cms20190101 calls it: its generated request and response
// models, sent by the OpenAPI core client the SDK is built on (RPC style, ACS3-HMAC-SHA256). Not
// the SDK's Client class: it loads all of CloudMonitor's ~1000 models (1.2 MB minified), which
// would put the VSIX over its 1 MB; test/unit/fc3-gates-logs.test.ts checks that both send the same.
//
// FC publishes its metrics in namespace `acs_fc`, one datapoint per 60 s period ("Monitoring
// data", https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/monitoring-data:
// Period must be 60; Dimensions {"region", "functionName"}; the range is (StartTime, EndTime]).
// Per version the function-qualifier metrics ("Monitoring metrics",
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/monitoring-metrics-1):
//   FunctionQualifierTotalInvocations   invocations of the qualifier (count per period)
//   FunctionQualifierServerErrors       FC-side failures (5xx made by FC)
//   FunctionQualifierFunctionErrors     handler failures: unhandled errors, crashes, timeouts
//   FunctionQualifierLatencyAvg/-Max    request latency in ms (mean and max per period)
// Every datapoint names its dimensions, `qualifier` among them; one call per metric reads every
// qualifier of the function, and only version qualifiers (numbers) are kept. Why DescribeMetricList
// and not DescribeMetricLast: a gate sums every period of the step, and Last gives one point.
//
// Mapped onto the model's VersionMetrics: requests = invocations; errors = server + function
// errors (an HTTP-triggered function that answers 5xx itself is a successful invocation to FC,
// so the gate cannot see that); p50 = the invocation-weighted mean latency; p95 = the slowest
// period's mean (CloudMonitor has no percentiles for FC: a single cold start does not fail the
// gate, a canary slow throughout does); p99 = the largest LatencyMax.
//
// Periods and lag: a reading covers whole periods, from the one the step started in, so a step
// shorter than 60 s is judged on the minute(s) it falls in, traffic of the same version just
// before the step included. CloudMonitor publishes a period a minute or so after it ends, so
// the latest minute may be missing or partial: steps shorter than a few minutes can end before
// their traffic is published and then advance without a verdict (the rollout says so, and ends
// completed-unverified rather than succeeded). Use intervals of 3 minutes or more on FC.
import { DescribeMetricListRequest } from '@alicloud/cms20190101/dist/models/DescribeMetricListRequest';
import { DescribeMetricListResponse } from '@alicloud/cms20190101/dist/models/DescribeMetricListResponse';
import type OpenApiClient from '@alicloud/openapi-core';
import { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import { FlightdeckError } from '../../errors';
import type { VersionMetrics } from '../../model';

export const FC_METRICS_PERIOD_MS = 60_000;
const NAMESPACE = 'acs_fc';
/** What the SDK's describeMetricListWithOptions sends (@alicloud/cms20190101 dist/client.js). */
const DESCRIBE_METRIC_LIST = new $OpenApiUtil.Params({
  action: 'DescribeMetricList',
  version: '2019-01-01',
  protocol: 'HTTPS',
  pathname: '/',
  method: 'POST',
  authType: 'AK',
  style: 'RPC',
  reqBodyType: 'formData',
  bodyType: 'json',
});

const METRIC = {
  invocations: 'FunctionQualifierTotalInvocations',
  serverErrors: 'FunctionQualifierServerErrors',
  functionErrors: 'FunctionQualifierFunctionErrors',
  latencyAvg: 'FunctionQualifierLatencyAvg',
  latencyMax: 'FunctionQualifierLatencyMax',
} as const;
type MetricKey = keyof typeof METRIC;

/** A DescribeMetricList datapoint: its period's start (ms), the dimensions, and FC's statistic `Value`. */
interface Datapoint {
  timestamp: number;
  qualifier?: string;
  Value?: number;
}

export class CloudMonitorMetrics {
  constructor(
    /** An OpenAPI client configured for CloudMonitor's endpoint (connect.ts). */
    private readonly client: OpenApiClient,
    private readonly region: string,
    /** Counts each call, by action name (the provider's `calls`). */
    private readonly counted: (action: string) => void,
  ) {}

  /** Per-version figures of `fcName` over the whole periods overlapping the last `windowMs`. */
  async read(fcName: string, windowMs: number, now = Date.now()): Promise<VersionMetrics[]> {
    const firstPeriod = Math.floor((now - windowMs) / FC_METRICS_PERIOD_MS) * FC_METRICS_PERIOD_MS;
    const keys = Object.keys(METRIC) as MetricKey[];
    // StartTime is exclusive: one ms before the first period's timestamp includes it.
    const series = await Promise.all(keys.map((key) => this.datapoints(METRIC[key], fcName, firstPeriod - 1, now)));
    const byVersion = new Map<number, Record<MetricKey, Map<number, number>>>();
    keys.forEach((key, i) => {
      for (const point of series[i]) {
        const version = Number(point.qualifier);
        if (!Number.isInteger(version) || version <= 0 || typeof point.Value !== 'number') continue;
        let periods = byVersion.get(version);
        if (!periods) byVersion.set(version, (periods = Object.fromEntries(keys.map((k) => [k, new Map()])) as Record<MetricKey, Map<number, number>>));
        periods[key].set(point.timestamp, point.Value);
      }
    });
    return [...byVersion.entries()].sort(([a], [b]) => a - b).map(([versionId, p]) => figures(versionId, now - firstPeriod, p));
  }

  private async datapoints(metricName: string, fcName: string, startTime: number, endTime: number): Promise<Datapoint[]> {
    const all: Datapoint[] = [];
    let nextToken: string | undefined;
    do {
      const request = new DescribeMetricListRequest({
        namespace: NAMESPACE,
        metricName,
        period: String(FC_METRICS_PERIOD_MS / 1000),
        dimensions: JSON.stringify({ region: this.region, functionName: fcName }),
        startTime: String(startTime),
        endTime: String(endTime),
        length: '1000',
        nextToken,
      });
      this.counted('DescribeMetricList');
      let body: DescribeMetricListResponse['body'];
      try {
        request.validate();
        const answer = await this.client.callApi(DESCRIBE_METRIC_LIST, new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(request.toMap()) }), new $dara.RuntimeOptions({}));
        body = $dara.cast<DescribeMetricListResponse>(answer, new DescribeMetricListResponse({})).body;
      } catch (error) {
        throw unreadable(error);
      }
      // CloudMonitor can answer HTTP 200 with Success false and its own Code (e.g. throttling).
      if (!body || body.success === false || (body.code !== undefined && body.code !== '200')) {
        throw unreadable({ code: body?.code, message: body?.message });
      }
      all.push(...(JSON.parse(body.datapoints || '[]') as Datapoint[]));
      nextToken = body.nextToken || undefined;
    } while (nextToken);
    return all;
  }
}

function figures(versionId: number, windowMs: number, p: Record<MetricKey, Map<number, number>>): VersionMetrics {
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const requests = sum(p.invocations);
  const errors = Math.min(requests, sum(p.serverErrors) + sum(p.functionErrors));
  let weighted = 0;
  let weight = 0;
  for (const [period, mean] of p.latencyAvg) {
    const n = p.invocations.get(period) ?? 0;
    weighted += mean * n;
    weight += n;
  }
  const means = [...p.latencyAvg.values()];
  return {
    versionId,
    windowMs,
    requests,
    errors,
    errorRate: requests ? errors / requests : 0,
    p50Ms: weight ? weighted / weight : 0,
    p95Ms: means.length ? Math.max(...means) : 0,
    p99Ms: p.latencyMax.size ? Math.max(...p.latencyMax.values()) : 0,
  };
}

/**
 * CloudMonitor refused (no permission, throttled) or was not reachable: the gates cannot be read,
 * which the rollout driver turns into an ungated step (UNAVAILABLE, field `metrics`). Kept short:
 * the reason is stored with the rollout on the alias.
 */
function unreadable(error: unknown): FlightdeckError {
  const e = error as { statusCode?: number; code?: string; message?: string; data?: { Code?: string } };
  const code = e.data?.Code ?? e.code;
  if (e.statusCode === undefined && !code) return new FlightdeckError('UNAVAILABLE', `CloudMonitor is not reachable (${(e.message ?? String(error)).slice(0, 60)})`, { field: 'metrics' });
  return new FlightdeckError('UNAVAILABLE', `CloudMonitor refused the metrics read (${code ?? 'no code'}${e.statusCode ? `, HTTP ${e.statusCode}` : ''})`, { field: 'metrics' });
}
