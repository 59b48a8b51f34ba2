// IPC messages between the platform and the processes it forks from dist/runtime-node.js: a warm
// Node.js function host, or a supervisor that runs a custom runtime's command.
import type { Fc3Function } from './fc3';

/** Platform → function host: become this function. */
export interface LoadMessage {
  type: 'load';
  codeDir: string;
  /** `index.handler`: file `index(.js|.cjs|.mjs)`, export `handler`. */
  handler: string;
  env: Record<string, string>;
  functionName: string;
  environment: string;
  version: number;
  /** Present when the function is written for FC 3.0 (`events: fc3`): call it as FC does. */
  fc3?: Fc3Function;
}

/** Platform → supervisor: run this command (it serves HTTP on env.PORT). */
export interface ExecMessage {
  type: 'exec';
  command: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * Platform → function host, once, while it is a spare: nothing to do. Receiving a first message
 * costs a host compiling its IPC path, which a deploy's `load` then does not pay.
 */
export interface PrimeMessage {
  type: 'prime';
}

export type ToChildMessage = LoadMessage | ExecMessage | PrimeMessage;

export type FromChildMessage =
  /** framePort: the Node.js host's frame socket for the gateway (frames.ts). */
  | { type: 'listening'; port: number; framePort?: number }
  | { type: 'loaded' }
  | { type: 'spawned'; pid: number }
  | { type: 'failed'; message: string };

/** argv[2] of runtime-node.js that selects the supervisor mode. */
export const SUPERVISE_ARG = 'supervise';
