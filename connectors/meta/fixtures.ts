import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { metaCredentialsSchema, metaSettingsSchema, type MetaCredentials, type MetaSettings } from './schema';

/** Fixed clock for tests: 2026-01-15T12:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
export const FIXTURE_TOKEN = 'EAAB-test-token-0123456789abcdefghijklmnop';
export const FIXTURE_PIXEL = '123456789012345';
export const CLICK_MS = FIXTURE_NOW - 3_600_000;

/** A Meta ad click captured by the redirect: fbclid, browser UA, landing URL. */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return {
    id: 'a123456789abcdef0123456789abcdef',
    link: 'summer-sale',
    platform: 'meta',
    platformClickParam: 'fbclid',
    platformClickId: 'IwAR0xYz-Case_Sensitive',
    platformClickIds: { fbclid: 'IwAR0xYz-Case_Sensitive' },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
    referrer: null,
    landingUrl: 'https://go.example/c/summer-sale?fbclid=IwAR0xYz-Case_Sensitive',
    subs: {},
    fbp: null,
    fbc: `fb.1.${CLICK_MS}.IwAR0xYz-Case_Sensitive`,
    createdAt: CLICK_MS,
    ...overrides,
  };
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    id: 'conv_m1',
    source: 'everflow',
    transactionId: 'tx-meta-1',
    event: 'conversion',
    status: 'approved',
    payout: '12.50',
    currency: 'USD',
    offerId: '42',
    clickId: 'a123456789abcdef0123456789abcdef',
    matched: true,
    click: clickFixture(),
    params: {},
    receivedAt: FIXTURE_NOW - 60_000,
    updatedAt: FIXTURE_NOW - 60_000,
    ...overrides,
  };
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_m1', dedupKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', attempt: 1, conversion, ...overrides };
}

/** Settings and credentials go through the real schemas, so defaults apply as in production. */
export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean; now?: number } = {},
): ConnectorContext<MetaSettings, MetaCredentials> {
  return {
    destinationId: 'dest_meta',
    settings: metaSettingsSchema.parse({ pixelId: FIXTURE_PIXEL, ...settings }),
    credentials: metaCredentialsSchema.parse({ accessToken: FIXTURE_TOKEN, ...credentials }),
    now: extra.now ?? FIXTURE_NOW,
    ...(extra.test ? { test: true } : {}),
  };
}

/** For test/conformance.test.ts: valid settings and credentials, as a user would configure them. */
export const conformanceFixture = {
  settings: { pixelId: FIXTURE_PIXEL, testEventCode: 'TEST12345' },
  credentials: { accessToken: FIXTURE_TOKEN },
};
