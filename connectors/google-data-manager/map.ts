import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { findByKey, jsonRequest, presentIdentifiers, requestJson } from '../../src/connector-kit/identifiers-sent';
import { decimalToNumber, normalizeCurrency } from '../_shared/currency';
import { rfc3339 } from '../_shared/time';
import { conversionTimeMs, googleHashedIdentifiers, pickGoogleClickId, validateGoogleItem as validateGoogleClick } from '../_shared/google';
import type { DataManagerConsent, DataManagerCredentials, DataManagerSettings, IngestEventsBody } from './schema';

type Ctx = ConnectorContext<DataManagerSettings, DataManagerCredentials>;

/**
 * Google Ads offline click conversions through the Data Manager API:
 * https://developers.google.com/data-manager/api/devguides/events/google-ads/offline
 * https://developers.google.com/data-manager/api/reference/rest/v1/events/ingest
 * The click id, value and time rules are Google Ads' own, shared with the google-ads connector:
 * exactly one of gclid/gbraid/wbraid, and a time never before the click (clamped to click + 1 s).
 */
export const DATA_MANAGER_API_VERSION = 'v1';
/** `events[]` takes at most 2000 events per request. */
export const MAX_ROWS = 2000;

/** Same per-item checks as google-ads: a conversion without a Google click id fails alone. */
export const validateItem = validateGoogleClick;

const STATUS = { granted: 'CONSENT_GRANTED', denied: 'CONSENT_DENIED' } as const;

/** The conversion's own signals as Data Manager's Consent; undefined when it says nothing. */
export function eventConsent(item: DeliveryItem): DataManagerConsent | undefined {
  const c = item.conversion.consent;
  const out: DataManagerConsent = {
    ...(c?.adUserData ? { adUserData: STATUS[c.adUserData] } : {}),
    ...(c?.adPersonalization ? { adPersonalization: STATUS[c.adPersonalization] } : {}),
  };
  return out.adUserData || out.adPersonalization ? out : undefined;
}

export function toEvent(item: DeliveryItem, settings: DataManagerSettings): IngestEventsBody['events'][number] {
  const click = pickGoogleClickId(item);
  if (!click) throw validateItem(item) ?? new DeliveryError('payload', 'no Google click id');
  const value = decimalToNumber(item.conversion.payout);
  const currency = normalizeCurrency(item.conversion.currency);
  const consent = eventConsent(item);
  // ad_user_data, the event's own or else the request's, is consent "for sending user data to
  // Google for advertising purposes" (support.google.com/google-ads/answer/14310715): denied, the
  // hashed email and phone stay here and the click id alone reports the conversion.
  const denied = (consent?.adUserData ?? settings.consent?.adUserData) === 'CONSENT_DENIED';
  const hashed: ReturnType<typeof googleHashedIdentifiers> = denied ? {} : googleHashedIdentifiers(item.conversion.identifiers);
  const userIdentifiers = [...(hashed.email ? [{ emailAddress: hashed.email }] : []), ...(hashed.phone ? [{ phoneNumber: hashed.phone }] : [])];
  return {
    eventTimestamp: rfc3339(conversionTimeMs(item)),
    // Google de-duplicates on transactionId: the same on every retry of this delivery.
    transactionId: item.dedupKey,
    ...(value !== null && currency !== null ? { conversionValue: value, currency } : {}),
    adIdentifiers: { [click.param]: click.value },
    // Hashed email/phone in Google's normalisation (googleHashedIdentifiers), hex-encoded
    // (developers.google.com/data-manager/api/devguides/concepts/formatting).
    ...(userIdentifiers.length > 0 ? { userData: { userIdentifiers } } : {}),
    ...(consent ? { consent } : {}),
    eventSource: settings.eventSource,
  };
}

export function buildIngestBody(items: readonly DeliveryItem[], ctx: Ctx): IngestEventsBody {
  const s = ctx.settings;
  const events = items.map((item) => toEvent(item, s));
  return {
    destinations: [
      {
        operatingAccount: { accountType: 'GOOGLE_ADS', accountId: s.operatingAccountId },
        ...(s.loginAccountId ? { loginAccount: { accountType: 'GOOGLE_ADS' as const, accountId: s.loginAccountId } } : {}),
        productDestinationId: s.conversionActionId,
      },
    ],
    events,
    // "Required for UserData uploads": how the hashed identifiers are encoded.
    ...(events.some((e) => e.userData) ? { encoding: 'HEX' as const } : {}),
    ...(s.consent && (s.consent.adUserData || s.consent.adPersonalization) ? { consent: s.consent } : {}),
    validateOnly: s.validateOnly || ctx.test === true,
  };
}

/**
 * `POST {baseUrl}/v1/events:ingest`. The `authorization` header is added by `send` after the
 * token refresh, so the request recorded with the attempt never holds a token.
 */
export function buildRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'google-data-manager: nothing to send');
  if (items.length > MAX_ROWS) throw new DeliveryError('payload', `google-data-manager: at most ${MAX_ROWS} conversions per request, got ${items.length}`);
  const url = `${ctx.settings.baseUrl}/${DATA_MANAGER_API_VERSION}/events:ingest`;
  return jsonRequest('POST', url, { 'content-type': 'application/json; charset=utf-8' }, buildIngestBody(items, ctx));
}

/** Names of the signals the event with this transactionId carries (never values). */
export function dataManagerIdentifiersSent(request: PlatformRequest, dedupKey: string): string[] | null {
  const event = findByKey(requestJson(request)?.events, dedupKey, (e) => e.transactionId);
  if (!event) return null;
  const ad = (event.adIdentifiers ?? {}) as Record<string, unknown>;
  const ids = ((event.userData as Record<string, unknown> | undefined)?.userIdentifiers ?? []) as Array<Record<string, unknown>>;
  const merged = {
    click: ad.gclid ?? ad.gbraid ?? ad.wbraid,
    email: ids.find((u) => u.emailAddress)?.emailAddress,
    phone: ids.find((u) => u.phoneNumber)?.phoneNumber,
  };
  return presentIdentifiers(merged, { click: 'click_id', email: 'email', phone: 'phone' });
}
