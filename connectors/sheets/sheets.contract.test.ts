import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DeliveryError, type DeliveryItem, type ItemOutcome, type Outcome } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { startSheetsFake, type SheetsFake } from '../../test/fakes/sheets';
import { CLIENT_EMAIL, contextFixture, conversionFixture, FIXTURE_NOW, itemFixture, keyFileFixture, SPREADSHEET_ID, testKeyPair } from './fixtures';
import { sheets } from './index';
import { clearTokenCache } from './token';

/** The real HttpClient against the fake token endpoint + Sheets API, as the engine calls them. */

const kindOf = (o: ItemOutcome) => (o.ok ? 'ok' : o.error.kind);
const kinds = (o: Outcome) => (Array.isArray(o) ? o.map(kindOf) : kindOf(o));
const item = (tx: string, key: string): DeliveryItem => itemFixture(conversionFixture({ transactionId: tx }), { deliveryId: `d-${key}`, dedupKey: key });

describe('sheets contract (real HttpClient → fake Google)', () => {
  let fake: SheetsFake;
  const http = loopbackHttpClient();
  const io = { http, timeoutMs: 2_000 };
  before(async () => {
    fake = await startSheetsFake({
      publicKey: testKeyPair().publicKey,
      clientEmail: CLIENT_EMAIL,
      spreadsheets: { [SPREADSHEET_ID]: ['Log', 'Other'] },
      gridRows: 20,
      now: () => FIXTURE_NOW,
    });
  });
  after(async () => {
    await http.close();
    await fake.close();
  });
  beforeEach(() => clearTokenCache());

  const ctx = (settings: Record<string, unknown> = {}, credentials = keyFileFixture(fake.tokenUri)) =>
    contextFixture({ sheetName: 'Log', baseUrl: fake.url, columns: ['transaction_id', 'payout', 'sub1', 'dedup_key'], ...settings }, credentials);
  const deliver = async (items: DeliveryItem[], c = ctx()) => {
    const request = sheets.build(items, c);
    return sheets.classify(await (sheets.send as NonNullable<typeof sheets.send>)(request, io, c), request, items);
  };
  const rows = () => fake.rows(SPREADSHEET_ID, 'Log');

  it('appends a batch with a token minted at the key file token_uri, reused for the next send', async () => {
    const issued = fake.stats.tokensIssued;
    assert.equal(kinds(await deliver([item('tx-1', 'key-1'), item('tx-2', 'key-2')])), 'ok');
    assert.equal(kinds(await deliver([item('tx-3', 'key-3')])), 'ok');
    assert.equal(fake.stats.tokensIssued, issued + 1, 'one token exchange for both sends');
    assert.deepEqual(rows().slice(-3), [
      ['tx-1', 12.5, '=HYPERLINK("http://evil.example","click me")', 'key-1'],
      ['tx-2', 12.5, '=HYPERLINK("http://evil.example","click me")', 'key-2'],
      ['tx-3', 12.5, '=HYPERLINK("http://evil.example","click me")', 'key-3'],
    ]);
    const append = fake.requests.findLast((r) => r.method === 'POST' && r.path.endsWith(':append'));
    assert.match(String(append?.headers.authorization), /^Bearer ya29\.fake-/);
    assert.equal(append?.query.get('valueInputOption'), 'RAW');
  });

  it('does not append a row whose dedup_key is already among the newest rows', async () => {
    const before = rows().length;
    const again = await deliver([item('tx-2', 'key-2'), item('tx-4', 'key-4')]);
    assert.deepEqual(kinds(again), ['ok', 'ok']);
    assert.ok(Array.isArray(again) && again[0]?.ok && /already in the sheet/.test(again[0].note ?? ''));
    assert.deepEqual(rows().slice(before), [['tx-4', 12.5, '=HYPERLINK("http://evil.example","click me")', 'key-4']]);

    const appends = fake.stats.appends;
    assert.equal(kinds(await deliver([item('tx-4', 'key-4')])), 'ok');
    assert.equal(fake.stats.appends, appends, 'nothing left to append: no append request at all');
  });

  it('a lost append answer, then the retry: one row', async () => {
    fake.scriptAppend({ lost: true });
    const before = rows().length;
    await assert.rejects(deliver([item('tx-lost', 'key-lost')]), (e) => e instanceof DeliveryError && e.kind === 'transient');
    assert.equal(rows().length, before + 1, 'the append did land');
    assert.equal(kinds(await deliver([item('tx-lost', 'key-lost')])), 'ok');
    assert.equal(rows().filter((r) => r[3] === 'key-lost').length, 1);
  });

  it('reads the dedup column from the bottom, within the HTTP client capture limit; older rows are not checked', async () => {
    const keyOf = (i: number) => `${String(i).padStart(8, '0')}aaaabbbbccccddddeeeeffff`; // 32 characters, like real keys
    fake.seed(
      SPREADSHEET_ID,
      'Other',
      Array.from({ length: 3000 }, (_, i) => ['seeded', 1, '', keyOf(i)]),
      999,
    );
    const c = ctx({ sheetName: 'Other' });
    const rowsOf = () => fake.rows(SPREADSHEET_ID, 'Other');
    const reads = fake.stats.reads;
    // Newest row: inside the bottom read (1,200 rows, 999 of them empty) → skipped.
    assert.equal(kinds(await deliver([item('tx-new', keyOf(2999))], c)), 'ok');
    assert.equal(rowsOf().length, 3000);
    // One grid probe, then reads of 1,200 rows until at least dedupWindowRows (1,000) keys.
    assert.ok(fake.stats.reads - reads >= 3 && fake.stats.reads - reads <= 6);
    // The oldest row is beyond the window: appended again (the documented limit).
    await deliver([item('tx-old', keyOf(0))], c);
    assert.equal(rowsOf().length, 3001);
  });

  it('a revoked token: 401, one fresh token, success', async () => {
    await deliver([item('tx-r1', 'key-r1')]);
    fake.revokeTokens();
    const issued = fake.stats.tokensIssued;
    assert.equal(kinds(await deliver([item('tx-r2', 'key-r2')])), 'ok');
    assert.equal(fake.stats.tokensIssued, issued + 1);
  });

  it('quota (429) → rate_limited; the row goes in on the next try', async () => {
    fake.scriptAppend({ quota: true });
    assert.equal(kinds(await deliver([item('tx-q', 'key-q')])), 'rate_limited');
    assert.equal(kinds(await deliver([item('tx-q', 'key-q')])), 'ok');
    assert.equal(rows().filter((r) => r[3] === 'key-q').length, 1);
  });

  it('a hung append ends within the send deadline as transient', async () => {
    fake.scriptAppend({ hang: true });
    const c = ctx();
    const request = sheets.build([item('tx-h', 'key-h')], c);
    const started = Date.now();
    await assert.rejects(
      (sheets.send as NonNullable<typeof sheets.send>)(request, { http, timeoutMs: 400 }, c),
      (e) => e instanceof DeliveryError && e.kind === 'transient',
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('configuration and credential failures', async () => {
    const rejects = (p: Promise<unknown>, kind: string, message: RegExp) =>
      assert.rejects(p, (e) => e instanceof DeliveryError && e.kind === kind && message.test(e.message));
    await rejects(deliver([item('tx', 'k')], ctx({ sheetName: 'Nope' })), 'config', /no such tab/);
    await rejects(deliver([item('tx', 'k')], ctx({ spreadsheetId: '1NoSuchSpreadsheet0000000' })), 'config', /spreadsheet not found/);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await rejects(
      deliver([item('tx', 'k')], ctx({}, { ...keyFileFixture(fake.tokenUri), private_key: other })),
      'auth',
      /invalid_grant.*Invalid JWT Signature/,
    );
    await rejects(deliver([item('tx', 'k')], ctx({}, keyFileFixture(fake.tokenUri, 'someone@else.iam.gserviceaccount.com'))), 'auth', /invalid_client/);
  });

  it('verify: the key, the share and the tab', async () => {
    await sheets.verify?.(io, ctx());
    await assert.rejects(
      sheets.verify?.(io, ctx({ sheetName: 'Missing' })) as Promise<void>,
      (e) => e instanceof DeliveryError && e.kind === 'config' && /tabs: Log, Other/.test(e.message),
    );
  });

  it('never sent the private key or the access token anywhere but their own requests', () => {
    const pem = testKeyPair().privateKeyPem;
    for (const r of fake.requests) assert.ok(!r.body.includes('PRIVATE KEY') && !r.url.includes(pem.slice(40, 80)));
    for (const r of fake.requests.filter((x) => x.path !== '/token')) assert.ok(!/ya29/.test(r.body + r.url));
  });
});
