import type { PlatformRequest } from './http-types';

export const REDACTED = '[redacted]';

/** Header names whose values are credentials whatever the connector says. */
const SECRET_HEADERS = new Set(['authorization', 'access-token', 'x-api-key', 'proxy-authorization', 'cookie', 'x-goog-api-key']);

/**
 * Removes secrets (by value: credentials as configured, tokens obtained at run time) and raw
 * personal data (click ip, user agent…) from a request before it is logged or stored as an
 * attempt record. Values are matched raw and URL-encoded, so a token in a query string goes too.
 */
export function redactRequest(req: PlatformRequest, secrets: readonly string[], pii: readonly string[] = []): PlatformRequest {
  return createRedactor(secrets, pii).request(req);
}

export function redactText(text: string, secrets: readonly string[], pii: readonly string[] = []): string {
  return buildMasker(secrets, pii)(text);
}

export interface Redactor {
  request(req: PlatformRequest): PlatformRequest;
  text(text: string): string;
}

/**
 * One masker for many values: build it once per batch, not once per item (a failing batch of
 * 1,000 events would otherwise rebuild it 1,000 times over every item's personal data).
 */
export function createRedactor(secrets: readonly string[], pii: readonly string[] = []): Redactor {
  const mask = buildMasker(secrets, pii);
  // Nothing to mask (a partner postback without a token or personal data): one shared redactor.
  if (mask === unchanged) return headersOnly;
  return {
    text: mask,
    request: (req) => redactWith(req, mask),
  };
}

const unchanged = (s: string): string => s;
/** The redactor when no value is to be masked: credential headers still go. */
const headersOnly: Redactor = { text: unchanged, request: (req) => redactWith(req, unchanged) };

function redactWith(req: PlatformRequest, mask: (s: string) => string): PlatformRequest {
  const headers: Record<string, string> = {};
  for (const k in req.headers) headers[k] = SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : mask(req.headers[k] as string);
  return {
    method: req.method,
    url: mask(req.url),
    headers,
    ...(req.body !== undefined ? { body: mask(req.body) } : {}),
  };
}

/** Adds `value` to be replaced, raw and in its URL- and JSON-encoded forms. */
function addPairs(pairs: Array<[string, string]>, value: string, replacement: string): void {
  // Very short values would mask innocent text ("1", "ok"); real secrets are longer.
  if (value.length < 4) return;
  pairs.push([value, replacement]);
  const encoded = encodeURIComponent(value);
  if (encoded !== value) pairs.push([encoded, replacement]);
  const json = JSON.stringify(value).slice(1, -1);
  if (json !== value) pairs.push([json, replacement]);
}

function buildMasker(secrets: readonly string[], pii: readonly string[]): (s: string) => string {
  if (secrets.length === 0 && pii.length === 0) return unchanged;
  const pairs: Array<[string, string]> = [];
  for (const s of secrets) addPairs(pairs, s, REDACTED);
  for (const p of pii) addPairs(pairs, p, '[pii]');
  if (pairs.length === 0) return unchanged;
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (s) => {
    let out = s;
    for (const [value, replacement] of pairs) if (out.includes(value)) out = out.split(value).join(replacement);
    return out;
  };
}

/** Every string leaf of a credentials object: what must never be written anywhere. */
export function secretValues(credentials: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(credentials);
  return out;
}

/**
 * Query-parameter names that carry a credential when one is pasted into a URL instead of
 * `credentials` (issue 7 item 10): token, key, api_key, apikey, secret, access_token, password,
 * sig, signature, … with the usual prefixes. Matched by name, so the value goes whatever it is.
 */
const CREDENTIAL_PARAM =
  /^(?:(?:api|access|auth|client|private|secret|session|app|account|partner|user|security|refresh|id|shared|hmac|x)[_-]?)?(?:key|token|secret|password|passwd|pwd|pass|sig|signature|auth)$|^(?:apikey|apitoken|authtoken|authorization)$/i;

export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM.test(name);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * The credential-looking query parameters of a URL (or URL template), values decoded; a password
 * in the userinfo (`https://user:pass@host/`) is reported as the parameter "password".
 */
export function credentialParams(url: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  const userinfo = /^https?:\/\/([^/?#@]*)@/i.exec(url)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo && colon !== -1) out.push({ name: 'password', value: decode(userinfo.slice(colon + 1)) });
  const q = url.indexOf('?');
  if (q === -1) return out;
  const hash = url.indexOf('#', q);
  for (const pair of url.slice(q + 1, hash === -1 ? undefined : hash).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = decode(pair.slice(0, eq));
    if (isCredentialParam(name)) out.push({ name, value: decode(pair.slice(eq + 1)) });
  }
  return out;
}

/**
 * The values of credentials pasted into the URLs of a destination's settings (`?token=abc…`),
 * to redact like configured credentials. A macro (`key={dedup_key}`) is not a pasted secret.
 */
export function urlSecretValues(settings: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      if (/^https?:\/\//i.test(v.trim())) for (const p of credentialParams(v)) if (p.value !== '' && !/^\{[A-Za-z0-9_]+\}$/.test(p.value)) out.push(p.value);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(settings);
  return out;
}
