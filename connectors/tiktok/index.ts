import { defineConnector } from '../../src/connector-kit';
import { classifyTiktok } from './errors';
import { buildRequest, TIKTOK_API_VERSION, tiktokIdentifiersSent, validateItem } from './map';
import { tiktokCredentialsSchema, tiktokSettingsSchema } from './schema';

/**
 * TikTok Events API 2.0 (web events, server to server). Docs:
 * business-api.tiktok.com/portal/docs?id=1771100865818625 (event/track),
 * …?id=1737172488964097 (response codes).
 */
export const tiktok = defineConnector({
  id: 'tiktok',
  displayName: 'TikTok Events API',
  apiVersion: TIKTOK_API_VERSION,
  settings: tiktokSettingsSchema,
  credentials: tiktokCredentialsSchema,
  // TikTok's reference does not state a per-request event limit for /event/track/. RudderStack
  // batches up to 1,000 there and Tealium 50; we take 50 (TikTok's own cap on the older
  // /pixel/batch/ endpoint) until a documented figure says more is safe — see README.
  limits: { maxBatch: 50, timeoutMs: 10_000 },
  validate: validateItem,
  build: buildRequest,
  identifiersSent: tiktokIdentifiersSent,
  signals: ['click_id', 'ip', 'user_agent', 'email', 'phone', 'external_id'],
  classify: (response, _request, items) => classifyTiktok(response, items),
});
