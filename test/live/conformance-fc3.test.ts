// `npm run test:live`: the provider conformance suite against a REAL Function Compute 3.0 account.
// Skipped unless FLIGHTDECK_LIVE_FC_REGION and FLIGHTDECK_LIVE_FC_ACCOUNT_ID are set; credentials
// come from the standard places (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, ~/.alibabacloud/credentials,
// the aliyun CLI, Serverless Devs). It creates functions named conf-<time>--api and deletes them.
// With FLIGHTDECK_LIVE_FC_LOG_PROJECT and FLIGHTDECK_LIVE_FC_LOGSTORE (an existing SLS log store
// with a field index) the functions log there, and one more test reads a request's lines back.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanCode } from '../../src/deploy/scan';
import { connect } from '../../src/providers/fc3/connect';
import { providerConformance } from '../conformance/suite';
import { poll } from '../helpers/wait';

const region = process.env.FLIGHTDECK_LIVE_FC_REGION;
const accountId = process.env.FLIGHTDECK_LIVE_FC_ACCOUNT_ID;
const logProject = process.env.FLIGHTDECK_LIVE_FC_LOG_PROJECT;
const logstore = process.env.FLIGHTDECK_LIVE_FC_LOGSTORE;
const skip = region && accountId ? undefined : 'set FLIGHTDECK_LIVE_FC_REGION and FLIGHTDECK_LIVE_FC_ACCOUNT_ID (and Alibaba Cloud credentials) to run against a real FC account';
const client = async () => (await connect({ kind: 'fc3', options: { region: region!, accountId: accountId!, ...(logProject && logstore ? { logProject, logstore } : {}) } }, { env: process.env, local: { platformScript: '' } })).provider;

providerConformance('Function Compute 3.0 (live)', async () => {
  const provider = await client();
  return {
    provider,
    anotherClient: client,
    serves: true,
    // Gates read CloudMonitor, but the suite's failing version answers 500 itself, which FC
    // counts as a successful invocation: they cannot judge it.
    gated: false,
    teardown: async () => provider.dispose(),
  };
}, { skip, timeoutMs: 180_000, stepMs: 5_000 });

describe('Function Compute 3.0 (live): logs from SLS', { skip: skip ?? (logProject && logstore ? undefined : 'set FLIGHTDECK_LIVE_FC_LOG_PROJECT and FLIGHTDECK_LIVE_FC_LOGSTORE to read logs back') }, () => {
  it('reads back the line a request printed', { timeout: 300_000 }, async () => {
    const provider = await client();
    const env = `logs-${Date.now().toString(36)}`;
    const code = mkdtempSync(join(tmpdir(), 'fd-live-logs-'));
    const marker = `flightdeck-live-${Date.now()}`;
    try {
      await provider.createEnvironment({ name: env, kind: 'personal' });
      writeFileSync(join(code, 'index.js'), `exports.handler = async (event, context) => { context.logger.info(${JSON.stringify(marker)}); return "ok"; };\n`);
      const deployed = await provider.deploy(env, 'api', { config: { runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 1, concurrency: 1, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 }, code: await scanCode(code) });
      await (await fetch(deployed.url)).arrayBuffer();
      const lines = await poll('the line in SLS', async () => {
        const found = await provider.readLogs(env, 'api', { version: deployed.version.id, tail: 50 });
        return found.some((l) => l.text.includes(marker)) ? found : undefined;
      }, { timeoutMs: 180_000, everyMs: 5_000 });
      assert.ok(lines.every((l) => l.versionId === deployed.version.id));
    } finally {
      await provider.deleteEnvironment(env, env).catch(() => undefined);
      provider.dispose();
      rmSync(code, { recursive: true, force: true });
    }
  });
});
