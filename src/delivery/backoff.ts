export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** A platform may ask for a longer wait than our cap (Google: retry TOO_RECENT_EVENT after 6 h). */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Delay before attempt `attempt + 1`: exponential from `baseMs`, capped at `maxMs`, with "equal
 * jitter" (half fixed, half random) so a burst of failures does not retry in lock-step; never
 * sooner than the destination's Retry-After.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const delay = exp / 2 + (random() * exp) / 2;
  const floor = Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.round(Math.max(delay, floor));
}
