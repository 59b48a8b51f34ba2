// flightdeck.yaml's `memory:` (issue 10a: FC's memorySize, also what s.yaml import maps) is the
// function's memorySize on Function Compute: sent through the real SDK to the FC stand-in (a test
// double that checks every body against the SDK's generated models) and read back as the config.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanCode } from '../../src/deploy/scan';
import type { FunctionConfig } from '../../src/model';
import type { Provider } from '../../src/provider';
import { connect } from '../../src/providers/fc3/connect';
import { FcApiStandIn } from '../fc3/fcStandIn';

const KEY = { accessKeyId: 'LTAI-memory', accessKeySecret: 'memory-secret' };

function configOf(memoryMb?: number): FunctionConfig {
  return {
    runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000,
    ...(memoryMb === undefined ? {} : { memoryMb }),
  };
}

describe('fc3 provider: memory', () => {
  let standIn: FcApiStandIn;
  let provider: Provider;
  let code: string;

  before(async () => {
    standIn = await FcApiStandIn.start({ ...KEY, accountId: '1234567890', region: 'cn-hangzhou' });
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret };
    provider = (await connect({ kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890', endpoint: standIn.endpoint } }, { env, local: { platformScript: '' } })).provider;
    code = mkdtempSync(join(tmpdir(), 'fd-fc3-memory-'));
    writeFileSync(join(code, 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "ok" });\n');
    await provider.createEnvironment({ name: 'mem', kind: 'staging' });
  });
  after(async () => {
    provider?.dispose();
    await standIn?.stop();
    rmSync(code, { recursive: true, force: true });
  });

  it('a declared memory becomes memorySize and reads back; none reads back as none', async () => {
    await provider.deploy('mem', 'big', { config: configOf(1024), code: await scanCode(code) });
    await provider.deploy('mem', 'plain', { config: configOf(), code: await scanCode(code) });
    assert.equal((await provider.getFunction('mem', 'big')).config.memoryMb, 1024);
    assert.equal((await provider.getFunction('mem', 'plain')).config.memoryMb, undefined);
    // A changed size is a new version, like any config change.
    const resized = await provider.deploy('mem', 'big', { config: configOf(2048), code: await scanCode(code) });
    assert.equal(resized.version.id, 2);
    assert.equal((await provider.getFunction('mem', 'big')).config.memoryMb, 2048);
  });
});
