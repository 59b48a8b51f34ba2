// Diffs a file of two versions in the editor, through the read-only `flightdeck:` file system:
// `{environment, function, version, other?, path?}`; asks for what is missing.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import type { ManifestEntry } from '../../model';
import { versionFileUri } from '../codeFileSystem';
import type { FlightdeckContext } from '../context';
import { pickVersion, resolveFunction } from '../pick';
import { resolveVersionRef } from '../../versionRef';
import { argsOf, resolveTargetVersion, stringArg, targetOf, versionArg } from './args';

export interface Comparison {
  left: vscode.Uri;
  right: vscode.Uri;
  /** Files that differ between the two versions. */
  changed: string[];
}

export async function compareVersions(ctx: FlightdeckContext, arg: unknown): Promise<Comparison> {
  const target = targetOf(arg);
  const args = argsOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Compare versions', ctx.workspace.personalEnvironmentNow);
  const first = (await resolveTargetVersion(provider, ref, target)) ?? (await pickVersion(provider, ref, 'Compare: pick a version'));
  const other = versionArg(args, 'other');
  const second = (other !== undefined ? await resolveVersionRef(provider, ref.environment, ref.function, other) : undefined)
    ?? (await pickVersion(provider, ref, `Compare v${first} with…`, [first]));
  const [older, newer] = first < second ? [first, second] : [second, first];
  const [olderFiles, newerFiles] = await Promise.all([
    provider.listVersionFiles(ref.environment, ref.function, older),
    provider.listVersionFiles(ref.environment, ref.function, newer),
  ]);
  const changed = changedPaths(olderFiles, newerFiles);
  const path = stringArg(args, 'path') ?? (await pickChangedPath(changed, older, newer));
  const inOlder = olderFiles.some((f) => f.path === path);
  const inNewer = newerFiles.some((f) => f.path === path);
  if (!inOlder && !inNewer) throw new FlightdeckError('NOT_FOUND', `${path} is in neither v${older} nor v${newer}; pick one of the changed files.`, { field: 'path' });
  // A file added or deleted between them is compared with an empty file on the side it is missing.
  const left = versionFileUri({ ...ref, version: older, path, absent: !inOlder });
  const right = versionFileUri({ ...ref, version: newer, path, absent: !inNewer });
  await vscode.commands.executeCommand('vscode.diff', left, right, `${ref.function}/${path} (v${older} ↔ v${newer})`, { preview: true });
  return { left, right, changed: changed.map((c) => c.path) };
}

interface ChangedPath {
  path: string;
  change: 'added' | 'deleted' | 'modified';
}

function changedPaths(a: ManifestEntry[], b: ManifestEntry[]): ChangedPath[] {
  const before = new Map(a.map((f) => [f.path, f.sha256]));
  const after = new Map(b.map((f) => [f.path, f.sha256]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((path) => before.get(path) !== after.get(path))
    .map((path) => ({ path, change: !before.has(path) ? 'added' : !after.has(path) ? 'deleted' : 'modified' }));
}

async function pickChangedPath(changed: ChangedPath[], older: number, newer: number): Promise<string> {
  if (changed.length === 0) throw new FlightdeckError('NOT_FOUND', `v${older} and v${newer} have the same code; only their config may differ.`);
  if (changed.length === 1) return changed[0].path;
  const items = changed.map((c) => ({ label: c.path, description: c.change }));
  const pick = await vscode.window.showQuickPick(items, { placeHolder: `${changed.length} files differ between v${older} and v${newer}: pick one` });
  if (!pick) throw new FlightdeckError('CANCELLED', 'No file chosen.');
  return pick.label;
}
