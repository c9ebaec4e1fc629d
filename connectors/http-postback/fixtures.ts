import type { ConnectorContext } from '../../src/connector-kit';
import { schemaContext } from '../_shared/test-fixtures';
import { httpPostbackCredentialsSchema, httpPostbackSettingsSchema, type HttpPostbackCredentials, type HttpPostbackSettings } from './schema';

// The shared records already are the full web click a postback template can read every macro from.
export { clickFixture, conversionFixture, FIXTURE_NOW, itemFixture } from '../_shared/test-fixtures';

/**
 * Valid settings and credentials for test/conformance.test.ts, which loads
 * `connectors/<id>/fixtures.ts` of every registered connector and reads this export. The secret
 * header and query value let it check that credentials are redacted from recorded requests.
 */
export const conformanceFixture = {
  settings: { url: 'https://t.example/pb?cid={click_id}&p={payout}', method: 'POST', body: '{"id":"{dedup_key}"}' },
  credentials: { headers: { Authorization: 'Bearer conformance-secret-token' }, query: { api_key: 'conformance-api-key-123' } },
};

export function contextFixture(
  settings: Record<string, unknown>,
  credentials: Record<string, unknown> = {},
): ConnectorContext<HttpPostbackSettings, HttpPostbackCredentials> {
  return schemaContext('dest_01', { settings: httpPostbackSettingsSchema, credentials: httpPostbackCredentialsSchema }, settings, credentials);
}
