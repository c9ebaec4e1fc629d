import { defineConnector } from '../../src/connector-kit';
import { classifyUpload } from './classify';
import { closeGoogleAdsClients, sendAdjustments, sendUpload } from './client';
import { classifyAdjustments } from './adjust-classify';
import { buildAdjustmentRequest, validateAdjustment } from './adjust-map';
import { validateGoogleItem } from '../_shared/google';
import { buildRequest, GOOGLE_ADS_API_VERSION, googleAdsIdentifiersSent, MAX_ROWS } from './map';
import { verifyRefreshToken } from '../_shared/google-oauth';
import { googleAdsCredentialsSchema, googleAdsSettingsSchema } from './schema';

export { closeGoogleAdsClients };

/**
 * Corrections of uploaded conversions (`retractions: true` on the destination): RETRACTION when the
 * network rejects a delivered conversion, RESTATEMENT when it changes the payout
 * (ConversionAdjustmentUploadService, https://developers.google.com/google-ads/api/docs/conversions/upload-adjustments).
 */
export const googleAdsAdjustments = defineConnector({
  id: 'google-ads',
  displayName: 'Google Ads (conversion adjustments)',
  apiVersion: GOOGLE_ADS_API_VERSION,
  settings: googleAdsSettingsSchema,
  credentials: googleAdsCredentialsSchema,
  limits: { maxBatch: MAX_ROWS, timeoutMs: 20_000 },
  adjustmentTypes: ['retraction', 'restatement'],
  validate: validateAdjustment,
  build: buildAdjustmentRequest,
  send: sendAdjustments,
  classify: classifyAdjustments,
});

/**
 * Google Ads offline click conversions through google-ads-api (gRPC
 * ConversionUploadService.UploadClickConversions, API v25). Closed to new adopters since
 * 2026-06-15: accounts that get CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE must use the
 * google-data-manager connector instead (README.md; https://developers.google.com/ads/blog/posts/2026/05/changes-to-offline-click-conversion).
 */
export const googleAds = defineConnector({
  id: 'google-ads',
  displayName: 'Google Ads (click conversion upload)',
  apiVersion: GOOGLE_ADS_API_VERSION,
  settings: googleAdsSettingsSchema,
  credentials: googleAdsCredentialsSchema,
  limits: { maxBatch: MAX_ROWS, timeoutMs: 20_000 },
  validate: (item) => validateGoogleItem(item),
  build: buildRequest,
  identifiersSent: googleAdsIdentifiersSent,
  signals: ['click_id', 'email', 'phone'],
  send: sendUpload,
  classify: classifyUpload,
  verify: verifyRefreshToken,
  adjustments: googleAdsAdjustments,
  // The gRPC channels are shared per endpoint; the gateway closes them at shutdown.
  close: closeGoogleAdsClients,
});
