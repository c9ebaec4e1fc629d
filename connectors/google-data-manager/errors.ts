import { z } from 'zod';
import {
  DeliveryError,
  kindForStatus,
  parseRetryAfter,
  type DeliveryErrorKind,
  type DeliveryItem,
  type ItemOutcome,
  type Outcome,
  type PlatformRequest,
  type PlatformResponse,
} from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';

/**
 * Data Manager answers with the standard Google error model: `{error: {code, message, status,
 * details[]}}`, with an ErrorInfo `reason` and, for INVALID_ARGUMENT, BadRequest `fieldViolations`.
 * It is fast-fail: one invalid event rejects the whole request and nothing is ingested.
 * https://developers.google.com/data-manager/api/devguides/concepts/understand-errors
 * https://developers.google.com/data-manager/api/reference/rest/v1/ErrorReason
 */

export const SCOPE_HINT =
  'the refresh token lacks the https://www.googleapis.com/auth/datamanager scope (a token minted for "adwords" only is refused): ' +
  're-authorize the Google account with the datamanager scope and save the new refresh token';

/** ErrorInfo reason → kind, where the reason alone decides. */
export const REASON_RULES: Readonly<Record<string, { kind: DeliveryErrorKind; hint?: string }>> = {
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: { kind: 'auth', hint: SCOPE_HINT },
  ACCESS_TOKEN_EXPIRED: { kind: 'auth' },
  PERMISSION_DENIED: { kind: 'auth', hint: 'the Google account has no access to operatingAccountId (or loginAccountId)' },
  INVALID_DESTINATION: { kind: 'config', hint: 'check operatingAccountId, loginAccountId and conversionActionId' },
  INVALID_CONVERSION_ACTION_ID: { kind: 'config', hint: 'check conversionActionId (the numeric id, owned by operatingAccountId)' },
  INVALID_CONVERSION_ACTION_TYPE: { kind: 'config', hint: 'the conversion action must accept imported click conversions' },
  TERMS_AND_CONDITIONS_NOT_SIGNED: { kind: 'config', hint: 'accept the customer data terms in Google Ads' },
  TOO_MANY_DESTINATIONS: { kind: 'config' },
  NOT_FOUND: { kind: 'config' },
  RESOURCE_EXHAUSTED: { kind: 'rate_limited' },
  INTERNAL_ERROR: { kind: 'transient' },
  DEADLINE_EXCEEDED: { kind: 'transient' },
};

/** A 400 that names the destination or an account is about configuration, not this event. */
const CONFIG_FIELD = /^destinations\b|operatingAccount|operating_account|loginAccount|login_account|productDestinationId|product_destination_id/;
const CONFIG_WORDS = /\b(destination|operating account|login account|conversion action)\b/i;
const EVENT_FIELD = /^events(?:\[(\d+)\]|\.(\d+))/;

const errorSchema = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().default(''),
    status: z.string().optional(),
    details: z.array(z.record(z.string(), z.unknown())).default([]),
  }),
});
const violationSchema = z.object({ field: z.string().default(''), description: z.string().default(''), reason: z.string().optional() });

export interface GoogleApiError {
  status?: string;
  message: string;
  reason?: string;
  violations: Array<z.infer<typeof violationSchema>>;
}

export function parseGoogleError(body: string): GoogleApiError | null {
  const parsed = errorSchema.safeParse(parseJsonObject(body));
  if (!parsed.success) return null;
  const { message, status, details } = parsed.data.error;
  const info = details.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.ErrorInfo'));
  const badRequest = details.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.BadRequest'));
  const raw = Array.isArray(badRequest?.fieldViolations) ? badRequest.fieldViolations : [];
  const violations = raw.map((v) => violationSchema.safeParse(v)).flatMap((r) => (r.success ? [r.data] : []));
  return { message, violations, ...(status ? { status } : {}), ...(typeof info?.reason === 'string' ? { reason: info.reason } : {}) };
}

/** The answer of `events:ingest` → outcome(s). Pure, never throws. */
export function classifyIngest(response: PlatformResponse, request: PlatformRequest, items: readonly DeliveryItem[]): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) {
    const requestId = readRequestId(response.body);
    // Re-sending is safe (transactionId de-duplicates), so an answer we cannot read retries.
    if (!requestId) return { ok: false, error: new DeliveryError('transient', `Data Manager answered ${status} without a requestId`, { status }) };
    const checkedOnly = request.body?.includes('"validateOnly":true') === true;
    return { ok: true, note: checkedOnly ? `validateOnly: checked by Google, nothing ingested (requestId ${requestId})` : `requestId ${requestId}` };
  }
  const err = parseGoogleError(response.body);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  const code = err?.reason ?? err?.status ?? `HTTP_${status}`;
  const text = (extra?: string) =>
    `Data Manager ${status}${err?.reason ? ` ${err.reason}` : err?.status ? ` ${err.status}` : ''}: ${err?.message || 'no error message'}${extra ? ` — ${extra}` : ''}`;
  const make = (kind: DeliveryErrorKind, extra?: string) =>
    new DeliveryError(kind, text(extra), { status, platformCode: code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

  const byStatus = kindForStatus(status) ?? 'transient';
  // Throttling and outages first: whatever the body says, they are worth a retry.
  if (byStatus === 'rate_limited' || byStatus === 'transient') return { ok: false, error: make(byStatus) };
  const rule = err?.reason ? REASON_RULES[err.reason] : undefined;
  if (status === 401 || status === 403) return { ok: false, error: make('auth', rule?.hint) };
  if (rule && rule.kind !== 'transient' && rule.kind !== 'rate_limited') return { ok: false, error: make(rule.kind, rule.hint) };
  if (status !== 400) return { ok: false, error: make(byStatus) };

  const violations = err?.violations ?? [];
  if (violations.some((v) => CONFIG_FIELD.test(v.field)) || (violations.length === 0 && CONFIG_WORDS.test(err?.message ?? ''))) {
    return { ok: false, error: make('config', violations.map(describe).join('; ') || undefined) };
  }
  const perEvent = new Map<number, string[]>();
  for (const v of violations) {
    const m = EVENT_FIELD.exec(v.field);
    const i = m ? Number(m[1] ?? m[2]) : NaN;
    if (Number.isInteger(i) && i < items.length) perEvent.set(i, [...(perEvent.get(i) ?? []), describe(v)]);
  }
  if (perEvent.size === 0) return { ok: false, error: make('payload', violations.map(describe).join('; ') || undefined) };
  // Fast-fail: the named events are invalid; the others were not ingested and go again without them.
  return items.map((_, i): ItemOutcome => {
    const mine = perEvent.get(i);
    if (mine)
      return { ok: false, error: new DeliveryError('payload', text(mine.join('; ')), { status, platformCode: violationReason(violations, i) ?? code }) };
    return {
      ok: false,
      error: new DeliveryError('transient', 'not ingested: Data Manager rejected the request because of another event in it', {
        status,
        platformCode: 'NOT_INGESTED',
      }),
    };
  });
}

function describe(v: { field: string; description: string }): string {
  return v.field ? `${v.field}: ${v.description}` : v.description;
}

function violationReason(violations: GoogleApiError['violations'], index: number): string | undefined {
  return violations.find((v) => {
    const m = EVENT_FIELD.exec(v.field);
    return m && Number(m[1] ?? m[2]) === index;
  })?.reason;
}

function readRequestId(body: string): string | null {
  const id = parseJsonObject(body)?.requestId;
  return typeof id === 'string' && id !== '' ? id : null;
}
