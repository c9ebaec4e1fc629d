import { createHash, sign } from 'node:crypto';
import { DeliveryError, type ConnectorIo } from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';
import { tokenError } from './errors';
import { SHEETS_SCOPE, type SheetsCredentials } from './schema';

/**
 * Service-account OAuth: the JWT-bearer grant (RFC 7523) that Google documents at
 * developers.google.com/identity/protocols/oauth2/service-account#httprest, hand-rolled so it
 * honours the key file's `token_uri` and goes through io.http (google-auth-library's JWT client
 * posts to a hard-coded https://oauth2.googleapis.com/token with its own HTTP stack, build/src/gtoken/getToken.js).
 */

/** Google accepts assertions valid for at most one hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Fetch a new token this long before the old one expires, so no request carries a dying one. */
const REFRESH_EARLY_MS = 60_000;

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * The connector's only state: access tokens by account, in module memory, until they expire.
 * Never logged, never returned in a request or an error. Keyed by client_email, plus token_uri
 * (a token is valid only where it was minted) and a fingerprint of the private key (a replaced
 * key must not keep using the old key's token).
 */
const cache = new Map<string, CachedToken>();
const inflight = new Map<string, Promise<CachedToken>>();
const cacheKey = (key: SheetsCredentials) =>
  `${key.client_email}\u0000${key.token_uri}\u0000${createHash('sha256').update(key.private_key).digest('hex').slice(0, 16)}`;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** RS256-signed assertion: iss = the service account, aud = token_uri, scope = spreadsheets. */
export function signAssertion(key: SheetsCredentials, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const claims = { iss: key.client_email, scope: SHEETS_SCOPE, aud: key.token_uri, iat, exp: iat + ASSERTION_LIFETIME_S };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign('RSA-SHA256', Buffer.from(input), key.private_key))}`;
}

async function fetchToken(io: ConnectorIo, key: SheetsCredentials, nowMs: number, signal?: AbortSignal): Promise<CachedToken> {
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(key, nowMs) });
  const res = await io.http.send(
    { method: 'POST', url: key.token_uri, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString() },
    { timeoutMs: io.timeoutMs, ...(signal ? { signal } : {}) },
  );
  if (res.status < 200 || res.status >= 300) throw tokenError(res);
  const parsed = parseJsonObject(res.body);
  if (typeof parsed?.access_token !== 'string' || parsed.access_token === '') {
    throw new DeliveryError('transient', `Google token endpoint answered HTTP ${res.status} without an access_token`, { status: res.status });
  }
  const lifetimeS = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 3600;
  return { accessToken: parsed.access_token, expiresAt: nowMs + lifetimeS * 1000 };
}

/** A valid access token for `key`: from the cache, else one exchange (shared by concurrent callers). */
export async function accessToken(io: ConnectorIo, key: SheetsCredentials, nowMs: number, signal?: AbortSignal): Promise<string> {
  const k = cacheKey(key);
  const cached = cache.get(k);
  if (cached && nowMs < cached.expiresAt - REFRESH_EARLY_MS) return cached.accessToken;
  let pending = inflight.get(k);
  if (!pending) {
    pending = fetchToken(io, key, nowMs, signal).finally(() => inflight.delete(k));
    inflight.set(k, pending);
  }
  const fresh = await pending;
  cache.set(k, fresh);
  return fresh.accessToken;
}

/** Drops the cached token (Sheets refused it: revoked or expired early). */
export function forgetAccessToken(key: SheetsCredentials): void {
  cache.delete(cacheKey(key));
}

/** Tests only: start from an empty cache. */
export function clearTokenCache(): void {
  cache.clear();
}
