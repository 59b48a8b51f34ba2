// Moving traffic to a version known not to work is a mistake to confirm, not a default: the CLI
// needs --force, the editor asks. Shared by canary, promote and rollout start in both.
import { FlightdeckError } from './errors';
import type { Version } from './model';
import type { Provider } from './provider';

/** The version when it is marked unhealthy (it did not start, or crash-loops), else undefined. */
export async function unhealthyVersion(provider: Pick<Provider, 'getVersion'>, environment: string, fn: string, id: number): Promise<Version | undefined> {
  const version = await provider.getVersion(environment, fn, id);
  return version.health === 'unhealthy' ? version : undefined;
}

/** `v4 is unhealthy (index.js:3: SyntaxError: …)` */
export function describeUnhealthy(version: Version): string {
  return `v${version.id} is unhealthy (${version.healthReason ?? 'it did not start or crash-loops'})`;
}

/** The CLI's refusal: what is wrong and the two ways on. */
export function unhealthyRefusal(version: Version, action: string): FlightdeckError {
  return new FlightdeckError(
    'CONFLICT',
    `${describeUnhealthy(version)}; ${action} would send requests to code that fails. Fix it and deploy a new version, or pass --force to ${action} anyway.`,
    { field: 'version', version: version.id },
  );
}
