// Knative Serving on the user's own cluster, through the official Kubernetes client. Built as
// its own bundle (dist/provider-knative.js), loaded only when `knative` is chosen.
//
//   provider:
//     kind: knative
//     context: prod-eu            # default: the kubeconfig's current context
//     kubeconfig: ~/.kube/prod    # default: $KUBECONFIG, else ~/.kube/config
//     prometheus: http://prometheus.monitoring:9090   # rollout gates; without it, ungated
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { ProviderSelection } from '../kinds';
import type { ConnectedProvider, ProviderHost } from '../registry';
import { KnativeProvider } from './knativeProvider';

export async function connect(selection: ProviderSelection, host: ProviderHost): Promise<ConnectedProvider> {
  const { context, kubeconfig, prometheus } = selection.options;
  const provider = new KnativeProvider({
    context,
    kubeconfig: kubeconfig ? resolve(kubeconfig.replace(/^~(?=$|\/)/, homedir())) : undefined,
    prometheusUrl: prometheus,
  });
  host.log?.(`Knative: context ${provider.cluster.context} at ${provider.cluster.server}${prometheus ? `, gates from ${prometheus}` : ', no Prometheus configured (rollouts ungated)'}.`);
  return { provider };
}
