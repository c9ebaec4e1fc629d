import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../src/ids';
import type { AttemptResult } from '../src/store/ledger';
import { conversionRecord } from './helpers/conversion';
import { queryAll, startTestGateway } from './helpers/gateway';

// One recording job finishes its deliveries in two statement forms (attempt-records.ts): a
// group of ≥ 32 rows sharing every new value (a batch's successes) in one padded `id IN (…)`
// UPDATE, the others joined to a padded VALUES table. Padding repeats a row; each delivery must
// still move once (attempts + 1), and a row whose lease is no longer ours must not move at all.
test('a batch of 40 successes, 3 retries, 1 dead and 1 stale lease, recorded in one job', async () => {
  const g = await startTestGateway({ startWorkers: false });
  try {
    const now = Date.now() - 60_000;
    const route = (c: { transactionId: string }) => [{ destinationId: 'tt', connector: 'tiktok', dedupKey: c.transactionId, maxAttempts: 5 }];
    await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        g.gw.ledger.recordPostback(
          {
            conversion: conversionRecord(`settle-${i}`, now),
            route,
          },
          now,
        ),
      ),
    );
    const claimed = await g.gw.ledger.claimDue({ owner: 'w1', now: now + 1000, leaseMs: 60_000, limit: 100, holdDestinations: [] });
    assert.equal(claimed.length, 45);
    // Every claimed delivery comes with its own conversion (the read is padded to 64 ids).
    for (const c of claimed) assert.equal(c.conversion.id, c.delivery.conversionId);

    const at = now + 2000;
    const exchangeId = newId();
    const result = (i: number, over: Partial<AttemptResult>): AttemptResult => ({
      deliveryId: claimed[i]?.delivery.id as string,
      leaseOwner: 'w1',
      destinationId: 'tt',
      status: 'succeeded',
      nextAttemptAt: at,
      health: 'success',
      identifiersSent: ['click_id'],
      attempt: {
        attempt: 1,
        startedAt: at - 5,
        durationMs: 5,
        exchangeId,
        request: null,
        responseStatus: 200,
        responseBody: '{"code":0}',
        outcome: 'succeeded',
        errorKind: null,
        errorMessage: null,
        platformCode: null,
        note: null,
        nextStep: 'done',
        nextAttemptAt: null,
      },
      ...over,
    });
    const failed = (i: number, status: 'pending' | 'dead', next: number) =>
      result(i, {
        status,
        nextAttemptAt: next,
        health: 'failure',
        identifiersSent: null,
        attempt: {
          ...result(i, {}).attempt,
          outcome: 'failed',
          errorKind: 'transient',
          errorMessage: `boom ${i}`,
          nextStep: status === 'dead' ? 'dead' : 'retry',
          nextAttemptAt: next,
        },
      });
    const results = [
      ...Array.from({ length: 40 }, (_, i) => result(i, {})),
      failed(40, 'pending', at + 100),
      failed(41, 'pending', at + 200),
      failed(42, 'pending', at + 300),
      failed(43, 'dead', at),
      result(44, { leaseOwner: 'someone-else' }),
    ];
    await g.gw.ledger.completeAttempts(results, at);

    const rows = new Map((await queryAll(g.gw, 'SELECT * FROM deliveries')).map((r) => [String(r.id), r]));
    const row = (i: number) => rows.get(claimed[i]?.delivery.id as string) as Record<string, unknown>;
    for (let i = 0; i < 40; i++) {
      const r = row(i);
      assert.equal(r.status, 'succeeded', `success ${i}`);
      assert.equal(Number(r.attempts), 1, `success ${i} counted once`);
      assert.equal(r.lease_owner, null);
      assert.equal(r.identifiers_sent, '["click_id"]');
      assert.equal(Number(r.updated_at), at);
    }
    for (const [i, next] of [
      [40, at + 100],
      [41, at + 200],
      [42, at + 300],
    ] as const) {
      const r = row(i);
      assert.equal(r.status, 'pending');
      assert.equal(Number(r.attempts), 1);
      assert.equal(Number(r.next_attempt_at), next, `retry ${i} keeps its own time`);
      assert.equal(r.last_error, `boom ${i}`);
      assert.equal(r.lease_owner, null);
    }
    assert.equal(row(43).status, 'dead');
    assert.equal(Number(row(43).attempts), 1);
    // Not our lease any more: the delivery row stays as the other owner left it.
    assert.equal(row(44).status, 'pending');
    assert.equal(Number(row(44).attempts), 0);
    assert.equal(row(44).lease_owner, 'w1');

    const attempts = await queryAll(g.gw, 'SELECT COUNT(*) AS n, COUNT(DISTINCT exchange_id) AS e FROM attempts');
    assert.equal(Number(attempts[0]?.n), 45);
    assert.equal(Number(attempts[0]?.e), 1, "the batch's attempts share its one exchange");
    assert.equal(Number((await queryAll(g.gw, 'SELECT COUNT(*) AS n FROM exchanges'))[0]?.n), 1);
  } finally {
    await g.close();
  }
});
