// Moving traffic to a version known not to work is a mistake to confirm, not a default: the CLI
// needs --force, the editor asks. Shared by canary, promote and rollout start in both. And a
// manual traffic change never fights a rollout that moves the same alias.
import { FlightdeckError } from './errors';
import type { Rollout, Version } from './model';
import type { Provider } from './provider';
import { activeRolloutOn } from './rollout/activeRollout';

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

/** A manual alias change while a rollout moves the alias: refused, naming the rollout and the way out. */
export function rolloutActiveError(rollout: Rollout, env: string, fn: string, doing: string): FlightdeckError {
  const target = `--env ${env} --function ${fn}`;
  return new FlightdeckError(
    'ROLLOUT_ACTIVE',
    `Rollout ${rollout.id} of v${rollout.spec.toVersion} is ${rollout.status} on ${env}/${fn} and moves alias ${JSON.stringify(rollout.spec.alias)}; ` +
      `${doing} would fight it. Promote it (flightdeck rollout promote ${target}) or abort it (flightdeck rollout abort ${target}) first; ` +
      `pausing it (rollout pause) only holds its traffic where it is.`,
    { field: 'alias', rollout: rollout.id },
  );
}

/**
 * Refuses a manual change of `alias` while a rollout moves it (ROLLOUT_ACTIVE). A provider with
 * server-side rollouts refuses the write itself; where clients drive rollouts (FC, Knative) there
 * is no server to refuse it, so the CLI and the editor read the rollout state the provider keeps
 * with the function before they write.
 */
export async function refuseWhileRolloutMoves(
  provider: Pick<Provider, 'capabilities' | 'getRollout'>,
  environment: string,
  fn: string,
  alias: string,
  doing: string,
): Promise<void> {
  if (provider.capabilities.serverRollouts) return;
  const rollout = activeRolloutOn(await provider.getRollout(environment, fn), alias);
  if (rollout) throw rolloutActiveError(rollout, environment, fn, doing);
}
