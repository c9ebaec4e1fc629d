import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSheetsFake, type SheetsFake } from '../../test/fakes/sheets';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { keyFileFixture, SPREADSHEET_ID, testKeyPair } from './fixtures';

/** Click → postback → a row in the fake sheet, through the whole gateway. */

const EMAIL = 'e2e-writer@test-project.iam.gserviceaccount.com';
const COLUMNS = ['received_at', 'transaction_id', 'payout', 'currency', 'platform', 'platform_click_id', 'sub1', 'status', 'dedup_key'];
let fake: SheetsFake;
let gw: TestGateway;

before(async () => {
  fake = await startSheetsFake({ publicKey: testKeyPair().publicKey, clientEmail: EMAIL, spreadsheets: { [SPREADSHEET_ID]: ['Log'] } });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'log',
          connector: 'sheets',
          settings: { spreadsheetId: SPREADSHEET_ID, sheetName: 'Log', baseUrl: fake.url, columns: COLUMNS },
          credentials: keyFileFixture(fake.tokenUri, EMAIL),
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

const rowsFor = (tx: string) => fake.rows(SPREADSHEET_ID, 'Log').filter((r) => r[1] === tx);

test('a postback becomes one row with the configured columns', async () => {
  const clickId = await gw.click('demo', { gclid: 'EAIaIQ-e2e', sub1: '=IMPORTXML("http://x")' });
  const pb = await gw.postback({ click_id: clickId, payout: '7.25', tx_id: 'tx-sheet-e2e-1' });
  const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');

  assert.deepEqual(rowsFor('tx-sheet-e2e-1'), [
    [
      new Date(detail.received_at).toISOString(),
      'tx-sheet-e2e-1',
      7.25,
      'USD',
      'google',
      'EAIaIQ-e2e',
      '=IMPORTXML("http://x")',
      'approved',
      detail.deliveries[0].dedup_key,
    ],
  ]);
  const recorded = JSON.stringify(detail.deliveries[0].attempts[0].request);
  assert.ok(!/ya29|PRIVATE KEY/.test(recorded), 'neither the access token nor the key is recorded');
});

test('a delivery retried after a lost append answer does not add a second row', async () => {
  fake.scriptAppend({ lost: true });
  const appends = fake.stats.appends;
  const clickId = await gw.click('demo', { gclid: 'EAIaIQ-lost' });
  const pb = await gw.postback({ click_id: clickId, payout: '1.00', tx_id: 'tx-sheet-e2e-2' });
  const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');

  assert.equal(rowsFor('tx-sheet-e2e-2').length, 1);
  assert.equal(fake.stats.appends, appends + 1, 'the retry found the row and did not append');
  const attempts = detail.deliveries[0].attempts.map((a: any) => [a.outcome, a.error_kind]);
  assert.deepEqual(attempts, [
    ['failed', 'transient'],
    ['succeeded', null],
  ]);
  assert.match(detail.deliveries[0].attempts[1].note, /already in the sheet/);
  assert.equal(detail.deliveries[0].attempts[1].error_message, null);
});

test('"test destination" appends one visibly marked row; verify checks key, share and tab', async () => {
  const res = await gw.admin('/v1/destinations/log/test', { method: 'POST', body: JSON.stringify({ payout: '2.00' }) });
  assert.equal(res.body.ok, true, JSON.stringify(res.body));
  const last = fake.rows(SPREADSHEET_ID, 'Log').at(-1);
  assert.match(String(last?.[1]), /^test-/);
  assert.ok(!/PRIVATE KEY|ya29/.test(JSON.stringify(res.body)));
  assert.deepEqual((await gw.admin('/v1/destinations/log/verify', { method: 'POST' })).body, { destination: 'log', supported: true, ok: true });
});
