import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Field names that may carry a secret. Every logger redacts them wherever they appear at the top level or one level
 * down (pino's redaction is compiled once, when the logger is made, so it costs nothing per line).
 */
const SECRET_KEYS = [
  'SecretAccessKey',
  'secretAccessKey',
  'Token',
  'SessionToken',
  'sessionToken',
  'token',
  'tokenKey',
  'authorization',
  'x-aws-ec2-metadata-token',
] as const;

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.map((k) => `["${k}"]`),
  ...SECRET_KEYS.map((k) => `*["${k}"]`),
  'req.headers["x-aws-ec2-metadata-token"]',
  'req.headers.authorization',
];

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** Binaries log to stdout; tests pass their own stream and read what was written. */
  readonly stream?: DestinationStream;
  /** Bound into every line, e.g. the binary's name. */
  readonly base?: Record<string, unknown>;
}

/** A JSON logger with secrets redacted. One per binary, made in its app.ts and handed down. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    },
    options.stream ?? pino.destination({ dest: 1, sync: false }),
  );
}
