// `npm run test:live`: the provider conformance suite against a REAL Knative Serving cluster,
// through the kubeconfig context named by FLIGHTDECK_LIVE_KNATIVE_CONTEXT (from $KUBECONFIG or
// ~/.kube/config). Skipped, saying so, without that variable. It creates and deletes a
// namespace `conf-<time>`; the context needs the RBAC the provider names in its 403 message.
//   FLIGHTDECK_LIVE_KNATIVE_IMAGE       an image serving HTTP on $PORT (default: Knative's helloworld-go, resolved to its digest)
//   FLIGHTDECK_LIVE_KNATIVE_PROMETHEUS  Prometheus scraping the queue-proxy (optional; without it rollouts run ungated)
import { KnativeProvider } from '../../src/providers/knative/knativeProvider';
import { knativeTarget } from '../conformance/knativeTarget';
import { providerConformance } from '../conformance/suite';

const context = process.env.FLIGHTDECK_LIVE_KNATIVE_CONTEXT;
const image = process.env.FLIGHTDECK_LIVE_KNATIVE_IMAGE ?? 'ghcr.io/knative/helloworld-go:latest';

providerConformance(`knative (live cluster, context ${context ?? 'none'})`, async () =>
  knativeTarget(() => new KnativeProvider({ context, prometheusUrl: process.env.FLIGHTDECK_LIVE_KNATIVE_PROMETHEUS }), image), {
  skip: context ? undefined : 'set FLIGHTDECK_LIVE_KNATIVE_CONTEXT to a kubeconfig context with Knative Serving to run it',
  timeoutMs: 5 * 60_000,
  stepMs: 10_000,
});
