import { DeliveryError, type DeliveryErrorKind } from './delivery-error';
import type { ItemOutcome } from './define';
import type { PlatformResponse } from './http-types';

/**
 * Default reading of an HTTP status, for platforms whose status is the whole story (and as the
 * fallback for those that put their own code in the body). Follows RFC 9110 and the common
 * convention: 408/425/429/5xx are worth retrying, 501 is not; 401/403 mean the credentials,
 * 404 the configured account or URL, other 4xx this event.
 */
export function kindForStatus(status: number): DeliveryErrorKind | null {
  if (status >= 200 && status < 300) return null;
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 425 || (status >= 500 && status !== 501)) return 'transient';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410 || status === 501) return 'config';
  if (status >= 300 && status < 400) return 'config'; // redirects are not followed: the URL is stale
  return 'payload';
}

export function errorForResponse(res: PlatformResponse, label = 'destination'): DeliveryError | null {
  const kind = kindForStatus(res.status);
  if (kind === null) return null;
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  return new DeliveryError(kind, `${label} answered HTTP ${res.status}${redirectHint(res)}${snippet(res.body)}`, {
    status: res.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The whole outcome when the status is the whole story: any 2xx succeeds, the rest as `errorForResponse`. */
export function outcomeForStatus(res: PlatformResponse, label = 'destination'): ItemOutcome {
  const error = errorForResponse(res, label);
  return error ? { ok: false, error } : { ok: true };
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with the day name; without this check V8's lenient parser reads
  // garbage such as "-5" or "1.5" as dates in 2001, i.e. "retry now".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Redirects are never followed (the SSRF guard checks the URL we were given): say where it points. */
export function redirectHint(res: PlatformResponse): string {
  const location = res.status >= 300 && res.status < 400 ? res.headers.location : undefined;
  return location ? ` (redirect to ${location}, not followed: update the URL)` : '';
}

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
