// The provider conformance suite against the real local platform (dist/platform.js), through the
// real LocalProvider over real HTTP, with real function processes answering the URLs.
import { rmSync } from 'node:fs';
import { LocalProvider } from '../../src/providers/local/localProvider';
import { providerConformance } from '../conformance/suite';
import { startPlatform } from '../helpers/platform';

providerConformance('local platform', async () => {
  const platform = await startPlatform();
  const client = () => new LocalProvider({ home: platform.home, connection: platform });
  const provider = client();
  return {
    provider,
    anotherClient: async () => client(),
    serves: true,
    teardown: async () => {
      provider.dispose();
      await platform.stop();
      rmSync(platform.home, { recursive: true, force: true });
    },
  };
});
