import type { PlatformRequest } from './http-types';

/**
 * The names of the matching signals a delivery can carry, in one vocabulary for every platform
 * (issue 11 item 7: event match quality you can see). Names only, never values: the console and
 * the API show per destination which signals went out, never what they were.
 */
export const IDENTIFIER_NAMES = ['click_id', 'fbc', 'fbp', 'ip', 'user_agent', 'email', 'phone', 'first_name', 'last_name', 'external_id'] as const;
export type IdentifierName = (typeof IDENTIFIER_NAMES)[number];

/** Per field table: its entries in our vocabulary's order, so an answer needs no sort. */
const ordered = new WeakMap<Readonly<Record<string, IdentifierName>>, ReadonlyArray<readonly [string, IdentifierName]>>();

function orderedFields(fields: Readonly<Record<string, IdentifierName>>): ReadonlyArray<readonly [string, IdentifierName]> {
  let list = ordered.get(fields);
  if (!list) {
    list = Object.entries(fields).sort((a, b) => IDENTIFIER_NAMES.indexOf(a[1]) - IDENTIFIER_NAMES.indexOf(b[1]));
    ordered.set(fields, list);
  }
  return list;
}

/**
 * Which of `fields` (platform field name → our name) are set on `record`, in our vocabulary's
 * order. A field counts when it holds a non-empty string or a non-empty array. Asked once per
 * item of every batch: one pass over the table, ordered once per table.
 */
export function presentIdentifiers(record: unknown, fields: Readonly<Record<string, IdentifierName>>): IdentifierName[] {
  if (!record || typeof record !== 'object') return [];
  const r = record as Record<string, unknown>;
  const found: IdentifierName[] = [];
  for (const [field, name] of orderedFields(fields)) {
    const v = r[field];
    // Two fields may share a name; the table is ordered, so a repeat is the previous entry.
    if (((typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0)) && found[found.length - 1] !== name) found.push(name);
  }
  return found;
}

/**
 * Parsed bodies by request: the engine asks once per item of a batch (up to 1,000 Meta events
 * in one body), so the body is parsed once per request, not once per item. A request made by
 * `jsonRequest` starts here with the object its body was serialised from, so the engine's
 * question about a request just built parses nothing.
 */
const parsed = new WeakMap<PlatformRequest, Record<string, unknown> | null>();

/**
 * A request whose body is `body` as JSON text, for a connector's `build`: `requestJson` then
 * answers `body` itself for this request instead of parsing back the text just built (that parse
 * was 6 % of a batched TikTok window, bench/README.md "Delivery engine CPU (h-deliver, round 5)").
 * A stored copy of the request (an attempt's record) is parsed as before. `body` must be JSON
 * data — strings, finite numbers, booleans, arrays and plain objects (undefined members are
 * dropped by both) — and must not change afterwards: both readings then answer the same.
 */
export function jsonRequest(method: PlatformRequest['method'], url: string, headers: Record<string, string>, body: object): PlatformRequest {
  const request: PlatformRequest = { method, url, headers, body: JSON.stringify(body) };
  parsed.set(request, Array.isArray(body) ? null : (body as Record<string, unknown>));
  return request;
}

/** The request body as JSON, or null (not JSON, or cut by redaction). Treat the answer as read-only. */
export function requestJson(request: PlatformRequest): Record<string, unknown> | null {
  if (!request.body) return null;
  const known = parsed.get(request);
  if (known !== undefined) return known;
  let out: Record<string, unknown> | null = null;
  try {
    const v: unknown = JSON.parse(request.body);
    out = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    out = null;
  }
  parsed.set(request, out);
  return out;
}

/** Per list: the index after the last element found, where the next search starts. */
const nextIndex = new WeakMap<unknown[], number>();

/**
 * The element of `list` whose `key(element)` is `dedupKey`, or undefined. The engine asks for
 * the items of a batch in the order they were built, so each search starts after the previous
 * match and wraps around: a batch of n costs O(n), not O(n²), in that order, and any order is
 * still answered right.
 */
export function findByKey(list: unknown, dedupKey: string, key: (e: Record<string, unknown>) => unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const start = (nextIndex.get(list) ?? 0) % list.length;
  for (let k = 0; k < list.length; k++) {
    const i = (start + k) % list.length;
    const e: unknown = list[i];
    if (e && typeof e === 'object' && key(e as Record<string, unknown>) === dedupKey) {
      nextIndex.set(list, i + 1);
      return e as Record<string, unknown>;
    }
  }
  return undefined;
}
