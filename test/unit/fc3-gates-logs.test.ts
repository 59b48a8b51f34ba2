// FC's gates and logs call CloudMonitor and SLS as their official SDKs do, without the SDKs'
// Client classes (too large for the VSIX, src/providers/fc3/cloudMonitor.ts): the same reads go
// through @alicloud/cms20190101's and @alicloud/sls20201230's own Clients and through the
// provider, against the stand-ins (test doubles that check signatures and parameter names), and
// must get the same answers. Also: per-version figures from real invocations, and a provider
// without a log store says so.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import CmsClient, { DescribeMetricListRequest } from '@alicloud/cms20190101';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import SlsClient, { GetLogsRequest } from '@alicloud/sls20201230';
import { scanCode } from '../../src/deploy/scan';
import { isFlightdeckError } from '../../src/errors';
import type { FunctionConfig } from '../../src/model';
import type { Provider } from '../../src/provider';
import { connect } from '../../src/providers/fc3/connect';
import { CmsStandIn } from '../fc3/cmsStandIn';
import { FcApiStandIn } from '../fc3/fcStandIn';
import { SlsStandIn } from '../fc3/slsStandIn';
import '../helpers/localhostDns';

const KEY = { accessKeyId: 'LTAI-gates', accessKeySecret: 'gates-secret' };
const CONFIG: FunctionConfig = { runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 };

describe('FC gates (CloudMonitor) and logs (SLS) through the stand-ins', () => {
  let fc: FcApiStandIn;
  let cms: CmsStandIn;
  let sls: SlsStandIn;
  let code: string;
  let provider: Provider;
  const sdkConfig = (endpoint: string) => new $OpenApiUtil.Config({ ...KEY, regionId: 'cn-hangzhou', endpoint: new URL(endpoint).host, protocol: 'HTTP' });

  before(async () => {
    fc = await FcApiStandIn.start({ ...KEY, accountId: '1234567890', region: 'cn-hangzhou' });
    cms = await CmsStandIn.start(fc, { ...KEY, accountId: '1234567890', region: 'cn-hangzhou' });
    sls = await SlsStandIn.start(fc, KEY);
    code = mkdtempSync(join(tmpdir(), 'fd-fc3-gates-'));
    const options = { region: 'cn-hangzhou', accountId: '1234567890', endpoint: fc.endpoint, cloudMonitorEndpoint: cms.endpoint, slsEndpoint: sls.endpoint, logProject: 'p1', logstore: 's1' };
    provider = (await connect({ kind: 'fc3', options }, { env: { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret }, local: { platformScript: '' } })).provider;
    await provider.createEnvironment({ name: 'e', kind: 'personal' });
    writeFileSync(join(code, 'index.js'), 'exports.handler = async (event, context) => { context.logger.info("hi"); if (JSON.parse(event).queryParameters.fail) throw new Error("no"); return "ok"; };\n');
    await provider.deploy('e', 'api', { config: CONFIG, code: await scanCode(code) });
    const url = await provider.functionUrl('e', 'api', { version: 1 });
    for (let i = 0; i < 8; i++) await (await fetch(`${url}/?${i < 2 ? 'fail=1' : ''}`)).arrayBuffer();
  });

  after(async () => {
    provider.dispose();
    await Promise.all([fc.stop(), cms.stop(), sls.stop()]);
    rmSync(code, { recursive: true, force: true });
  });

  it('reads per-version figures of the invocations FC served, as the CloudMonitor SDK reads them', async () => {
    const [v1] = await provider.getMetrics('e', 'api', 60_000);
    assert.deepEqual([v1.versionId, v1.requests, v1.errors, v1.errorRate], [1, 8, 2, 0.25]);
    assert.ok(v1.p99Ms >= v1.p95Ms && v1.p95Ms >= v1.p50Ms && v1.p50Ms >= 0);
    const now = Date.now();
    const sdk = await new CmsClient(sdkConfig(cms.endpoint)).describeMetricList(new DescribeMetricListRequest({
      namespace: 'acs_fc', metricName: 'FunctionQualifierTotalInvocations', period: '60', dimensions: JSON.stringify({ region: 'cn-hangzhou', functionName: 'e--api' }),
      startTime: String(Math.floor((now - 60_000) / 60_000) * 60_000 - 1), endTime: String(now),
    }));
    const points = JSON.parse(sdk.body!.datapoints!) as { qualifier: string; Value: number }[];
    assert.deepEqual(points.reduce((n, p) => n + p.Value, 0), v1.requests);
  });

  it('reads the function\'s log lines as the SLS SDK reads them, filtered by version', async () => {
    const lines = await provider.readLogs('e', 'api', { tail: 100 });
    assert.equal(lines.length, 8 * 3 + 2, 'Start, the logger line, End per request, and the two errors');
    assert.ok(lines.every((l) => l.versionId === 1 && l.instance.startsWith('c-')));
    const now = Math.floor(Date.now() / 1000) + 1;
    const sdk = await new SlsClient(sdkConfig(sls.endpoint)).getLogs('p1', 's1', new GetLogsRequest({ from: now - 3600, to: now, topic: 'FCLogs:e--api', line: 100, offset: 0, reverse: false }));
    assert.deepEqual((sdk.body as { message: string }[]).map((l) => l.message), lines.map((l) => l.text));
    assert.deepEqual(await provider.readLogs('e', 'api', { version: 2, tail: 100 }), []);
    assert.deepEqual(sls.requests.at(-1)?.query.query, 'versionId: "2"');
  });

  it('says a function without a log store has none, and a refused metrics read is UNAVAILABLE for the gates', async () => {
    const bare = (await connect({ kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890', endpoint: fc.endpoint, cloudMonitorEndpoint: cms.endpoint } }, { env: { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret }, local: { platformScript: '' } })).provider;
    try {
      writeFileSync(join(code, 'index.js'), 'exports.handler = async () => "other";\n');
      await bare.createEnvironment({ name: 'f', kind: 'personal' });
      await bare.deploy('f', 'api', { config: CONFIG, code: await scanCode(code) });
      await assert.rejects(bare.readLogs('f', 'api'), (error) => isFlightdeckError(error, 'NOT_FOUND') && /no log store configured on FC \(logConfig\)/.test(error.message));
      cms.refuse = { status: 400, code: 'Throttling.User', message: 'Request was denied due to user flow control.' };
      await assert.rejects(bare.getMetrics('f', 'api'), (error) => isFlightdeckError(error, 'UNAVAILABLE') && error.details.field === 'metrics' && /CloudMonitor refused the metrics read \(Throttling\.User, HTTP 400\)/.test(error.message));
    } finally {
      cms.refuse = undefined;
      await bare.deleteEnvironment('f', 'f');
      bare.dispose();
    }
  });
});
