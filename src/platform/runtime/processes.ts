// Function processes: forking dist/runtime-node.js (a warm Node.js host or a custom command's
// supervisor), reading their output line by line, waiting for their IPC answers, stopping them.
import { fork, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlightdeckError } from '../../errors';
import type { FromChildMessage, ToChildMessage } from './protocol';
import { SUPERVISE_ARG } from './protocol';
import type { FrameClient } from './frameClient';
import { signalGroup } from './groups';
import type { PidRegistry } from './pids';

export type LogSink = (stream: 'stdout' | 'stderr', text: string) => void;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STOP_GRACE_MS = 2000;
const STDERR_TAIL = 30;
/** Longest log line kept; longer output is cut so one chatty process cannot fill memory. */
const MAX_LINE_CHARS = 16 * 1024;
/** Environment variables a function inherits from the platform; nothing else leaks in. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT'];

export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * One forked runtime-node.js process, leading its own process group: whatever a function spawns
 * stays in that group, and the group is what is stopped, so nothing outlives the instance.
 */
export class RuntimeProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  /** Set while stop() runs: the exit is expected, not a crash. */
  stopping = false;
  lastStderr = '';
  /** The last STDERR_TAIL non-empty error lines, to say why a custom command stopped. */
  readonly stderrTail: string[] = [];
  /** Where output lines go; unset (dropped) while the process is a spare. */
  sink: LogSink | undefined;
  /** A Node.js host's frame socket, for the gateway (frames.ts); custom commands have none. */
  frames: FrameClient | undefined;
  private readonly child: ChildProcess;
  private readonly messages: FromChildMessage[] = [];
  private readonly onMessage = new Set<() => void>();
  private exitInfo: ExitInfo | undefined;

  constructor(scriptPath: string, args: string[], private readonly pids: PidRegistry) {
    this.child = fork(scriptPath, args, {
      env: baseEnv(),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    this.pid = this.child.pid ?? 0;
    pids.add(this.pid, [process.execPath, scriptPath, ...args], true);
    this.readLines('stdout');
    this.readLines('stderr');
    this.child.on('message', (message: FromChildMessage) => {
      this.messages.push(message);
      for (const wake of this.onMessage) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        // Whatever the function left running in its group goes with it.
        signalGroup(this.pid, 'SIGKILL');
        this.pids.remove(this.pid);
        for (const wake of this.onMessage) wake();
        resolve(this.exitInfo);
      });
    });
    this.child.on('error', () => undefined); // reported through 'exit'
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  send(message: ToChildMessage): void {
    this.child.send(message);
  }

  /** Waits for a message of `type`; a `failed` message, an exit or the timeout reject with `what`. */
  async expect<T extends FromChildMessage['type']>(
    type: T,
    timeoutMs: number,
    what: string,
  ): Promise<Extract<FromChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type || m.type === 'failed');
      if (index >= 0) {
        const [message] = this.messages.splice(index, 1);
        if (message.type === 'failed') throw new FlightdeckError('UNAVAILABLE', `${what} failed: ${message.message}`);
        return message as Extract<FromChildMessage, { type: T }>;
      }
      if (this.exitInfo) throw new FlightdeckError('UNAVAILABLE', `${what} failed: ${this.exitText()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new FlightdeckError('UNAVAILABLE', `${what} timed out after ${timeoutMs} ms`);
      await this.nextMessage(left);
    }
  }

  /** "exited with code 1: <last stderr line>" */
  exitText(): string {
    const how = this.exitHow();
    return this.lastStderr ? `${how}; last error output: ${this.lastStderr}` : how;
  }

  /** "exited with code 1", "killed by SIGKILL" */
  exitHow(): string {
    const info = this.exitInfo;
    return !info ? 'still running' : info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exitInfo) return;
    if (!signalGroup(this.pid, 'SIGTERM')) this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!signalGroup(this.pid, 'SIGKILL')) this.child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private nextMessage(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.onMessage.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.onMessage.add(wake);
    });
  }

  private readLines(stream: 'stdout' | 'stderr'): void {
    let partial = '';
    const source = this.child[stream];
    source?.setEncoding('utf8');
    source?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.line(stream, line);
      // Output that never ends a line (a progress bar, binary) is cut rather than kept growing.
      if (partial.length > MAX_LINE_CHARS) {
        this.line(stream, partial);
        partial = '';
      }
    });
    source?.on('end', () => {
      if (partial) this.line(stream, partial);
      partial = '';
    });
  }

  private line(stream: 'stdout' | 'stderr', raw: string): void {
    const trimmed = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const text = trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS)}… (line cut at ${MAX_LINE_CHARS} characters)` : trimmed;
    if (stream === 'stderr' && text.trim()) {
      this.lastStderr = text;
      this.stderrTail.push(text);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
    this.sink?.(stream, text);
  }
}

/** A free loopback port for a custom command's $PORT. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls a TCP connect to the port every ~10 ms until it succeeds, the process exits, or time runs out. */
export async function waitForPort(port: number, process: RuntimeProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (!process.alive) throw new FlightdeckError('UNAVAILABLE', `${what} failed: ${process.exitText()}`);
    if (Date.now() > deadline) {
      throw new FlightdeckError(
        'UNAVAILABLE',
        `${what} did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms; make the command listen on $PORT`,
      );
    }
    await sleep(10);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function forkSupervisor(scriptPath: string, pids: PidRegistry): RuntimeProcess {
  return new RuntimeProcess(scriptPath, [SUPERVISE_ARG], pids);
}
