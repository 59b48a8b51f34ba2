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
      log = startLog(provider, target, vscode.window.createOutputChannel(name, { log: true }));
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

const BACKLOG_LINES = 200;

/**
 * Follows first, then reads the recent lines: nothing falls in between. Lines that arrive while
 * the backlog is read wait, and those the backlog already holds are dropped.
 */
function startLog(provider: Provider, target: LogTarget, channel: vscode.LogOutputChannel): OpenLog {
  const all = target.version === undefined;
  let waiting: LogLine[] | undefined = [];
  const subscription = provider.followLogs(target.environment, target.function, { version: target.version }, (line) =>
    waiting ? waiting.push(line) : writeLine(channel, line, all),
  );
  void provider
    .readLogs(target.environment, target.function, { version: target.version, tail: BACKLOG_LINES })
    .catch((error: unknown) => {
      channel.warn(`Earlier lines not available: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    })
    .then((backlog) => {
      const seen = new Set(backlog.map(lineKey));
      backlog.forEach((line) => writeLine(channel, line, all));
      waiting?.filter((line) => !seen.has(lineKey(line))).forEach((line) => writeLine(channel, line, all));
      waiting = undefined;
    });
  return { channel, subscription };
}

function lineKey(line: LogLine): string {
  return `${line.time}|${line.instance}|${line.stream}|${line.text}`;
}

function channelName(target: LogTarget): string {
  return `Flightdeck: ${target.environment}/${target.function}${target.version !== undefined ? ` v${target.version}` : ''}`;
}

function writeLine(channel: vscode.LogOutputChannel, line: LogLine, showVersion: boolean): void {
  const text = `${showVersion ? `v${line.versionId} ` : ''}[${line.instance}] ${line.text}`;
  if (line.stream === 'stderr') channel.error(text);
  else channel.info(text);
}
