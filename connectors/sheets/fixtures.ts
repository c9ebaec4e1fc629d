import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { ClickRecord, ConnectorContext, ConversionRecord, DeliveryItem } from '../../src/connector-kit';
import { sheetsCredentialsSchema, sheetsSettingsSchema, type SheetsCredentials, type SheetsSettings } from './schema';

/** Fixed clock for tests: 2026-01-15T12:00:00Z. */
export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
export const SPREADSHEET_ID = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc';
export const CLIENT_EMAIL = 'closeloop-writer@test-project.iam.gserviceaccount.com';

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

export function clickFixture(overrides: Partial<ClickRecord> = {}): ClickRecord {
  return {
    id: 'b123456789abcdef0123456789abcdef',
    link: 'partner-a',
    platform: 'google',
    platformClickParam: 'gclid',
    platformClickId: 'Cj0KCQ-gclid',
    platformClickIds: { gclid: 'Cj0KCQ-gclid' },
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0',
    referrer: null,
    landingUrl: 'https://go.example/c/partner-a?gclid=Cj0KCQ-gclid',
    subs: { sub1: '=HYPERLINK("http://evil.example","click me")', sub2: 'adset 3' },
    fbp: null,
    fbc: null,
    createdAt: FIXTURE_NOW - 3_600_000,
    ...overrides,
  };
}

export function conversionFixture(overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    id: 'conv_s1',
    source: 'organic-partner',
    transactionId: 'tx-sheet-1',
    event: 'conversion',
    status: 'approved',
    payout: '12.50',
    currency: 'USD',
    offerId: '42',
    clickId: 'b123456789abcdef0123456789abcdef',
    matched: true,
    click: clickFixture(),
    params: { sub3: 'from-postback' },
    receivedAt: FIXTURE_NOW - 60_000,
    updatedAt: FIXTURE_NOW - 60_000,
    ...overrides,
  };
}

export function itemFixture(conversion: ConversionRecord = conversionFixture(), overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return { deliveryId: 'dlv_s1', dedupKey: 'aaaabbbbccccddddeeeeffff00001111', attempt: 1, conversion, ...overrides };
}

export function contextFixture(
  settings: Record<string, unknown> = {},
  credentials: Record<string, unknown> = keyFileFixture(),
  now = FIXTURE_NOW,
): ConnectorContext<SheetsSettings, SheetsCredentials> {
  return {
    destinationId: 'dest_sheets',
    settings: sheetsSettingsSchema.parse({ spreadsheetId: SPREADSHEET_ID, ...settings }),
    credentials: sheetsCredentialsSchema.parse(credentials),
    now,
  };
}

/** For test/conformance.test.ts: valid settings and credentials, as a user would configure them. */
export const conformanceFixture = {
  settings: { spreadsheetId: SPREADSHEET_ID, sheetName: 'Conversions' },
  credentials: keyFileFixture(),
};
