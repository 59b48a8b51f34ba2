// `flightdeck versions [--env E] [--function F]`: a function's versions, newest first.

import { numberOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { table } from '../format';

export const versionsCommand: Command = {
  name: 'versions',
  summary: "List a function's versions, newest first",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    limit: { type: 'string', valueName: 'N', description: 'How many (default 20)' },
  },
  async run(context) {
    const limit = numberOption(context.values, 'limit', 1, 1000) ?? 20;
    const ref = await functionTarget(context);
    const { versions } = await (await context.provider()).listVersions(ref.environment, ref.function, { limit });
    const rows = versions.map((v) => [
      `v${v.id}`, v.created, v.health, v.branch ?? '', v.commit?.slice(0, 8) ?? '', v.description ?? '',
    ]);
    return { data: { versions }, text: table(['VERSION', 'CREATED', 'HEALTH', 'BRANCH', 'COMMIT', 'DESCRIPTION'], rows) };
  },
};
