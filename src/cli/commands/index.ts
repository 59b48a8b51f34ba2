// The CLI's command table: one line per command module. Loaded on every start, so command modules
// import what only their run needs lazily (await import), and the bundle stays small.

import type { Command } from '../command';
import { canaryCommand } from './canary';
import { COMPLETION_COMMANDS } from './completion';
import { deployCommand } from './deploy';
import { ENV_COMMANDS } from './env';
import { envsCommand } from './envs';
import { initCommand } from './init';
import { invokeCommand } from './invoke';
import { logsCommand } from './logs';
import { gcCommand } from './gc';
import { importCommand } from './import';
import { promoteCommand } from './promote';
import { restartCommand } from './restart';
import { rollbackCommand } from './rollback';
import { ROLLOUT_COMMANDS } from './rollout';
import { serveCommand } from './serve';
import { urlCommand } from './url';
import { versionsCommand } from './versions';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  deployCommand,
  importCommand,
  envsCommand,
  ...ENV_COMMANDS,
  versionsCommand,
  urlCommand,
  invokeCommand,
  logsCommand,
  canaryCommand,
  promoteCommand,
  rollbackCommand,
  ...ROLLOUT_COMMANDS,
  restartCommand,
  initCommand,
  ...COMPLETION_COMMANDS,
  gcCommand,
];
