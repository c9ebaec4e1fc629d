import type { ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { conversionFixture, FIXTURE_NOW, itemFixture, platformClickFixture, schemaContext } from '../_shared/test-fixtures';
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
  return conversionFixture({ click: platformClickFixture('reddit', 'rdt_cid', RDT_CID), ...overrides });
}

export function redditItem(conversion: ConversionRecord = redditConversion(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return itemFixture(conversion, { deliveryId: 'dlv_rd_01', dedupKey: 'dk_rd_conv_01', ...overrides });
}

export function redditContext(
  settings: Record<string, unknown> = {},
  extra: Partial<Pick<ConnectorContext<RedditSettings, RedditCredentials>, 'now' | 'test'>> = {},
): ConnectorContext<RedditSettings, RedditCredentials> {
  return schemaContext(
    'dest_rd',
    { settings: redditSettingsSchema, credentials: redditCredentialsSchema },
    { ...conformanceFixture.settings, ...settings },
    conformanceFixture.credentials,
    extra,
  );
}
