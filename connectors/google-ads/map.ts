import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { decimalToNumber, normalizeCurrency } from '../_shared/currency';
import { googleDateTime } from '../_shared/time';
import type { ClickConversionRow, GoogleAdsCredentials, GoogleAdsSettings, UploadClickConversionsBody } from './schema';

type Ctx = ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials>;

/** The pinned API version: google-ads-api 24.1.0 is the newest release that runs on Node 20. */
export const GOOGLE_ADS_API_VERSION = 'v24';
export const UPLOAD_SERVICE = `google.ads.googleads.${GOOGLE_ADS_API_VERSION}.services.ConversionUploadService`;
export const UPLOAD_METHOD = 'UploadClickConversions';
/** TOO_MANY_CONVERSIONS_IN_REQUEST: "Upload fewer than 2001 events in a single request". */
export const MAX_ROWS = 2000;

/** Google's three click ids, in the order we prefer them. */
export const GOOGLE_CLICK_PARAMS = ['gclid', 'gbraid', 'wbraid'] as const;
export type GoogleClickParam = (typeof GOOGLE_CLICK_PARAMS)[number];

/**
 * Exactly one click id per conversion: Google rejects gbraid together with wbraid
 * (GBRAID_WBRAID_BOTH_SET) and a gclid with either. When a landing URL carried several, gclid
 * wins (it identifies the click itself; the braids are aggregated iOS identifiers).
 * https://developers.google.com/google-ads/api/docs/conversions/upload-clicks
 */
export function pickGoogleClickId(item: DeliveryItem): { param: GoogleClickParam; value: string } | null {
  const ids = item.conversion.click?.platformClickIds ?? {};
  for (const param of GOOGLE_CLICK_PARAMS) {
    const value = ids[param]?.trim();
    if (value) return { param, value };
  }
  return null;
}

/**
 * When the conversion happened: when its postback reached us (stable across retries, unlike
 * ctx.now). Google rejects a conversion dated before its click (CONVERSION_PRECEDES_EVENT), which
 * happens when a network stamps time loosely or in direct mode, where the "click" is recorded at
 * postback time; such conversions are moved to one second after the click.
 */
export function conversionTimeMs(item: DeliveryItem): number {
  const { receivedAt, click } = item.conversion;
  return click ? Math.max(receivedAt, click.createdAt + 1000) : receivedAt;
}

/** Per-item checks that must not sink the other conversions of a batch. */
export function validateItem(item: DeliveryItem): DeliveryError | null {
  if (!pickGoogleClickId(item)) {
    const why = item.conversion.click ? 'the click carried no gclid, gbraid or wbraid' : 'the conversion matched no click';
    return new DeliveryError('payload', `no Google click id: ${why}`, { platformCode: 'NO_CLICK_ID' });
  }
  const { payout, currency } = item.conversion;
  if (payout !== null && decimalToNumber(payout) === null) {
    return new DeliveryError('payload', `payout "${payout}" is not a decimal number`, { platformCode: 'INVALID_VALUE' });
  }
  if (payout !== null && normalizeCurrency(currency) === null) {
    return new DeliveryError('payload', `currency "${currency}" is not an ISO 4217 code`, { platformCode: 'INVALID_CURRENCY' });
  }
  return null;
}

export function conversionActionName(settings: GoogleAdsSettings): string {
  return `customers/${settings.customerId}/conversionActions/${settings.conversionActionId}`;
}

export function toClickConversion(item: DeliveryItem, settings: GoogleAdsSettings): ClickConversionRow {
  const click = pickGoogleClickId(item);
  if (!click) throw validateItem(item) ?? new DeliveryError('payload', 'no Google click id');
  const value = decimalToNumber(item.conversion.payout);
  const currency = normalizeCurrency(item.conversion.currency);
  return {
    [click.param]: click.value,
    conversion_action: conversionActionName(settings),
    conversion_date_time: googleDateTime(conversionTimeMs(item), settings.timeZone),
    // No payout: leave value and currency out, so Google applies the action's default value.
    ...(value !== null && currency !== null ? { conversion_value: value, currency_code: currency } : {}),
    // One conversion per order id per action: a re-sent delivery is answered "already in use".
    order_id: item.dedupKey,
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
  return { method: 'POST', url: endpointUrl(ctx.settings), headers, body: JSON.stringify(body) };
}
