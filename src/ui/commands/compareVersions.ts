// Diffs a file of two versions in the editor, through the read-only `flightdeck:` file system:
// `{environment, function, version, other?, path?}`; asks for what is missing.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import type { ManifestEntry } from '../../model';
import { versionFileUri } from '../codeFileSystem';
import type { FlightdeckContext } from '../context';
import { pickVersion, resolveFunction } from '../pick';
import { argsOf, numberArg, stringArg, targetOf } from './args';

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
  const first = target.version ?? (await pickVersion(provider, ref, 'Compare: pick a version'));
  const second = numberArg(args, 'other') ?? (await pickVersion(provider, ref, `Compare v${first} with…`, [first]));
  const [older, newer] = first < second ? [first, second] : [second, first];
  const [olderFiles, newerFiles] = await Promise.all([
    provider.listVersionFiles(ref.environment, ref.function, older),
    provider.listVersionFiles(ref.environment, ref.function, newer),
  ]);
  const changed = changedPaths(olderFiles, newerFiles);
  const path = stringArg(args, 'path') ?? (await pickChangedPath(changed, older, newer));
  const left = versionFileUri({ ...ref, version: older, path });
  const right = versionFileUri({ ...ref, version: newer, path });
  await vscode.commands.executeCommand('vscode.diff', left, right, `${ref.function}/${path} (v${older} ↔ v${newer})`, { preview: true });
  return { left, right, changed };
}

function changedPaths(a: ManifestEntry[], b: ManifestEntry[]): string[] {
  const before = new Map(a.map((f) => [f.path, f.sha256]));
  const after = new Map(b.map((f) => [f.path, f.sha256]));
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}

async function pickChangedPath(changed: string[], older: number, newer: number): Promise<string> {
  if (changed.length === 0) throw new FlightdeckError('NOT_FOUND', `v${older} and v${newer} have the same code; only their config may differ.`);
  if (changed.length === 1) return changed[0];
  const pick = await vscode.window.showQuickPick(changed, { placeHolder: `${changed.length} files differ between v${older} and v${newer}: pick one` });
  if (!pick) throw new FlightdeckError('CANCELLED', 'No file chosen.');
  return pick;
}
