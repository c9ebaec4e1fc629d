import { DeliveryError, escapeJson, escapeUrl, renderTemplate, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import type { HttpPostbackCredentials, HttpPostbackSettings } from './schema';

/**
 * Every macro this connector knows. A name not listed here is left in the output literally, so
 * the receiver sees `{Sub5}` and the mistake is visible (a network's postback guide,
 * https://www.ourdreamaiaffiliate.com/onboarding/postbacks, failure mode 2); a listed macro
 * without a value becomes '' (the same guide, failure mode 1). Names are case-sensitive.
 */
export const MACRO_NAMES = [
  'click_id',
  'transaction_id',
  'tx_id',
  'conversion_id',
  'dedup_key',
  'payout',
  'currency',
  'offer_id',
  'event',
  'status',
  'source',
  'platform',
  'platform_click_id',
  'gclid',
  'gbraid',
  'wbraid',
  'fbclid',
  'ttclid',
  'rdt_cid',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'link',
  'landing_url',
  'referrer',
  'fbc',
  'fbp',
  'ip',
  'user_agent',
  'timestamp',
  'click_timestamp',
] as const;
export type MacroName = (typeof MACRO_NAMES)[number];

/** null = known macro without a value: renders as ''. */
export type HttpPostbackMacros = Record<MacroName, string | null>;

type Ctx = ConnectorContext<HttpPostbackSettings, HttpPostbackCredentials>;

/**
 * The macro values of one delivery. Depends on the item only (never on ctx.now), so a retry
 * sends exactly what the first attempt sent; `ctx` is in the signature so copies of this
 * connector that need a setting (a fixed account id…) keep the same shape.
 */
export function macroValues(item: DeliveryItem, _ctx?: Ctx): HttpPostbackMacros {
  const c = item.conversion;
  const click = c.click;
  // Subs come from the click; a postback without a matched click may still carry them itself.
  const sub = (name: string): string | null => click?.subs[name] ?? c.params[name] ?? null;
  const platformId = (param: string): string | null => click?.platformClickIds[param] ?? null;
  return {
    click_id: c.clickId,
    transaction_id: c.transactionId,
    tx_id: c.transactionId,
    conversion_id: c.id,
    dedup_key: item.dedupKey,
    // Stored as the decimal string received; never through a float, so "0.10" stays "0.10".
    payout: c.payout,
    currency: c.currency,
    offer_id: c.offerId,
    event: c.event,
    status: c.status,
    source: c.source,
    platform: click?.platform ?? null,
    platform_click_id: click?.platformClickId ?? null,
    gclid: platformId('gclid'),
    gbraid: platformId('gbraid'),
    wbraid: platformId('wbraid'),
    fbclid: platformId('fbclid'),
    ttclid: platformId('ttclid'),
    rdt_cid: platformId('rdt_cid'),
    sub1: sub('sub1'),
    sub2: sub('sub2'),
    sub3: sub('sub3'),
    sub4: sub('sub4'),
    link: click?.link ?? null,
    landing_url: click?.landingUrl ?? null,
    referrer: click?.referrer ?? null,
    fbc: click?.fbc ?? null,
    fbp: click?.fbp ?? null,
    ip: click?.ip ?? null,
    user_agent: click?.userAgent ?? null,
    timestamp: unixSeconds(c.receivedAt),
    click_timestamp: click ? unixSeconds(click.createdAt) : null,
  };
}

/** One item → one request. Pure: same items and ctx give the same request, byte for byte. */
export function buildRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  const item = items[0];
  if (items.length !== 1 || !item) {
    throw new DeliveryError('payload', `http-postback sends one conversion per request, got ${items.length}`);
  }
  const { settings, credentials } = ctx;
  const values = macroValues(item, ctx);
  const url = appendQuery(renderTemplate(settings.url, values, escapeUrl), credentials.query ?? {});

  // Keys are lower-cased so 'Content-Type' in settings replaces ours instead of duplicating it.
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (settings.method === 'POST') {
    body = settings.body === undefined ? '' : renderBody(settings.body, values, settings.contentType);
    if (settings.body !== undefined) headers['content-type'] = settings.contentType;
  }
  // At-least-once delivery: a crash between send and record re-sends with this same key.
  if (settings.idempotencyHeader !== false) headers[settings.idempotencyHeader.toLowerCase()] = item.dedupKey;
  for (const [k, v] of Object.entries(settings.headers ?? {})) headers[k.toLowerCase()] = v;
  // Credentials last: a secret Authorization wins over a static one. The engine redacts them.
  for (const [k, v] of Object.entries(credentials.headers ?? {})) headers[k.toLowerCase()] = v;

  return { method: settings.method, url, headers, ...(body !== undefined ? { body } : {}) };
}

function renderBody(template: string, values: HttpPostbackMacros, contentType: HttpPostbackSettings['contentType']): string {
  // JSON: the template supplies the quotes, we escape what goes between them ("a\"b", "\n").
  // Form: encodeURIComponent output is valid x-www-form-urlencoded (%20 decodes to a space).
  return renderTemplate(template, values, contentType === 'application/json' ? escapeJson : escapeUrl);
}

/** Appends secret query parameters before any #fragment, keeping the template's own query as is. */
export function appendQuery(url: string, query: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(query).map(([k, v]) => `${escapeUrl(k)}=${escapeUrl(v)}`);
  if (pairs.length === 0) return url;
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const joiner = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${joiner}${pairs.join('&')}${fragment}`;
}

function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}
