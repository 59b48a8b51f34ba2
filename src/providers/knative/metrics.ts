// Gate figures from Knative's own request metrics, read from Prometheus (HTTP API
// GET /api/v1/query, https://prometheus.io/docs/prometheus/latest/querying/api/). The queue-proxy
// beside every revision's container exports `revision_request_count` (labels namespace_name,
// service_name, revision_name, response_code_class) and the `revision_request_latencies`
// histogram in milliseconds (https://knative.dev/docs/serving/observability/metrics/serving-metrics/).
import { FlightdeckError } from '../../errors';
import type { VersionMetrics } from '../../model';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusMetrics {
  constructor(private readonly url: string) {}

  async read(namespace: string, service: string, windowMs: number, versionOf: (revision: string) => number | undefined): Promise<VersionMetrics[]> {
    const range = `${Math.max(1, Math.ceil(windowMs / 1000))}s`;
    const selector = `namespace_name="${namespace}",service_name="${service}"`;
    const quantile = (q: number) => `histogram_quantile(${q}, sum by (revision_name, le) (rate(revision_request_latencies_bucket{${selector}}[${range}])))`;
    const [counts, p50, p95, p99] = await Promise.all([
      this.query(`sum by (revision_name, response_code_class) (increase(revision_request_count{${selector}}[${range}]))`),
      this.query(quantile(0.5)),
      this.query(quantile(0.95)),
      this.query(quantile(0.99)),
    ]);
    const byVersion = new Map<number, VersionMetrics>();
    const entry = (revision: string) => {
      const id = versionOf(revision);
      if (id === undefined) return undefined;
      let m = byVersion.get(id);
      if (!m) byVersion.set(id, (m = { versionId: id, windowMs, requests: 0, errors: 0, errorRate: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 }));
      return m;
    };
    for (const s of counts) {
      const m = entry(s.metric.revision_name);
      if (!m) continue;
      const n = Math.round(Number(s.value[1]));
      m.requests += n;
      if (s.metric.response_code_class === '5xx') m.errors += n;
    }
    for (const [samples, field] of [[p50, 'p50Ms'], [p95, 'p95Ms'], [p99, 'p99Ms']] as const) {
      for (const s of samples) {
        const m = entry(s.metric.revision_name);
        const v = Number(s.value[1]);
        if (m && Number.isFinite(v)) m[field] = v;
      }
    }
    for (const m of byVersion.values()) m.errorRate = m.requests ? m.errors / m.requests : 0;
    return [...byVersion.values()].sort((a, b) => a.versionId - b.versionId);
  }

  private async query(query: string): Promise<Sample[]> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/$/, '')}/api/v1/query?${new URLSearchParams({ query })}`);
    } catch (error) {
      throw new FlightdeckError('UNAVAILABLE', `Cannot reach Prometheus at ${this.url}: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { status?: string; error?: string; data?: { result?: Sample[] } };
    if (!response.ok || body.status !== 'success') {
      throw new FlightdeckError('UNAVAILABLE', `Prometheus at ${this.url} refused a query (${response.status}): ${body.error ?? 'no error text'}`);
    }
    return body.data?.result ?? [];
  }
}
