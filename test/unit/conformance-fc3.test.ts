// The provider conformance suite against Function Compute 3.0 as its stand-in (test/fc3/fcStandIn.ts,
// a test double): the real Fc3Provider through the official SDK, every request signed and checked.
import { connect } from '../../src/providers/fc3/connect';
import { providerConformance } from '../conformance/suite';
import { FcApiStandIn } from '../fc3/fcStandIn';

const KEY = { accessKeyId: 'LTAI-standin', accessKeySecret: 'stand-in-secret' };

providerConformance('Function Compute 3.0 (stand-in)', async () => {
  const standIn = await FcApiStandIn.start({ ...KEY, accountId: '1234567890', region: 'cn-hangzhou' });
  const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret };
  const client = async () => (await connect({ kind: 'fc3', options: { region: 'cn-hangzhou', accountId: '1234567890', endpoint: standIn.endpoint } }, { env, local: { platformScript: '' } })).provider;
  const provider = await client();
  return {
    provider,
    anotherClient: client,
    serves: false,
    teardown: async () => {
      provider.dispose();
      await standIn.stop();
    },
  };
}, { stepMs: 200 });
