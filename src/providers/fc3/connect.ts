// Function Compute 3.0, reached through the official SDK (@alicloud/fc20230330). Built as its own
// bundle (dist/provider-fc3.js) and loaded only when `fc3` is chosen, so the SDK costs the
// extension nothing otherwise.
//
// Region: the provider block's `region`, else $ALIBABA_CLOUD_REGION_ID, else the aliyun CLI
// profile's. Account id: `accountId`, else $ALIBABA_CLOUD_ACCOUNT_ID, else the Serverless Devs
// access file's. Endpoint: `endpoint`, else https://<accountId>.<region>.fc.aliyuncs.com.
// CloudMonitor (rollout gates, cloudMonitor.ts): `cloudMonitorEndpoint`, else
// https://metrics.<region>.aliyuncs.com. Simple Log Service (logs, slsLogs.ts): `slsEndpoint`,
// else https://<region>.log.aliyuncs.com (SLS's gateway puts the project in front of the host).
// `logProject` + `logstore`: the log store deploys set as each function's logConfig.
// The SDKs live in this bundle only.

import Client from '@alicloud/fc20230330';
import SlsGateway from '@alicloud/gateway-sls';
import OpenApiClient from '@alicloud/openapi-core';
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
  const { options } = selection;
  if (!options.logProject !== !options.logstore) {
    throw new FlightdeckError('BAD_REQUEST', 'The fc3 provider takes provider.logProject and provider.logstore together (the SLS log store functions log to); set both or neither.', { field: 'provider' });
  }
  const config = (url: string) => {
    const endpoint = new URL(url);
    return new $OpenApiUtil.Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      regionId: region,
      endpoint: endpoint.host,
      protocol: endpoint.protocol === 'http:' ? 'HTTP' : 'HTTPS',
    });
  };
  const endpoint = options.endpoint || `https://${accountId}.${region}.fc.aliyuncs.com`;
  host.log?.(`Function Compute 3.0 at ${new URL(endpoint).origin} as account ${accountId}, credentials from ${credentials.source}.`);
  return {
    provider: new Fc3Provider({
      client: new Client(config(endpoint)),
      cloudMonitor: new OpenApiClient(config(options.cloudMonitorEndpoint || `https://metrics.${region}.aliyuncs.com`)),
      sls: slsClient(config(options.slsEndpoint || `https://${region}.log.aliyuncs.com`)),
      ...(options.logProject ? { logStore: { project: options.logProject, logstore: options.logstore } } : {}),
      region: region!,
      accountId: accountId!,
      credentialSource: credentials.source,
    }),
  };
}

/** An OpenAPI client set up as @alicloud/sls20201230's Client sets itself up: SLS's gateway, one endpoint per region. */
function slsClient(config: $OpenApiUtil.Config): OpenApiClient {
  const client = new OpenApiClient(config);
  client._productId = 'Sls';
  client._spi = new SlsGateway();
  client._endpointRule = 'central';
  return client;
}
