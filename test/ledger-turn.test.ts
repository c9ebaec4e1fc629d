import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../src/ids';
import { conversionRecord } from './helpers/conversion';
import { queryAll, startTestGateway } from './helpers/gateway';

// The postbacks of one event-loop turn are ONE job whose rows go in multi-row INSERTs of
// power-of-two sizes (step-ledger.ts, chunksOf): a turn of 37 is written as 32 + 4 + 1 rows. Every
// postback must get its own answer and deliveries whichever chunk it fell in, and a duplicate in
// the same turn must be told so from the ledger (the unique key), not stored twice.
test('a turn of 37 postbacks, one a duplicate of another, split across statements', async () => {
  const g = await startTestGateway({ startWorkers: false });
  try {
    const now = Date.UTC(2026, 11, 1);
    const conversion = (i: number) => conversionRecord(`turn-${i}`, now + i);
    const route = (c: { source: string; transactionId: string }) =>
      ['alpha', 'beta'].map((d) => ({ destinationId: d, connector: 'http', dedupKey: `${c.transactionId}:${d}`, maxAttempts: 3 }));
    const writes = Array.from({ length: 36 }, (_, i) => conversion(i));
    const again = { ...conversion(7), id: newId() };
    const results = await Promise.all([...writes, again].map((c) => g.gw.ledger.recordPostback({ conversion: c, route }, now)));

    assert.equal(results.length, 37);
    results.slice(0, 36).forEach((r, i) => {
      assert.equal(r.duplicate, false, `postback ${i} is new`);
      assert.equal(r.conversion.transactionId, `turn-${i}`);
      assert.deepEqual(
        r.deliveries.map((d) => d.destinationId),
        ['alpha', 'beta'],
        `postback ${i} has its two deliveries`,
      );
    });
    assert.equal(results[36]?.duplicate, true, 'the same (source, tx, event) in the same turn is a duplicate');
    assert.equal(results[36]?.conversion.id, results[7]?.conversion.id, 'answered with the stored conversion');

    const rows = await queryAll(g.gw, `SELECT transaction_id, COUNT(*) AS n FROM conversions GROUP BY transaction_id`);
    assert.equal(rows.length, 36);
    assert.ok(rows.every((r) => Number(r.n) === 1));
    const deliveries = await queryAll(g.gw, `SELECT conversion_id FROM deliveries`);
    assert.equal(deliveries.length, 72);
    assert.deepEqual(new Set(deliveries.map((d) => d.conversion_id)), new Set(results.slice(0, 36).map((r) => r.conversion.id)));
  } finally {
    await g.close();
  }
});
