import type { ConnectorContext } from '../../src/connector-kit';
import { schemaContext } from '../_shared/test-fixtures';
import { CONFORMANCE_OAUTH_CREDENTIALS, OAUTH_CREDENTIALS } from '../google-ads/fixtures';
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
  credentials: CONFORMANCE_OAUTH_CREDENTIALS,
};

export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
  extra: { test?: boolean } = {},
): ConnectorContext<DataManagerSettings, DataManagerCredentials> {
  return schemaContext(
    'dest_dm',
    { settings: dataManagerSettingsSchema, credentials: dataManagerCredentialsSchema },
    { operatingAccountId: '1234567890', conversionActionId: '555', ...settings },
    { ...OAUTH_CREDENTIALS, ...credentials },
    extra,
  );
}
