import { startFakeServer, type FakeReply, type RecordedRequest } from '../helpers/fake-server';

/**
 * Google's OAuth token endpoint and the Data Manager API `events:ingest`, on 127.0.0.1:0, checking
 * requests the way Google documents them:
 * https://developers.google.com/data-manager/api/reference/rest/v1/events/ingest
 */

export const DATA_MANAGER_SCOPE = 'https://www.googleapis.com/auth/datamanager';
export const ADWORDS_SCOPE = 'https://www.googleapis.com/auth/adwords';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Space-separated scopes the refresh token was granted. */
  scope?: string;
  expiresIn?: number;
}

export interface TokenEndpoint {
  /** Every access token handed out, in order. */
  issued: string[];
  /** Form bodies received (tests check the refresh token really went to the fake). */
  requests: URLSearchParams[];
  /** From now on the refresh token is refused with invalid_grant. */
  revoke(): void;
  handle(req: RecordedRequest): FakeReply;
  scopeOf(accessToken: string): string | undefined;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** The refresh-token grant of https://oauth2.googleapis.com/token, as Google answers it. */
export function createTokenEndpoint(client: OAuthClient): TokenEndpoint {
  const issued: string[] = [];
  const scopes = new Map<string, string>();
  const requests: URLSearchParams[] = [];
  let revoked = false;
  return {
    issued,
    requests,
    revoke: () => {
      revoked = true;
    },
    scopeOf: (t) => scopes.get(t),
    handle(req) {
      if (req.method !== 'POST') return json(405, { error: 'invalid_request', error_description: 'POST only' });
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return json(400, { error: 'invalid_request', error_description: 'form body expected' });
      }
      const form = new URLSearchParams(req.body);
      requests.push(form);
      if (form.get('grant_type') !== 'refresh_token') return json(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
      if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
        return json(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
      }
      if (revoked || form.get('refresh_token') !== client.refreshToken) {
        return json(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      }
      const token = `ya29.fake-access-${issued.length + 1}-${Math.random().toString(36).slice(2, 10)}`;
      issued.push(token);
      const scope = client.scope ?? DATA_MANAGER_SCOPE;
      scopes.set(token, scope);
      return json(200, { access_token: token, expires_in: client.expiresIn ?? 3599, scope, token_type: 'Bearer' });
    },
  };
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const ACCOUNT_TYPES = new Set(['GOOGLE_ADS', 'DISPLAY_VIDEO_PARTNER', 'DISPLAY_VIDEO_ADVERTISER', 'DATA_PARTNER', 'GOOGLE_ANALYTICS_PROPERTY']);
const EVENT_SOURCES = new Set(['WEB', 'APP', 'IN_STORE', 'PHONE', 'OTHER']);

interface Violation {
  field: string;
  description: string;
  reason: string;
}

function googleError(status: number, code: string, message: string, reason: string, violations: Violation[] = []): FakeReply {
  const details: unknown[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'datamanager.googleapis.com' }];
  if (violations.length > 0) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations });
  return json(status, { error: { code: status, message, status: code, details } });
}

const CONSENT_STATUSES = new Set(['CONSENT_STATUS_UNSPECIFIED', 'CONSENT_GRANTED', 'CONSENT_DENIED']);

/** Consent as proto3 JSON reads it (developers.google.com/data-manager/api/reference/rest/v1/Consent): two enum fields, nothing else. */
function checkConsent(c: unknown, at: string, add: (field: string, description: string, reason?: string) => void): void {
  if (!c || typeof c !== 'object' || Array.isArray(c)) {
    add(at, 'object expected');
    return;
  }
  for (const [k, v] of Object.entries(c)) {
    if (k !== 'adUserData' && k !== 'adPersonalization') add(`${at}.${k}`, `Unknown name "${k}"`);
    else if (!CONSENT_STATUSES.has(String(v))) add(`${at}.${k}`, `Invalid value "${String(v)}" (CONSENT_GRANTED, CONSENT_DENIED)`, 'INVALID_ENUM_VALUE');
  }
}

/** Checks one ingest body; returns the violations Google would report (fast-fail: any → 400). */
export function checkIngest(body: unknown): Violation[] {
  const v: Violation[] = [];
  const add = (field: string, description: string, reason = 'INVALID_ARGUMENT') => v.push({ field, description, reason });
  const b = body as { destinations?: unknown; events?: unknown; validateOnly?: unknown };
  if (!b || typeof b !== 'object') return [{ field: '', description: 'body must be a JSON object', reason: 'INVALID_ARGUMENT' }];
  const dests = Array.isArray(b.destinations) ? (b.destinations as Array<Record<string, any>>) : [];
  if (dests.length === 0 || dests.length > 10) add('destinations', 'between 1 and 10 destinations', 'TOO_MANY_DESTINATIONS');
  dests.forEach((d, i) => {
    const acc = d?.operatingAccount;
    if (!ACCOUNT_TYPES.has(acc?.accountType)) add(`destinations[${i}].operatingAccount.accountType`, 'unknown account type', 'INVALID_DESTINATION');
    if (!/^\d{10}$/.test(String(acc?.accountId ?? '')))
      add(`destinations[${i}].operatingAccount.accountId`, 'account id must be 10 digits', 'INVALID_DESTINATION');
    if (d?.loginAccount !== undefined && !/^\d{10}$/.test(String(d.loginAccount?.accountId ?? '')))
      add(`destinations[${i}].loginAccount.accountId`, 'account id must be 10 digits', 'INVALID_DESTINATION');
    if (!/^\d+$/.test(String(d?.productDestinationId ?? '')))
      add(`destinations[${i}].productDestinationId`, 'numeric conversion action id expected', 'INVALID_CONVERSION_ACTION_ID');
  });
  const events = Array.isArray(b.events) ? (b.events as Array<Record<string, any>>) : [];
  if (events.length === 0) add('events', 'at least one event is required', 'REQUIRED_FIELD_MISSING');
  if (events.length > 2000) add('events', 'at most 2000 events per request', 'TOO_MANY_EVENTS');
  events.forEach((e, i) => {
    const ts = String(e?.eventTimestamp ?? '');
    if (!RFC3339.test(ts) || Number.isNaN(Date.parse(ts))) add(`events[${i}].eventTimestamp`, 'RFC 3339 timestamp expected', 'INVALID_FORMAT');
    if (typeof e?.transactionId !== 'string' || e.transactionId === '') add(`events[${i}].transactionId`, 'required', 'REQUIRED_FIELD_MISSING');
    const ids = Object.entries(e?.adIdentifiers ?? {}).filter(([k, val]) => ['gclid', 'gbraid', 'wbraid'].includes(k) && typeof val === 'string' && val !== '');
    if (ids.length !== 1) add(`events[${i}].adIdentifiers`, 'exactly one of gclid, gbraid, wbraid', 'INVALID_ARGUMENT');
    if (e?.conversionValue !== undefined && typeof e.conversionValue !== 'number')
      add(`events[${i}].conversionValue`, 'number expected', 'INVALID_NUMBER_FORMAT');
    if (e?.currency !== undefined && !/^[A-Z]{3}$/.test(String(e.currency))) add(`events[${i}].currency`, 'ISO 4217 code expected', 'INVALID_CURRENCY_CODE');
    if (e?.userData !== undefined) {
      const ids = Array.isArray(e.userData?.userIdentifiers) ? (e.userData.userIdentifiers as Array<Record<string, unknown>>) : [];
      if (ids.length === 0 || ids.length > 10) add(`events[${i}].userData.userIdentifiers`, 'between 1 and 10 identifiers', 'INVALID_ARGUMENT');
      if ((b as { encoding?: unknown }).encoding !== 'HEX') add('encoding', 'required for UserData uploads (HEX for hex-encoded hashes)', 'INVALID_ARGUMENT');
      ids.forEach((id, j) => {
        const keys = Object.keys(id ?? {});
        if (keys.length !== 1 || !['emailAddress', 'phoneNumber'].includes(keys[0] as string))
          add(`events[${i}].userData.userIdentifiers[${j}]`, 'exactly one of emailAddress, phoneNumber', 'INVALID_ARGUMENT');
        else if (!/^[0-9a-f]{64}$/.test(String(id[keys[0] as string])))
          add(`events[${i}].userData.userIdentifiers[${j}].${keys[0]}`, 'SHA-256 hex expected (64 lower-case hex digits)', 'INVALID_SHA256_FORMAT');
      });
    }
    if (e?.eventSource !== undefined && !EVENT_SOURCES.has(e.eventSource)) add(`events[${i}].eventSource`, 'unknown event source', 'INVALID_ENUM_VALUE');
    if (e?.consent !== undefined) checkConsent(e.consent, `events[${i}].consent`, add);
  });
  if ((b as { consent?: unknown }).consent !== undefined) checkConsent((b as { consent?: unknown }).consent, 'consent', add);
  if (b.validateOnly !== undefined && typeof b.validateOnly !== 'boolean') add('validateOnly', 'boolean expected');
  return v;
}

export interface IngestRecord {
  body: any;
  authorization: string | undefined;
  /** The answer given (status). */
  status: number;
}

/** Starts the fake: `tokenUrl` for settings.tokenUrl, `baseUrl` for settings.baseUrl. */
export async function startDataManagerFake(client: OAuthClient) {
  const token = createTokenEndpoint(client);
  const ingests: IngestRecord[] = [];
  const script: FakeReply[] = [];
  const server = await startFakeServer((req) => {
    if (req.path === '/token') return token.handle(req);
    if (req.path !== '/v1/events:ingest' || req.method !== 'POST') return googleError(404, 'NOT_FOUND', `no route ${req.method} ${req.path}`, 'NOT_FOUND');
    const authorization = req.headers.authorization;
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      body = undefined;
    }
    const answer = (reply: FakeReply): FakeReply => {
      ingests.push({ body, authorization, status: reply.status ?? 200 });
      return reply;
    };
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!bearer || !token.issued.includes(bearer)) {
      return answer(googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', 'ACCESS_TOKEN_EXPIRED'));
    }
    if (!(token.scopeOf(bearer) ?? '').split(' ').includes(DATA_MANAGER_SCOPE)) {
      return answer(googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT'));
    }
    const scripted = script.shift();
    if (scripted) return answer(scripted);
    if (body === undefined) return answer(googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.', 'INVALID_ARGUMENT'));
    const violations = checkIngest(body);
    if (violations.length > 0)
      return answer(googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', violations[0]?.reason ?? 'INVALID_ARGUMENT', violations));
    return answer(json(200, { requestId: `req-${ingests.length + 1}-${Date.now().toString(36)}` }));
  });
  return {
    url: server.url,
    baseUrl: server.url,
    tokenUrl: `${server.url}/token`,
    token,
    ingests,
    /** Every request the server saw (token and ingest), raw. */
    requests: server.requests,
    /** The next ingest (after the token check) gets this answer instead of the checks. */
    next(reply: FakeReply): void {
      script.push(reply);
    },
    googleError,
    /** A `google-data-manager` destination (id `gdm`) aimed at this fake, signed in as `client`. */
    destination(over: { settings?: Record<string, unknown>; [field: string]: unknown } = {}) {
      const { settings, ...rest } = over;
      return {
        id: 'gdm',
        connector: 'google-data-manager',
        ...rest,
        settings: { baseUrl: server.url, tokenUrl: `${server.url}/token`, operatingAccountId: '123-456-7890', conversionActionId: '777', ...settings },
        credentials: { client_id: client.clientId, client_secret: client.clientSecret, refresh_token: client.refreshToken },
      };
    },
    waitFor: server.waitFor,
    close: server.close,
  };
}
export type DataManagerFake = Awaited<ReturnType<typeof startDataManagerFake>>;
