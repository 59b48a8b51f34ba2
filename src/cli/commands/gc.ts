// `flightdeck gc [--dry-run]`: prunes versions past each environment kind's retention and frees the
// blobs, trees and working folders nothing references; --dry-run only shows what it would free.

import { FlightdeckError } from '../../errors';
import type { Command } from '../command';

export const gcCommand: Command = {
  name: 'gc',
  summary: "Free the local platform's disk: old versions past retention and code nothing references",
  options: {
    'dry-run': { type: 'boolean', description: 'Show what would be freed without deleting anything' },
  },
  async run(context) {
    const provider = await context.provider();
    if (!provider.collectGarbage) throw new FlightdeckError('BAD_REQUEST', 'This provider keeps code itself; there is nothing to collect here.');
    const report = await provider.collectGarbage({ dryRun: context.values['dry-run'] === true });
    // The platform's collector module comes with its file system work: loaded only here.
    const { describeReport } = await import('../../platform/gc');
    const pruned = report.pruned.map((p) => `  ${p.environment}/${p.function}: v${p.versions.join(', v')}`);
    return { data: report, text: [`${report.dryRun ? 'Dry run: ' : ''}${describeReport(report)}.`, ...pruned].join('\n') };
  },
};
