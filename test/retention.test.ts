import assert from 'node:assert/strict';
import { test } from 'node:test';
import { purgeExpiredHistory } from '../src/store/retention';
import { startFakeServer } from './helpers/fake-server';
import { queryOne, startTestGateway, waitForDeliveries } from './helpers/gateway';

const DAY = 86_400_000;

test('retention: attempts, exchanges and rejections past the age go in chunks; conversions and deliveries stay', async () => {
  // The first request of every even transaction fails: deliveries have one or two attempts.
  const seen = new Set<string>();
  const fake = await startFakeServer((req) => {
    const tx = req.query.get('tx') ?? '';
    const first = !seen.has(tx);
    seen.add(tx);
    return { status: first && Number(tx.slice(4)) % 2 === 0 ? 503 : 200, body: 'x' };
  });
  const g = await startTestGateway({
    configOverrides: {
      destinations: [{ id: 'pb', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={transaction_id}` } }],
    },
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await g.postback({ tx_id: `ret-${i}`, payout: '1' });
      assert.equal(r.status, 200);
      ids.push(r.body.conversion_id);
    }
    assert.equal((await g.postback({ tx_id: 'bad', payout: '{payout}' })).status, 422); // recorded as a rejection
    for (const id of ids) await waitForDeliveries(g, id, 'succeeded', 10_000);
    const count = async (table: string) => Number((await queryOne(g.gw, `SELECT COUNT(*) AS n FROM ${table}`))?.n);
    const attempts = await count('attempts');
    assert.equal(attempts, 18, 'six deliveries took two attempts');
    assert.equal(await count('rejections'), 1);

    const settings = { days: 30, intervalMs: 60_000, chunkSize: 5 };
    // Nothing is old yet.
    assert.deepEqual(await purgeExpiredHistory(g.gw.storage.runner, settings, Date.now()), { attempts: 0, exchanges: 0, rejections: 0 });
    assert.equal(await count('attempts'), attempts);
    // 31 days later: all of it goes, five attempts per chunk.
    const purged = await purgeExpiredHistory(g.gw.storage.runner, settings, Date.now() + 31 * DAY);
    assert.deepEqual(purged, { attempts, exchanges: attempts, rejections: 1 });
    assert.equal(await count('attempts'), 0);
    assert.equal(await count('exchanges'), 0);
    assert.equal(await count('rejections'), 0);
    assert.equal(await count('conversions'), 12, 'conversions are kept');
    assert.equal(await count('deliveries'), 12, 'deliveries are kept');
    const detail = await g.admin(`/v1/conversions/${ids[0]}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.deliveries[0].status, 'succeeded');
    // days: null keeps everything.
    assert.deepEqual(await purgeExpiredHistory(g.gw.storage.runner, { ...settings, days: null }, Date.now() + 9999 * DAY), {
      attempts: 0,
      exchanges: 0,
      rejections: 0,
    });
  } finally {
    await g.close();
    await fake.close();
  }
});
