import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DeliveryError, kindForStatus, parseRetryAfter, type ConnectorIo, type HttpClient } from '../../src/connector-kit';
import { parseJsonObject } from './json';

/**
 * Google's OAuth2 refresh-token grant, done through the kit's HttpClient (so tests point it at a
 * fake on 127.0.0.1 and no library does hidden I/O). Shared by google-ads and
 * google-data-manager. https://developers.google.com/identity/protocols/oauth2/web-server#offline
 *
 * Why not google-auth-library's UserRefreshClient (what google-ads-api uses)? Its token URL is
 * fixed to oauth2.googleapis.com, and when it fails inside gRPC call credentials grpc-js reports
 * the revoked token as status UNKNOWN ("Getting metadata from plugin failed"), which reads as a
 * transient error: the destination would retry forever instead of pausing for new credentials.
 */
export interface RefreshTokenCredentials {
  client_id: string;
  client_secret: string;
  refresh_token: string;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/** Refresh this long before Google's expiry, so a token never expires in flight. */
const EXPIRY_MARGIN_MS = 60_000;
const cache = new Map<string, CachedToken>();
const inFlight = new Map<string, Promise<CachedToken>>();

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive().default(3600) });
const tokenError = z.object({ error: z.string(), error_description: z.string().optional() });

/** Errors the token endpoint uses for credentials that will not work until someone fixes them. */
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'access_denied']);

/** Cache key: a digest, so the refresh token itself is not a Map key in a heap dump. */
function keyOf(tokenUrl: string, c: RefreshTokenCredentials): string {
  return createHash('sha256').update(`${tokenUrl}\0${c.client_id}\0${c.client_secret}\0${c.refresh_token}`).digest('hex');
}

/**
 * A valid access token for these credentials: cached until shortly before it expires (by the
 * injected clock `now`), one refresh at a time per credentials. Throws a DeliveryError: `auth`
 * for refused credentials, `rate_limited`/`transient` for throttling and outages.
 */
export async function getAccessToken(http: HttpClient, tokenUrl: string, creds: RefreshTokenCredentials, now: number, timeoutMs: number): Promise<string> {
  const key = keyOf(tokenUrl, creds);
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) return hit.accessToken;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = refresh(http, tokenUrl, creds, now, timeoutMs).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  const fresh = await pending;
  cache.set(key, fresh);
  return fresh.accessToken;
}

/** `verify` of the Google connectors: one refresh proves client_id, client_secret and refresh_token work together. */
export async function verifyRefreshToken(
  io: ConnectorIo,
  ctx: { settings: { tokenUrl: string }; credentials: RefreshTokenCredentials; now: number },
): Promise<void> {
  await getAccessToken(io.http, ctx.settings.tokenUrl, ctx.credentials, ctx.now, io.timeoutMs);
}

/** Drop a cached token the API refused (401), so the next attempt refreshes. */
export function forgetAccessToken(tokenUrl: string, creds: RefreshTokenCredentials): void {
  cache.delete(keyOf(tokenUrl, creds));
}

/** Tests: start from an empty cache. */
export function clearAccessTokens(): void {
  cache.clear();
}

async function refresh(http: HttpClient, tokenUrl: string, creds: RefreshTokenCredentials, now: number, timeoutMs: number): Promise<CachedToken> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: creds.client_id,
    client_secret: creds.client_secret,
    refresh_token: creds.refresh_token,
  }).toString();
  // Network failures and timeouts reject with a transient DeliveryError from the client itself.
  const res = await http.send(
    { method: 'POST', url: tokenUrl, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body },
    { timeoutMs },
  );
  const json = parseJsonObject(res.body);
  if (res.status >= 200 && res.status < 300) {
    const ok = tokenAnswer.safeParse(json);
    if (!ok.success)
      throw new DeliveryError('transient', `OAuth token endpoint answered ${res.status} without an access_token`, {
        status: res.status,
        platformCode: 'TOKEN_RESPONSE',
      });
    return { accessToken: ok.data.access_token, expiresAt: now + ok.data.expires_in * 1000 - EXPIRY_MARGIN_MS };
  }
  // Only the endpoint's error code and description go into the message: never the request body.
  const err = tokenError.safeParse(json);
  const code = err.success ? err.data.error : undefined;
  const detail = err.success ? `${err.data.error}${err.data.error_description ? `: ${err.data.error_description}` : ''}` : `HTTP ${res.status}`;
  let kind = kindForStatus(res.status) ?? 'transient';
  if (code && CREDENTIAL_ERRORS.has(code)) kind = 'auth';
  else if (kind === 'payload' || kind === 'config') kind = 'auth'; // any other 4xx: the credentials are what we sent
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
  const hint = kind === 'auth' ? ' — re-authorize the Google account and save a new refresh token (and check client_id/client_secret)' : '';
  throw new DeliveryError(kind, `Google OAuth refused the refresh token (${detail})${hint}`, {
    status: res.status,
    platformCode: code ?? `TOKEN_HTTP_${res.status}`,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
