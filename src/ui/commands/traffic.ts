// Moving an alias's traffic: shared by set canary weight, promote and roll back. Reads the alias
// for its ETag and sends it back, so a concurrent change fails instead of being overwritten.
import * as vscode from 'vscode';
import { describeAlias, type Alias, type AliasUpdate } from '../../model';
import type { Provider } from '../../provider';
import type { FunctionTarget } from '../pick';

export async function updateAliasTraffic(
  provider: Provider,
  ref: FunctionTarget,
  aliasName: string,
  update: (current: Alias) => AliasUpdate,
): Promise<Alias> {
  const current = await provider.getAlias(ref.environment, ref.function, aliasName);
  const updated = await provider.updateAlias(ref.environment, ref.function, aliasName, update(current), current.etag);
  void vscode.window.showInformationMessage(`${ref.environment}/${ref.function}: ${describeAlias(updated)}`);
  return updated;
}
