// The name of a developer's personal environment for a branch, from the project's template
// (`personal.name`, default `{user}-{branch}`), made a DNS label the platform accepts:
// `jane` + `feature/Login_Page` → `jane-feature-login-page`.

import { createHash } from 'node:crypto';
import { FlightdeckError } from '../errors';
import { belongsToProject, type Environment } from '../model';

export interface PersonalNameParts {
  user: string;
  branch: string;
  project: string;
}

const MAX_LENGTH = 63;
const HASH_LENGTH = 6;

export function personalEnvironmentName(template: string, parts: PersonalNameParts): string {
  const filled = template.replace(/\{(\w*)\}/g, (placeholder, key: string) => {
    if (key === 'user' || key === 'branch' || key === 'project') return parts[key];
    throw new FlightdeckError('CONFIG_INVALID',
      `personal.name has an unknown placeholder ${placeholder}: use {user}, {branch} and {project}.`, { field: 'personal.name' });
  });
  const name = toDnsLabel(filled);
  if (!name) {
    throw new FlightdeckError('BAD_REQUEST',
      `personal.name "${template}" gives an empty environment name for branch "${parts.branch}"; pass an environment name instead.`, { field: 'personal.name' });
  }
  return name;
}

/** Lowercase, runs of anything but [a-z0-9] become one dash, no dash at either end, ≤ 63 chars. */
export function toDnsLabel(text: string): string {
  const label = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (label.length <= MAX_LENGTH) return label;
  // Truncated names keep a hash of the whole so two long branches do not share one environment.
  const suffix = createHash('sha256').update(label).digest('hex').slice(0, HASH_LENGTH);
  const head = label.slice(0, MAX_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/** Who a personal environment is for: a branch of a project. */
export interface BranchOwner {
  branch: string;
  project: string;
}

/**
 * The names a branch's personal environment may have, in the order a new one takes them: the
 * plain name from the template, then the plain name with a hash of the branch (when another
 * branch gives the same plain name: `feature/x` and `feature-x` both give `jane-feature-x`), then
 * with a hash of project and branch (when another project's branch of that name has both).
 */
export function personalNameCandidates(plain: string, owner: BranchOwner): string[] {
  return [plain, withHashOf(plain, owner.branch), withHashOf(plain, `${owner.project}\n${owner.branch}`)];
}

function withHashOf(plain: string, key: string): string {
  const suffix = createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
  const head = plain.slice(0, MAX_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

type Described = Pick<Environment, 'name' | 'kind' | 'branch' | 'project'>;

/** Whether `environment` is the personal one of this branch of this project. */
export function isBranchEnvironment(environment: Described, owner: BranchOwner): boolean {
  return environment.kind === 'personal' && environment.branch === owner.branch && belongsToProject(environment, owner.project);
}

/**
 * The environment that remembers this branch of this project as its own, under the plain personal
 * name or one of its twins: where the branch deploys, what the editor shows as yours, and what
 * `env delete --branch` deletes. Never another branch's or another project's.
 */
export function branchEnvironmentIn<E extends Described>(environments: readonly E[], plain: string, owner: BranchOwner): E | undefined {
  for (const name of personalNameCandidates(plain, owner)) {
    const found = environments.find((e) => e.name === name && isBranchEnvironment(e, owner));
    if (found) return found;
  }
  return undefined;
}

/**
 * The name of this branch's personal environment: the one it has, else the one its first deploy
 * will create (the first name nobody holds). For showing and defaulting to before it exists;
 * undefined when every name it may take is someone else's (its deploy is refused too).
 */
export function branchEnvironmentName(environments: readonly Described[], plain: string, owner: BranchOwner): string | undefined {
  return branchEnvironmentIn(environments, plain, owner)?.name ?? freePersonalName(environments, plain, owner);
}

/** The first of the branch's possible names that no environment holds; undefined when all are held. */
export function freePersonalName(environments: readonly Described[], plain: string, owner: BranchOwner): string | undefined {
  return personalNameCandidates(plain, owner).find((name) => !environments.some((e) => e.name === name));
}

/** Why a branch has no environment, for messages: `Branch feature-x has no environment ("jane-feature-x" belongs to branch feature/x)`. */
export function noBranchEnvironment(environments: readonly Described[], plain: string, owner: BranchOwner): string {
  const taken = environments.find((e) => e.name === plain);
  return `Branch ${owner.branch} has no environment${taken ? ` ("${plain}" belongs to ${describeHolder(taken, owner)})` : ''}`;
}

/** Whose an environment is, for messages: `branch feature/x`, `branch feature/x of project shop`, `a staging environment`. */
export function describeHolder(environment: Described | undefined, owner: BranchOwner): string {
  if (!environment) return 'another environment';
  if (environment.kind !== 'personal' || !environment.branch) return `a ${environment.kind} environment`;
  return environment.branch === owner.branch && environment.project ? `branch ${environment.branch} of project ${environment.project}` : `branch ${environment.branch}`;
}
