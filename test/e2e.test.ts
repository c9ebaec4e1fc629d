import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { startTestGateway, waitForDeliveries as waitForStatus, type TestGateway } from './helpers/gateway';

let fake: FakeServer;
let gw: TestGateway;

before(async () => {
  fake = await startFakeServer();
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'tracker',
          connector: 'http-postback',
          settings: {
            url: `${fake.url}/conv?cid={click_id}&gclid={gclid}&payout={payout}&cur={currency}&tx={transaction_id}&ev={event_id}&key={dedup_key}&s1={sub1}`,
          },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test('a gclid click, then its postback, reaches the destination with the right macros', async () => {
  const clickId = await gw.click('demo', { gclid: 'EAIaIQobChMI_x-Y', sub1: 'camp 1&2' });
  assert.match(clickId, /^[0-9a-f]{32}$/);

  const res = await gw.postback({ click_id: clickId, payout: '12.50', tx_id: 'tx-e2e-1', offer_id: '42' });
  assert.equal(res.status, 200);
  assert.equal(res.body.duplicate, false);
  assert.equal(res.body.matched, true);
  assert.equal(res.body.deliveries.length, 1);

  const [req] = await fake.waitFor(1);
  assert.ok(req);
  assert.equal(req.path, '/conv');
  assert.equal(req.query.get('cid'), clickId);
  assert.equal(req.query.get('gclid'), 'EAIaIQobChMI_x-Y');
  assert.equal(req.query.get('payout'), '12.50');
  assert.equal(req.query.get('cur'), 'USD');
  assert.equal(req.query.get('tx'), 'tx-e2e-1');
  assert.equal(req.query.get('s1'), 'camp 1&2');
  assert.equal(req.query.get('ev'), '{event_id}', 'an unknown macro goes out literally');
  assert.match(req.query.get('key') ?? '', /^[0-9a-f]{32}$/);

  // The delivery is recorded as succeeded with its attempt.
  const detail = await waitForStatus(gw, res.body.conversion_id, 'succeeded');
  assert.equal(detail.deliveries[0].attempts[0].response_status, 200);
});

test('a repeated postback is a duplicate and is not forwarded again', async () => {
  const clickId = await gw.click('demo', { gclid: 'dup-gclid' });
  const first = await gw.postback({ click_id: clickId, payout: '1', tx_id: 'tx-dup' });
  const before = fake.requests.length;
  const again = await gw.postback({ click_id: clickId, payout: '1', tx_id: 'tx-dup' });
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
  assert.equal(again.body.conversion_id, first.body.conversion_id);
  await waitForStatus(gw, first.body.conversion_id, 'succeeded');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(fake.requests.filter((r) => r.query.get('tx') === 'tx-dup').length, 1);
  assert.ok(fake.requests.length >= before);
});
