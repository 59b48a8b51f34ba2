// The platform process (dist/platform.js): parses flags, starts the platform on 127.0.0.1 and
// closes it gracefully on SIGTERM/SIGINT (instances stopped, discovery file removed).
import { isFlightdeckError } from '../errors';
import { DEFAULT_PORT, startPlatform, type PlatformOptions } from './server';

const USAGE = `Usage: platform [--port N] [--home DIR] [--idle-timeout-ms N] [--queue-timeout-ms N] [--warm-pool N] [--max-blob-bytes N] [--max-code-bytes N] [--heartbeat-ms N]`;

type NumericOption = 'port' | 'idleTimeoutMs' | 'queueTimeoutMs' | 'warmPool' | 'maxBlobBytes' | 'maxCodeBytes' | 'heartbeatMs';

const NUMERIC_FLAGS: Record<string, NumericOption> = {
  '--port': 'port',
  '--idle-timeout-ms': 'idleTimeoutMs',
  '--queue-timeout-ms': 'queueTimeoutMs',
  '--warm-pool': 'warmPool',
  '--max-blob-bytes': 'maxBlobBytes',
  '--max-code-bytes': 'maxCodeBytes',
  '--heartbeat-ms': 'heartbeatMs',
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
    const key = NUMERIC_FLAGS[flag];
    if (!key) throw new Error(`Unknown option ${flag}.\n${USAGE}`);
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 0 || (key === 'port' && number > 65535)) {
      throw new Error(`${flag} must be a whole number ≥ 0, not ${JSON.stringify(value)}.`);
    }
    options[key] = number;
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
    process.stdout.write(`Flightdeck platform listening on ${platform.url}\n`);
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
