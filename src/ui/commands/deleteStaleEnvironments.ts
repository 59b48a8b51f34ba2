// Delete Stale Environments…: the personal environments whose branch is merged or gone, or that
// sat idle past personal.ttl, in one quick pick with the reason on each, all checked; one
// confirmation deletes the checked ones. From code (`{}`), it deletes every stale one without
// asking. Never production, staging or protected environments (src/deploy/stale.ts).
import * as vscode from 'vscode';
import { describeReason, type StaleEnvironment } from '../../deploy/stale';
import { FlightdeckError } from '../../errors';
import { FlightdeckContext } from '../context';
import { staleEnvironments } from '../stale';

export async function deleteStaleEnvironments(ctx: FlightdeckContext, arg: unknown): Promise<string[]> {
  const provider = await ctx.session.provider();
  const stale = await staleEnvironments(ctx.workspace, await provider.listEnvironments());
  if (stale.length === 0) {
    void vscode.window.showInformationMessage('No stale environments: every personal environment has a live branch and recent activity.');
    return [];
  }
  const chosen = FlightdeckContext.isProgrammatic(arg) ? stale : await pickStale(stale);
  if (!FlightdeckContext.isProgrammatic(arg)) {
    const names = chosen.map((s) => s.environment.name).join(', ');
    const answer = await vscode.window.showWarningMessage(
      `Delete ${chosen.length} stale environment(s) and stop their instances? ${names}`, { modal: true }, 'Delete');
    if (answer !== 'Delete') throw new FlightdeckError('CANCELLED', 'Nothing deleted.');
  }
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const { environment } of chosen) {
    try {
      await provider.deleteEnvironment(environment.name);
      deleted.push(environment.name);
    } catch (error) {
      failed.push(`${environment.name}: ${(error as Error).message}`);
    }
  }
  if (ctx.versionsTree.selected && deleted.includes(ctx.versionsTree.selected.environment)) ctx.selectFunction(undefined);
  ctx.refresh();
  if (failed.length > 0) throw new FlightdeckError('INTERNAL', `Deleted ${deleted.length}; could not delete ${failed.join('; ')}`);
  void vscode.window.showInformationMessage(`Deleted ${deleted.length} stale environment(s): ${deleted.join(', ')}.`);
  return deleted;
}

async function pickStale(stale: StaleEnvironment[]): Promise<StaleEnvironment[]> {
  const items = stale.map((s) => ({
    label: s.environment.name,
    description: s.reasons.map(describeReason).join(', '),
    detail: [s.environment.owner, s.environment.branch].filter(Boolean).join(' · ') || undefined,
    picked: true,
    stale: s,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    placeHolder: 'Delete these stale environments? Uncheck any to keep.',
    ignoreFocusOut: true,
  });
  if (!picked || picked.length === 0) throw new FlightdeckError('CANCELLED', 'Nothing deleted.');
  return picked.map((p) => p.stale);
}
