import { defineConnector } from '../../src/connector-kit';
import { classifyUpload } from './classify';
import { closeGoogleAdsClients, sendUpload } from './client';
import { validateGoogleItem } from '../_shared/google';
import { buildRequest, GOOGLE_ADS_API_VERSION, googleAdsIdentifiersSent, MAX_ROWS } from './map';
import { verifyRefreshToken } from '../_shared/google-oauth';
import { googleAdsCredentialsSchema, googleAdsSettingsSchema } from './schema';

export { closeGoogleAdsClients };

/**
 * Google Ads offline click conversions through google-ads-api (gRPC
 * ConversionUploadService.UploadClickConversions, API v25). Closed to new adopters since
 * 2026-06-15: accounts that get CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE must use the
 * google-data-manager connector instead (README.md, platforms.md §2.0).
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
  // The gRPC channels are shared per endpoint; the gateway closes them at shutdown.
  close: closeGoogleAdsClients,
});
