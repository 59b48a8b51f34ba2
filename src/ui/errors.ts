// The one place failures become messages: every command runs through `runReporting`, which turns
// FlightdeckError codes into a sentence and the buttons that fix it, and stays quiet on cancel.
import * as vscode from 'vscode';
import { FlightdeckError, type ErrorCode } from '../errors';

/** A button on an error message and the command it runs. */
interface Remedy {
  title: string;
  command: string;
}

const REMEDIES: Partial<Record<ErrorCode, Remedy[]>> = {
  PLATFORM_UNREACHABLE: [
    { title: 'Start Local Platform', command: 'flightdeck.startPlatform' },
    { title: 'Show Log', command: 'flightdeck.showPlatformLog' },
  ],
  UNAVAILABLE: [{ title: 'Show Log', command: 'flightdeck.showPlatformLog' }],
  NO_PROJECT: [{ title: 'Create flightdeck.yaml', command: 'flightdeck.init' }],
  CONFIG_INVALID: [{ title: 'Show Problems', command: 'workbench.actions.view.problems' }],
  PRECONDITION_FAILED: [{ title: 'Refresh', command: 'flightdeck.refresh' }],
  ROLLOUT_ACTIVE: [{ title: 'Promote or Abort Rollout…', command: 'flightdeck.rolloutAction' }],
  NOT_STARTED: [{ title: 'Show Logs', command: 'flightdeck.showLogs' }],
  INTERNAL: [{ title: 'Show Log', command: 'flightdeck.showLog' }],
};

const PREFIX: Partial<Record<ErrorCode, string>> = {
  PRECONDITION_FAILED: 'Someone changed it meanwhile; nothing was overwritten. Refresh and try again.',
  PLATFORM_UNREACHABLE: 'The Flightdeck platform is not reachable.',
  GIT: 'Git:',
  CONFIG_INVALID: 'flightdeck.yaml is invalid:',
};

function toFlightdeckError(error: unknown): FlightdeckError {
  if (error instanceof FlightdeckError) return error;
  // An aborted request (the user cancelled a deploy) is a cancel, not a failure.
  if (error instanceof vscode.CancellationError || (error instanceof Error && error.name === 'AbortError')) {
    return new FlightdeckError('CANCELLED', 'Cancelled.');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FlightdeckError('INTERNAL', message);
}

/** The sentence shown for an error: what happened, where, what to fix. */
function describeError(error: FlightdeckError): string {
  const where = error.details.file
    ? ` (${error.details.file}${error.details.line ? `:${error.details.line}${error.details.column ? `:${error.details.column}` : ''}` : ''})`
    : '';
  const missing = error.details.missing?.length ? ` Missing: ${error.details.missing.join(', ')}.` : '';
  const prefix = PREFIX[error.code];
  return `${prefix ? `${prefix} ` : ''}${error.message}${where}${missing}`;
}

export interface ReportOptions {
  log: vscode.LogOutputChannel;
  /** Rethrow after reporting, so a programmatic caller (a test, another extension) sees the failure. */
  rethrow: boolean;
}

/** Runs `action`; a failure is logged and shown with its remedies, a cancel is silent. */
export async function runReporting<T>(title: string, action: () => Promise<T>, options: ReportOptions): Promise<T | undefined> {
  try {
    return await action();
  } catch (raw) {
    const error = toFlightdeckError(raw);
    if (error.code !== 'CANCELLED') {
      options.log.error(`${title}: [${error.code}] ${error.message}`, raw instanceof Error && !(raw instanceof FlightdeckError) ? raw.stack ?? '' : '');
      void showError(error);
    }
    if (options.rethrow) throw error;
    return undefined;
  }
}

async function showError(error: FlightdeckError): Promise<void> {
  const remedies = REMEDIES[error.code] ?? [];
  const chosen = await vscode.window.showErrorMessage(describeError(error), ...remedies.map((r) => r.title));
  const remedy = remedies.find((r) => r.title === chosen);
  if (remedy) await vscode.commands.executeCommand(remedy.command);
}
