import { kindForStatus, POLICY, type DeliveryErrorKind } from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';

/**
 * Graph API error codes → our kinds. Source: developers.facebook.com/docs/graph-api/guides/error-handling
 * — 1/2 temporary, 4/17/341 throttling, 190 token, 10 and
 * 200–299 permission, 368 temporarily blocked, 100 invalid parameter.
 */
export interface MetaGraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  /** CAPI answers carry it; true = "retry the same request later". */
  is_transient?: boolean;
  /** Sometimes a JSON string; for batches it can name the failing event (`event_index`). */
  error_data?: unknown;
  fbtrace_id?: string;
}

export interface MetaVerdict {
  kind: DeliveryErrorKind;
  meaning: string;
  /** A floor for the next try when Meta's own guidance is "wait", not "retry soon". */
  retryAfterMs?: number;
}

export const META_CODES: Readonly<Record<number, MetaVerdict>> = {
  1: { kind: 'transient', meaning: 'unknown error; retry' },
  2: { kind: 'transient', meaning: 'service temporarily unavailable' },
  // Throttling: back off (error-handling guide, "Rate limiting").
  4: { kind: 'rate_limited', meaning: 'application request limit reached' },
  17: { kind: 'rate_limited', meaning: 'user request limit reached' },
  32: { kind: 'rate_limited', meaning: 'page request limit reached' },
  341: { kind: 'rate_limited', meaning: 'application limit reached' },
  613: { kind: 'rate_limited', meaning: 'calls within one hour exceeded' },
  // 368 "temporarily blocked for policy violations": not fixable by re-auth and not this event's
  // fault; Meta lifts it after a while, so wait long instead of pausing (health still counts it).
  368: { kind: 'rate_limited', meaning: 'temporarily blocked for policy violations', retryAfterMs: 15 * 60_000 },
  // The token: a person must generate a new one. Pauses the destination.
  102: { kind: 'auth', meaning: 'session invalid' },
  104: { kind: 'auth', meaning: 'access token missing' },
  190: { kind: 'auth', meaning: 'access token invalid or expired' },
  10: { kind: 'auth', meaning: 'permission denied' },
  // The app or object the settings name.
  3: { kind: 'config', meaning: 'the app lacks the capability for this call' },
  803: { kind: 'config', meaning: 'the object does not exist' },
  100: { kind: 'payload', meaning: 'invalid parameter' },
};

/** `code/subcode` pairs that mean something else than their code alone. */
export const META_SUBCODES: Readonly<Record<string, MetaVerdict>> = {
  // "Object with ID '…' does not exist, cannot be loaded due to missing permissions, or does not
  // support this operation": the pixel id is wrong or the token cannot see it — configuration.
  '100/33': { kind: 'config', meaning: 'unknown pixel id, or the token has no access to it' },
};

/**
 * The kind for one Graph error. Order: code/subcode pair, then the code (with the 200–299
 * permission range and the 80000–80099 business-use-case throttles), then the HTTP status; an
 * `is_transient: true` error is always worth retrying, whatever its code says.
 */
export function metaVerdict(error: MetaGraphError, status: number): MetaVerdict {
  const code = error.code;
  let verdict: MetaVerdict | undefined = code === undefined ? undefined : (META_SUBCODES[`${code}/${error.error_subcode}`] ?? META_CODES[code]);
  if (!verdict && code !== undefined) {
    if (code >= 200 && code <= 299) verdict = { kind: 'auth', meaning: 'permission missing' };
    // Marketing API business-use-case rate limits (80000 ads insights … 80004 ads management …).
    else if (code >= 80000 && code <= 80099) verdict = { kind: 'rate_limited', meaning: 'business use case rate limit' };
  }
  // Unknown code: the status decides (5xx transient, 400 payload…); no status reading → retry.
  verdict ??= { kind: kindForStatus(status) ?? 'transient', meaning: 'unrecognised error' };
  if (error.is_transient === true && !POLICY[verdict.kind].retryable) return { kind: 'transient', meaning: `${verdict.meaning} (marked transient)` };
  return verdict;
}

/** "190", "100/33": what the attempt record shows as platformCode. */
export function metaPlatformCode(error: MetaGraphError): string | undefined {
  if (error.code === undefined) return undefined;
  return error.error_subcode === undefined ? String(error.code) : `${error.code}/${error.error_subcode}`;
}

/**
 * Which event of the batch Meta blames, when it says: `error_data.event_index` (seen on
 * offline-event batches) or a `data[N]` path in the message (Graph's parameter errors).
 * Null when nothing names exactly one event in range.
 */
export function blamedEventIndex(error: MetaGraphError, batchSize: number): number | null {
  // error_data may arrive as a JSON string; anything else that is a string is scanned as text below.
  const data = typeof error.error_data === 'string' ? (parseJsonObject(error.error_data) ?? error.error_data) : error.error_data;
  const fromData = data && typeof data === 'object' ? (data as { event_index?: unknown }).event_index : undefined;
  if (typeof fromData === 'number' && Number.isInteger(fromData)) return fromData >= 0 && fromData < batchSize ? fromData : null;
  const text = [error.error_user_msg, error.message, typeof data === 'string' ? data : ''].join(' ');
  const found = new Set([...text.matchAll(/\bdata\[(\d+)\]/g)].map((m) => Number(m[1])));
  if (found.size !== 1) return null;
  const index = [...found][0];
  return index !== undefined && index < batchSize ? index : null;
}
