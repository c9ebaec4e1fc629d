import { defineConnector, outcomeForStatus } from '../../src/connector-kit';
import { buildRequest } from './map';
import { httpPostbackCredentialsSchema, httpPostbackSettingsSchema } from './schema';

/**
 * Templated GET/POST to any URL: the partner postback of an affiliate network, or a tracker's
 * S2S endpoint. The smallest complete connector — copy this folder to start a new one.
 */
export const httpPostback = defineConnector({
  id: 'http-postback',
  displayName: 'HTTP postback',
  // No upstream API to pin: the receiver is whatever URL the user configures.
  apiVersion: 'n/a',
  settings: httpPostbackSettingsSchema,
  credentials: httpPostbackCredentialsSchema,
  // A postback URL carries one conversion; receivers have no batch format.
  limits: { maxBatch: 1, timeoutMs: 10_000 },
  build: buildRequest,
  // The status is the whole story here: any 2xx (204 included) is a success, as Everflow
  // counts it (https://www.ourdreamaiaffiliate.com/onboarding/postbacks); the kit maps the rest (429 → rate_limited with Retry-After, 5xx →
  // transient, 401/403 → auth, 404 → config, other 4xx → payload).
  classify: (response) => outcomeForStatus(response, 'postback URL'),
});
