import { type ConnectorContext, DeliveryError, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { decimalToNumber, normalizeCurrency } from '../_shared/currency';
import { conversionTimeMs } from '../_shared/google';
import { googleDateTime } from '../_shared/time';
import { conversionActionName, GOOGLE_ADS_API_VERSION, MAX_ROWS } from './map';
import type { GoogleAdsCredentials, GoogleAdsSettings } from './schema';

type Ctx = ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials>;

/**
 * Corrections of uploaded click conversions: ConversionAdjustmentUploadService.UploadConversionAdjustments
 * (https://developers.google.com/google-ads/api/docs/conversions/upload-adjustments), sent through
 * google-ads-api like the upload itself (client.ts `sendAdjustments`).
 */
export const ADJUST_SERVICE = `google.ads.googleads.${GOOGLE_ADS_API_VERSION}.services.ConversionAdjustmentUploadService`;
export const ADJUST_METHOD = 'UploadConversionAdjustments';

/** ConversionAdjustment, proto field names (https://developers.google.com/google-ads/api/reference/rpc/v25/ConversionAdjustment). */
export interface ConversionAdjustmentRow {
  order_id: string;
  conversion_action: string;
  adjustment_type: 'RETRACTION' | 'RESTATEMENT';
  adjustment_date_time: string;
  restatement_value?: { adjusted_value: number; currency_code?: string };
}

export interface UploadConversionAdjustmentsBody {
  customer_id: string;
  conversion_adjustments: ConversionAdjustmentRow[];
  partial_failure: true;
  validate_only: boolean;
}

/** Pure: a correction item → its ConversionAdjustment. */
export function toConversionAdjustment(item: DeliveryItem, settings: GoogleAdsSettings): ConversionAdjustmentRow {
  const adj = item.adjustment;
  if (!adj) throw new DeliveryError('payload', 'google-ads adjustments: the delivery carries no correction');
  // "Must be after the conversion_date_time" (ConversionAdjustment docs; ADJUSTMENT_PRECEDES_CONVERSION
  // otherwise): the upload's time is whole seconds, so one second later at least.
  const at = Math.max(adj.at, Math.floor(conversionTimeMs(item) / 1000) * 1000 + 1000);
  const row: ConversionAdjustmentRow = {
    // The upload always carries order_id (map.ts), and Google: "If the conversion was reported with
    // an order ID specified, that order ID must be used as the identifier here" — never together
    // with gclid_date_time_pair (GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET).
    order_id: item.dedupKey,
    conversion_action: conversionActionName(settings),
    adjustment_type: adj.type === 'retraction' ? 'RETRACTION' : 'RESTATEMENT',
    adjustment_date_time: googleDateTime(at, settings.timeZone),
  };
  if (adj.type === 'restatement') {
    const value = decimalToNumber(adj.value ?? null);
    const currency = normalizeCurrency(adj.currency ?? item.conversion.currency);
    if (value === null) throw new DeliveryError('payload', `restatement value "${adj.value}" is not a decimal number`, { platformCode: 'INVALID_VALUE' });
    row.restatement_value = { adjusted_value: value, ...(currency ? { currency_code: currency } : {}) };
  }
  return row;
}

/** Per item, before batching: a bad correction must not sink the others. */
export function validateAdjustment(item: DeliveryItem, ctx: Ctx): DeliveryError | null {
  try {
    toConversionAdjustment(item, ctx.settings);
    return null;
  } catch (err) {
    return err instanceof DeliveryError ? err : new DeliveryError('payload', String(err));
  }
}

export function adjustEndpointUrl(settings: GoogleAdsSettings): string {
  const { host, port, insecure } = settings.endpoint;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${insecure ? 'http' : 'https'}://${h}:${port}/${ADJUST_SERVICE}/${ADJUST_METHOD}`;
}

/** Like map.ts buildRequest: the gRPC call described faithfully, `send` executes exactly this body. */
export function buildAdjustmentRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'google-ads adjustments: nothing to upload');
  // TOO_MANY_ADJUSTMENTS_IN_REQUEST: the same 2000 rows as uploads.
  if (items.length > MAX_ROWS) throw new DeliveryError('payload', `google-ads: at most ${MAX_ROWS} adjustments per request, got ${items.length}`);
  const body: UploadConversionAdjustmentsBody = {
    customer_id: ctx.settings.customerId,
    conversion_adjustments: items.map((item) => toConversionAdjustment(item, ctx.settings)),
    // "the partial_failure attribute in the request should always be set to true" (upload-adjustments guide).
    partial_failure: true,
    validate_only: ctx.settings.validateOnly || ctx.test === true,
  };
  const headers: Record<string, string> = { 'content-type': 'application/grpc', 'x-goog-request-params': `customer_id=${body.customer_id}` };
  if (ctx.settings.loginCustomerId) headers['login-customer-id'] = ctx.settings.loginCustomerId;
  if (ctx.credentials.developer_token) headers['developer-token'] = ctx.credentials.developer_token;
  return { method: 'POST', url: adjustEndpointUrl(ctx.settings), headers, body: JSON.stringify(body) };
}
