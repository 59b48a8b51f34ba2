// The ACS3-HMAC-SHA256 signer the FC stand-in verifies with, against the worked example of the
// V3 signature reference (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
// RunInstances on ecs.cn-shanghai.aliyuncs.com, POST, empty body, key YourAccessKeyId/YourAccessKeySecret.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authorization, sha256Hex, signature, verify, type SignInput } from '../fc3/acs3';

const EXAMPLE: SignInput = {
  method: 'POST',
  path: '/',
  query: [['ImageId', 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd'], ['RegionId', 'cn-shanghai']],
  headers: {
    host: 'ecs.cn-shanghai.aliyuncs.com',
    'x-acs-action': 'RunInstances',
    'x-acs-content-sha256': sha256Hex(''),
    'x-acs-date': '2023-10-26T10:22:32Z',
    'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
    'x-acs-version': '2014-05-26',
  },
  payloadHash: sha256Hex(''),
};

describe('ACS3-HMAC-SHA256', () => {
  it('reproduces the documented example: hashed canonical request, signature and Authorization header', () => {
    const signed = signature(EXAMPLE, 'YourAccessKeySecret');
    assert.equal(signed.hashedCanonicalRequest, '7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    assert.equal(signed.signature, '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    assert.equal(authorization(EXAMPLE, 'YourAccessKeyId', 'YourAccessKeySecret'),
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
  });

  it('verifies a signed request and refuses a tampered body, a wrong secret, an unknown key and a stale date', () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body = Buffer.from('{"description":"x"}');
    const headers = { ...EXAMPLE.headers, 'x-acs-date': now, 'x-acs-content-sha256': sha256Hex(body) };
    const input: SignInput = { method: 'POST', path: '/2023-03-30/functions/a/versions', query: [], headers, payloadHash: sha256Hex(body) };
    const request = (auth: string, sent = body, date = now) => ({
      method: 'POST', url: '/2023-03-30/functions/a/versions', body: sent,
      headers: { ...headers, 'x-acs-date': date, authorization: auth },
    });
    const secrets = new Map([['AK', 'secret']]);
    assert.equal(verify(request(authorization(input, 'AK', 'secret')), secrets), undefined);
    assert.equal(verify(request(authorization(input, 'AK', 'secret'), Buffer.from('{}')), secrets)?.code, 'SignatureNotMatch');
    assert.equal(verify(request(authorization(input, 'AK', 'other')), secrets)?.code, 'SignatureNotMatch');
    assert.equal(verify(request(authorization(input, 'NOPE', 'secret')), secrets)?.code, 'InvalidAccessKeyID');
    const old = '2023-10-26T10:22:32Z';
    const stale = authorization({ ...input, headers: { ...headers, 'x-acs-date': old } }, 'AK', 'secret');
    assert.equal(verify(request(stale, body, old), secrets)?.code, 'InvalidArgument');
  });
});
