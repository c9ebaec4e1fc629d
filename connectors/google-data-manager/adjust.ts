import { defineConnector, DeliveryError, type DeliveryItem } from '../../src/connector-kit';
import { classifyIngest } from './errors';
import { buildRequest, DATA_MANAGER_API_VERSION, MAX_ROWS, validateItem } from './map';
import { dataManagerCredentialsSchema, dataManagerSettingsSchema } from './schema';
import { sendIngest } from './send';

/**
 * Data Manager's equivalent of a restatement: the same event sent again with the same
 * `transactionId` and the new `conversionValue` / `currency` — "If the transactionId matches an
 * existing conversion for the same conversion action, Data Manager API treats the request as a
 * conversion adjustment", the value is overwritten, other fields are ignored but must be present
 * (https://developers.google.com/data-manager/api/devguides/events/google-ads/conversion-adjustments).
 * It has no retraction: a rejected conversion "cannot be retracted" there (README).
 */
function restated(item: DeliveryItem): DeliveryItem {
  const adj = item.adjustment;
  if (adj?.type !== 'restatement') throw new DeliveryError('payload', 'google-data-manager: the Data Manager API cannot retract a conversion');
  return { ...item, conversion: { ...item.conversion, payout: adj.value ?? item.conversion.payout, currency: adj.currency ?? item.conversion.currency } };
}

export const googleDataManagerAdjustments = defineConnector({
  id: 'google-data-manager',
  displayName: 'Google Ads via Data Manager API (restatements)',
  apiVersion: DATA_MANAGER_API_VERSION,
  settings: dataManagerSettingsSchema,
  credentials: dataManagerCredentialsSchema,
  limits: { maxBatch: MAX_ROWS, timeoutMs: 20_000 },
  adjustmentTypes: ['restatement'],
  validate(item) {
    try {
      return validateItem(restated(item));
    } catch (err) {
      return err instanceof DeliveryError ? err : new DeliveryError('payload', String(err));
    }
  },
  // The original event rebuilt with the new value: same transactionId (the delivery's key), same click id.
  build: (items, ctx) => buildRequest(items.map(restated), ctx),
  send: sendIngest,
  classify: classifyIngest,
});
