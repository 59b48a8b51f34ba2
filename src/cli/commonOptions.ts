// Options several commands share, kept apart from the code that reads them so the command table
// (loaded on every start) does not pull that code in.

import { PROJECT_FILE_NAME } from '../config/names';
import type { OptionSpec } from './command';

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
