import { ApiError } from '../api-error';

/**
 * A dependency the gateway needs right now (the click store, the ledger's disk) failed: the
 * request is answered 503 with `Retry-After` and nothing is stored, so the caller — a network
 * re-sending a postback, a landing script — tries again instead of taking a lie for an answer.
 * The monitor of that dependency has already counted and (rate-limited) logged it, so the error
 * handler does not log it once more per request.
 */
export class DependencyUnavailableError extends ApiError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterS: number,
    options?: { cause?: unknown },
  ) {
    super(503, code, message);
    this.name = 'DependencyUnavailableError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The ledger cannot write (disk full, I/O error, fsync failed). */
export class StorageUnavailableError extends DependencyUnavailableError {
  constructor(cause: unknown) {
    super('STORAGE_UNAVAILABLE', 'storage is unavailable (disk full or I/O error); nothing was stored, retry later', 30, { cause });
    this.name = 'StorageUnavailableError';
  }
}

/** The click store did not answer in time or refused the command. */
export class ClickStoreUnavailableError extends DependencyUnavailableError {
  constructor(cause: unknown) {
    super('CLICK_STORE_UNAVAILABLE', 'the click store is unavailable; nothing was stored, retry later', 5, { cause });
    this.name = 'ClickStoreUnavailableError';
  }
}

/**
 * SQLite and file-system errors that mean "the disk cannot take this write now" rather than "this
 * write is wrong": SQLITE_FULL, SQLITE_IOERR_* (incl. the fsync), SQLITE_CANTOPEN, SQLITE_READONLY_*,
 * SQLITE_BUSY after busy_timeout, and the errno codes an fdatasync reports
 * (https://sqlite.org/rescode.html, https://man7.org/linux/man-pages/man2/fsync.2.html).
 */
const STORAGE_CODES = /^(SQLITE_(FULL|IOERR|CANTOPEN|READONLY|BUSY|NOMEM|PROTOCOL)(_[A-Z_]+)?|ENOSPC|EIO|EDQUOT|EROFS)$/;

export function isStorageFailure(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_CODES.test(code);
}
