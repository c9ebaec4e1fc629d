import { defineConnector, outcomeForStatus } from '../../src/connector-kit';
import { buildRequest } from './map';
import { webhookCredentialsSchema, webhookSettingsSchema } from './schema';

export { buildSignedWebhook, conversionData, webhookEnvelope, WEBHOOK_PAYLOAD_VERSION } from './map';
export type { ConversionReceivedData, WebhookEnvelope, WebhookEventType } from './map';
export { decodeWebhookSecret, generateWebhookSecret, signWebhook, verifyWebhookSignature, webhookHeaders } from './sign';

/**
 * Signed JSON webhooks (Standard Webhooks, https://www.standardwebhooks.com/): one
 * `conversion.received` event per request, with the de-duplication key as its id.
 */
export const webhook = defineConnector({
  id: 'webhook',
  displayName: 'Webhook (Standard Webhooks)',
  apiVersion: 'standard-webhooks-1.0.0; payload v1',
  settings: webhookSettingsSchema,
  credentials: webhookCredentialsSchema,
  // One event per message, as Standard Webhooks receivers expect (the id is the event's).
  limits: { maxBatch: 1, timeoutMs: 10_000 },
  build: buildRequest,
  // Any 2xx acknowledges; the kit reads the rest (410 Gone → config: the receiver asks us to
  // stop, which pauses the destination, as the spec recommends for 410).
  classify: (response) => outcomeForStatus(response, 'webhook receiver'),
});
