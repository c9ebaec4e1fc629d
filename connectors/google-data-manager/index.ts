import { defineConnector } from '../../src/connector-kit';
import { verifyRefreshToken } from '../_shared/google-oauth';
import { googleDataManagerAdjustments } from './adjust';
import { classifyIngest } from './errors';
import { buildRequest, DATA_MANAGER_API_VERSION, dataManagerIdentifiersSent, MAX_ROWS, validateItem } from './map';
import { dataManagerCredentialsSchema, dataManagerSettingsSchema } from './schema';
import { sendIngest } from './send';

/**
 * Google Ads offline click conversions through the Data Manager API (`events:ingest`, REST) —
 * Google's replacement for UploadClickConversions, open to every account (https://developers.google.com/ads/blog/posts/2026/05/changes-to-offline-click-conversion; https://developers.google.com/data-manager/api/reference/rest/v1/events/ingest).
 */
export const googleDataManager = defineConnector({
  id: 'google-data-manager',
  displayName: 'Google Ads via Data Manager API',
  apiVersion: DATA_MANAGER_API_VERSION,
  settings: dataManagerSettingsSchema,
  credentials: dataManagerCredentialsSchema,
  limits: { maxBatch: MAX_ROWS, timeoutMs: 20_000 },
  validate: (item) => validateItem(item),
  build: buildRequest,
  identifiersSent: dataManagerIdentifiersSent,
  signals: ['click_id', 'email', 'phone'],
  send: sendIngest,
  classify: classifyIngest,
  verify: verifyRefreshToken,
  // Restatements only: Data Manager has no retraction (adjust.ts).
  adjustments: googleDataManagerAdjustments,
});
