import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient } from '@redis/client';
import { queryOne, startTestGateway, testConfig } from './helpers/gateway';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** True when something answers PING on 127.0.0.1:6379 within half a second. */
function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

test('the Redis click store: a redirect click is matched by its postback and the key expires with the attribution window', async (t) => {
  if (!(await redisAnswers())) {
    t.skip('Redis does not answer on 127.0.0.1:6379; start one to run this test');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-redis-'));
  const config = testConfig({ clicks: { attributionWindowDays: 7 } }, join(dir, 'redis.db'));
  config.storage.clickStore = REDIS_URL;
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const g = await startTestGateway({ config });
  const created: string[] = [];
  try {
    // The Redis client connects in the background; a click before it is connected goes to the
    // spool (and into Redis later), so wait, as a load balancer would, for /readyz.
    const readyBy = Date.now() + 10_000;
    while ((await fetch(`${g.url}/readyz`)).status !== 200) {
      assert.ok(Date.now() < readyBy, 'the gateway became ready with Redis within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const clickId = await g.click('demo', { gclid: 'redis-gclid', sub1: 'r1' });
    assert.match(clickId, /^[0-9a-f]{32}$/);

    // The click is in Redis, not in the SQLite file.
    for await (const batch of redis.scanIterator({ MATCH: `*${clickId}*`, COUNT: 1000 })) created.push(...(Array.isArray(batch) ? batch : [batch]));
    assert.equal(created.length, 1, `one Redis key holds the click: ${created.join(', ')}`);
    const key = created[0] as string;
    const ttl = await redis.ttl(key);
    const window = 7 * 86_400;
    assert.ok(ttl > window - 60 && ttl <= window, `TTL ${ttl} s is the 7-day attribution window`);
    assert.equal(Number((await queryOne(g.gw, 'SELECT COUNT(*) AS n FROM kv'))?.n), 0);

    const res = await g.postback({ tx_id: 'redis-tx-1', click_id: clickId });
    assert.equal(res.status, 200);
    assert.equal(res.body.matched, true);
    const { body } = await g.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(body.click.id, clickId);
    assert.equal(body.click.platform_click_id, 'redis-gclid');
    assert.deepEqual(body.click.subs, { sub1: 'r1' });

    // Redis expires keys itself: nothing for the purge to do.
    assert.equal(await g.gw.clicks.purgeExpired(), 0);

    // A deleted (expired) key no longer matches.
    await redis.del(key);
    const late = await g.postback({ tx_id: 'redis-tx-2', click_id: clickId });
    assert.equal(late.body.matched, false);
  } finally {
    if (created.length > 0) await redis.del(created);
    await g.close();
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
});
