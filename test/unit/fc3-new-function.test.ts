// DeployOptions.newFunction on Function Compute: a function new to a just-created environment is
// created without looking it up first (GetFunction), through the real SDK against the FC stand-in;
// when the hint is wrong (the function exists) FC's 409 FunctionAlreadyExists sends the deploy
// down the usual path, and it updates the function.
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

const KEY = { accessKeyId: 'LTAI-newfn', accessKeySecret: 'newfn-secret' };
const CONFIG: FunctionConfig = { runtime: 'nodejs', handler: 'index.handler', instances: { min: 0, max: 2, concurrency: 4, idleTimeoutMs: 60_000 }, env: {}, timeoutMs: 10_000 };

describe('fc3 provider: a function new to its environment', () => {
  let standIn: FcApiStandIn;
  let provider: Provider;
  let code: string;
  const write = (text: string) => writeFileSync(join(code, 'index.js'), `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(text)} });\n`);

  before(async () => {
    standIn = await FcApiStandIn.start({ ...KEY, accountId: '1234567890', region: 'cn-hangzhou' });
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret };
    provider = (await connect({ kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890', endpoint: standIn.endpoint } }, { env, local: { platformScript: '' } })).provider;
    code = mkdtempSync(join(tmpdir(), 'fd-fc3-newfn-'));
    await provider.createEnvironment({ name: 'feature-x', kind: 'personal', owner: 'jane', branch: 'feature/x' });
  });
  after(async () => {
    provider?.dispose();
    await standIn?.stop();
    rmSync(code, { recursive: true, force: true });
  });

  it('creates it without looking it up first', async () => {
    write('one');
    const before = standIn.actions.length;
    const result = await provider.deploy('feature-x', 'api', { config: CONFIG, code: await scanCode(code) }, { newFunction: true });
    const calls = standIn.actions.slice(before);
    assert.equal(result.version.id, 1);
    assert.ok(calls.includes('CreateFunction'), calls.join(' '));
    assert.ok(!calls.includes('GetFunction'), `no lookup: ${calls.join(' ')}`);
  });

  it('updates it when the hint is wrong and the function exists', async () => {
    write('two');
    const before = standIn.actions.length;
    const result = await provider.deploy('feature-x', 'api', { config: CONFIG, code: await scanCode(code) }, { newFunction: true });
    const calls = standIn.actions.slice(before);
    assert.deepEqual([result.version.id, result.unchanged], [2, false]);
    assert.deepEqual(calls.filter((c) => ['CreateFunction', 'GetFunction', 'UpdateFunction'].includes(c)), ['CreateFunction', 'GetFunction', 'UpdateFunction']);
  });
});
