import type { ConversionRecord } from '../conversions/conversion';
import { type Adjustment, adjustmentSchema } from '../connector-kit/adjustment';
import type { AttemptRow, DeliveryRow, DeliveryStatus, DestinationState, ReceivedPostback, RejectionRow } from './ledger';

/** Column ↔ record mapping, shared by every engine (the SQL is the same on all of them). */
export type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** `{}` for an object without keys, else its JSON: most conversions carry no params, identifiers or consent. */
function objectJson(v: object | undefined): string {
  if (v !== undefined) for (const _ in v) return JSON.stringify(v);
  return '{}';
}

export function conversionToRow(c: ConversionRecord): unknown[] {
  return [
    c.id,
    c.source,
    c.transactionId,
    c.event,
    c.status,
    c.payout,
    c.currency,
    c.offerId,
    c.clickId,
    c.matched ? 1 : 0,
    c.click ? JSON.stringify(c.click) : null,
    objectJson(c.params),
    c.receivedAt,
    c.updatedAt,
    objectJson(c.identifiers),
    c.warnings && c.warnings.length > 0 ? JSON.stringify(c.warnings) : '[]',
    objectJson(c.consent),
  ];
}
export const CONVERSION_COLUMNS =
  'id, source, transaction_id, event, status, payout, currency, offer_id, click_id, matched, click, params, received_at, updated_at, identifiers, warnings, consent';

export function rowToConversion(r: Row): ConversionRecord {
  return {
    id: String(r.id),
    source: String(r.source),
    transactionId: String(r.transaction_id),
    event: String(r.event),
    status: r.status as ConversionRecord['status'],
    payout: strOrNull(r.payout),
    currency: String(r.currency),
    offerId: strOrNull(r.offer_id),
    clickId: strOrNull(r.click_id),
    matched: num(r.matched) === 1,
    click: r.click ? JSON.parse(String(r.click)) : null,
    params: JSON.parse(String(r.params)),
    identifiers: r.identifiers ? JSON.parse(String(r.identifiers)) : {},
    warnings: r.warnings ? JSON.parse(String(r.warnings)) : [],
    consent: r.consent ? JSON.parse(String(r.consent)) : {},
    receivedAt: num(r.received_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToDelivery(r: Row): DeliveryRow {
  return {
    id: String(r.id),
    conversionId: String(r.conversion_id),
    destinationId: String(r.destination_id),
    connector: String(r.connector),
    dedupKey: String(r.dedup_key),
    status: r.status as DeliveryStatus,
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    nextAttemptAt: num(r.next_attempt_at),
    leaseOwner: strOrNull(r.lease_owner),
    leaseUntil: numOrNull(r.lease_until),
    lastError: strOrNull(r.last_error),
    lastKind: strOrNull(r.last_kind),
    adjustment: rowToAdjustment(r.adjustment),
    identifiersSent: r.identifiers_sent ? (JSON.parse(String(r.identifiers_sent)) as string[]) : null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToAttempt(r: Row): AttemptRow {
  return {
    id: String(r.id),
    deliveryId: String(r.delivery_id),
    attempt: num(r.attempt),
    startedAt: num(r.started_at),
    durationMs: num(r.duration_ms),
    request: r.request ? JSON.parse(String(r.request)) : null,
    responseStatus: numOrNull(r.response_status),
    responseBody: strOrNull(r.response_body),
    ...(r.response_headers !== undefined ? { responseHeaders: r.response_headers ? JSON.parse(String(r.response_headers)) : null } : {}),
    outcome: r.outcome as AttemptRow['outcome'],
    errorKind: strOrNull(r.error_kind),
    errorMessage: strOrNull(r.error_message),
    platformCode: strOrNull(r.platform_code),
    note: strOrNull(r.note),
    nextStep: r.next_step as AttemptRow['nextStep'],
    nextAttemptAt: numOrNull(r.next_attempt_at),
  };
}

export function rowToDestinationState(r: Row): DestinationState {
  return {
    destinationId: String(r.destination_id),
    paused: num(r.paused) === 1,
    pausedReason: strOrNull(r.paused_reason),
    pausedAt: numOrNull(r.paused_at),
    consecutiveFailures: num(r.consecutive_failures),
    firstFailureAt: numOrNull(r.first_failure_at),
    lastFailureAt: numOrNull(r.last_failure_at),
    lastSuccessAt: numOrNull(r.last_success_at),
  };
}

export function rowToRejection(r: Row): RejectionRow {
  return {
    id: String(r.id),
    source: strOrNull(r.source),
    receivedAt: num(r.received_at),
    httpStatus: num(r.http_status),
    code: String(r.code),
    message: String(r.message),
    params: JSON.parse(String(r.params)),
  };
}

/** The `adjustment` column (migration 61): null on an ordinary delivery; a row that does not parse is treated as one. */
function rowToAdjustment(v: unknown): Adjustment | null {
  if (v === null || v === undefined) return null;
  const parsed = adjustmentSchema.safeParse(JSON.parse(String(v)));
  return parsed.success ? parsed.data : null;
}

/** The `warnings` column: a JSON array (`[]` for none). */
export function rowToWarnings(v: unknown): string[] {
  return v ? (JSON.parse(String(v)) as string[]) : [];
}

export function rowToReceivedPostback(r: Row): ReceivedPostback {
  return {
    id: String(r.id),
    source: strOrNull(r.source),
    receivedAt: num(r.received_at),
    outcome: r.outcome === 'rejected' ? 'rejected' : 'accepted',
    httpStatus: num(r.http_status),
    code: strOrNull(r.code),
    message: strOrNull(r.message),
    params: JSON.parse(String(r.params)),
    conversionId: strOrNull(r.conversion_id),
  };
}
