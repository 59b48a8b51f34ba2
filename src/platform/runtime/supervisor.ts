// Runs a custom runtime's command for the platform and makes sure it dies with the platform: the
// command gets its own process group, and when the platform's IPC channel goes away (graceful
// stop or kill -9) or this supervisor is told to stop, the whole group is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { signalGroup } from './groups';
import type { ExecMessage, FromChildMessage } from './protocol';

const KILL_GRACE_MS = 1000;

export function runSupervisor(): void {
  let child: ChildProcess | undefined;
  const shutdown = (): void => {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) process.exit(0);
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => {
      if (child?.pid) signalGroup(child.pid, 'SIGKILL');
      process.exit(0);
    }, KILL_GRACE_MS).unref();
  };
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.once('message', (message: ExecMessage) => {
    if (message.type !== 'exec') return;
    child = startCommand(message);
  });
}

function startCommand(message: ExecMessage): ChildProcess {
  const [program, ...args] = message.command;
  const child = spawn(program, args, {
    cwd: message.cwd,
    env: message.env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  child.once('spawn', () => send({ type: 'spawned', pid: child.pid ?? 0 }));
  child.once('error', (error) => {
    send({ type: 'failed', message: `cannot run ${message.command.join(' ')}: ${error.message}` });
    process.exit(127);
  });
  child.once('exit', (code, signal) => {
    if (child.pid) signalGroup(child.pid, 'SIGKILL'); // anything the command left behind
    process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1));
  });
  return child;
}

function send(message: FromChildMessage): void {
  process.send?.(message);
}
