// The CLI's command table: one line per command module.

import type { Command } from '../command';
import { canaryCommand } from './canary';
import { deployCommand } from './deploy';
import { envsCommand } from './envs';
import { gcCommand } from './gc';
import { promoteCommand } from './promote';
import { restartCommand } from './restart';
import { ROLLOUT_COMMANDS } from './rollout';
import { serveCommand } from './serve';
import { urlCommand } from './url';
import { versionsCommand } from './versions';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  deployCommand,
  envsCommand,
  versionsCommand,
  urlCommand,
  canaryCommand,
  promoteCommand,
  ...ROLLOUT_COMMANDS,
  restartCommand,
  gcCommand,
];
