// `npm run test:live`: the provider conformance suite against a REAL Function Compute 3.0 account.
// Skipped unless FLIGHTDECK_LIVE_FC_REGION and FLIGHTDECK_LIVE_FC_ACCOUNT_ID are set; credentials
// come from the standard places (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, ~/.alibabacloud/credentials,
// the aliyun CLI, Serverless Devs). It creates functions named conf-<time>--api and deletes them.
import { connect } from '../../src/providers/fc3/connect';
import { providerConformance } from '../conformance/suite';

const region = process.env.FLIGHTDECK_LIVE_FC_REGION;
const accountId = process.env.FLIGHTDECK_LIVE_FC_ACCOUNT_ID;

providerConformance('Function Compute 3.0 (live)', async () => {
  const client = async () => (await connect({ kind: 'fc3', options: { region: region!, accountId: accountId! } }, { env: process.env, local: { platformScript: '' } })).provider;
  const provider = await client();
  return {
    provider,
    anotherClient: client,
    // FC's trigger URLs answer from anywhere; gates are not read from CloudMonitor in this build.
    serves: true,
    gated: false,
    teardown: async () => provider.dispose(),
  };
}, {
  skip: region && accountId ? undefined : 'set FLIGHTDECK_LIVE_FC_REGION and FLIGHTDECK_LIVE_FC_ACCOUNT_ID (and Alibaba Cloud credentials) to run against a real FC account',
  timeoutMs: 180_000,
  stepMs: 5_000,
});
