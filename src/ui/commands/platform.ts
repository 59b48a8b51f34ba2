// The platform from the editor: start (or reconnect to) it, and show its log or the extension's.
import type { FlightdeckContext } from '../context';

export async function startPlatform(ctx: FlightdeckContext): Promise<string> {
  const provider = await ctx.session.restart();
  return provider.label;
}

export async function showPlatformLog(ctx: FlightdeckContext): Promise<void> {
  ctx.platformLog.show(true);
}

export async function showLog(ctx: FlightdeckContext): Promise<void> {
  ctx.log.show(true);
}
