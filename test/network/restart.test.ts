import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startFakePartner } from '../fakes/partner';
import { seedClick, shiftClock, startNetworkGateway } from './harness';

test('a delayed postback survives a restart and fires once (delay_ms is the row’s next_attempt_at)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-restart-'));
  const partner = await startFakePartner();
  const clock = shiftClock();
  try {
    const first = await startNetworkGateway({ dir, keepDir: true, clock });
    const { partner: p, transactionId } = await seedClick(first);
    await first.postback({ level: 'global', partner_id: p.id, delay_ms: 300_000, postback_url: `${partner.url}/late?tx={transaction_id}` });
    const c = await first.convert({ transaction_id: transactionId });
    assert.equal(c.deliveries.length, 1);
    clock.advance(120_000); // 2 of the 5 minutes
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(partner.requests.length, 0, 'not before the delay');
    await first.close();

    const second = await startNetworkGateway({ dir, keepDir: true, clock });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(partner.requests.length, 0, 'still not before the delay after the restart');
    clock.advance(181_000);
    const [d] = await second.settled(c.conversion_id);
    assert.equal(d?.status, 'succeeded');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(partner.requests.length, 1, 'fired exactly once');
    assert.equal(partner.requests[0]?.query.get('tx'), transactionId);
    await second.close();
  } finally {
    await partner.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
