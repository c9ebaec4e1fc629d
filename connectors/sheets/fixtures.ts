import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import * as shared from '../_shared/test-fixtures';
import { sheetsCredentialsSchema, sheetsSettingsSchema, type SheetsCredentials, type SheetsSettings } from './schema';

export const FIXTURE_NOW = shared.FIXTURE_NOW;
export const SPREADSHEET_ID = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc';
export const CLIENT_EMAIL = 'closeloop-writer@test-project.iam.gserviceaccount.com';
const CLICK_ID = 'b123456789abcdef0123456789abcdef';

let keys: { privateKeyPem: string; publicKey: KeyObject } | null = null;
/**
 * A throw-away RSA key pair, generated once per process: no key material is committed, and the
 * fakes verify assertions with the public half.
 */
export function testKeyPair(): { privateKeyPem: string; publicKey: KeyObject } {
  if (!keys) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
  }
  return keys;
}

/** A key file as Google issues it (fields we do not use included: they are dropped by the schema). */
export function keyFileFixture(tokenUri = 'https://oauth2.googleapis.com/token', clientEmail = CLIENT_EMAIL): Record<string, string> {
  return {
    type: 'service_account',
    project_id: 'test-project',
    private_key_id: '0123456789abcdef0123456789abcdef01234567',
    private_key: testKeyPair().privateKeyPem,
    client_email: clientEmail,
    client_id: '100000000000000000001',
    token_uri: tokenUri,
  };
}

/** A Google click whose sub1 is a formula: a cell written as-is would run it (CSV/formula injection). */
export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return shared.platformClickFixture('google', 'gclid', shared.FIXTURE_GCLID, {
    id: CLICK_ID,
    link: 'partner-a',
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0',
    referrer: null,
    landingUrl: `https://go.example/c/partner-a?gclid=${shared.FIXTURE_GCLID}`,
    subs: { sub1: '=HYPERLINK("http://evil.example","click me")', sub2: 'adset 3' },
    ...overrides,
  });
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return shared.conversionFixture({
    id: 'conv_s1',
    source: 'organic-partner',
    transactionId: 'tx-sheet-1',
    clickId: CLICK_ID,
    click: clickFixture(),
    ...overrides,
  });
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return shared.itemFixture(conversion, { deliveryId: 'dlv_s1', dedupKey: 'aaaabbbbccccddddeeeeffff00001111', ...overrides });
}

export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = keyFileFixture(),
  now = FIXTURE_NOW,
): ConnectorContext<SheetsSettings, SheetsCredentials> {
  return shared.schemaContext(
    'dest_sheets',
    { settings: sheetsSettingsSchema, credentials: sheetsCredentialsSchema },
    { spreadsheetId: SPREADSHEET_ID, ...settings },
    credentials,
    { now },
  );
}

/** For test/conformance.test.ts: valid settings and credentials, as a user would configure them. */
export const conformanceFixture = {
  settings: { spreadsheetId: SPREADSHEET_ID, sheetName: 'Conversions' },
  credentials: keyFileFixture(),
};
