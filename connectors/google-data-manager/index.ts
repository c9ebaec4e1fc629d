import { defineConnector } from '../../src/connector-kit';
import { forgetAccessToken, getAccessToken, verifyRefreshToken } from '../_shared/google-oauth';
import { classifyIngest } from './errors';
import { buildRequest, DATA_MANAGER_API_VERSION, dataManagerIdentifiersSent, MAX_ROWS, validateItem } from './map';
import { dataManagerCredentialsSchema, dataManagerSettingsSchema } from './schema';

/**
 * Google Ads offline click conversions through the Data Manager API (`events:ingest`, REST) —
 * Google's replacement for UploadClickConversions, open to every account (platforms.md §2.7).
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
  /** OAuth refresh (cached per credentials until expiry), then the request `build` described. */
  async send(request, io, ctx) {
    const { tokenUrl } = ctx.settings;
    const token = await getAccessToken(io.http, tokenUrl, ctx.credentials, ctx.now, io.timeoutMs);
    const response = await io.http.send({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }, { timeoutMs: io.timeoutMs });
    // A refused token is dropped, so the attempt after "resume" fetches a new one.
    if (response.status === 401) forgetAccessToken(tokenUrl, ctx.credentials);
    return response;
  },
  classify: classifyIngest,
  verify: verifyRefreshToken,
});
