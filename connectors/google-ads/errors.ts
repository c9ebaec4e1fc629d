import { DeliveryError, type DeliveryErrorKind } from '../../src/connector-kit';

/**
 * Google Ads error → our kind. Google reports an error as a GoogleAdsError whose `error_code` is a
 * oneof: the field name is the family (`conversion_upload_error`, `quota_error`…) and the value an
 * enum name. We look the enum name up first, then the family, then the gRPC status.
 * Enums: https://developers.google.com/google-ads/api/reference/rpc/v25/ConversionUploadErrorEnum.ConversionUploadError
 * Retry advice: https://developers.google.com/google-ads/api/docs/best-practices/error-types
 */

/** One decoded GoogleAdsError, as `send` writes it into the response body. */
export interface GoogleAdsErrorEntry {
  /** Row of `conversions` it concerns (from location.field_path_elements), when it names one. */
  index?: number;
  /** The oneof field of ErrorCode, e.g. `conversion_upload_error`. */
  type: string;
  /** The enum value name, e.g. `UNPARSEABLE_GCLID`. */
  error_code: string;
  message: string;
  /** QuotaErrorDetails.retry_delay, when Google sent one. */
  retry_delay_ms?: number;
}

export type Rule = { kind: DeliveryErrorKind | 'duplicate'; retryAfterMs?: number; hint?: string };
export type CodeRules = Readonly<Record<string, Rule>>;

const SIX_HOURS = 6 * 3_600_000;
const dup: Rule = { kind: 'duplicate' };
const later: Rule = { kind: 'transient', retryAfterMs: SIX_HOURS, hint: 'Google accepts it about 6 hours after the click or the action was created' };
const config: Rule = { kind: 'config' };
const payload: Rule = { kind: 'payload' };
const auth: Rule = { kind: 'auth' };

export const NOT_ALLOWLISTED_HINT =
  'Google closed UploadClickConversions to new adopters on 2026-06-15 (only accounts that imported offline conversions ' +
  'between Dec 2025 and May 2026 may continue). Use the google-data-manager connector (Data Manager API events:ingest) ' +
  'for this account: https://developers.google.com/ads/blog/posts/2026/05/changes-to-offline-click-conversion';

/** By enum value name. Names are unique across the families we meet on this method. */
export const CODE_RULES: Readonly<Record<string, Rule>> = {
  // Already recorded: a re-sent delivery (same order_id) or the same click + time. Success.
  ORDER_ID_ALREADY_IN_USE: dup,
  DUPLICATE_ORDER_ID: dup,
  CLICK_CONVERSION_ALREADY_EXISTS: dup,
  DUPLICATE_CLICK_CONVERSION_IN_REQUEST: dup,
  // "Retry after 6 hours" per the enum docs.
  TOO_RECENT_EVENT: later,
  TOO_RECENT_CONVERSION_ACTION: later,
  // The account or its setup: stop the destination until someone fixes it.
  CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE: { kind: 'config', hint: NOT_ALLOWLISTED_HINT },
  NO_CONVERSION_ACTION_FOUND: { kind: 'config', hint: 'check conversionActionId and that it belongs to customerId' },
  INVALID_CONVERSION_ACTION_TYPE: { kind: 'config', hint: 'the conversion action must be of type "Import → clicks"' },
  UNAUTHORIZED_CUSTOMER: config,
  CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS: config,
  PARTIAL_FAILURE_MODE_REQUIRED: config,
  INVALID_LOGIN_CUSTOMER_ID: { kind: 'config', hint: 'check loginCustomerId (the manager account)' },
  INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION: { kind: 'config', hint: 'customerId is not under loginCustomerId' },
  INVALID_CUSTOMER_ID: config,
  CLIENT_CUSTOMER_ID_INVALID: config,
  CUSTOMER_NOT_FOUND: config,
  CUSTOMER_NOT_ENABLED: config,
  ACCESS_PROHIBITED: auth,
  // This conversion only.
  UNPARSEABLE_GCLID: payload,
  UNPARSEABLE_GBRAID: payload,
  UNPARSEABLE_WBRAID: payload,
  GBRAID_WBRAID_BOTH_SET: payload,
  EXPIRED_EVENT: payload,
  CONVERSION_PRECEDES_EVENT: payload,
  // Docs: may be ignored when the click did not come from Google Ads.
  CLICK_NOT_FOUND: payload,
  EVENT_NOT_FOUND: payload,
  INVALID_CUSTOMER_FOR_CLICK: payload,
  CONVERSION_TRACKING_NOT_ENABLED_AT_IMPRESSION_TIME: payload,
  ORDER_ID_CONTAINS_PII: payload,
  TOO_MANY_CONVERSIONS_IN_REQUEST: payload,
  CONCURRENT_MODIFICATION: { kind: 'transient' },
};

/** By ErrorCode oneof field, when the enum name is not in CODE_RULES. */
export const TYPE_RULES: Readonly<Record<string, Rule>> = {
  authentication_error: auth,
  authorization_error: auth,
  quota_error: { kind: 'rate_limited' },
  internal_error: { kind: 'transient' },
  database_error: { kind: 'transient' },
  not_allowlisted_error: { kind: 'config', hint: NOT_ALLOWLISTED_HINT },
  header_error: config,
  conversion_upload_error: payload,
  date_error: payload,
  field_error: payload,
  request_error: payload,
};

/** gRPC status code → kind, for failures without a GoogleAdsFailure (transport, proxies). */
export const GRPC_RULES: Readonly<Record<number, DeliveryErrorKind>> = {
  1: 'transient', // CANCELLED
  2: 'transient', // UNKNOWN
  3: 'payload', // INVALID_ARGUMENT
  4: 'transient', // DEADLINE_EXCEEDED
  5: 'config', // NOT_FOUND
  6: 'payload', // ALREADY_EXISTS
  7: 'auth', // PERMISSION_DENIED
  8: 'rate_limited', // RESOURCE_EXHAUSTED
  9: 'config', // FAILED_PRECONDITION
  10: 'transient', // ABORTED
  11: 'payload', // OUT_OF_RANGE
  12: 'config', // UNIMPLEMENTED
  13: 'transient', // INTERNAL
  14: 'transient', // UNAVAILABLE
  15: 'transient', // DATA_LOSS
  16: 'auth', // UNAUTHENTICATED
};

/**
 * gRPC status → HTTP status, Google's own mapping (google/rpc/code.proto), so the attempt record
 * and the shared conformance rules (429, 5xx) read a gRPC failure like an HTTP one.
 */
export const GRPC_HTTP_STATUS: Readonly<Record<number, number>> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Used when neither the enum name nor the family is known: fail this conversion only. */
export const DEFAULT_RULE: Rule = payload;

/** `codes`: the method's own table first (adjust-errors.ts for adjustments), then the families. */
export function ruleFor(entry: Pick<GoogleAdsErrorEntry, 'type' | 'error_code'>, codes: CodeRules = CODE_RULES): Rule {
  return codes[entry.error_code] ?? TYPE_RULES[entry.type] ?? DEFAULT_RULE;
}

/** Worst first: when one row carries several errors, the one that decides. */
const SEVERITY: Record<Rule['kind'], number> = { config: 0, auth: 1, rate_limited: 2, transient: 3, payload: 4, duplicate: 5 };

export function decisive(entries: readonly GoogleAdsErrorEntry[], codes: CodeRules = CODE_RULES): GoogleAdsErrorEntry | undefined {
  return [...entries].sort((a, b) => SEVERITY[ruleFor(a, codes).kind] - SEVERITY[ruleFor(b, codes).kind])[0];
}

/** A Google Ads error → DeliveryError, or null when it only says "already recorded". */
export function errorForEntry(entry: GoogleAdsErrorEntry, status?: number, codes: CodeRules = CODE_RULES): DeliveryError | null {
  const rule = ruleFor(entry, codes);
  if (rule.kind === 'duplicate') return null;
  const retryAfterMs = rule.retryAfterMs ?? entry.retry_delay_ms;
  const text = `Google Ads ${entry.error_code}: ${entry.message || entry.type}${rule.hint ? ` — ${rule.hint}` : ''}`;
  return new DeliveryError(rule.kind, text, {
    platformCode: entry.error_code,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export function errorForGrpc(code: number, message: string, status?: number): DeliveryError {
  const kind = GRPC_RULES[code] ?? 'transient';
  const name = GRPC_STATUS_NAMES[code] ?? `code ${code}`;
  return new DeliveryError(kind, `Google Ads gRPC ${name}: ${message}`, { platformCode: name, ...(status !== undefined ? { status } : {}) });
}
