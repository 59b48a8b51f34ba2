// `flightdeck init --ci github|gitlab [--force]`: writes a CI pipeline for this project
// (src/cli/pipelines.ts) at the root of its git repository.

import { existsSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FlightdeckError, isFlightdeckError } from '../../errors';
import { providerKindOf } from '../../providers/kinds';
import { stringOption, UsageError, type Command } from '../command';
import { CONFIG_OPTION } from '../commonOptions';

const SYSTEMS = ['github', 'gitlab'];

export const initCommand: Command = {
  name: 'init',
  summary: 'Write a CI pipeline for this project (--ci github or gitlab)',
  options: {
    ci: { type: 'string', valueName: 'github|gitlab', description: 'Which CI system to write a pipeline for', required: true },
    force: { type: 'boolean', description: 'Overwrite an existing pipeline file' },
    ...CONFIG_OPTION,
  },
  async run(context) {
    const system = stringOption(context.values, 'ci')!;
    if (!SYSTEMS.includes(system)) throw new UsageError(`--ci must be one of ${SYSTEMS.join(', ')}, not ${JSON.stringify(system)}.`);
    const [{ loadProject }, { runGit }, pipelines] = await Promise.all([import('../project'), import('../../deploy/git'), import('../pipelines')]);
    const project = loadProject(context);
    const top = await runGit(dirname(project.file), ['rev-parse', '--show-toplevel']).catch((error: unknown) => {
      throw isFlightdeckError(error, 'GIT') ? new FlightdeckError('GIT', `${error.message} The pipeline goes at the root of the repository.`) : error;
    });
    if (top.code !== 0) throw new FlightdeckError('GIT', `git could not find the root of the repository holding ${dirname(project.file)}: ${top.stderr.trim()}`);
    const ci = system as 'github' | 'gitlab';
    const file = join(top.stdout, pipelines.PIPELINE_FILES[ci]);
    if (existsSync(file) && context.values.force !== true) {
      throw new FlightdeckError('CONFLICT', `${file} exists; pass --force to replace it (your changes to it would be lost).`, { file });
    }
    const explicit = stringOption(context.values, 'provider');
    const pipeline = pipelines.pipelineFor(ci, project, top.stdout, explicit === undefined ? undefined : providerKindOf(explicit, '--provider'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, pipeline.text);
    return {
      data: { file, ci, settings: pipeline.settings, warnings: pipeline.warnings },
      text: [
        `Wrote ${file}. Before its first run, set:`,
        ...pipeline.settings.map((line) => `  ${line}`),
        ...pipeline.warnings.map((line) => `Note: ${line}`),
        'Then commit and push it.',
      ].join('\n'),
    };
  },
};
