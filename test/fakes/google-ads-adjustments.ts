import type { AcceptedConversion, FakeAdsError } from './google-ads';

/**
 * ConversionAdjustmentUploadService's row checks, as Google documents them
 * (https://developers.google.com/google-ads/api/reference/rpc/v25/ConversionAdjustment and
 * ConversionAdjustmentUploadError), against the conversions the fake recorded:
 * - adjustment_type RETRACTION or RESTATEMENT (ENHANCEMENT is not for click-upload actions);
 * - the conversion named by order_id OR gclid_date_time_pair, never both; a conversion uploaded
 *   with an order id can only be named by it; one the fake never received → CONVERSION_NOT_FOUND;
 * - adjustment_date_time `yyyy-mm-dd hh:mm:ss+|-hh:mm`, after the conversion's time;
 * - a retracted conversion takes no further adjustment; a restatement needs a value and a time
 *   newer than the last restatement's (the same time: RESTATEMENT_ALREADY_EXISTS).
 */
const DATE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$/;
const ACTION = /^customers\/\d{10}\/conversionActions\/\d+$/;
const toMs = (s: string) => Date.parse(s.replace(' ', 'T'));

export interface AppliedAdjustment {
  row: any;
  /** order_id of the conversion it changed. */
  orderId: string;
}

export function createAdjustmentLedger(accepted: readonly AcceptedConversion[]) {
  const applied: AppliedAdjustment[] = [];
  const retracted = new Set<string>();
  const lastRestatement = new Map<string, number>();

  function find(r: any): AcceptedConversion | undefined {
    const action = r.conversion_action;
    if (r.order_id) return accepted.find((c) => c.row.conversion_action === action && c.row.order_id === r.order_id);
    const pair = r.gclid_date_time_pair ?? {};
    // Uploaded with an order id: "that order ID must be used as the identifier".
    return accepted.find(
      (c) => c.row.conversion_action === action && !c.row.order_id && c.row.gclid === pair.gclid && c.row.conversion_date_time === pair.conversion_date_time,
    );
  }

  /** `scripted`: row errors a test asked for (GoogleAdsFake.next); those rows are not applied. */
  function apply(rows: any[], validateOnly: boolean, scripted: readonly FakeAdsError[] = []): { results: any[]; errors: FakeAdsError[] } {
    const errors: FakeAdsError[] = [...scripted];
    const inRequest = new Set<string>();
    const results = rows.map((r, index) => {
      const mine: FakeAdsError[] = scripted.filter((e) => e.index === index);
      const err = (type: string, code: string, message: string) => mine.push({ type, code, message, index });
      const type = r.adjustment_type;
      if (type === 'ENHANCEMENT')
        err('conversion_adjustment_upload_error', 'CONVERSION_ACTION_NOT_ELIGIBLE_FOR_ENHANCEMENT', 'enhancements are for WEBPAGE actions');
      else if (type !== 'RETRACTION' && type !== 'RESTATEMENT')
        err('field_error', 'REQUIRED', `adjustment_type must be RETRACTION or RESTATEMENT (got ${type ?? 'none'})`);
      const pair = r.gclid_date_time_pair;
      if (r.order_id && pair)
        err('conversion_adjustment_upload_error', 'GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET', 'set order_id or gclid_date_time_pair, not both');
      if (!r.order_id && !pair) err('field_error', 'REQUIRED', 'order_id or gclid_date_time_pair is required');
      if (pair && (!pair.gclid || !DATE_TIME.test(String(pair.conversion_date_time ?? '')))) {
        err(
          'date_error',
          'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET',
          'gclid_date_time_pair needs a gclid and conversion_date_time yyyy-mm-dd hh:mm:ss+|-hh:mm',
        );
      }
      if (!DATE_TIME.test(String(r.adjustment_date_time ?? ''))) {
        err(
          'date_error',
          'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET',
          `adjustment_date_time "${r.adjustment_date_time}" is not yyyy-mm-dd hh:mm:ss+|-hh:mm`,
        );
      }
      if (!ACTION.test(String(r.conversion_action ?? '')))
        err('request_error', 'RESOURCE_NAME_MALFORMED', `conversion_action "${r.conversion_action}" is malformed`);
      if (type === 'RESTATEMENT' && typeof r.restatement_value?.adjusted_value !== 'number')
        err('field_error', 'REQUIRED', 'restatement_value.adjusted_value is required');
      const conversion = mine.length === 0 ? find(r) : undefined;
      if (mine.length === 0 && !conversion)
        err('conversion_adjustment_upload_error', 'CONVERSION_NOT_FOUND', 'The conversion for this adjustment was not found.');
      if (conversion) {
        const key = `${r.conversion_action}|${conversion.row.order_id ?? conversion.row.gclid}`;
        const at = toMs(r.adjustment_date_time);
        const dup = `${key}|${type}|${r.adjustment_date_time}`;
        if (at <= toMs(conversion.row.conversion_date_time))
          err('conversion_adjustment_upload_error', 'ADJUSTMENT_PRECEDES_CONVERSION', 'adjustment_date_time is before the conversion');
        else if (inRequest.has(dup)) err('conversion_adjustment_upload_error', 'DUPLICATE_ADJUSTMENT_IN_REQUEST', 'the same adjustment twice in one request');
        else if (retracted.has(key))
          err('conversion_adjustment_upload_error', 'CONVERSION_ALREADY_RETRACTED', 'The conversion was already retracted. This adjustment was not processed.');
        else if (type === 'RESTATEMENT' && lastRestatement.get(key) === at)
          err('conversion_adjustment_upload_error', 'RESTATEMENT_ALREADY_EXISTS', 'A restatement with this timestamp already exists.');
        else if (type === 'RESTATEMENT' && (lastRestatement.get(key) ?? 0) > at)
          err('conversion_adjustment_upload_error', 'MORE_RECENT_RESTATEMENT_FOUND', 'A more recent restatement exists.');
        inRequest.add(dup);
        if (mine.length === 0 && !validateOnly) {
          if (type === 'RETRACTION') retracted.add(key);
          else lastRestatement.set(key, at);
          applied.push({ row: r, orderId: String(conversion.row.order_id ?? '') });
        }
      }
      errors.push(...mine.filter((e) => !scripted.includes(e)));
      return mine.length > 0
        ? {}
        : { order_id: r.order_id ?? '', conversion_action: r.conversion_action, adjustment_date_time: r.adjustment_date_time, adjustment_type: type };
    });
    return { results, errors };
  }
  return { apply, applied };
}
