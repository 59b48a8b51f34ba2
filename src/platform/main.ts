// The platform process (dist/platform.js): parses flags, starts the platform on 127.0.0.1 and
// closes it gracefully on SIGTERM/SIGINT (instances stopped, discovery file removed).
import { isFlightdeckError } from '../errors';
import { parseRetention } from './gc';
import { DEFAULT_PORT, startPlatform, type PlatformOptions } from './server';

const USAGE = `Usage: platform [--port N] [--home DIR] [--idle-timeout-ms N] [--queue-timeout-ms N] [--warm-pool N] [--warm-pool-max N] [--warm-pool-hold-ms N] [--max-blob-bytes N] [--max-code-bytes N] [--heartbeat-ms N] [--keep-versions KIND=N|all,...] [--gc-interval-ms N]`;

type NumericOption = 'port' | 'idleTimeoutMs' | 'queueTimeoutMs' | 'warmPool' | 'warmPoolMax' | 'warmPoolHoldMs' | 'maxBlobBytes' | 'maxCodeBytes' | 'heartbeatMs' | 'gcIntervalMs';

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const NUMERIC_FLAGS: Record<string, { key: NumericOption; min: number; max: number }> = {
  '--port': { key: 'port', min: 0, max: 65535 },
  '--idle-timeout-ms': { key: 'idleTimeoutMs', min: 0, max: MAX_TIMER_MS },
  '--queue-timeout-ms': { key: 'queueTimeoutMs', min: 0, max: MAX_TIMER_MS },
  '--warm-pool': { key: 'warmPool', min: 0, max: Number.MAX_SAFE_INTEGER },
  '--warm-pool-max': { key: 'warmPoolMax', min: 0, max: Number.MAX_SAFE_INTEGER },
  '--warm-pool-hold-ms': { key: 'warmPoolHoldMs', min: 0, max: MAX_TIMER_MS },
  '--max-blob-bytes': { key: 'maxBlobBytes', min: 0, max: Number.MAX_SAFE_INTEGER },
  '--max-code-bytes': { key: 'maxCodeBytes', min: 0, max: Number.MAX_SAFE_INTEGER },
  '--heartbeat-ms': { key: 'heartbeatMs', min: 1, max: MAX_TIMER_MS },
  '--gc-interval-ms': { key: 'gcIntervalMs', min: 1000, max: MAX_TIMER_MS },
};

export function parseArgs(argv: readonly string[]): PlatformOptions {
  const options: PlatformOptions = { port: DEFAULT_PORT };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value.\n${USAGE}`);
    if (flag === '--home') {
      options.home = value;
      continue;
    }
    if (flag === '--keep-versions') {
      try {
        options.retention = parseRetention(value);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${USAGE}`);
      }
      continue;
    }
    const numeric = NUMERIC_FLAGS[flag];
    if (!numeric) throw new Error(`Unknown option ${flag}.\n${USAGE}`);
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < numeric.min || number > numeric.max) {
      throw new Error(`${flag} must be a whole number from ${numeric.min} to ${numeric.max}, not ${JSON.stringify(value)}.\n${USAGE}`);
    }
    options[numeric.key] = number;
  }
  return options;
}

async function main(): Promise<void> {
  let options: PlatformOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  try {
    const platform = await startPlatform(options);
    process.stdout.write(`Flightdeck platform listening on ${platform.url} (state in ${platform.home})\n`);
    const stop = () => {
      platform.close().then(
        () => process.exit(0),
        (error: Error) => {
          process.stderr.write(`Error while stopping: ${error.message}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  } catch (error) {
    const message = isFlightdeckError(error) ? error.message : (error as Error).stack ?? String(error);
    process.stderr.write(`Flightdeck platform could not start: ${message}\n`);
    process.exit(1);
  }
}

void main();
