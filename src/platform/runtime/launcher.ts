// Starts one function process for a version and resolves once it can take traffic: a warm Node.js
// host told to load the handler, or a custom command under a supervisor, ready-checked on $PORT.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { FlightdeckError } from '../../errors';
import { DEFAULT_START_TIMEOUT_MS, type Version } from '../../model';
import type { StateView } from '../contracts';
import type { PidRegistry } from './pids';
import { fc3Environment, fc3Function, fc3PortEnvironment } from './fc3';
import { signalGroup } from './groups';
import { baseEnv, forkSupervisor, freePort, waitForPort, type LogSink, type RuntimeProcess } from './processes';
import type { WarmPool } from './warmPool';
import { describeUserOutput, stripCodeDir } from './userError';

/** How often a custom command's healthPath is asked while it starts. */
const HEALTH_POLL_MS = 25;

export interface Launched {
  process: RuntimeProcess;
  port: number;
  /** Where the version's code runs from; errors are told relative to it. */
  codeDir: string;
}

export interface LaunchRequest {
  environment: string;
  fn: string;
  version: Version;
  sink: LogSink;
  /** Fork a new process instead of taking a warm spare (the `recreate` comparison). */
  fresh: boolean;
}

export class Launcher {
  constructor(
    private readonly state: StateView,
    private readonly warmPool: WarmPool,
    private readonly scriptPath: string,
    private readonly pids: PidRegistry,
  ) {}

  async launch(request: LaunchRequest): Promise<Launched> {
    const codeDir = await this.state.codeDir(request.version);
    const launched =
      request.version.config.runtime === 'custom'
        ? await this.startCustom(request, codeDir)
        : await this.startNode(request, codeDir);
    return launched;
  }

  private async startNode(request: LaunchRequest, codeDir: string): Promise<Launched> {
    const { version } = request;
    const handler = version.config.handler;
    if (!handler) throw new FlightdeckError('CONFIG_INVALID', `version ${version.id} has no handler; set handler: index.handler`, { field: 'handler' });
    const { process: child, port } = await this.warmPool.take(request.fresh);
    child.sink = request.sink;
    const fc3 = version.config.events === 'fc3' ? fc3Function(request.fn, version.id, version.config) : undefined;
    try {
      child.send({
        type: 'load',
        codeDir,
        handler,
        env: fc3 ? { ...fc3Environment(fc3, codeDir), ...version.config.env } : version.config.env,
        functionName: request.fn,
        environment: request.environment,
        version: version.id,
        ...(fc3 ? { fc3 } : {}),
      });
      await child.expect('loaded', startTimeoutOf(version), `loading handler ${handler} of version ${version.id}`);
      return { process: child, port, codeDir };
    } catch (error) {
      await child.stop();
      throw error;
    } finally {
      this.warmPool.refillSoon();
    }
  }

  private async startCustom(request: LaunchRequest, codeDir: string): Promise<Launched> {
    const { version } = request;
    const command = version.config.command;
    if (!command?.length) {
      throw new FlightdeckError('CONFIG_INVALID', `version ${version.id} is a custom runtime without a command; set command: [node, server.js]`, { field: 'command' });
    }
    const port = await freePort();
    const child = forkSupervisor(this.scriptPath, this.pids);
    child.sink = request.sink;
    const what = `custom runtime command \`${command.join(' ')}\` of version ${version.id}`;
    const timeoutMs = startTimeoutOf(version);
    try {
      const fc3 = version.config.events === 'fc3';
      const env = {
        ...baseEnv(),
        ...(fc3 ? fc3Environment(fc3Function(request.fn, version.id, version.config), codeDir) : {}),
        ...version.config.env,
        ...(fc3 ? fc3PortEnvironment(port) : {}),
        PORT: String(port),
      };
      child.send({ type: 'exec', command, cwd: codeDir, env });
      // The supervisor's own start is the platform's time; the function's start timeout runs from the spawn.
      const { pid } = await child.expect('spawned', DEFAULT_START_TIMEOUT_MS, what);
      const deadline = Date.now() + timeoutMs;
      this.trackGroup(child, pid, command);
      await waitForPort(port, child, timeoutMs, what);
      if (version.config.healthPath) await waitForHealth(port, version.config.healthPath, child, deadline, what);
      return { process: child, port, codeDir };
    } catch (error) {
      await child.stop();
      // Say why in the function's terms: its own error line and file:line, not the code store's paths.
      const output = describeUserOutput(child.stderrTail, codeDir);
      const message = stripCodeDir((error as Error).message, codeDir);
      throw new FlightdeckError('UNAVAILABLE', withOutput(message, output));
    }
  }

  /** The command runs in its own process group; whatever ends the supervisor, end the group too. */
  private trackGroup(supervisor: RuntimeProcess, pid: number, command: string[]): void {
    this.pids.add(pid, command, true);
    void supervisor.exited.then(() => {
      signalGroup(pid, 'SIGKILL');
      this.pids.remove(pid);
    });
  }
}

function startTimeoutOf(version: Version): number {
  return version.config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
}

function withOutput(message: string, output: string | undefined): string {
  return output && !message.includes(output) ? `${message}; its last error: ${output}` : message;
}

/** Asks GET healthPath until it answers 2xx or 3xx; the process exiting or the deadline passing fail the start. */
async function waitForHealth(port: number, path: string, child: RuntimeProcess, deadline: number, what: string): Promise<void> {
  let last = 'no answer';
  for (;;) {
    try {
      const res = await request(`http://127.0.0.1:${port}${path}`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode < 400) return;
      last = `HTTP ${res.statusCode}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (!child.alive) throw new FlightdeckError('UNAVAILABLE', `${what} failed: ${child.exitText()}`);
    if (Date.now() >= deadline) {
      throw new FlightdeckError('UNAVAILABLE', `${what} did not answer its healthPath ${path} with 2xx/3xx in time (last: ${last}); fix the health check or raise startTimeout`);
    }
    await sleep(HEALTH_POLL_MS);
  }
}
