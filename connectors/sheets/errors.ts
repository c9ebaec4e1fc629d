import { DeliveryError, kindForStatus, parseRetryAfter, type DeliveryErrorKind, type PlatformResponse } from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';

/**
 * Google API errors → our kinds. Sheets answers `{error: {code, message, status}}` where
 * `status` is the canonical gRPC name (cloud.google.com/apis/design/errors#handling_errors);
 * 429 is the per-minute quota (developers.google.com/sheets/api/limits: "use exponential backoff").
 */
export interface GoogleApiError {
  code?: number;
  message?: string;
  status?: string;
}

export interface SheetsVerdict {
  kind: DeliveryErrorKind;
  meaning: string;
}

export const SHEETS_STATUSES: Readonly<Record<string, SheetsVerdict>> = {
  UNAUTHENTICATED: { kind: 'auth', meaning: 'the access token was refused' },
  // The sheet is not shared with the service account's e-mail, or the Sheets API is not enabled
  // in its Cloud project: either way a person must act. Pauses the destination.
  PERMISSION_DENIED: { kind: 'auth', meaning: 'no access: share the sheet with the service account as Editor, and enable the Sheets API' },
  NOT_FOUND: { kind: 'config', meaning: 'spreadsheet not found (check spreadsheetId)' },
  // e.g. "This operation is not supported for this document" (an uploaded .xlsx, not a Google Sheet).
  FAILED_PRECONDITION: { kind: 'config', meaning: 'the document cannot take this operation' },
  INVALID_ARGUMENT: { kind: 'payload', meaning: 'the request was refused' },
  RESOURCE_EXHAUSTED: { kind: 'rate_limited', meaning: 'per-minute quota exceeded' },
  UNAVAILABLE: { kind: 'transient', meaning: 'service unavailable' },
  INTERNAL: { kind: 'transient', meaning: 'internal error' },
  DEADLINE_EXCEEDED: { kind: 'transient', meaning: 'deadline exceeded' },
  ABORTED: { kind: 'transient', meaning: 'aborted (concurrent change)' },
};

export function sheetsVerdict(httpStatus: number, error: GoogleApiError | null): SheetsVerdict {
  // An unknown tab comes back as INVALID_ARGUMENT "Unable to parse range: …": the settings, not the row.
  if (error?.message && /unable to parse range/i.test(error.message)) return { kind: 'config', meaning: 'no such tab (check sheetName)' };
  const known = error?.status ? SHEETS_STATUSES[error.status] : undefined;
  if (known) return known;
  return { kind: kindForStatus(httpStatus) ?? 'transient', meaning: 'unrecognised error' };
}

/** OAuth token endpoint errors (RFC 6749 §5.2: `{error, error_description}`). */
export const TOKEN_ERRORS: Readonly<Record<string, SheetsVerdict>> = {
  // Key deleted or disabled, wrong signature, or our clock is off by more than a few minutes.
  invalid_grant: { kind: 'auth', meaning: 'the service-account key was refused' },
  invalid_client: { kind: 'auth', meaning: 'unknown service account' },
  unauthorized_client: { kind: 'auth', meaning: 'the service account may not use this grant' },
  access_denied: { kind: 'auth', meaning: 'access denied' },
  invalid_scope: { kind: 'config', meaning: 'the spreadsheets scope was refused' },
};

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

const retryAfter = (res: PlatformResponse) => {
  const ms = parseRetryAfter(res.headers['retry-after']);
  return ms === undefined ? {} : { retryAfterMs: ms };
};

/** A non-2xx Sheets answer → DeliveryError. */
export function sheetsError(res: PlatformResponse): DeliveryError {
  const raw = parseJsonObject(res.body)?.error;
  const error = raw && typeof raw === 'object' ? (raw as GoogleApiError) : null;
  const verdict = sheetsVerdict(res.status, error);
  const detail = error?.message ? clip(error.message) : clip(res.body) || 'no body';
  const label = [`Google Sheets HTTP ${res.status}`, error?.status].filter(Boolean).join(' ');
  return new DeliveryError(verdict.kind, `${label} (${verdict.meaning}): ${detail}`, {
    status: res.status,
    ...(error?.status ? { platformCode: error.status } : {}),
    ...retryAfter(res),
  });
}

/** A non-2xx token endpoint answer → DeliveryError. */
export function tokenError(res: PlatformResponse): DeliveryError {
  const body = parseJsonObject(res.body);
  const code = typeof body?.error === 'string' ? body.error : undefined;
  const verdict = (code ? TOKEN_ERRORS[code] : undefined) ?? { kind: kindForStatus(res.status) ?? 'transient', meaning: 'token request failed' };
  const description = typeof body?.error_description === 'string' ? `: ${clip(body.error_description)}` : '';
  const label = [`Google token endpoint HTTP ${res.status}`, code].filter(Boolean).join(' ');
  return new DeliveryError(verdict.kind, `${label} (${verdict.meaning})${description}`, {
    status: res.status,
    ...(code ? { platformCode: code } : {}),
    ...retryAfter(res),
  });
}
