import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { startTestGateway, waitForDeliveries, type TestGateway } from './helpers/gateway';

/** Issue 7 item 16: a changed payout and a late reject are answered with a warning and kept on the conversion. */
let fake: FakeServer;
let gw: TestGateway;
before(async () => {
  fake = await startFakeServer();
  gw = await startTestGateway({
    configOverrides: { destinations: [{ id: 'tracker', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={tx_id}` } }] },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

const detail = async (id: string) => (await gw.admin(`/v1/conversions/${id}`)).body;

describe('warnings on repeated postbacks', () => {
  test('a repeat with a different payout says so, and the conversion shows it once', async () => {
    const first = await gw.postback({ tx_id: 'w-1', payout: '12.50' });
    assert.deepEqual(first.body.warnings, [], 'an unmatched postback without click id has nothing to warn about');
    const same = await gw.postback({ tx_id: 'w-1', payout: '12.5' });
    assert.equal(same.body.duplicate, true);
    assert.deepEqual(same.body.warnings, [], '12.5 is 12.50');
    const changed = await gw.postback({ tx_id: 'w-1', payout: '15.00' });
    assert.equal(changed.body.duplicate, true);
    assert.equal(changed.body.warnings.length, 1);
    assert.match(changed.body.warnings[0], /"w-1" was received again with payout 15\.00 USD; the stored payout 12\.50 USD is kept/);
    await gw.postback({ tx_id: 'w-1', payout: '15.00' });
    const d = await detail(first.body.conversion_id);
    assert.equal(d.payout, '12.50');
    assert.deepEqual(d.warnings, changed.body.warnings, 'kept on the conversion, once');
  });

  test('a change to rejected after a delivery was sent says so, naming the destination', async () => {
    const first = await gw.postback({ tx_id: 'w-2', payout: '20.00' });
    await waitForDeliveries(gw, first.body.conversion_id, 'succeeded');
    const rejected = await gw.postback({ tx_id: 'w-2', status: 'rejected' });
    assert.equal(rejected.body.updated, true);
    assert.equal(rejected.body.status, 'rejected');
    assert.ok(
      rejected.body.warnings.some((w: string) => /rejected after the conversion was already delivered to tracker/.test(w)),
      JSON.stringify(rejected.body.warnings),
    );
    const d = await detail(first.body.conversion_id);
    assert.ok(
      d.warnings.some((w: string) => /already delivered to tracker/.test(w)),
      JSON.stringify(d.warnings),
    );
  });

  test('a reject before anything was sent is not a late reject', async () => {
    const first = await gw.postback({ tx_id: 'w-3', status: 'pending' });
    const rejected = await gw.postback({ tx_id: 'w-3', status: 'rejected' });
    assert.equal(rejected.body.updated, true);
    assert.deepEqual(rejected.body.warnings, []);
    assert.deepEqual((await detail(first.body.conversion_id)).warnings, []);
  });

  test('the warnings of a new conversion are kept on it too', async () => {
    const r = await gw.postback({ tx_id: 'w-4', click_id: 'f'.repeat(32) });
    assert.equal(r.body.warnings.length, 1);
    assert.deepEqual((await detail(r.body.conversion_id)).warnings, r.body.warnings);
  });
});
