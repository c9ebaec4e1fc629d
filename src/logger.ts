import pino, { type Logger } from 'pino';

/** A turn's lines beyond this many characters are written at once instead of at the turn's end. */
const MAX_BUFFERED = 64 * 1024;

/**
 * stdout with the lines of one event-loop turn written together: one `write` per turn (in
 * setImmediate) instead of one synchronous `write` syscall per line, which was 4 % of a postback's
 * CPU (two lines each). Written synchronously on `exit` (signals and crashes end through it), so
 * only a kill -9 or a native crash can lose the current turn's lines; the ledger, not the log, is
 * the record of what was accepted.
 */
export function turnBufferedStdout(fd = 1): pino.DestinationStream & { flush(): void } {
  // One buffer per descriptor, however many loggers write to it (tests and benchmarks open several
  // gateways in one process): their lines stay in order, and one exit listener writes them all.
  const existing = buffered.get(fd);
  if (existing) return existing;
  const out = pino.destination({ dest: fd, sync: true });
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  process.on('exit', flush);
  const stream = {
    write(line: string) {
      pending += line;
      if (pending.length > MAX_BUFFERED) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
  buffered.set(fd, stream);
  return stream;
}
const buffered = new Map<number, pino.DestinationStream & { flush(): void }>();

/**
 * The root logger. Redaction is a second fence: code already avoids logging secrets and raw
 * personal data; these paths catch what slips through (request headers, credential objects).
 * Without a destination it writes to stdout, a turn's lines at a time (turnBufferedStdout).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const out = destination ?? turnBufferedStdout();
  const root = pino(
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
    out,
  );
  unfenced.set(root, pino({ level, base: undefined }, out));
  return root;
}

const unfenced = new WeakMap<Logger, Logger>();

/**
 * The root logger's twin without the redaction fence (same level and destination), for lines
 * built field by field from values already made safe: observe.ts's access and intake lines (a
 * redacted query, ids, a route pattern, numbers; no key any redaction path names). The fence's
 * wildcard paths walk every field of every line: 7.8 µs a line against 1.6 µs without, two lines
 * per postback. Any other logger (a child, a test's) is returned as it is, fence included.
 */
export function unfencedTwin(logger: Logger): Logger {
  return unfenced.get(logger) ?? logger;
}
export type { Logger };
