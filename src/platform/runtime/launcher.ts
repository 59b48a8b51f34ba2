// Starts one function process for a version and resolves once it can take traffic: a warm Node.js
// host told to load the handler, or a custom command under a supervisor, ready-checked on $PORT.
import { FlightdeckError } from '../../errors';
import type { Version } from '../../model';
import type { StateView } from '../contracts';
import type { PidRegistry } from './pids';
import { fc3Environment, fc3Function, fc3PortEnvironment } from './fc3';
import { signalGroup } from './groups';
import { baseEnv, forkSupervisor, freePort, waitForPort, type LogSink, type RuntimeProcess, type WarmPool } from './processes';

/** How long a process may take from fork to ready before the start counts as failed. */
const START_TIMEOUT_MS = 15_000;

export interface Launched {
  process: RuntimeProcess;
  port: number;
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
      await child.expect('loaded', START_TIMEOUT_MS, `loading handler ${handler} of version ${version.id}`);
      return { process: child, port };
    } catch (error) {
      await child.stop();
      throw error;
    } finally {
      this.warmPool.refill();
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
      const { pid } = await child.expect('spawned', START_TIMEOUT_MS, what);
      this.trackGroup(child, pid, command);
      await waitForPort(port, child, START_TIMEOUT_MS, what);
      return { process: child, port };
    } catch (error) {
      await child.stop();
      throw error;
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
