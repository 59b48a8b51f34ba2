// Starts a progressive rollout of a version:
// `{environment, function, version, strategy?, preset?, steps?, intervalMs?, batches?, manual?}`.
// The function's `rollout:` defaults in flightdeck.yaml fill what the argument leaves out; with no
// argument it asks for the function, the version and a strategy or preset.
import * as vscode from 'vscode';
import { FlightdeckError } from '../../errors';
import { DEFAULT_ALIAS, type Rollout } from '../../model';
import type { RolloutDefaults } from '../../config/projectFile';
import { PRESET_EXAMPLES } from '../../rollout/presets';
import { mergeRequest, normaliseSpec, type RolloutRequest } from '../../rollout/spec';
import { FlightdeckContext } from '../context';
import { confirmProtected, confirmUnhealthy, pickVersion, resolveFunction } from '../pick';
import { argsOf, resolveTargetVersion, targetOf } from './args';

const REQUEST_FIELDS = ['strategy', 'preset', 'steps', 'intervalMs', 'batches', 'manual', 'gates', 'mode'] as const;

export async function startRollout(ctx: FlightdeckContext, arg: unknown): Promise<Rollout> {
  const target = targetOf(arg);
  const provider = await ctx.session.provider();
  const ref = await resolveFunction(provider, target, 'Start rollout', ctx.workspace.personalEnvironmentNow);
  const summary = await provider.getFunction(ref.environment, ref.function);
  const alias = target.alias ?? DEFAULT_ALIAS;
  const primary = summary.aliases.find((a) => a.name === alias)?.versionId;
  const version = (await resolveTargetVersion(provider, ref, target)) ?? (await pickVersion(provider, ref, `Roll out which version to ${alias}${primary ? ` (now v${primary})` : ''}?`, primary ? [primary] : []));
  const defaults = await ctx.workspace.rolloutDefaults(ref.function);
  const given = requestOf(arg);
  const chosen = Object.keys(given).length || FlightdeckContext.isProgrammatic(arg) ? given : await pickStrategy(defaults, summary.config.instances.min);
  const request = mergeRequest(defaults, { ...chosen, alias, toVersion: version });
  const spec = normaliseSpec(request, { instances: summary.config.instances.min });
  await confirmProtected(provider, ref.environment, `Roll out v${version}`, target.confirm);
  await confirmUnhealthy(provider, ref, version, `Roll Out v${version}`, target.force);
  return provider.startRollout(ref.environment, ref.function, spec);
}

/** The rollout fields of the argument, as given (normaliseSpec checks them and names bad ones). */
function requestOf(arg: unknown): Partial<RolloutRequest> {
  const args = argsOf(arg);
  return Object.fromEntries(REQUEST_FIELDS.filter((f) => args[f] !== undefined).map((f) => [f, args[f]]));
}

interface StrategyItem extends vscode.QuickPickItem {
  request: Partial<RolloutRequest>;
}

/** Batch releases upgrade provisioned instances, so they are offered only when there are some. */
async function pickStrategy(defaults: RolloutDefaults, instances: number): Promise<Partial<RolloutRequest>> {
  const batch: StrategyItem[] = [
    { label: 'Batch', description: `upgrade the ${instances} instance(s) in place, in batches`, request: { strategy: 'batch' } },
    { label: 'Batch, manual', description: 'wait for Continue between batches', request: { strategy: 'batch', manual: true } },
  ];
  const items: StrategyItem[] = [
    ...(Object.keys(defaults).length ? [{ label: 'As in flightdeck.yaml', description: describeDefaults(defaults), request: {} }] : []),
    { label: 'Canary', description: '10 → 25 → 50 → 100%, judged every 30 s', request: { strategy: 'canary' } },
    ...PRESET_EXAMPLES.map((preset) => ({ label: preset, description: 'CodeDeploy-style preset', request: { strategy: 'canary' as const, preset } })),
    ...(instances > 0 ? batch : []),
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'How to roll it out?', ignoreFocusOut: true });
  if (!pick) throw new FlightdeckError('CANCELLED', 'No rollout strategy chosen.');
  return pick.request;
}

function describeDefaults(defaults: RolloutDefaults): string {
  return Object.entries(defaults)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(', ');
}
