import { defineConnector } from '../../src/connector-kit';
import { classifyReddit } from './errors';
import { buildRequest, redditIdentifiersSent, validateItem } from './map';
import { redditCredentialsSchema, redditSettingsSchema } from './schema';

/**
 * Reddit Conversions API, v3 or v2.0 per destination (never both: Reddit would count the event
 * twice). Docs: ads-api.reddit.com/docs/v3/capi-migration.
 */
export const reddit = defineConnector({
  id: 'reddit',
  displayName: 'Reddit Conversions API',
  // Both are supported; settings.apiVersion picks one. v3 is the default and the current API.
  apiVersion: 'v3 | v2.0',
  settings: redditSettingsSchema,
  credentials: redditCredentialsSchema,
  // Reddit: at most 1,000 events per request, 10,000 events/s, 1,000 requests/s (ads-api.reddit.com/docs/v3/capi-migration).
  limits: { maxBatch: 1000, timeoutMs: 10_000 },
  validate: validateItem,
  build: buildRequest,
  identifiersSent: redditIdentifiersSent,
  signals: ['click_id', 'ip', 'user_agent', 'email', 'phone', 'external_id'],
  classify: (response, _request, items) => classifyReddit(response, items.length),
});
