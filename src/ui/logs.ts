// One log output channel per function version, streaming from provider.followLogs while open.
import * as vscode from 'vscode';
import type { LogLine, Provider, Subscription } from '../provider';

export interface LogTarget {
  environment: string;
  function: string;
  /** Absent: every version of the function. */
  version?: number;
}

interface OpenLog {
  channel: vscode.LogOutputChannel;
  subscription: Subscription;
}

export class FunctionLogs implements vscode.Disposable {
  private readonly open = new Map<string, OpenLog>();

  /** Shows the target's channel, starting its stream the first time. Returns the channel's name. */
  show(provider: Provider, target: LogTarget): string {
    const name = channelName(target);
    let log = this.open.get(name);
    if (!log) {
      const channel = vscode.window.createOutputChannel(name, { log: true });
      const subscription = provider.followLogs(target.environment, target.function, { version: target.version }, (line) =>
        writeLine(channel, line, target.version === undefined),
      );
      log = { channel, subscription };
      this.open.set(name, log);
    }
    log.channel.show(true);
    return name;
  }

  dispose(): void {
    for (const { channel, subscription } of this.open.values()) {
      subscription.close();
      channel.dispose();
    }
    this.open.clear();
  }
}

function channelName(target: LogTarget): string {
  return `Flightdeck: ${target.environment}/${target.function}${target.version !== undefined ? ` v${target.version}` : ''}`;
}

function writeLine(channel: vscode.LogOutputChannel, line: LogLine, showVersion: boolean): void {
  const text = `${showVersion ? `v${line.versionId} ` : ''}[${line.instance}] ${line.text}`;
  if (line.stream === 'stderr') channel.error(text);
  else channel.info(text);
}
