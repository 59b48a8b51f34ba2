// Naming rules shared by the project file, the deploy flow and the CLI.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** DNS label: what the platform accepts for environment and function names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

/** The known key closest to a misspelt one, when it is close enough to be a likely typo. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(unknown.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The project file's name, looked for in the working folder and its parents. */
export const PROJECT_FILE_NAME = 'flightdeck.yaml';
/** The project files of Serverless Devs, which `flightdeck import` reads. */
export const S_YAML_NAMES = ['s.yaml', 's.yml'];

/**
 * False when `text` cannot hold a `provider:` block: a key is spelled out in the file (a YAML
 * escape in a quoted key aside), so a project without the word keeps the local platform and the
 * CLI need not load the YAML parser to learn that.
 */
export function mayNameProvider(text: string): boolean {
  return text.includes('provider');
}

/** The flightdeck.yaml in `cwd` or the nearest parent folder that has one (no YAML parser loaded). */
export function locateProjectFile(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
