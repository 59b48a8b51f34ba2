// One log output channel per function version, streaming from provider.followLogs while open.
import * as vscode from 'vscode';
import type { FlightdeckError } from '../errors';
import type { PlatformEvent } from '../model';
import type { LogLine, Provider, Subscription } from '../provider';
import type { PlatformState } from './platform';

export interface LogTarget {
  environment: string;
  function: string;
  /** Absent: every version of the function. */
  version?: number;
}

interface OpenLog {
  target: LogTarget;
  channel: vscode.LogOutputChannel;
  /** Absent once the stream stopped (function gone, session restarted); the next show starts it again. */
  subscription?: Subscription;
}

export class FunctionLogs implements vscode.Disposable {
  private readonly open = new Map<string, OpenLog>();

  /** Shows the target's channel, (re)starting its stream when none runs. Returns the channel's name. */
  show(provider: Provider, target: LogTarget): string {
    const name = channelName(target);
    let log = this.open.get(name);
    if (!log) {
      log = { target, channel: vscode.window.createOutputChannel(name, { log: true }) };
      this.open.set(name, log);
    }
    if (!log.subscription) {
      const started = log;
      // A restarted stream reads the backlog again: start from a clean channel, without duplicates.
      started.channel.clear();
      started.subscription = startLog(provider, target, started.channel, (error) => stopStream(started, error.message));
    }
    log.channel.show(true);
    return name;
  }

  /** A deleted environment ends its functions' streams (each would otherwise 404 on every retry). */
  onEvent(event: PlatformEvent): void {
    if (event.type !== 'environment.deleted') return;
    for (const log of this.open.values()) {
      if (log.target.environment === event.environment) stopStream(log, `Environment ${event.environment} was deleted.`);
    }
  }

  /** A new connection (restart, provider setting changed): streams of the old provider stop. */
  onPlatformState(state: PlatformState): void {
    if (state !== 'starting') return;
    for (const log of this.open.values()) stopStream(log, 'The platform connection restarted; show the logs again to follow them.');
  }

  dispose(): void {
    for (const { channel, subscription } of this.open.values()) {
      subscription?.close();
      channel.dispose();
    }
    this.open.clear();
  }
}

function stopStream(log: OpenLog, reason: string): void {
  if (!log.subscription) return;
  log.subscription.close();
  log.subscription = undefined;
  log.channel.warn(`Stopped following: ${reason}`);
}

const BACKLOG_LINES = 200;

/**
 * Follows first, then reads the recent lines: nothing falls in between. Lines that arrive while
 * the backlog is read wait, and those the backlog already holds are dropped.
 */
function startLog(provider: Provider, target: LogTarget, channel: vscode.LogOutputChannel, onGone: (error: FlightdeckError) => void): Subscription {
  const all = target.version === undefined;
  let waiting: LogLine[] | undefined = [];
  const subscription = provider.followLogs(target.environment, target.function, { version: target.version, onGone }, (line) =>
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
  return subscription;
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
