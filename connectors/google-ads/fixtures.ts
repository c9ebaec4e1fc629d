import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { googleAdsCredentialsSchema, googleAdsSettingsSchema, type GoogleAdsCredentials, type GoogleAdsSettings } from './schema';

/** Fixed clock for tests: 2026-01-15T12:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

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
  credentials: {
    client_id: 'conformance-client-id.apps.googleusercontent.com',
    client_secret: 'conformance-client-secret-XYZ',
    refresh_token: '1//conformance-refresh-token',
    developer_token: 'conformance-dev-token',
  },
};

export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return {
    id: '0123456789abcdef0123456789abcdef',
    link: 'summer-sale',
    platform: 'google',
    platformClickParam: 'gclid',
    platformClickId: 'Cj0KCQ-gclid',
    platformClickIds: { gclid: 'Cj0KCQ-gclid' },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    referrer: null,
    landingUrl: 'https://shop.example/landing?gclid=Cj0KCQ-gclid',
    subs: {},
    fbp: null,
    fbc: null,
    createdAt: FIXTURE_NOW - 3_600_000,
    ...overrides,
  };
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    id: 'conv_01',
    source: 'everflow',
    transactionId: 'tx-9f8e',
    event: 'conversion',
    status: 'approved',
    payout: '12.50',
    currency: 'USD',
    offerId: '42',
    clickId: '0123456789abcdef0123456789abcdef',
    matched: true,
    click: clickFixture(),
    params: {},
    receivedAt: FIXTURE_NOW - 60_000,
    updatedAt: FIXTURE_NOW - 60_000,
    ...overrides,
  };
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_01', dedupKey: 'dk_conv_01_dest_01', attempt: 1, conversion, ...overrides };
}

/** Settings and credentials through the real schemas, so defaults apply as in production. */
export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean } = {},
): ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials> {
  return {
    destinationId: 'dest_01',
    settings: googleAdsSettingsSchema.parse({ customerId: '1234567890', conversionActionId: '555', ...settings }),
    credentials: googleAdsCredentialsSchema.parse({ client_id: 'cid.apps.googleusercontent.com', client_secret: 'csecret-123', refresh_token: '1//refresh-abc', ...credentials }),
    now: FIXTURE_NOW,
    ...extra,
  };
}
