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
  return {
    text: mask,
    request(req) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : mask(v);
      return {
        method: req.method,
        url: mask(req.url),
        headers,
        ...(req.body !== undefined ? { body: mask(req.body) } : {}),
      };
    },
  };
}

function buildMasker(secrets: readonly string[], pii: readonly string[]): (s: string) => string {
  const pairs: Array<[string, string]> = [];
  const add = (value: string, replacement: string) => {
    // Very short values would mask innocent text ("1", "ok"); real secrets are longer.
    if (value.length < 4) return;
    pairs.push([value, replacement]);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) pairs.push([encoded, replacement]);
    const json = JSON.stringify(value).slice(1, -1);
    if (json !== value) pairs.push([json, replacement]);
  };
  for (const s of secrets) add(s, REDACTED);
  for (const p of pii) add(p, '[pii]');
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
