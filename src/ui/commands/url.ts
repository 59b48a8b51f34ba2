// Open URL and Copy URL: `{environment, function, alias?, version?}`. A version node gives the
// version's own URL; otherwise the alias's (default `live`).
import * as vscode from 'vscode';
import type { FlightdeckContext } from '../context';
import { resolveFunction } from '../pick';
import { resolveTargetVersion, targetOf } from './args';

async function urlOf(ctx: FlightdeckContext, arg: unknown, verb: string): Promise<string> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, verb, ctx.workspace.personalEnvironmentNow);
  return provider.functionUrl(ref.environment, ref.function, { alias: target.alias, version: target.alias ? undefined : await resolveTargetVersion(provider, ref, target) });
}

export async function openUrl(ctx: FlightdeckContext, arg: unknown): Promise<string> {
  const url = await urlOf(ctx, arg, 'Open URL');
  await vscode.env.openExternal(vscode.Uri.parse(url));
  return url;
}

export async function copyUrl(ctx: FlightdeckContext, arg: unknown): Promise<string> {
  const url = await urlOf(ctx, arg, 'Copy URL');
  await vscode.env.clipboard.writeText(url);
  void vscode.window.setStatusBarMessage(`Copied ${url}`, 3000);
  return url;
}
