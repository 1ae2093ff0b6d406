/**
 * The catalogue of rotad's errors. Every code here is documented in docs/errors.md (a test keeps
 * the two in step). Behaviour is driven by the class and its `retryable` flag, never by message text.
 */

/** Every stable error code rotad emits. */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'STORE_UNREACHABLE',
  'STORE_KEY_MISMATCH',
  'STORE_KEY_MISSING',
  'STORE_CORRUPT',
  'STORE_BUSY',
  'STORE_CONFLICT',
  'STORE_RECORD_LOST',
  'STORE_ACCESS_DENIED',
  'STORE_REQUEST_FAILED',
  'PROVIDER_REJECTED',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_BAD_RESPONSE',
  'PROVIDER_LIMIT_REACHED',
  'CREDENTIAL_IN_USE',
  'VERIFY_FAILED',
  'SUBMISSION_REFUSED',
  'CONSUMER_FAILED',
  'NOTIFIER_FAILED',
  'NOTIFIER_REFUSED',
  'POLICY_NOT_FOUND',
  'POLICY_SUSPENDED',
  'ROTATION_IN_PROGRESS',
  'ROLLBACK_UNSAFE',
  'USAGE_INVALID',
  'HANDOVER_LINK_INVALID',
  'API_UNAUTHORIZED',
  'API_FORBIDDEN',
  'REQUEST_INVALID',
  'RATE_LIMITED',
  'SERVER_UNREACHABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface RotadErrorOptions {
  /** Whether repeating the same step later may succeed. Default: false. */
  retryable?: boolean | undefined;
  /** Milliseconds the remote side asked us to wait (Retry-After), if it said. */
  retryAfterMs?: number | undefined;
  /** The underlying error; its message must already be free of secrets. */
  cause?: unknown;
}

export class RotadError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: RotadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotadError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A store compare-and-swap lost: someone else changed the record since we read it. */
export class StoreConflictError extends RotadError {
  constructor(message: string) {
    super('STORE_CONFLICT', message);
    this.name = 'StoreConflictError';
  }
}

/** The config file (or a reload of it) is invalid; `problems` are `file:line:col: message` lines. */
export class ConfigError extends RotadError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The CLI's exit code for an error: 2 when the command line or the config must change, else 1. */
export function exitCodeOf(code: string): number {
  return code === 'CONFIG_INVALID' || code === 'USAGE_INVALID' || code === 'POLICY_NOT_FOUND' ? 2 : 1;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RotadError && error.retryable;
}

/** A short, secret-free description of any thrown value, for logs and state records. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof RotadError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}
