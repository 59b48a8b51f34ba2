// Options several commands share, kept apart from the code that reads them so the command table
// (loaded on every start) does not pull that code in.

import { PROJECT_FILE_NAME } from '../config/names';
import { stringOption, type CommandContext, type OptionSpec } from './command';
import type { FunctionRef } from './project';

export const CONFIG_OPTION: Record<string, OptionSpec> = {
  config: { type: 'string', valueName: 'PATH', description: `Project file (default: ${PROJECT_FILE_NAME} here or in a parent folder)` },
};

/** --env and --function for commands that default them (src/cli/project.ts resolveTarget). */
export const OPTIONAL_TARGET_OPTIONS: Record<string, OptionSpec> = {
  env: { type: 'string', valueName: 'NAME', description: 'Environment (default: your personal environment of the checked-out branch)' },
  function: { type: 'string', valueName: 'NAME', description: "Function (default: the project's only function)" },
  ...CONFIG_OPTION,
};

/** Which branch environment, for CI jobs whose checkout is detached or whose git identity is a bot. */
export const BRANCH_OPTIONS: Record<string, OptionSpec> = {
  branch: { type: 'string', valueName: 'NAME', description: 'The branch whose environment this is (default: the checked-out branch)' },
  user: { type: 'string', valueName: 'NAME', description: 'The {user} of its name and its owner (default: your git identity), e.g. ci' },
};

/**
 * --env and --function, or what they default to (resolveTarget: the checked-out branch's personal
 * environment, the project's one function); the project code loads only when one is missing.
 */
export async function functionTarget(context: Pick<CommandContext, 'values' | 'cwd' | 'provider'>): Promise<FunctionRef> {
  const environment = stringOption(context.values, 'env');
  const fn = stringOption(context.values, 'function');
  if (environment !== undefined && fn !== undefined) return { environment, function: fn };
  return (await import('./project')).resolveTarget(context);
}
