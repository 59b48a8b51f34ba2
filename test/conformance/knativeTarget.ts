// The conformance target for the Knative provider, shared by the stand-in run and the live run.
import type { KnativeProvider } from '../../src/providers/knative/knativeProvider';
import type { ConformanceTarget } from './suite';

/** `client` makes one more client of the same cluster; `image` is what every deploy runs. */
export function knativeTarget(client: () => KnativeProvider, image: string, teardown: () => Promise<void> = async () => undefined): ConformanceTarget {
  const provider = client();
  return {
    provider,
    anotherClient: async () => client(),
    // Knative runs the image, not the suite's handler (and the stand-in runs nothing): answers are not checked.
    serves: false,
    keepsCode: false,
    image: { image },
    teardown: async () => {
      provider.dispose();
      await teardown();
    },
  };
}
