import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { DeliveryError, type ItemOutcome, type Outcome, type PlatformResponse } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { connectors } from '../index';
import { sheetsVerdict, tokenError } from './errors';
import { CLIENT_EMAIL, contextFixture, conversionFixture, FIXTURE_NOW, itemFixture, keyFileFixture, SPREADSHEET_ID, testKeyPair } from './fixtures';
import { PRESENT_HEADER, sheets } from './index';
import { appendUrl, columnLetter, lastRowOf, quoteSheet, rowFor } from './map';
import { SHEET_COLUMNS, sheetsCredentialsSchema, sheetsSettingsSchema } from './schema';
import { signAssertion } from './token';

const res = (status: number, body: unknown, headers: Record<string, string> = {}): PlatformResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  durationMs: 2,
});
const kindOf = (o: ItemOutcome) => (o.ok ? 'ok' : o.error.kind);
const kinds = (o: Outcome) => (Array.isArray(o) ? o.map(kindOf) : kindOf(o));

describe('sheets rows', () => {
  it('default columns', () => {
    assert.deepEqual(rowFor(itemFixture(), contextFixture().settings.columns), [
      '2026-01-15T11:59:00.000Z',
      'tx-sheet-1',
      'organic-partner',
      '42',
      'conversion',
      'approved',
      12.5,
      'USD',
      'google',
      'Cj0KCQ-gclid',
      'b123456789abcdef0123456789abcdef',
      'aaaabbbbccccddddeeeeffff00001111',
    ]);
  });

  it('every column; partner text verbatim (RAW: a formula stays text); subs fall back to the postback', () => {
    const row = rowFor(itemFixture(), SHEET_COLUMNS);
    assert.deepEqual(Object.fromEntries(SHEET_COLUMNS.map((c, i) => [c, row[i]])), {
      received_at: '2026-01-15T11:59:00.000Z',
      transaction_id: 'tx-sheet-1',
      conversion_id: 'conv_s1',
      dedup_key: 'aaaabbbbccccddddeeeeffff00001111',
      source: 'organic-partner',
      offer_id: '42',
      event: 'conversion',
      status: 'approved',
      payout: 12.5,
      currency: 'USD',
      platform: 'google',
      platform_click_id: 'Cj0KCQ-gclid',
      click_id: 'b123456789abcdef0123456789abcdef',
      sub1: '=HYPERLINK("http://evil.example","click me")',
      sub2: 'adset 3',
      sub3: 'from-postback',
      sub4: '',
      landing_url: 'https://go.example/c/partner-a?gclid=Cj0KCQ-gclid',
    });
  });

  it('empty cells for what is missing; a non-decimal payout stays text', () => {
    const unmatched = itemFixture(conversionFixture({ click: null, matched: false, clickId: null, offerId: null, payout: null, params: {} }));
    const row = rowFor(unmatched, ['payout', 'platform', 'click_id', 'offer_id', 'sub1', 'landing_url']);
    assert.deepEqual(row, ['', '', '', '', '', '']);
    assert.deepEqual(rowFor(itemFixture(conversionFixture({ payout: '1e3' })), ['payout']), ['1e3']);
  });

  const letters: Array<[number, string]> = [
    [0, 'A'],
    [11, 'L'],
    [25, 'Z'],
    [26, 'AA'],
    [51, 'AZ'],
    [52, 'BA'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ];
  for (const [i, want] of letters) it(`column ${i} → ${want}`, () => assert.equal(columnLetter(i), want));

  it('quotes sheet names for A1 notation', () => {
    assert.equal(quoteSheet('Sheet1'), "'Sheet1'");
    assert.equal(quoteSheet("Bob's log"), "'Bob''s log'");
  });

  const ranges: Array<[string, number | null]> = [
    ['Log!L1:L1000', 1000],
    ["'My log'!L1:L1012", 1012],
    ['Log!L7', 7],
    ['Log!L:L', null],
    ['nonsense', null],
  ];
  for (const [range, want] of ranges) it(`last row of ${range} → ${want}`, () => assert.equal(lastRowOf(range), want));
});

describe('sheets build', () => {
  it('one append of several rows, RAW and INSERT_ROWS, no credentials in the request', () => {
    const items = [
      itemFixture(),
      itemFixture(conversionFixture({ transactionId: 'tx-2' }), { deliveryId: 'd2', dedupKey: 'k2' }),
      itemFixture(undefined, { deliveryId: 'd3' }),
    ];
    const ctx = contextFixture({ sheetName: 'My log', columns: ['transaction_id', 'dedup_key'] });
    const req = sheets.build(items, ctx);
    assert.equal(req.method, 'POST');
    assert.equal(
      req.url,
      `https://sheets.googleapis.com/v4/spreadsheets/${SPREADSHEET_ID}/values/'My%20log'!A%3AB:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`,
    );
    assert.equal(appendUrl(ctx.settings), req.url);
    assert.deepEqual(req.headers, { 'content-type': 'application/json' });
    // The third item repeats the first one's key: one row.
    assert.deepEqual(JSON.parse(req.body as string), {
      majorDimension: 'ROWS',
      values: [
        ['tx-sheet-1', 'aaaabbbbccccddddeeeeffff00001111'],
        ['tx-2', 'k2'],
      ],
    });
    assert.ok(!JSON.stringify(req).includes('PRIVATE KEY'));
  });

  it('is deterministic and ignores the clock', () => {
    const a = sheets.build([itemFixture()], contextFixture());
    const b = sheets.build([itemFixture()], contextFixture({}, keyFileFixture(), FIXTURE_NOW + 86_400_000));
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });
});

describe('sheets classify', () => {
  const items = [itemFixture(), itemFixture(undefined, { deliveryId: 'd2', dedupKey: 'k2' })];
  const req = sheets.build(items, contextFixture());
  const appended = (n: number) => ({ updates: { updatedRange: "'Sheet1'!A5:L6", updatedRows: n } });
  const cases: Array<[string, PlatformResponse, unknown]> = [
    ['200 with the rows appended', res(200, appended(2)), 'ok'],
    ['200 with fewer rows', res(200, appended(1)), 'transient'],
    ['200 without updates', res(200, '{}'), 'transient'],
    ['all already present (nothing appended)', res(200, '{}', { [PRESENT_HEADER]: 'aaaabbbbccccddddeeeeffff00001111,k2' }), 'ok'],
    ['one present, one appended', res(200, appended(1), { [PRESENT_HEADER]: 'k2' }), ['ok', 'ok']],
    [
      'one present, append refused by quota',
      res(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } }, { [PRESENT_HEADER]: 'k2' }),
      ['rate_limited', 'ok'],
    ],
    ['403 not shared', res(403, { error: { code: 403, status: 'PERMISSION_DENIED', message: 'The caller does not have permission' } }), 'auth'],
    ['401', res(401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'bad token' } }), 'auth'],
    ['404 spreadsheet', res(404, { error: { code: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.' } }), 'config'],
    ['400 unknown tab', res(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Unable to parse range: Nope!A:L' } }), 'config'],
    [
      '400 other',
      res(400, {
        error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Your input contains more than the maximum of 50000 characters in a single cell.' },
      }),
      'payload',
    ],
    ['503 html', res(503, '<html>unavailable</html>'), 'transient'],
    ['429 with Retry-After', res(429, '', { 'retry-after': '20' }), 'rate_limited'],
  ];
  for (const [name, response, want] of cases) {
    it(`${name} → ${JSON.stringify(want)}`, () => assert.deepEqual(kinds(sheets.classify(response, req, items)), want));
  }

  it('keeps the Google status as platform code and the Retry-After', () => {
    const o = sheets.classify(res(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } }, { 'retry-after': '20' }), req, items);
    assert.ok(!Array.isArray(o) && !o.ok);
    assert.equal(o.error.platformCode, 'RESOURCE_EXHAUSTED');
    assert.equal(o.error.retryAfterMs, 20_000);
    assert.equal(o.error.message, 'Google Sheets HTTP 429 RESOURCE_EXHAUSTED (per-minute quota exceeded): Quota exceeded');
  });

  it('never throws, whatever the body', () => {
    for (const b of ['', 'null', '[]', '{"error":"x"}', '{"updates":null}']) {
      for (const status of [200, 400, 500]) assert.doesNotThrow(() => sheets.classify(res(status, b), req, items));
    }
  });
});

describe('sheets errors tables', () => {
  const statuses: Array<[number, string | undefined, string | undefined, string]> = [
    [401, 'UNAUTHENTICATED', undefined, 'auth'],
    [403, 'PERMISSION_DENIED', undefined, 'auth'],
    [404, 'NOT_FOUND', undefined, 'config'],
    [400, 'FAILED_PRECONDITION', undefined, 'config'],
    [429, 'RESOURCE_EXHAUSTED', undefined, 'rate_limited'],
    [503, 'UNAVAILABLE', undefined, 'transient'],
    [500, 'INTERNAL', undefined, 'transient'],
    [400, 'INVALID_ARGUMENT', 'Unable to parse range: X!A1', 'config'],
    [400, 'INVALID_ARGUMENT', 'bad cell', 'payload'],
    // Default: by HTTP status, else retry.
    [418, 'SOMETHING_NEW', undefined, 'payload'],
    [502, undefined, undefined, 'transient'],
    [200, undefined, undefined, 'transient'],
  ];
  for (const [http, status, message, kind] of statuses) {
    it(`Sheets ${http} ${status ?? '-'} ${message ?? ''} → ${kind}`, () => {
      assert.equal(sheetsVerdict(http, { ...(status ? { status } : {}), ...(message ? { message } : {}) }).kind, kind);
    });
  }
  const tokens: Array<[number, unknown, string]> = [
    [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, 'auth'],
    [401, { error: 'invalid_client' }, 'auth'],
    [400, { error: 'invalid_scope' }, 'config'],
    [429, 'slow down', 'rate_limited'],
    [503, '', 'transient'],
    [400, { error: 'new_thing' }, 'payload'],
  ];
  for (const [status, body, kind] of tokens) {
    it(`token endpoint ${status} ${JSON.stringify(body)} → ${kind}`, () => assert.equal(tokenError(res(status, body)).kind, kind));
  }
});

describe('sheets credentials and settings', () => {
  it('signs an RS256 assertion for the key file: iss, aud = token_uri, spreadsheets scope, one hour', () => {
    const key = contextFixture({}, keyFileFixture('http://127.0.0.1:9/token')).credentials;
    const [h, c, s] = signAssertion(key, FIXTURE_NOW).split('.') as [string, string, string];
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: '0123456789abcdef0123456789abcdef01234567' });
    const iat = FIXTURE_NOW / 1000;
    assert.deepEqual(JSON.parse(Buffer.from(c, 'base64url').toString()), {
      iss: CLIENT_EMAIL,
      scope: 'https://www.googleapis.com/auth/spreadsheets',
      aud: 'http://127.0.0.1:9/token',
      iat,
      exp: iat + 3600,
    });
    assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), testKeyPair().publicKey, Buffer.from(s, 'base64url')));
  });

  it('takes the key file as fields or as keyJson; keeps only what it uses; fixes escaped newlines', () => {
    const file = keyFileFixture();
    const fromJson = sheetsCredentialsSchema.parse({ keyJson: JSON.stringify({ ...file, private_key: file.private_key?.replace(/\n/g, '\\n') }) });
    assert.deepEqual(fromJson, sheetsCredentialsSchema.parse(file));
    assert.deepEqual(Object.keys(fromJson).sort(), ['client_email', 'private_key', 'private_key_id', 'token_uri']);
    const { token_uri: _t, ...noUri } = file;
    assert.equal(sheetsCredentialsSchema.parse(noUri).token_uri, 'https://oauth2.googleapis.com/token');
  });

  it('rejects broken keys without echoing them', () => {
    const issues = (input: unknown) => {
      const r = sheetsCredentialsSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    assert.deepEqual(issues({ keyJson: '{"private_key": "-----BEGIN' }), ['keyJson: keyJson is not valid JSON (paste the whole service-account key file)']);
    assert.deepEqual(issues({ ...keyFileFixture(), private_key: 'not-a-key-s3cr3t' }), ['private_key: private_key is not a PEM RSA private key']);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.equal(issues({ ...keyFileFixture(), private_key: ec }).length, 1);
  });

  it('settings: defaults; dedup_key column required while the check is on; no repeated columns', () => {
    const s = sheetsSettingsSchema.parse({ spreadsheetId: SPREADSHEET_ID });
    assert.equal(s.sheetName, 'Sheet1');
    assert.equal(s.dedupWindowRows, 1000);
    assert.equal(s.baseUrl, 'https://sheets.googleapis.com');
    assert.equal(sheetsSettingsSchema.safeParse({ spreadsheetId: SPREADSHEET_ID, columns: ['payout'] }).success, false);
    assert.equal(sheetsSettingsSchema.safeParse({ spreadsheetId: SPREADSHEET_ID, columns: ['payout'], dedupWindowRows: 0 }).success, true);
    assert.equal(sheetsSettingsSchema.safeParse({ spreadsheetId: SPREADSHEET_ID, columns: ['payout', 'payout', 'dedup_key'] }).success, false);
    assert.equal(sheetsSettingsSchema.safeParse({ spreadsheetId: SPREADSHEET_ID, columns: ['payout', 'gclid'] }).success, false);
    assert.equal(sheetsSettingsSchema.safeParse({ spreadsheetId: 'https://docs.google.com/x' }).success, false);
  });

  it('is registered under its folder name', () => assert.equal(createRegistry(connectors).get('sheets'), sheets));
  it('DeliveryError is what build throws on an empty batch', () => {
    assert.throws(
      () => sheets.build([], contextFixture()),
      (e) => e instanceof DeliveryError && e.kind === 'payload',
    );
  });
});
