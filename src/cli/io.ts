/**
 * What a command may touch: its arguments, the environment, two output streams and fetch. The
 * bin passes the real ones; tests run the bin as a child process.
 */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  fetch: typeof fetch;
}

/** Exit codes: 0 fine; 1 the check found an error; 2 wrong usage; 3 the gateway could not be reached or refused the call. */
export const EXIT = { ok: 0, problems: 1, usage: 2, unreachable: 3 } as const;

/** A failure the user can act on: the message is printed as is, then the process exits with `code`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string, usage: string) => new CliError(`${message}\n\nusage: ${usage}`, EXIT.usage);
