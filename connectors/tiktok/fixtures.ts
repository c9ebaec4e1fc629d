import type { ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { clickFixture, conversionFixture, FIXTURE_NOW } from '../http-postback/fixtures';
import { tiktokCredentialsSchema, tiktokSettingsSchema, type TiktokCredentials, type TiktokSettings } from './schema';

export { FIXTURE_NOW };

export const TIKTOK_PIXEL = 'C4TESTPIXEL0000000A';
export const TIKTOK_TOKEN = 'tt-access-token-0123456789abcdef0123456789';
export const TTCLID = 'E.C.P.v3-ttclid-0123456789';

/** Valid settings and credentials for test/conformance.test.ts (one per connector, same name). */
export const conformanceFixture = {
  settings: { pixelCode: TIKTOK_PIXEL },
  credentials: { accessToken: TIKTOK_TOKEN },
};

/** A TikTok click (ttclid) with ip, user agent and landing page. */
export function tiktokConversion(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return conversionFixture({
    click: clickFixture({
      platform: 'tiktok',
      platformClickParam: 'ttclid',
      platformClickId: TTCLID,
      platformClickIds: { ttclid: TTCLID },
      landingUrl: `https://shop.example/landing?ttclid=${TTCLID}`,
      fbc: null,
      fbp: null,
    }),
    ...overrides,
  });
}

export function tiktokItem(conversion: ConversionRecord = tiktokConversion(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_tt_01', dedupKey: 'dk_tt_conv_01', attempt: 1, conversion, ...overrides };
}

export function tiktokContext(
  settings: Record<string, unknown> = {},
  extra: Partial<ConnectorContext<TiktokSettings, TiktokCredentials>> = {},
): ConnectorContext<TiktokSettings, TiktokCredentials> {
  return {
    destinationId: 'dest_tt',
    settings: tiktokSettingsSchema.parse({ ...conformanceFixture.settings, ...settings }),
    credentials: tiktokCredentialsSchema.parse(conformanceFixture.credentials),
    now: FIXTURE_NOW,
    ...extra,
  };
}
