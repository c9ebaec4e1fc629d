import type { z } from 'zod';
import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem, Platform } from '../../src/connector-kit';

/**
 * Test records every connector builds on. Each connector's own fixtures.ts overrides only what its
 * tests are about (a ttclid click, a spreadsheet-hostile sub), so one change to the record shapes
 * is made here once instead of in every connector.
 */

/** Fixed clock for tests: 2026-01-15T12:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
export const FIXTURE_CLICK_ID = '0123456789abcdef0123456789abcdef';
export const FIXTURE_GCLID = 'Cj0KCQ-gclid';

/** A Google click with two platform ids (gclid wins), subs, a referrer and a Meta cookie: every field filled. */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return {
    id: FIXTURE_CLICK_ID,
    link: 'summer-sale',
    platform: 'google',
    platformClickParam: 'gclid',
    platformClickId: FIXTURE_GCLID,
    platformClickIds: { gclid: FIXTURE_GCLID, fbclid: 'IwAR-fbclid' },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    referrer: 'https://news.example/',
    landingUrl: `https://shop.example/landing?gclid=${FIXTURE_GCLID}`,
    subs: { sub1: 'campaign-7', sub2: 'adset-3' },
    fbp: 'fb.1.1700000000000.123',
    fbc: 'fb.1.1700000000000.IwAR-fbclid',
    createdAt: FIXTURE_NOW - 3_600_000,
    ...overrides,
  };
}

/**
 * A click from one platform only: its id is the only platform id and sits in the landing URL, and
 * there is no Meta cookie (that belongs to Meta clicks), so a test sees exactly what that platform gets.
 */
export function platformClickFixture(
  platform: Platform,
  param: ClickRecord['platformClickParam'] & string,
  clickId: string,
  overrides: Partial<ClickRecord> = {},
): ClickRecord {
  return clickFixture({
    platform,
    platformClickParam: param,
    platformClickId: clickId,
    platformClickIds: { [param]: clickId },
    landingUrl: `https://shop.example/landing?${param}=${clickId}`,
    fbp: null,
    fbc: null,
    ...overrides,
  });
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
    clickId: FIXTURE_CLICK_ID,
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

/**
 * A context whose settings and credentials go through the connector's real schemas, so defaults
 * apply as in production. `extra` sets the clock or test mode.
 */
export function schemaContext<S, C>(
  destinationId: string,
  schemas: { settings: z.ZodType<S>; credentials: z.ZodType<C> },
  settings: unknown,
  credentials: unknown,
  extra: Partial<Pick<ConnectorContext<S, C>, 'now' | 'test'>> = {},
): ConnectorContext<S, C> {
  return {
    destinationId,
    settings: schemas.settings.parse(settings),
    credentials: schemas.credentials.parse(credentials),
    now: FIXTURE_NOW,
    ...extra,
  };
}
