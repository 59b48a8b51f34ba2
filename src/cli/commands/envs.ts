// `flightdeck envs`: the environments on the platform.

import type { Command } from '../command';
import { table } from '../format';

export const envsCommand: Command = {
  name: 'envs',
  summary: 'List environments',
  options: {},
  async run(context) {
    const environments = await (await context.provider()).listEnvironments();
    const rows = environments.map((e) => [e.name, e.kind, e.protected ? 'protected' : '', e.owner ?? '', e.branch ?? '']);
    return {
      data: { environments },
      text: environments.length === 0 ? 'No environments yet: `flightdeck deploy` creates your personal one.' : table(['NAME', 'KIND', '', 'OWNER', 'BRANCH'], rows),
    };
  },
};
