// Function Compute 3.0: reached through the official SDK. Built as its own bundle
// (dist/provider-fc3.js), loaded only when `fc3` is chosen.

import { FlightdeckError } from '../../errors';
import type { ProviderSelection } from '../kinds';
import type { ConnectedProvider, ProviderHost } from '../registry';

export async function connect(_selection: ProviderSelection, _host: ProviderHost): Promise<ConnectedProvider> {
  throw new FlightdeckError('BAD_REQUEST', 'The fc3 provider is being built on this branch; use --provider local.');
}
