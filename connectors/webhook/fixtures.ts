import type { ConnectorContext, DeliveryItem } from '../../src/connector-kit';
import { conversionFixture, FIXTURE_NOW, itemFixture, schemaContext } from '../_shared/test-fixtures';
import { webhookCredentialsSchema, webhookSettingsSchema, type WebhookCredentials, type WebhookSettings } from './schema';

export { FIXTURE_NOW };

/** 32 bytes, base64: a valid but well-known test secret. */
export const WEBHOOK_SECRET = `whsec_${Buffer.from('closeloop-webhook-test-secret-32b').toString('base64')}`;

/** Valid settings and credentials for test/conformance.test.ts (one per connector, same name). */
export const conformanceFixture = {
  settings: { url: 'https://hooks.example.com/closeloop' },
  credentials: { secret: WEBHOOK_SECRET },
};

export function webhookItem(overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return itemFixture(conversionFixture(), { deliveryId: 'dlv_wh_01', dedupKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', ...overrides });
}

export function webhookContext(settings: Record<string, unknown> = {}, now = FIXTURE_NOW): ConnectorContext<WebhookSettings, WebhookCredentials> {
  return schemaContext(
    'dest_wh',
    { settings: webhookSettingsSchema, credentials: webhookCredentialsSchema },
    { ...conformanceFixture.settings, ...settings },
    conformanceFixture.credentials,
    { now },
  );
}
