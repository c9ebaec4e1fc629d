import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import * as shared from '../_shared/test-fixtures';
import { googleAdsCredentialsSchema, googleAdsSettingsSchema, type GoogleAdsCredentials, type GoogleAdsSettings } from './schema';

export { FIXTURE_NOW } from '../_shared/test-fixtures';

/** The OAuth client both Google connectors authenticate with (Data Manager takes no developer token). */
export const OAUTH_CREDENTIALS = { client_id: 'cid.apps.googleusercontent.com', client_secret: 'csecret-123', refresh_token: '1//refresh-abc' };
export const CONFORMANCE_OAUTH_CREDENTIALS = {
  client_id: 'conformance-client-id.apps.googleusercontent.com',
  client_secret: 'conformance-client-secret-XYZ',
  refresh_token: '1//conformance-refresh-token',
};

/**
 * What the shared conformance test loops over. Everything points at 127.0.0.1 (port 9, where
 * nothing listens), so even a stray `send` could not leave the machine.
 */
export const conformanceFixture = {
  settings: {
    customerId: '123-456-7890',
    conversionActionId: '987654321',
    loginCustomerId: '1112223333',
    timeZone: 'America/New_York',
    endpoint: { host: '127.0.0.1', port: 9, insecure: true },
    tokenUrl: 'http://127.0.0.1:9/token',
  },
  credentials: { ...CONFORMANCE_OAUTH_CREDENTIALS, developer_token: 'conformance-dev-token' },
};

/** A bare Google click: the gclid only, no referrer or subs (Google uploads read none of them). */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return shared.platformClickFixture('google', 'gclid', shared.FIXTURE_GCLID, { referrer: null, subs: {}, ...overrides });
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return shared.conversionFixture({ click: clickFixture(), params: {}, ...overrides });
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return shared.itemFixture(conversion, overrides);
}

/** Settings and credentials through the real schemas, so defaults apply as in production. */
export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean } = {},
): ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials> {
  return shared.schemaContext(
    'dest_01',
    { settings: googleAdsSettingsSchema, credentials: googleAdsCredentialsSchema },
    { customerId: '1234567890', conversionActionId: '555', ...settings },
    { ...OAUTH_CREDENTIALS, ...credentials },
    extra,
  );
}
