import type { ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { conversionFixture, FIXTURE_NOW, itemFixture, platformClickFixture, schemaContext } from '../_shared/test-fixtures';
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
  return conversionFixture({ click: platformClickFixture('tiktok', 'ttclid', TTCLID), ...overrides });
}

export function tiktokItem(conversion: ConversionRecord = tiktokConversion(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return itemFixture(conversion, { deliveryId: 'dlv_tt_01', dedupKey: 'dk_tt_conv_01', ...overrides });
}

export function tiktokContext(
  settings: Record<string, unknown> = {},
  extra: Partial<Pick<ConnectorContext<TiktokSettings, TiktokCredentials>, 'now' | 'test'>> = {},
): ConnectorContext<TiktokSettings, TiktokCredentials> {
  return schemaContext(
    'dest_tt',
    { settings: tiktokSettingsSchema, credentials: tiktokCredentialsSchema },
    { ...conformanceFixture.settings, ...settings },
    conformanceFixture.credentials,
    extra,
  );
}
