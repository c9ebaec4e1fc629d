import pino, { type Logger } from 'pino';

/**
 * The root logger. Redaction is a second fence: code already avoids logging secrets and raw
 * personal data; these paths catch what slips through (request headers, credential objects).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers["access-token"]',
          '*.credentials',
          '*.secret',
          '*.token',
          '*.key',
          'credentials',
          'secret',
          'token',
          'ip',
          'userAgent',
          '*.ip',
          '*.userAgent',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
export type { Logger };
