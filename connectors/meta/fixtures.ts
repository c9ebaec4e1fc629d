import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import * as shared from '../_shared/test-fixtures';
import { metaCredentialsSchema, metaSettingsSchema, type MetaCredentials, type MetaSettings } from './schema';

export const FIXTURE_NOW = shared.FIXTURE_NOW;
export const FIXTURE_TOKEN = 'EAAB-test-token-0123456789abcdefghijklmnop';
export const FIXTURE_PIXEL = '123456789012345';
export const CLICK_MS = FIXTURE_NOW - 3_600_000;
const CLICK_ID = 'a123456789abcdef0123456789abcdef';
// Mixed case on purpose: Meta compares fbclid case-sensitively, so it must reach fbc unchanged.
const FBCLID = 'IwAR0xYz-Case_Sensitive';

/** A Meta ad click captured by the redirect: fbclid, browser UA, landing URL, the fbc it implies. */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return shared.platformClickFixture('meta', 'fbclid', FBCLID, {
    id: CLICK_ID,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
    referrer: null,
    landingUrl: `https://go.example/c/summer-sale?fbclid=${FBCLID}`,
    subs: {},
    fbc: `fb.1.${CLICK_MS}.${FBCLID}`,
    createdAt: CLICK_MS,
    ...overrides,
  });
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return shared.conversionFixture({ id: 'conv_m1', transactionId: 'tx-meta-1', clickId: CLICK_ID, click: clickFixture(), params: {}, ...overrides });
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return shared.itemFixture(conversion, { deliveryId: 'dlv_m1', dedupKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', ...overrides });
}

export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean; now?: number } = {},
): ConnectorContext<MetaSettings, MetaCredentials> {
  return shared.schemaContext(
    'dest_meta',
    { settings: metaSettingsSchema, credentials: metaCredentialsSchema },
    { pixelId: FIXTURE_PIXEL, ...settings },
    { accessToken: FIXTURE_TOKEN, ...credentials },
    // `test: false` is left out rather than set, as a real non-test delivery has it.
    { now: extra.now ?? FIXTURE_NOW, ...(extra.test ? { test: true } : {}) },
  );
}

/** For test/conformance.test.ts: valid settings and credentials, as a user would configure them. */
export const conformanceFixture = {
  settings: { pixelId: FIXTURE_PIXEL, testEventCode: 'TEST12345' },
  credentials: { accessToken: FIXTURE_TOKEN },
};
