// The provider kinds Flightdeck knows and the options each takes in flightdeck.yaml's `provider:`
// block. Plain data, so the config reader and the CLI can check names without loading a provider.

import { FlightdeckError } from '../errors';

export const PROVIDER_KINDS = ['local', 'fc3', 'knative'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** For people: what each kind is. */
export const PROVIDER_TITLES: Record<ProviderKind, string> = {
  local: 'the embedded local platform',
  fc3: 'Alibaba Cloud Function Compute 3.0',
  knative: 'Knative Serving on Kubernetes',
};

/** Options of the `provider:` block besides `kind`, per kind (all strings). */
export const PROVIDER_OPTION_KEYS: Record<ProviderKind, readonly string[]> = {
  local: [],
  // region: e.g. cn-hangzhou; accountId: the Alibaba Cloud account (the endpoint's host);
  // endpoint: another FC endpoint (a VPC endpoint, or a stand-in in tests); cloudMonitorEndpoint,
  // slsEndpoint: the same for CloudMonitor (gates) and SLS (logs); logProject + logstore: the SLS
  // log store deployed functions log to.
  fc3: ['region', 'accountId', 'endpoint', 'cloudMonitorEndpoint', 'slsEndpoint', 'logProject', 'logstore'],
  // context: a kubeconfig context other than the current one; kubeconfig: a file other than
  // $KUBECONFIG / ~/.kube/config; prometheus: where gate metrics (queue-proxy's) are read.
  knative: ['context', 'kubeconfig', 'prometheus'],
};

/** Which provider to use and its options (from flightdeck.yaml, settings or flags). */
export interface ProviderSelection {
  kind: ProviderKind;
  options: Record<string, string>;
}

export function isProviderKind(value: unknown): value is ProviderKind {
  return typeof value === 'string' && (PROVIDER_KINDS as readonly string[]).includes(value);
}

/** The kind named by a setting or flag; BAD_REQUEST naming `where` and the choices otherwise. */
export function providerKindOf(value: string, where: string): ProviderKind {
  if (isProviderKind(value)) return value;
  throw new FlightdeckError('BAD_REQUEST', `${where} is "${value}", which is not a provider; use one of: ${PROVIDER_KINDS.join(', ')}.`, { field: where });
}

/**
 * The provider to use: an explicit choice (CLI flag, or a setting the user set) wins; else the
 * project's `provider:` block; else the local platform. The block's options apply only when its
 * kind is the one chosen (a project on FC still runs locally with `--provider local`).
 */
export function selectProvider(explicit: ProviderKind | undefined, project: ProviderSelection | undefined): ProviderSelection {
  const kind = explicit ?? project?.kind ?? 'local';
  return { kind, options: project?.kind === kind ? project.options : {} };
}
