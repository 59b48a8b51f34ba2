// `flightdeck logs [--env E] [--function F] [--version V] [--tail N] [--follow]`: a function's
// recent log lines; --follow keeps printing new ones until Ctrl-C (with --json, one JSON object
// per line).

import { FlightdeckError } from '../../errors';
import type { LogLine } from '../../provider';
import { numberOption, type Command } from '../command';
import { functionTarget, OPTIONAL_TARGET_OPTIONS } from '../commonOptions';
import { versionNumberOption, versionOption } from '../versionOption';

export const logsCommand: Command = {
  name: 'logs',
  summary: "Print a function's logs (--follow: keep printing until Ctrl-C)",
  options: {
    ...OPTIONAL_TARGET_OPTIONS,
    version: { type: 'string', valueName: 'V', description: 'Only this version: N, vN, latest or previous' },
    tail: { type: 'string', valueName: 'N', description: 'How many recent lines (default 200)' },
    follow: { type: 'boolean', description: 'Keep printing new lines until Ctrl-C' },
  },
  async run(context) {
    const tail = numberOption(context.values, 'tail', 0, 100_000) ?? 200;
    const json = context.values.json === true;
    const provider = await context.provider();
    const ref = await functionTarget(context);
    const version = await versionNumberOption(context.values, provider, ref.environment, ref.function);
    // A number may name no version (latest and previous were just looked up): say so rather than print no lines.
    if (typeof versionOption(context.values) === 'number') await provider.getVersion(ref.environment, ref.function, version!);
    const recent = await provider.readLogs(ref.environment, ref.function, { version, tail });
    if (context.values.follow !== true) {
      return { data: { lines: recent }, text: recent.map(formatLine).join('\n') };
    }
    const show = (line: LogLine) => context.print(json ? JSON.stringify(line) : formatLine(line));
    recent.forEach(show);
    await new Promise<void>((resolve, reject) => {
      // Deleted while followed: say so, as the editor's log channel does.
      const gone = (error: FlightdeckError) => reject(new FlightdeckError(error.code, `Stopped following ${ref.environment}/${ref.function}: ${error.message}`, error.details));
      const subscription = provider.followLogs(ref.environment, ref.function, { version, onGone: gone }, show);
      const stop = () => {
        subscription.close();
        resolve();
      };
      if (context.signal.aborted) stop();
      else context.signal.addEventListener('abort', stop, { once: true });
    });
    return undefined; // every line is printed as it came
  },
};

function formatLine(line: LogLine): string {
  return `${line.time} v${line.versionId} ${line.instance} ${line.stream === 'stderr' ? 'ERR ' : ''}${line.text}`;
}
