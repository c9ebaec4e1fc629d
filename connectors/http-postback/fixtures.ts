import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import {
  httpPostbackCredentialsSchema,
  httpPostbackSettingsSchema,
  type HttpPostbackCredentials,
  type HttpPostbackSettings,
} from './schema';

/** Fixed clock for tests: 2026-01-15T12:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * Valid settings and credentials for test/conformance.test.ts, which loads
 * `connectors/<id>/fixtures.ts` of every registered connector and reads this export. The secret
 * header and query value let it check that credentials are redacted from recorded requests.
 */
export const conformanceFixture = {
  settings: { url: 'https://t.example/pb?cid={click_id}&p={payout}', method: 'POST', body: '{"id":"{dedup_key}"}' },
  credentials: { headers: { Authorization: 'Bearer conformance-secret-token' }, query: { api_key: 'conformance-api-key-123' } },
};

/** A Google click with two platform ids (gclid wins), subs and a Meta cookie. */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return {
    id: '0123456789abcdef0123456789abcdef',
    link: 'summer-sale',
    platform: 'google',
    platformClickParam: 'gclid',
    platformClickId: 'Cj0KCQ-gclid',
    platformClickIds: { gclid: 'Cj0KCQ-gclid', fbclid: 'IwAR-fbclid' },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    referrer: 'https://news.example/',
    landingUrl: 'https://shop.example/landing?gclid=Cj0KCQ-gclid',
    subs: { sub1: 'campaign-7', sub2: 'adset-3' },
    fbp: 'fb.1.1700000000000.123',
    fbc: 'fb.1.1700000000000.IwAR-fbclid',
    createdAt: FIXTURE_NOW - 3_600_000,
    ...overrides,
  };
}

/** An approved conversion matched to `clickFixture()`. */
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
    params: { sub3: 'from-postback' },
    receivedAt: FIXTURE_NOW - 60_000,
    updatedAt: FIXTURE_NOW - 60_000,
    ...overrides,
  };
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_01', dedupKey: 'dk_conv_01_dest_01', attempt: 1, conversion, ...overrides };
}

/** Settings and credentials go through the real schemas, so defaults apply as in production. */
export function contextFixture(
  settings: Record<string, unknown>,
  credentials: Record<string, unknown> = {},
): ConnectorContext<HttpPostbackSettings, HttpPostbackCredentials> {
  return {
    destinationId: 'dest_01',
    settings: httpPostbackSettingsSchema.parse(settings),
    credentials: httpPostbackCredentialsSchema.parse(credentials),
    now: FIXTURE_NOW,
  };
}
