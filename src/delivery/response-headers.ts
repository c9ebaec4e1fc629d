import { REDACTED } from '../connector-kit/redact';

/** Bounds of what an attempt keeps of a response's headers (the debug view shows them). */
const MAX_HEADERS = 40;
const MAX_VALUE = 512;

/** Response headers that carry credentials or session state, whatever their value. */
const SECRET_RESPONSE_HEADERS = new Set(['set-cookie', 'authorization', 'proxy-authenticate', 'www-authenticate', 'x-api-key', 'access-token']);

/**
 * The response headers an attempt records: at most 40, values cut at 512 characters, credential
 * headers replaced and every value passed through the batch's redactor (a platform may echo a
 * token back in a header).
 */
export function recordedResponseHeaders(headers: Record<string, string>, mask: (text: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, MAX_HEADERS)) {
    const key = name.toLowerCase();
    out[key] = SECRET_RESPONSE_HEADERS.has(key) ? REDACTED : mask(value.slice(0, MAX_VALUE));
  }
  return out;
}
