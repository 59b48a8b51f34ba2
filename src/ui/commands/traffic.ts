// Moving an alias's traffic: shared by set canary weight, promote and roll back. Sends the alias's
// ETag back and tries once, so a concurrent change fails (the user chose the weights from what
// they saw) instead of being overwritten or silently recomputed.
import * as vscode from 'vscode';
import { updateAliasWithRetry } from '../../aliasUpdate';
import { describeAlias, describeSplitChange, type Alias, type AliasUpdate } from '../../model';
import type { Provider } from '../../provider';
import { refuseWhileRolloutMoves } from '../../trafficGuard';
import type { FunctionTarget } from '../pick';

export async function updateAliasTraffic(
  provider: Provider,
  ref: FunctionTarget,
  aliasName: string,
  update: (current: Alias) => AliasUpdate,
): Promise<Alias> {
  await refuseWhileRolloutMoves(provider, ref.environment, ref.function, aliasName, 'changing its traffic by hand');
  let before: Alias | undefined;
  const updated = await updateAliasWithRetry(provider, { ...ref, alias: aliasName }, (current) => {
    before = current;
    return update(current);
  }, { attempts: 1 });
  const change = before ? `${describeSplitChange(before, updated)} · ` : '';
  void vscode.window.showInformationMessage(`${ref.environment}/${ref.function} ${aliasName}: ${change}${describeAlias(updated)}`);
  return updated;
}
