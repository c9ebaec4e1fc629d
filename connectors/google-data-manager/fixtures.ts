import type { ConnectorContext } from '../../src/connector-kit';
import { FIXTURE_NOW } from '../google-ads/fixtures';
import { dataManagerCredentialsSchema, dataManagerSettingsSchema, type DataManagerCredentials, type DataManagerSettings } from './schema';

// Click, conversion and item records are Google Ads' own: reuse them.
export { clickFixture, conversionFixture, FIXTURE_NOW, itemFixture } from '../google-ads/fixtures';

/**
 * What the shared conformance test loops over. Everything points at 127.0.0.1 (port 9, where
 * nothing listens), so even a stray `send` could not leave the machine.
 */
export const conformanceFixture = {
  settings: {
    baseUrl: 'http://127.0.0.1:9',
    tokenUrl: 'http://127.0.0.1:9/token',
    operatingAccountId: '123-456-7890',
    loginAccountId: '1112223333',
    conversionActionId: '987654321',
  },
  credentials: {
    client_id: 'conformance-client-id.apps.googleusercontent.com',
    client_secret: 'conformance-client-secret-XYZ',
    refresh_token: '1//conformance-refresh-token',
  },
};

export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean } = {},
): ConnectorContext<DataManagerSettings, DataManagerCredentials> {
  return {
    destinationId: 'dest_dm',
    settings: dataManagerSettingsSchema.parse({ operatingAccountId: '1234567890', conversionActionId: '555', ...settings }),
    credentials: dataManagerCredentialsSchema.parse({ client_id: 'cid.apps.googleusercontent.com', client_secret: 'csecret-123', refresh_token: '1//refresh-abc', ...credentials }),
    now: FIXTURE_NOW,
    ...extra,
  };
}
