import type { ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { clickFixture, conversionFixture, FIXTURE_NOW } from '../http-postback/fixtures';
import { redditCredentialsSchema, redditSettingsSchema, type RedditCredentials, type RedditSettings } from './schema';

export { FIXTURE_NOW };

export const REDDIT_PIXEL = 'a2_testpixel01';
export const REDDIT_TOKEN = 'reddit-conversion-token-0123456789abcdef';
export const RDT_CID = 'rdt-cid-0123456789abcdef';

/** Valid settings and credentials for test/conformance.test.ts (one per connector, same name). */
export const conformanceFixture = {
  settings: { pixelId: REDDIT_PIXEL },
  credentials: { accessToken: REDDIT_TOKEN },
};

/** A Reddit click (rdt_cid) with ip, user agent and landing page. */
export function redditConversion(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return conversionFixture({
    click: clickFixture({
      platform: 'reddit',
      platformClickParam: 'rdt_cid',
      platformClickId: RDT_CID,
      platformClickIds: { rdt_cid: RDT_CID },
      landingUrl: `https://shop.example/landing?rdt_cid=${RDT_CID}`,
      fbc: null,
      fbp: null,
    }),
    ...overrides,
  });
}

export function redditItem(conversion: ConversionRecord = redditConversion(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_rd_01', dedupKey: 'dk_rd_conv_01', attempt: 1, conversion, ...overrides };
}

export function redditContext(
  settings: Record<string, unknown> = {},
  extra: Partial<ConnectorContext<RedditSettings, RedditCredentials>> = {},
): ConnectorContext<RedditSettings, RedditCredentials> {
  return {
    destinationId: 'dest_rd',
    settings: redditSettingsSchema.parse({ ...conformanceFixture.settings, ...settings }),
    credentials: redditCredentialsSchema.parse(conformanceFixture.credentials),
    now: FIXTURE_NOW,
    ...extra,
  };
}
