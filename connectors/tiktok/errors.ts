import {
  DeliveryError,
  errorForResponse,
  parseRetryAfter,
  type DeliveryErrorKind,
  type DeliveryItem,
  type ItemOutcome,
  type Outcome,
  type PlatformResponse,
} from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';

/**
 * TikTok's own response codes → our kinds. TikTok answers HTTP 200 for most errors and puts the
 * verdict in `code`; "the code wins over the HTTP status" (code list from
 * business-api.tiktok.com/portal/docs?id=1737172488964097 as mirrored by api-evangelist).
 *
 * `ok` means the event is recorded (or already was); `partial` is handled per item by classify.
 */
export type TiktokVerdict = DeliveryErrorKind | 'ok' | 'partial';

export const TIKTOK_CODES: Readonly<Record<number, { verdict: TiktokVerdict; meaning: string }>> = {
  0: { verdict: 'ok', meaning: 'OK' },
  20001: { verdict: 'partial', meaning: 'partial success: some events were rejected' },
  // 40050 "duplicated request": TikTok already has this request, so the event is recorded.
  40050: { verdict: 'ok', meaning: 'duplicated request (already recorded)' },

  // Throttling: retry after backoff.
  40100: { verdict: 'rate_limited', meaning: 'app request rate limit' },
  40016: { verdict: 'rate_limited', meaning: 'app request rate limit' },
  40133: { verdict: 'rate_limited', meaning: 'advertiser QPS limit' },
  40132: { verdict: 'rate_limited', meaning: 'QPS limit on this pixel code' },

  // The token itself: a person must generate a new one. Pauses the destination.
  40102: { verdict: 'auth', meaning: 'access token expired' },
  40104: { verdict: 'auth', meaning: 'access token empty' },
  40105: { verdict: 'auth', meaning: 'access token invalid or revoked' },
  // 40001 "no permission": the token is valid but not for this pixel/advertiser. That is the
  // destination's configuration (wrong pixel code or a token from another account), not this
  // event; `config` says so in the pause reason. Same policy as `auth` (pause).
  40001: { verdict: 'config', meaning: 'no permission for this pixel' },

  // This request's content: the events fail, the destination keeps going.
  40000: { verdict: 'payload', meaning: 'invalid parameters' },
  40002: { verdict: 'payload', meaning: 'parameter error' },

  // TikTok's side: retry.
  50000: { verdict: 'transient', meaning: 'system error' },
  50002: { verdict: 'transient', meaning: 'processing error' },
  60001: { verdict: 'transient', meaning: 'maintenance' },
};

/**
 * Codes not in the table, by TikTok's documented ranges: 4xxxx is the client's request
 * (payload), 5xxxx and 6xxxx TikTok's side (transient). Anything else is unexplained, so it is
 * retried (transient) — a bounded number of times, then dead-lettered with the message.
 */
export function tiktokVerdict(code: number): { verdict: TiktokVerdict; meaning: string } {
  const known = TIKTOK_CODES[code];
  if (known) return known;
  if (code >= 40000 && code < 50000) return { verdict: 'payload', meaning: 'client error' };
  return { verdict: 'transient', meaning: code >= 50000 && code < 70000 ? 'server error' : 'unknown code' };
}

/**
 * The platform's answer → outcome(s). HTTP 4xx/5xx mean the call never reached the API logic
 * (wrong path, outage), so the status decides; on HTTP 2xx only `code === 0` is a success.
 */
export function classifyTiktok(res: PlatformResponse, items: readonly DeliveryItem[]): Outcome {
  const httpError = errorForResponse(res, 'TikTok');
  if (httpError) return { ok: false, error: httpError };
  const envelope = parseEnvelope(res.body);
  if (!envelope) {
    // No code, no verdict. Retrying is safe: event_id makes TikTok collapse a repeat.
    return {
      ok: false,
      error: new DeliveryError('transient', `TikTok answered HTTP ${res.status} without a readable {code}${snippet(res.body)}`, { status: res.status }),
    };
  }
  const { code, message } = envelope;
  const { verdict, meaning } = tiktokVerdict(code);
  if (verdict === 'ok') return code === 0 ? { ok: true } : { ok: true, note: `TikTok code ${code}: ${meaning}` };
  if (verdict === 'partial') return partialOutcomes(envelope, items);
  const retryAfterMs = verdict === 'rate_limited' ? parseRetryAfter(res.headers['retry-after']) : undefined;
  return {
    ok: false,
    error: new DeliveryError(verdict, `TikTok code ${code} (${meaning}): ${clip(message)}`, {
      status: res.status,
      platformCode: String(code),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    }),
  };
}

interface Envelope {
  code: number;
  message: string;
  data: unknown;
}

function parseEnvelope(body: string): Envelope | null {
  const o = parseJsonObject(body);
  if (typeof o?.code !== 'number' || !Number.isInteger(o.code)) return null;
  return { code: o.code, message: typeof o.message === 'string' ? o.message : '', data: o.data };
}

/**
 * 20001 "partial success". The shape of the failure list is not in the documentation we have,
 * so we look for entries naming our `event_id` (= dedupKey) anywhere in `data` (two levels
 * deep, arrays of objects): those items fail as `payload`; the others are recorded. When the
 * body names none, every item counts as delivered with a note — re-sending the whole batch
 * would fail the bad events again and cannot help the good ones, which TikTok already has.
 */
function partialOutcomes(envelope: Envelope, items: readonly DeliveryItem[]): ItemOutcome[] {
  const failed = failedEventIds(envelope.data);
  const note = `TikTok code 20001 (partial success): ${clip(envelope.message)}`;
  return items.map((item): ItemOutcome => {
    const reason = failed.get(item.dedupKey);
    if (reason === undefined) return { ok: true, note };
    return {
      ok: false,
      error: new DeliveryError('payload', `TikTok rejected this event in a partial success (20001): ${clip(reason || envelope.message)}`, {
        status: 200,
        platformCode: '20001',
      }),
    };
  });
}

function failedEventIds(data: unknown, depth = 0, out = new Map<string, string>()): Map<string, string> {
  if (depth > 2 || !data || typeof data !== 'object') return out;
  const values = Array.isArray(data) ? data : Object.values(data);
  for (const v of values) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.event_id === 'string') {
        const why = [o.code, o.message ?? o.msg ?? o.error].filter((x) => typeof x === 'string' || typeof x === 'number').join(' ');
        out.set(o.event_id, why);
        continue;
      }
    }
    failedEventIds(v, depth + 1, out);
  }
  return out;
}

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t || '(no message)';
}

function snippet(body: string): string {
  const t = body.replace(/\s+/g, ' ').trim();
  return t ? `: ${t.length > 120 ? `${t.slice(0, 120)}…` : t}` : ' (empty body)';
}
