// Function Compute 3.0, reached through the official SDK (@alicloud/fc20230330). Built as its own
// bundle (dist/provider-fc3.js) and loaded only when `fc3` is chosen, so the SDK costs the
// extension nothing otherwise.
//
// Region: the provider block's `region`, else $ALIBABA_CLOUD_REGION_ID, else the aliyun CLI
// profile's. Account id: `accountId`, else $ALIBABA_CLOUD_ACCOUNT_ID, else the Serverless Devs
// access file's. Endpoint: `endpoint`, else https://<accountId>.<region>.fc.aliyuncs.com.

import Client from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { FlightdeckError } from '../../errors';
import type { ProviderSelection } from '../kinds';
import type { ConnectedProvider, ProviderHost } from '../registry';
import { findCredentials } from './credentials';
import { Fc3Provider } from './fc3Provider';

export async function connect(selection: ProviderSelection, host: ProviderHost): Promise<ConnectedProvider> {
  const credentials = await findCredentials({ env: host.env, secrets: host.secrets });
  const region = selection.options.region || host.env.ALIBABA_CLOUD_REGION_ID || credentials.region;
  const accountId = selection.options.accountId || host.env.ALIBABA_CLOUD_ACCOUNT_ID || credentials.accountId;
  const missing = [!region && 'region (provider.region in flightdeck.yaml, or $ALIBABA_CLOUD_REGION_ID)', !accountId && 'account id (provider.accountId, or $ALIBABA_CLOUD_ACCOUNT_ID)'].filter(Boolean);
  if (missing.length > 0) throw new FlightdeckError('BAD_REQUEST', `The fc3 provider needs the ${missing.join(' and the ')}.`, { field: 'provider' });
  const endpoint = new URL(selection.options.endpoint || `https://${accountId}.${region}.fc.aliyuncs.com`);
  const client = new Client(new $OpenApiUtil.Config({
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    securityToken: credentials.securityToken,
    regionId: region,
    endpoint: endpoint.host,
    protocol: endpoint.protocol === 'http:' ? 'HTTP' : 'HTTPS',
  }));
  host.log?.(`Function Compute 3.0 at ${endpoint.origin} as account ${accountId}, credentials from ${credentials.source}.`);
  return { provider: new Fc3Provider({ client, region: region!, accountId: accountId!, credentialSource: credentials.source }) };
}
