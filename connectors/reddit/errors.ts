import { DeliveryError, kindForStatus, parseRetryAfter, type DeliveryErrorKind, type Outcome, type PlatformResponse } from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';

/**
 * Reddit's Conversions API has no error codes of its own: the HTTP status is the verdict and
 * the message says why (from Reddit's v3 migration note as captured in
 * Segment's V3-API-REFERENCE.md). This table is that status list; anything else falls back to
 * the kit's reading of the status (kindForStatus), which is the tested default.
 */
export const REDDIT_STATUS: Readonly<Record<number, { kind: DeliveryErrorKind; meaning: string }>> = {
  // "There were N invalid conversion events. None were processed." / "Bad Request" (>1000 events).
  400: { kind: 'payload', meaning: 'request rejected, no event processed' },
  401: { kind: 'auth', meaning: 'missing or invalid bearer token' },
  // Not authorised for this pixel, or the token lacks the adsconversions scope.
  403: { kind: 'auth', meaning: 'token not authorised for this pixel' },
  404: { kind: 'config', meaning: 'unknown pixel or path' },
  // Quota, or "Your user agent was automatically ratelimited." (a generic User-Agent).
  429: { kind: 'rate_limited', meaning: 'rate limited' },
  500: { kind: 'transient', meaning: 'service unavailable' },
};

/**
 * Message patterns that say more than the status: a 429 for the user agent is fixed by
 * settings.userAgent rather than by waiting, so the hint goes into the error message.
 */
const HINTS: Array<[RegExp, string]> = [
  [/user agent/i, ' (set settings.userAgent to something unique to this installation)'],
  [/adsconversions/i, ' (the token needs the adsconversions scope)'],
];

export function redditKind(status: number): DeliveryErrorKind | null {
  return REDDIT_STATUS[status]?.kind ?? kindForStatus(status);
}

/** Reddit answers for the whole request: one outcome, shared by every item. */
export function classifyReddit(res: PlatformResponse, itemCount: number): Outcome {
  const kind = redditKind(res.status);
  const message = readMessage(res.body);
  if (kind === null) {
    // v3: "Successfully processed N conversion events." A lower N is worth seeing, not retrying:
    // re-sending would be collapsed on conversion_id anyway.
    const n = /processed (\d+) conversion/i.exec(message)?.[1];
    return n !== undefined && Number(n) !== itemCount ? { ok: true, note: `Reddit: ${message} (sent ${itemCount})` } : { ok: true };
  }
  const meaning = REDDIT_STATUS[res.status]?.meaning ?? `HTTP ${res.status}`;
  const hint = HINTS.find(([re]) => re.test(message))?.[1] ?? '';
  const retryAfterMs = kind === 'rate_limited' || kind === 'transient' ? parseRetryAfter(res.headers['retry-after']) : undefined;
  return {
    ok: false,
    error: new DeliveryError(kind, `Reddit answered HTTP ${res.status} (${meaning})${message ? `: ${message}` : ''}${hint}`, {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    }),
  };
}

/** `{message}`, `{error: {message}}`, `{data: {message}}`, `{error: "…"}` or plain text. */
function readMessage(body: string): string {
  const pick = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : v && typeof v === 'object' ? pick((v as Record<string, unknown>).message) : undefined;
  const o = parseJsonObject(body);
  // Not JSON: keep the text (HTML error pages are cut below).
  const text = (o && (pick(o.message) ?? pick(o.error) ?? pick(o.data) ?? pick(o.reason))) || body;
  const t = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
