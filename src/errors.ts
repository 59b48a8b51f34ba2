// Errors with codes: every layer throws FlightdeckError so the CLI, the UI's error wrapper and the
// platform's HTTP layer can all say what went wrong and what to fix, without string matching.

export type ErrorCode =
  | 'BAD_REQUEST' // input is malformed or out of range; `field` names what
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'CONFLICT' // already exists, protected, or not allowed in the current state
  | 'ROLLOUT_ACTIVE' // 409: a rollout moves this alias; `rollout` names it; pause/promote/abort it first
  | 'PRECONDITION_FAILED' // stale ETag
  | 'BLOBS_MISSING'
  | 'PAYLOAD_TOO_LARGE'
  | 'CONFIG_INVALID' // flightdeck.yaml; `file`, `line`, `column` say where
  | 'NO_PROJECT' // no flightdeck.yaml
  | 'GIT' // no repository, detached HEAD, git missing
  | 'PLATFORM_UNREACHABLE'
  | 'UNAVAILABLE' // 503 from the gateway, or a provider outage
  | 'CANCELLED'
  | 'TIMEOUT' // a call got no answer in time; the message names the call
  | 'ROLLOUT_FAILED' // a rollout that was waited for rolled back or was aborted
  | 'ROLLOUT_UNVERIFIED' // a rollout that was waited for reached 100% without enough requests to judge
  | 'NOT_STARTED' // a deployed version did not start; `version` names it (the CLI exits 1)
  | 'INTERNAL';

export interface ErrorDetails {
  field?: string;
  file?: string;
  line?: number;
  column?: number;
  missing?: string[];
  status?: number;
  /** ROLLOUT_ACTIVE: the rollout's id. */
  rollout?: string;
  /** The version the error is about. */
  version?: number;
}

/**
 * Marks FlightdeckErrors across bundles: the CLI loads its parts as separate bundles (esbuild.mjs)
 * and a cloud provider is its own bundle (dist/provider-*.js), each with its own copy of this class,
 * so the brand is checked, not the class.
 */
const BRAND = Symbol.for('flightdeck.FlightdeckError');

export class FlightdeckError extends Error {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'FlightdeckError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string } & ErrorDetails {
    return { code: this.code, message: this.message, ...this.details };
  }
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ROLLOUT_ACTIVE: 409,
  BLOBS_MISSING: 409,
  PRECONDITION_FAILED: 412,
  NOT_STARTED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
};

export function httpStatusOf(error: FlightdeckError): number {
  return error.details.status ?? STATUS_BY_CODE[error.code] ?? 500;
}

export function isFlightdeckError(error: unknown, code?: ErrorCode): error is FlightdeckError {
  const branded = typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  return branded && (code === undefined || (error as FlightdeckError).code === code);
}
