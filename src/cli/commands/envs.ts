// `flightdeck envs`: the environments on the platform.

import { describeProvider } from '../../provider';
import type { Command } from '../command';
import { table } from '../format';

export const envsCommand: Command = {
  name: 'envs',
  summary: 'List environments',
  options: {},
  async run(context) {
    const provider = await context.provider();
    const environments = await provider.listEnvironments();
    // The project column: one platform or account holds many projects' environments, and env prune judges only its own.
    const rows = environments.map((e) => [e.name, e.kind, e.protected ? 'protected' : '', e.owner ?? '', e.branch ?? '', e.project ?? '']);
    const list = environments.length === 0 ? 'No environments yet: `flightdeck deploy` creates your personal one.' : table(['NAME', 'KIND', '', 'OWNER', 'BRANCH', 'PROJECT'], rows);
    return {
      data: { provider: { kind: provider.kind, label: provider.label, account: provider.account }, environments },
      text: `On ${describeProvider(provider)}\n${list}`,
    };
  },
};
