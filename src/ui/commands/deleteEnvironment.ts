// Deletes an environment and stops its instances: `{environment, confirm?}`. Protected ones always
// need a modal naming them (or `confirm` equal to their name); others ask unless called from code.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import { FlightdeckContext } from '../context';
import { confirmProtected, pickEnvironment } from '../pick';
import { targetOf } from './args';

export async function deleteEnvironment(ctx: FlightdeckContext, arg: unknown): Promise<string> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const name = target.environment ?? (await pickEnvironment(provider, 'Delete which environment?')).name;
  const env = (await provider.listEnvironments()).find((e) => e.name === name);
  if (!env) throw new FlightdeckError('NOT_FOUND', `Environment '${name}' does not exist. Refresh the Environments view.`);
  if (env.protected) {
    await confirmProtected(provider, name, 'Delete', target.confirm);
  } else if (!FlightdeckContext.isProgrammatic(arg)) {
    const answer = await vscode.window.showWarningMessage(`Delete environment '${name}' and stop its instances? Its versions are deleted too.`, { modal: true }, 'Delete');
    if (answer !== 'Delete') throw new FlightdeckError('CANCELLED', 'Delete cancelled.');
  }
  await provider.deleteEnvironment(name, env.protected ? name : undefined);
  if (ctx.versionsTree.selected?.environment === name) ctx.selectFunction(undefined);
  ctx.refresh();
  return name;
}
