// The name of a developer's personal environment for a branch, from the project's template
// (`personal.name`, default `{user}-{branch}`), made a DNS label the platform accepts:
// `jane` + `feature/Login_Page` → `jane-feature-login-page`.

import { createHash } from 'node:crypto';
import { FlightdeckError } from '../errors';
import type { Environment } from '../model';

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

/**
 * The name for `branch` when its plain personal name already belongs to another branch
 * (`feature/x` and `feature-x` both give `jane-feature-x`): the plain name with a hash of the
 * branch, so each branch always lands in its own environment and never takes over another's.
 */
export function branchDistinctName(plain: string, branch: string): string {
  const suffix = createHash('sha256').update(branch).digest('hex').slice(0, HASH_LENGTH);
  const head = plain.slice(0, MAX_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/**
 * The environment that remembers `branch` as its own, under the plain personal name or its
 * branch-distinct twin: where this branch deploys, and what the editor shows as yours.
 */
export function branchEnvironmentIn<E extends Pick<Environment, 'name' | 'kind' | 'branch'>>(environments: readonly E[], plain: string, branch: string): E | undefined {
  const twin = branchDistinctName(plain, branch);
  return environments.find((e) => (e.name === plain || e.name === twin) && e.kind === 'personal' && e.branch === branch);
}
