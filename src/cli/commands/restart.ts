// `flightdeck restart [--env E] [--function F] [--batches B]`: restarts the function's instances in
// place, B batches one after another, each slot drained first so no request fails.

import { numberOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';

export const restartCommand: Command = {
  name: 'restart',
  summary: "Restart a function's instances in place, batch by batch",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    batches: { type: 'string', valueName: 'B', description: 'Restart in B batches (default 2; at most the provisioned instances)' },
  },
  async run(context) {
    const batches = numberOption(context.values, 'batches', 1, 10_000);
    const { environment: env, function: fn } = await functionTarget(context);
    await (await context.provider()).restart(env, fn, batches === undefined ? {} : { batches });
    const how = batches === undefined ? '' : ` in ${batches} batch${batches === 1 ? '' : 'es'}`;
    return { data: { environment: env, function: fn, batches: batches ?? null, accepted: true }, text: `Restarting ${env}/${fn} in place${how}.` };
  },
};
