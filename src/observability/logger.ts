import { pino, type Logger, type DestinationStream } from 'pino';
import { scrub, REDACTED } from '../secret.js';

export type { Logger } from 'pino';

/** Field names whose values are always secret, wherever they appear (two levels deep). */
const SECRET_FIELDS = ['secret', 'value', 'token', 'password', 'apiKey', 'key', 'authorization', 'credentials'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

interface LoggerOptions {
  /** pino level. Default: info. */
  level?: string;
  /** Where lines go. Default: stdout, written synchronously so a crash loses no line. */
  destination?: DestinationStream;
}

/**
 * The daemon's logger: JSON lines, redaction by field path, and a last pass over every line that
 * removes any known secret value (see secret.ts) — the layer that catches secrets in messages,
 * arrays and error texts that path redaction cannot see.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'rotad' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A logger that drops everything, for commands and tests that have no use for logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
