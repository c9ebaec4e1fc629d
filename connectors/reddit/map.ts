import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { findByKey, jsonRequest, presentIdentifiers, requestJson, type IdentifierName } from '../../src/connector-kit/identifiers-sent';
import { decimalToNumber, normalizeCurrency, payoutError } from '../_shared/currency';
import { epochMillis, rfc3339 } from '../_shared/time';
import { REDDIT_TRACKING_TYPES, type RedditCredentials, type RedditSettings, type RedditUser, type RedditV2Body, type RedditV3Body } from './schema';

type Ctx = ConnectorContext<RedditSettings, RedditCredentials>;

/** Reddit: "send within 7 days of the event" (ads-api.reddit.com/docs/v3/capi-migration). */
export const REDDIT_MAX_EVENT_AGE_MS = 7 * 86_400_000;

/** v2 spelling → v3 spelling (PURCHASE, SIGN_UP, …), as in Reddit's v3 migration note. */
const V3_TYPE: Record<string, string> = Object.fromEntries(REDDIT_TRACKING_TYPES.map((t) => [t, t.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()]));

/** Our event → `{tracking_type, custom_event_name?}` in the spelling of the chosen version. */
export function redditEventType(
  event: string,
  settings: Pick<RedditSettings, 'eventMap' | 'defaultEvent' | 'apiVersion'>,
): { tracking_type: string; custom_event_name?: string } {
  const name = Object.hasOwn(settings.eventMap, event) ? (settings.eventMap[event] as string) : settings.defaultEvent;
  // Accept either spelling in settings ("SignUp" or "SIGN_UP").
  const v2 = REDDIT_TRACKING_TYPES.find((t) => t === name || V3_TYPE[t] === name);
  if (!v2) return { tracking_type: settings.apiVersion === 'v3' ? 'CUSTOM' : 'Custom', custom_event_name: name };
  return { tracking_type: settings.apiVersion === 'v3' ? (V3_TYPE[v2] as string) : v2 };
}

/** Rejects one item before batching: Reddit answers one invalid event with a 400 for the whole request. */
export function validateItem(item: DeliveryItem, ctx: Ctx): DeliveryError | null {
  const c = item.conversion;
  const click = c.click;
  const valueError = payoutError(c);
  if (valueError) return valueError;
  if (ctx.now - c.receivedAt > REDDIT_MAX_EVENT_AGE_MS) {
    return new DeliveryError('payload', 'conversion is older than 7 days; Reddit only accepts events sent within 7 days');
  }
  const clickId = click?.platformClickIds.rdt_cid;
  if (!clickId && ctx.settings.requireClickId) return new DeliveryError('payload', 'no rdt_cid on the click and requireClickId is set');
  const ids = c.identifiers ?? {};
  if (!clickId && !click?.ip && !click?.userAgent && !ids.email_sha256 && !ids.phone_sha256 && !ids.external_id_sha256) {
    return new DeliveryError(
      'payload',
      'nothing Reddit can match on: no rdt_cid, ip, user agent or hashed email/phone/external id (conversion has no Reddit click)',
    );
  }
  if (ctx.test && ctx.settings.apiVersion === 'v3' && !ctx.settings.testId) {
    // v3 routes test events by test_id; without one a "test" would count as a live conversion.
    return new DeliveryError('payload', 'a v3 test delivery needs settings.testId (Events Manager → Event Testing)');
  }
  return null;
}

function user(item: DeliveryItem, settings: RedditSettings): RedditUser {
  const click = item.conversion.click;
  const u: RedditUser = {};
  if (click?.ip) u.ip_address = click.ip;
  if (click?.userAgent) u.user_agent = click.userAgent;
  // Hashed at intake (src/privacy/identifiers.ts) in Reddit's canonical form: email lower-cased
  // with dots and `+suffix` dropped from the local part; phone `+digits` without extension
  // (ads-api.reddit.com/docs/v3/, Conversions API → match keys). Same fields in v2 and v3.
  // A hash the network sent itself is forwarded as it came.
  const ids = item.conversion.identifiers ?? {};
  const email = ids.email_reddit_sha256 ?? ids.email_sha256;
  if (email) u.email = email;
  const phone = ids.phone_e164_sha256 ?? ids.phone_sha256;
  if (phone) u.phone_number = phone;
  if (ids.external_id_sha256) u.external_id = ids.external_id_sha256;
  // Limited Data Use: the conversion's own signal (postback, else click), else the destination's
  // default; a conversion that says no sends none (Reddit defines only the LDU mode).
  const ldu = item.conversion.consent?.limitedDataUse ?? (settings.limitedDataUse ? true : undefined);
  if (ldu) {
    const where = settings.limitedDataUse ?? {};
    u.data_processing_options = { modes: ['LDU'], ...(where.country ? { country: where.country } : {}), ...(where.region ? { region: where.region } : {}) };
  }
  return u;
}

function money(item: DeliveryItem): { currency?: string; value?: number } {
  const value = decimalToNumber(item.conversion.payout);
  // Value in currency units (dollars, not cents) — Segment's fields.ts,
  // https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/reddit-conversions-api.
  return value === null ? {} : { currency: normalizeCurrency(item.conversion.currency) ?? item.conversion.currency, value };
}

export function v2Body(items: readonly DeliveryItem[], ctx: Ctx): RedditV2Body {
  return {
    test_mode: ctx.test === true,
    events: items.map((item) => {
      const c = item.conversion;
      const clickId = c.click?.platformClickIds.rdt_cid;
      const { currency, value } = money(item);
      return {
        event_at: rfc3339(c.receivedAt),
        event_type: redditEventType(c.event, ctx.settings),
        ...(clickId ? { click_id: clickId } : {}),
        // conversion_id is Reddit's de-duplication key (2-day window, ads-api.reddit.com/docs/v3/capi-migration):
        // identical on every retry, so a re-sent batch is not double counted.
        event_metadata: { conversion_id: item.dedupKey, ...(currency ? { currency, value_decimal: value as number } : {}) },
        user: user(item, ctx.settings),
      };
    }),
  };
}

/**
 * v3 event types whose metadata carries value and currency: the revenue-bearing ones. Reddit's
 * v3 event metadata (ads-api.reddit.com/docs/v3/ → Conversions API → Event metadata) documents
 * `value`/`currency` for Purchase, AddToCart, AddToWishlist, Lead, SignUp and custom events;
 * PageVisit, ViewContent and Search carry none, so a payout there is left out rather than
 * misread as revenue.
 */
export const V3_VALUE_TYPES: ReadonlySet<string> = new Set(['PURCHASE', 'ADD_TO_CART', 'ADD_TO_WISHLIST', 'LEAD', 'SIGN_UP', 'CUSTOM']);

export function v3Body(items: readonly DeliveryItem[], ctx: Ctx): RedditV3Body {
  const testId = ctx.test ? ctx.settings.testId : undefined;
  return {
    data: {
      ...(testId ? { test_id: testId } : {}),
      events: items.map((item) => {
        const c = item.conversion;
        const clickId = c.click?.platformClickIds.rdt_cid;
        const landing = c.click?.landingUrl && /^https?:\/\//i.test(c.click.landingUrl) ? c.click.landingUrl : undefined;
        const type = redditEventType(c.event, ctx.settings);
        const { currency, value } = V3_VALUE_TYPES.has(type.tracking_type) ? money(item) : {};
        return {
          event_at: epochMillis(c.receivedAt),
          // action_source is required in v3. A landing page we recorded means the journey was on
          // the web; a postback with no click (or a direct-mode click id) has no page: OTHER.
          action_source: landing ? 'WEBSITE' : 'OTHER',
          type,
          ...(clickId ? { click_id: clickId } : {}),
          ...(landing ? { event_source_url: landing } : {}),
          metadata: { conversion_id: item.dedupKey, ...(currency ? { currency, value } : {}) },
          user: user(item, ctx.settings),
        };
      }),
    },
  };
}

export function redditPath(settings: Pick<RedditSettings, 'apiVersion' | 'pixelId'>): string {
  const id = encodeURIComponent(settings.pixelId);
  return settings.apiVersion === 'v3' ? `/api/v3/pixels/${id}/conversion_events` : `/api/v2.0/conversions/events/${id}`;
}

/** Items → one request to the configured version only. Pure: depends on items and ctx. */
export function buildRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'Reddit: nothing to send');
  const { settings, credentials } = ctx;
  const body = settings.apiVersion === 'v3' ? v3Body(items, ctx) : v2Body(items, ctx);
  const headers = { authorization: `Bearer ${credentials.accessToken}`, 'content-type': 'application/json', 'user-agent': settings.userAgent };
  return jsonRequest('POST', `${settings.baseUrl}${redditPath(settings)}`, headers, body);
}

const REDDIT_FIELDS: Record<string, IdentifierName> = {
  ip_address: 'ip',
  user_agent: 'user_agent',
  email: 'email',
  phone_number: 'phone',
  external_id: 'external_id',
};

/** Names of the signals the event with this conversion_id carries, v3 or v2 body (never values). */
export function redditIdentifiersSent(request: PlatformRequest, dedupKey: string): string[] | null {
  const body = requestJson(request);
  const v3 = body?.data && typeof body.data === 'object' ? (body.data as Record<string, unknown>).events : undefined;
  const event = v3
    ? findByKey(v3, dedupKey, (e) => (e.metadata as Record<string, unknown> | undefined)?.conversion_id)
    : findByKey(body?.events, dedupKey, (e) => (e.event_metadata as Record<string, unknown> | undefined)?.conversion_id);
  if (!event) return null;
  const names = presentIdentifiers(event.user, REDDIT_FIELDS);
  return typeof event.click_id === 'string' && event.click_id !== '' ? ['click_id', ...names] : names;
}
