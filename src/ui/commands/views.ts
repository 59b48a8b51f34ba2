// Commands of the views themselves: refresh, show a function's versions, load more of them.
import { FlightdeckError } from '../../errors';
import type { FlightdeckContext } from '../context';
import { resolveFunction } from '../pick';
import { targetOf } from './args';

export async function refresh(ctx: FlightdeckContext): Promise<void> {
  ctx.refresh();
}

/** `{environment, function}` or a function node: shows its versions in the versions view. */
export async function selectFunction(ctx: FlightdeckContext, arg: unknown): Promise<void> {
  const provider = await ctx.session.provider();
  ctx.selectFunction(await resolveFunction(provider, targetOf(arg), 'Show versions', ctx.workspace.personalEnvironmentNow));
}

export async function loadMoreVersions(ctx: FlightdeckContext): Promise<void> {
  if (!ctx.versionsTree.selected) throw new FlightdeckError('BAD_REQUEST', 'Select a function in the Environments view first.');
  await ctx.versionsTree.loadMore();
}
