// Alibaba Cloud credentials from the standard places, in order, in a temporary HOME: environment,
// credentials file, aliyun CLI config, Serverless Devs access file, the editor's secret storage.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EDITOR_SECRET_KEY, findCredentials } from '../../src/providers/fc3/credentials';
import { isFlightdeckError } from '../../src/errors';

describe('Alibaba Cloud credentials', () => {
  const home = mkdtempSync(join(tmpdir(), 'fd-creds-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(home, path, '..'), { recursive: true });
    writeFileSync(join(home, path), text);
  };
  const secrets = (value?: string) => ({ get: async (key: string) => (key === EDITOR_SECRET_KEY ? value : undefined), store: async () => undefined, delete: async () => undefined });

  it('nothing anywhere: one UNAUTHORIZED message naming every place looked at', async () => {
    await assert.rejects(findCredentials({ env: {}, home }), (error: unknown) => {
      assert.ok(isFlightdeckError(error, 'UNAUTHORIZED'));
      for (const place of ['ALIBABA_CLOUD_ACCESS_KEY_ID', join(home, '.alibabacloud', 'credentials'), join(home, '.aliyun', 'config.json'), join(home, '.s', 'access.yaml'), 'editor']) {
        assert.ok(error.message.includes(place), `${place} missing from: ${error.message}`);
      }
      return true;
    });
  });

  it('takes each place in order: editor key < Serverless Devs < aliyun CLI < credentials file < environment', async () => {
    const editor = await findCredentials({ env: {}, home, secrets: secrets(JSON.stringify({ accessKeyId: 'ED', accessKeySecret: 's' })) });
    assert.deepEqual([editor.accessKeyId, editor.source], ['ED', 'the key entered in the editor']);

    write('.s/access.yaml', 'default:\n  AccountID: 1234567890\n  AccessKeyID: SD\n  AccessKeySecret: sds\n');
    const devs = await findCredentials({ env: {}, home });
    assert.deepEqual([devs.accessKeyId, devs.accountId], ['SD', '1234567890']);

    write('.aliyun/config.json', JSON.stringify({ current: 'work', profiles: [
      { name: 'default', mode: 'AK', access_key_id: 'NO', access_key_secret: 'x' },
      { name: 'work', mode: 'StsToken', access_key_id: 'CLI', access_key_secret: 'c', sts_token: 'tok', region_id: 'cn-shanghai' },
    ] }));
    const cli = await findCredentials({ env: {}, home });
    assert.deepEqual([cli.accessKeyId, cli.securityToken, cli.region], ['CLI', 'tok', 'cn-shanghai']);

    write('.alibabacloud/credentials', '[default]\ntype = access_key\naccess_key_id = FILE\naccess_key_secret = f\n\n[ci]\naccess_key_id = CI\naccess_key_secret = c\n');
    assert.equal((await findCredentials({ env: {}, home })).accessKeyId, 'FILE');
    assert.equal((await findCredentials({ env: { ALIBABA_CLOUD_PROFILE: 'ci' }, home })).accessKeyId, 'CI');

    const fromEnv = await findCredentials({ env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'ENV', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'e', ALIBABA_CLOUD_SECURITY_TOKEN: 't' }, home });
    assert.deepEqual([fromEnv.accessKeyId, fromEnv.securityToken, fromEnv.source], ['ENV', 't', 'environment variables']);
  });

  it('a broken aliyun CLI config is a clear error, not a silent skip', async () => {
    const other = mkdtempSync(join(tmpdir(), 'fd-creds-'));
    try {
      mkdirSync(join(other, '.aliyun'));
      writeFileSync(join(other, '.aliyun', 'config.json'), '{ not json');
      await assert.rejects(findCredentials({ env: {}, home: other }), /config\.json is not valid JSON; fix it or run `aliyun configure` again/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
