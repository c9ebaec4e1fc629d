import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { findByKey, jsonRequest, presentIdentifiers, requestJson } from '../../src/connector-kit/identifiers-sent';
import { decimalToNumber, normalizeCurrency } from '../_shared/currency';
import { conversionTimeMs, googleHashedIdentifiers, pickGoogleClickId, validateGoogleItem } from '../_shared/google';
import { googleDateTime } from '../_shared/time';
import type { ClickConversionRow, GoogleAdsCredentials, GoogleAdsSettings, UploadClickConversionsBody } from './schema';

type Ctx = ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials>;

/**
 * The pinned API version: the one google-ads-api 25.1.0 / google-ads-node 25.1.0 are generated for
 * (the newest release; its protos hold only v25). The contract test fails when an upgrade moves it.
 * Sunset schedule: https://developers.google.com/google-ads/api/docs/sunset-dates
 */
export const GOOGLE_ADS_API_VERSION = 'v25';
export const UPLOAD_SERVICE = `google.ads.googleads.${GOOGLE_ADS_API_VERSION}.services.ConversionUploadService`;
export const UPLOAD_METHOD = 'UploadClickConversions';
/** TOO_MANY_CONVERSIONS_IN_REQUEST: "Upload fewer than 2001 events in a single request". */
export const MAX_ROWS = 2000;

export function conversionActionName(settings: GoogleAdsSettings): string {
  return `customers/${settings.customerId}/conversionActions/${settings.conversionActionId}`;
}

/**
 * ad_user_data for one conversion: its own signal (postback, else click), else the destination's
 * default, else none (the field is left out).
 */
export function adUserDataFor(item: DeliveryItem, settings: GoogleAdsSettings): 'GRANTED' | 'DENIED' | undefined {
  const own = item.conversion.consent?.adUserData;
  if (own) return own === 'granted' ? 'GRANTED' : 'DENIED';
  return settings.consent?.adUserData;
}

export function toClickConversion(item: DeliveryItem, settings: GoogleAdsSettings): ClickConversionRow {
  const click = pickGoogleClickId(item);
  if (!click) throw validateGoogleItem(item) ?? new DeliveryError('payload', 'no Google click id');
  const value = decimalToNumber(item.conversion.payout);
  const currency = normalizeCurrency(item.conversion.currency);
  const adUserData = adUserDataFor(item, settings);
  // ad_user_data is consent "for sending user data to Google for advertising purposes"
  // (support.google.com/google-ads/answer/14310715): denied, the hashed email and phone stay
  // here; the click id alone still reports the conversion.
  const hashed: ReturnType<typeof googleHashedIdentifiers> = adUserData === 'DENIED' ? {} : googleHashedIdentifiers(item.conversion.identifiers);
  const userIdentifiers: NonNullable<ClickConversionRow['user_identifiers']> = [
    ...(hashed.email ? [{ hashed_email: hashed.email }] : []),
    ...(hashed.phone ? [{ hashed_phone_number: hashed.phone }] : []),
  ];
  return {
    [click.param]: click.value,
    conversion_action: conversionActionName(settings),
    conversion_date_time: googleDateTime(conversionTimeMs(item), settings.timeZone),
    // No payout: leave value and currency out, so Google applies the action's default value.
    ...(value !== null && currency !== null ? { conversion_value: value, currency_code: currency } : {}),
    // One conversion per order id per action: a re-sent delivery is answered "already in use".
    order_id: item.dedupKey,
    // Enhanced conversions for leads: the hashed email/phone next to the click id improve the
    // match (developers.google.com/google-ads/api/docs/conversions/enhanced-conversions/leads).
    ...(userIdentifiers.length > 0 ? { user_identifiers: userIdentifiers } : {}),
    // EEA traffic needs it (developers.google.com/google-ads/api/docs/conversions/upload-identifiers:
    // "populate the consent field of the ClickConversion object"); the enum name, which the gRPC
    // serializer turns into ConsentStatus' number.
    ...(adUserData ? { consent: { ad_user_data: adUserData } } : {}),
  };
}

export function buildUploadBody(items: readonly DeliveryItem[], ctx: Ctx): UploadClickConversionsBody {
  return {
    customer_id: ctx.settings.customerId,
    conversions: items.map((item) => toClickConversion(item, ctx.settings)),
    // Required by Google for this method (PARTIAL_FAILURE_MODE_REQUIRED otherwise).
    partial_failure: true,
    validate_only: ctx.settings.validateOnly || ctx.test === true,
  };
}

/** The gRPC method's URL, as HTTP/2 sees it: what the attempt record shows. */
export function endpointUrl(settings: GoogleAdsSettings): string {
  const { host, port, insecure } = settings.endpoint;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${insecure ? 'http' : 'https'}://${h}:${port}/${UPLOAD_SERVICE}/${UPLOAD_METHOD}`;
}

/**
 * A faithful description of the gRPC call `send` makes: the method path, the metadata the
 * library adds (except `authorization`, obtained at send time and never recorded) and the request
 * message as JSON with the proto's snake_case names. `send` executes exactly this body.
 */
export function buildRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'google-ads: nothing to upload');
  if (items.length > MAX_ROWS) throw new DeliveryError('payload', `google-ads: at most ${MAX_ROWS} conversions per request, got ${items.length}`);
  const body = buildUploadBody(items, ctx);
  const headers: Record<string, string> = {
    'content-type': 'application/grpc',
    'x-goog-request-params': `customer_id=${body.customer_id}`,
  };
  if (ctx.settings.loginCustomerId) headers['login-customer-id'] = ctx.settings.loginCustomerId;
  // Ignored by Google since 2026-09-09; a credential, so the engine redacts it from records.
  if (ctx.credentials.developer_token) headers['developer-token'] = ctx.credentials.developer_token;
  return jsonRequest('POST', endpointUrl(ctx.settings), headers, body);
}

/** Names of the signals the row with this order_id carries: the click id and enhanced-conversion identifiers (never values). */
export function googleAdsIdentifiersSent(request: PlatformRequest, dedupKey: string): string[] | null {
  const row = findByKey(requestJson(request)?.conversions, dedupKey, (e) => e.order_id);
  if (!row) return null;
  const ids = Array.isArray(row.user_identifiers) ? (row.user_identifiers as Array<Record<string, unknown>>) : [];
  const merged = {
    click: row.gclid ?? row.gbraid ?? row.wbraid,
    email: ids.find((u) => u.hashed_email)?.hashed_email,
    phone: ids.find((u) => u.hashed_phone_number)?.hashed_phone_number,
  };
  return presentIdentifiers(merged, { click: 'click_id', email: 'email', phone: 'phone' });
}
