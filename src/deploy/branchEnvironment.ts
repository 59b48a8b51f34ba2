// Finding, and when asked creating, the personal environment of a branch of a project: the same
// answer for a deploy, `env create`, `env delete --branch`, the CLI's default target and the
// editor, so none of them ever lands in (or deletes) another branch's or another project's.

import { FlightdeckError, isFlightdeckError } from '../errors';
import type { Environment } from '../model';
import type { NewEnvironment, Provider } from '../provider';
import { branchEnvironmentIn, describeHolder, freePersonalName, isBranchEnvironment, noBranchEnvironment, personalNameCandidates, type BranchOwner } from './personalEnvironment';

export interface BranchEnvironment {
  name: string;
  /** True when this call created it. */
  created: boolean;
  /** Why it is not the plain name the template gives (that one belongs to someone else). */
  note?: string;
}

/** The branch's personal environment of `wanted` (named from the template), created when it has none. */
export async function ensureBranchEnvironment(
  provider: Provider,
  environments: readonly Environment[],
  wanted: NewEnvironment & BranchOwner,
): Promise<BranchEnvironment & { environment: Environment }> {
  const plain = wanted.name;
  const mine = branchEnvironmentIn(environments, plain, wanted);
  if (mine) return { name: mine.name, created: false, environment: mine, ...(mine.name === plain ? {} : { note: takenNote(plain, mine.name, environments, wanted) }) };
  const free = freePersonalName(environments, plain, wanted);
  if (!free) {
    throw new FlightdeckError('CONFLICT',
      `Your personal environment names ${personalNameCandidates(plain, wanted).map((n) => `"${n}"`).join(', ')} all belong to other branches or projects; put something that tells them apart in personal.name of flightdeck.yaml (e.g. "{user}-{branch}-{project}") or pass an environment name.`,
      { field: 'environment' });
  }
  const { environment, created } = await createBranchEnvironment(provider, { ...wanted, name: free });
  return { name: free, created, environment, ...(free === plain ? {} : { note: takenNote(plain, free, environments, wanted) }) };
}

/** The branch's personal environment (`plain`: the name the template gives), or why it has none. */
export async function findBranchEnvironment(provider: Provider, plain: string, owner: BranchOwner): Promise<{ environment?: Environment; missing: string }> {
  const environments = await provider.listEnvironments();
  return { environment: branchEnvironmentIn(environments, plain, owner), missing: noBranchEnvironment(environments, plain, owner) };
}

/** The branch's personal environment; NOT_FOUND when it has none. */
export async function requireBranchEnvironment(provider: Provider, plain: string, owner: BranchOwner): Promise<Environment> {
  const { environment, missing } = await findBranchEnvironment(provider, plain, owner);
  if (environment) return environment;
  throw new FlightdeckError('NOT_FOUND', `${missing}; deploy it first, or pass --env NAME.`, { field: 'env' });
}

function takenNote(plain: string, name: string, environments: readonly Environment[], owner: BranchOwner): string {
  const holder = environments.find((e) => e.name === plain);
  // The plain name may have been freed since (its environment pruned): the branch keeps the one it has.
  if (!holder) return `this branch keeps "${name}", made when "${plain}" belonged to another branch.`;
  return `"${plain}" belongs to ${describeHolder(holder, owner)}, so this branch deploys to "${name}".`;
}

/** Creates it, or finds this branch's environment of that name created meanwhile. */
async function createBranchEnvironment(provider: Provider, wanted: NewEnvironment & BranchOwner): Promise<{ environment: Environment; created: boolean }> {
  try {
    return { environment: await provider.createEnvironment(wanted), created: true };
  } catch (error) {
    if (!isFlightdeckError(error, 'CONFLICT')) throw error;
    // Created meanwhile (another window, the CLI): use it only if it is this branch's.
    const now = (await provider.listEnvironments()).find((e) => e.name === wanted.name);
    if (now && isBranchEnvironment(now, wanted)) return { environment: now, created: false };
    throw new FlightdeckError('CONFLICT', `Environment "${wanted.name}" was just created for ${describeHolder(now, wanted)}; deploy again.`, { field: 'environment' });
  }
}
