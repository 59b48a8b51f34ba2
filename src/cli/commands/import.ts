// `flightdeck import [s.yaml] [--force]`: writes flightdeck.yaml from a Serverless Devs s.yaml
// (src/config/serverlessDevs.ts) and lists what did not map, at its line.

import { resolve } from 'node:path';
import { PROJECT_FILE_NAME, S_YAML_NAMES } from '../../config/names';
import type { WrittenImport } from '../../config/serverlessDevs';
import { FlightdeckError } from '../../errors';
import { type Command } from '../command';

export const importCommand: Command = {
  name: 'import',
  summary: `Write ${PROJECT_FILE_NAME} from a Serverless Devs s.yaml (Function Compute 3.0 or older editions)`,
  argument: { name: 's.yaml', description: `The s.yaml to import (default: ${S_YAML_NAMES.join(' or ')} here)` },
  options: {
    force: { type: 'boolean', description: `Overwrite an existing ${PROJECT_FILE_NAME}` },
  },
  async run(context) {
    // The importer brings the YAML parser: loaded here, so other commands start without it.
    const { findSYaml, readSYamlFile, writeSYamlImport } = await import('../../config/serverlessDevs');
    const source = context.argument ? resolve(context.cwd, context.argument) : findSYaml(context.cwd);
    if (!source) throw new FlightdeckError('NOT_FOUND', `No ${S_YAML_NAMES.join(' or ')} in ${context.cwd}. Run this in your Serverless Devs project, or pass the path of its s.yaml.`);
    const result = writeSYamlImport(readSYamlFile(source, context.env), source, context.values.force === true);
    return {
      data: { file: result.file, source: result.source, project: result.project, functions: result.functions.map((f) => ({ name: f.name, source: f.source, line: f.line })), problems: result.problems },
      text: describeImport(result),
    };
  },
};

function describeImport(result: WrittenImport): string {
  const lines = [`Wrote ${result.file}: project ${result.project}, ${result.functions.length} function(s): ${result.functions.map((f) => f.name).join(', ')}.`];
  if (result.problems.length > 0) {
    lines.push('', `Not imported or changed (${result.problems.length}):`);
    for (const p of result.problems) lines.push(`  ${result.source}:${p.line}:${p.column}: ${p.message}`);
  }
  lines.push('', 'Next: flightdeck deploy');
  return lines.join('\n');
}
