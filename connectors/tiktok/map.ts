import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { findByKey, jsonRequest, presentIdentifiers, requestJson, type IdentifierName } from '../../src/connector-kit/identifiers-sent';
import { decimalToNumber, normalizeCurrency, payoutError } from '../_shared/currency';
import { unixSeconds } from '../_shared/time';
import type { TiktokBody, TiktokCredentials, TiktokEvent, TiktokSettings } from './schema';

type Ctx = ConnectorContext<TiktokSettings, TiktokCredentials>;

export const TIKTOK_API_VERSION = 'v1.3';
/**
 * The trailing slash matters: without it TikTok does not route the call (Segment's TikTok integration:
 * https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/tiktok-conversions).
 */
export const TIKTOK_TRACK_PATH = `/open_api/${TIKTOK_API_VERSION}/event/track/`;

/**
 * Oldest event we send. TikTok's reference does not state a limit; an integrator documents 28
 * days (docs.amperity.com/operator/events_tiktok_ads.html), TikTok's longest
 * click-through window. Older events fail alone in `validate` instead of in a batch.
 */
export const TIKTOK_MAX_EVENT_AGE_MS = 28 * 86_400_000;

/** Our event name → TikTok's: the explicit map, else the default (CompletePayment). */
export function tiktokEventName(event: string, settings: Pick<TiktokSettings, 'eventMap' | 'defaultEvent'>): string {
  return Object.hasOwn(settings.eventMap, event) ? (settings.eventMap[event] as string) : settings.defaultEvent;
}

/**
 * Rejects one item before it is batched: TikTok answers a bad event with a code for the whole
 * request (40002), so a bad event found here cannot sink the others.
 */
export function validateItem(item: DeliveryItem, ctx: Ctx): DeliveryError | null {
  const c = item.conversion;
  const click = c.click;
  const valueError = payoutError(c, '; TikTok takes no refunds');
  if (valueError) return valueError;
  if (ctx.now - c.receivedAt > TIKTOK_MAX_EVENT_AGE_MS) {
    return new DeliveryError('payload', 'conversion is older than 28 days, beyond what TikTok attributes');
  }
  const ttclid = click?.platformClickIds.ttclid;
  if (!ttclid && ctx.settings.requireTtclid) return new DeliveryError('payload', 'no ttclid on the click and requireTtclid is set');
  // Without a click id TikTok matches on ip + user agent; with neither there is nothing to
  // attribute, and sending would only count a conversion that can never be matched.
  const ids = c.identifiers ?? {};
  if (!ttclid && !click?.ip && !click?.userAgent && !ids.email_sha256 && !ids.phone_e164_sha256 && !ids.phone_sha256 && !ids.external_id_sha256) {
    return new DeliveryError(
      'payload',
      'nothing TikTok can match on: no ttclid, ip, user agent or hashed email/phone/external id (conversion has no TikTok click)',
    );
  }
  if (ctx.test && !ctx.settings.testEventCode) {
    // Without a code a "test" event would count as a live conversion.
    return new DeliveryError('payload', 'a test delivery needs settings.testEventCode (Events Manager → Test Events)');
  }
  return null;
}

export function mapEvent(item: DeliveryItem, settings: TiktokSettings): TiktokEvent {
  const c = item.conversion;
  const click = c.click;
  const user: TiktokEvent['user'] = {};
  const ttclid = click?.platformClickIds.ttclid;
  if (ttclid) user.ttclid = ttclid;
  // ip and user agent go unhashed (as Segment sends them:
  // https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/tiktok-conversions);
  // they are what TikTok matches on without a ttclid.
  if (click?.ip) user.ip = click.ip;
  if (click?.userAgent) user.user_agent = click.userAgent;
  // Hashed at intake (src/privacy/identifiers.ts) in TikTok's normalisation: email trimmed and
  // lower-cased, phone E.164 (`+` and digits), external_id trimmed and lower-cased, then SHA-256
  // hex (business-api.tiktok.com/portal/docs?id=1771101027431425, Events API 2.0 `user`).
  // A hash the network sent itself is forwarded as it came (its normalisation is unknown).
  const ids = c.identifiers ?? {};
  if (ids.email_sha256) user.email = ids.email_sha256;
  const phone = ids.phone_e164_sha256 ?? ids.phone_sha256;
  if (phone) user.phone = phone;
  if (ids.external_id_sha256) user.external_id = ids.external_id_sha256;

  const properties: TiktokEvent['properties'] = { order_id: c.transactionId };
  const value = decimalToNumber(c.payout);
  if (value !== null) {
    properties.value = value;
    properties.currency = normalizeCurrency(c.currency) ?? c.currency;
  }

  const event: TiktokEvent = {
    event: tiktokEventName(c.event, settings),
    event_time: unixSeconds(c.receivedAt),
    // TikTok de-duplicates on event + event_id within 48 h (ads.tiktok.com/help/article/event-deduplication):
    // the key is identical on every retry, so a re-sent batch is collapsed, never double counted.
    event_id: item.dedupKey,
    user,
    properties,
  };
  if (click?.landingUrl && /^https?:\/\//i.test(click.landingUrl)) {
    event.page = { url: click.landingUrl, ...(click.referrer ? { referrer: click.referrer } : {}) };
  }
  // The conversion's own signal (postback, else click), else the destination's default.
  const ldu = c.consent?.limitedDataUse ?? settings.limitedDataUse;
  if (ldu !== undefined) event.limited_data_use = ldu;
  return event;
}

/** Items → one Events API 2.0 request. Pure: depends on items and ctx only. */
export function buildRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'TikTok: nothing to send');
  const { settings, credentials } = ctx;
  const testCode = (ctx.test || settings.testAllEvents) && settings.testEventCode ? settings.testEventCode : undefined;
  const body: TiktokBody = {
    event_source: 'web',
    event_source_id: settings.pixelCode,
    ...(testCode !== undefined ? { test_event_code: testCode } : {}),
    data: items.map((item) => mapEvent(item, settings)),
  };
  return jsonRequest('POST', `${settings.baseUrl}${TIKTOK_TRACK_PATH}`, { 'access-token': credentials.accessToken, 'content-type': 'application/json' }, body);
}

const TIKTOK_FIELDS: Record<string, IdentifierName> = {
  ttclid: 'click_id',
  ip: 'ip',
  user_agent: 'user_agent',
  email: 'email',
  phone: 'phone',
  external_id: 'external_id',
};

/** Names of the user signals the event with this event_id carries (never values). */
export function tiktokIdentifiersSent(request: PlatformRequest, dedupKey: string): string[] | null {
  const event = findByKey(requestJson(request)?.data, dedupKey, (e) => e.event_id);
  return event ? presentIdentifiers(event.user, TIKTOK_FIELDS) : null;
}
