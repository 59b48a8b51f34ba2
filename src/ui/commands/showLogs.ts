// Streams a function's logs into an output channel: `{environment, function, version?}`.
import type { FlightdeckContext } from '../context';
import { resolveFunction } from '../pick';
import { resolveTargetVersion, targetOf } from './args';

export async function showLogs(ctx: FlightdeckContext, arg: unknown): Promise<string> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Show logs', ctx.workspace.personalEnvironmentNow);
  return ctx.logs.show(provider, { ...ref, version: await resolveTargetVersion(provider, ref, target) });
}
