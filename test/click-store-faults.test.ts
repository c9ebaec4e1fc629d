import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@keyv/redis';
import { stringify } from 'yaml';
import { startChildGateway } from './helpers/child-gateway';
import { startFakeServer } from './helpers/fake-server';
import { queryOne, startTestGateway, testConfig, SOURCE_SECRET, type TestGateway } from './helpers/gateway';
import { startProxy, startRedis, type CuttableProxy, type RedisChild } from './helpers/redis-child';

/**
 * The fault suite for a redis:// click store (issue 7 items 1–3): a private redis-server child
 * behind a proxy the test cuts; the shared 6379 is never touched. Redis refusing writes, refusing
 * reads, down for 15 s: the HTTP answers, nothing lost once it is back, /readyz honest.
 */

const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisChild;
let proxy: CuttableProxy;
let control: ReturnType<typeof createClient>;
const dirs: string[] = [];

before(async () => {
  redis = await startRedis();
  proxy = await startProxy(redis.port);
  // The test's own connection is the `admin` user, so refusing commands to `default` (the
  // gateway's user) leaves it working.
  const first = createClient({ url: redis.url });
  await first.connect();
  await first.sendCommand(['ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all']);
  await first.close();
  control = createClient({ url: `redis://admin:admin-pw@127.0.0.1:${redis.port}` });
  await control.connect();
});

after(async () => {
  await control?.close().catch(() => {});
  await proxy?.close();
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function gateway(): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-faults-'));
  dirs.push(dir);
  const config = testConfig({ clicks: { attributionWindowDays: 7 } }, join(dir, 'faults.db'));
  config.storage.clickStore = proxy.url;
  config.storage.clickStoreTimeoutMs = TIMEOUT_MS;
  const g = await startTestGateway({ config });
  await until('the click store is connected', 5_000, async () => (await fetch(`${g.url}/readyz`)).status === 200);
  return g;
}

/** GET /c/demo: the answer, our click id (sub5) and how long it took. */
async function click(g: TestGateway, gclid: string): Promise<{ status: number; clickId: string | null; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${g.url}/c/demo?gclid=${gclid}`, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  return { status: res.status, clickId: location ? new URL(location).searchParams.get('sub5') : null, ms: performance.now() - t0 };
}

async function postback(g: TestGateway, params: Record<string, string>) {
  const t0 = performance.now();
  const res = await fetch(`${g.url}/postback?${new URLSearchParams({ key: SOURCE_SECRET, ...params })}`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any, ms: performance.now() - t0 };
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const spooled = async (g: TestGateway) => Number((await queryOne(g.gw, 'SELECT COUNT(*) AS n FROM click_spool'))?.n);
const inRedis = async (clickId: string) => (await control.keys(`*${clickId}*`)).length === 1;
const counters = (g: TestGateway, name: string) => g.gw.health.snapshot().find((d) => d.name === name);
const conversions = async (g: TestGateway) => Number((await queryOne(g.gw, 'SELECT COUNT(*) AS n FROM conversions'))?.n);

describe('redis:// click store faults', { timeout: 120_000 }, () => {
  test('Redis refusing writes: the click is spooled durably, the visitor redirected at once, the postback matches, the click moves over once Redis takes writes again', async () => {
    const g = await gateway();
    try {
      await control.sendCommand(['ACL', 'SETUSER', 'default', '-set']);
      const c = await click(g, 'refused-write');
      assert.equal(c.status, 302);
      assert.match(c.clickId ?? '', /^[0-9a-f]{32}$/);
      assert.ok(c.ms < 1_000, `redirected in ${Math.round(c.ms)} ms`);
      assert.equal(await inRedis(c.clickId as string), false, 'Redis refused it');
      assert.equal(await spooled(g), 1, 'the click is in the spool on the local ledger');
      const writes = counters(g, 'click_store_writes');
      assert.ok(writes && writes.failures >= 1 && writes.counters.spooled === 1 && !writes.healthy, JSON.stringify(writes));

      const pb = await postback(g, { tx_id: 'w-1', click_id: c.clickId as string });
      assert.equal(pb.status, 200);
      assert.equal(pb.body.matched, true, 'a spooled click matches its postback');

      await control.sendCommand(['ACL', 'SETUSER', 'default', '+@all']);
      await until('the mover moved the click into Redis', 10_000, async () => (await spooled(g)) === 0 && (await inRedis(c.clickId as string)));
      const ttl = await control.pTTL((await control.keys(`*${c.clickId}*`))[0] as string);
      assert.ok(ttl > 6 * 86_400_000 && ttl <= 7 * 86_400_000, `the moved click keeps its attribution window (${ttl} ms)`);
      assert.equal((await postback(g, { tx_id: 'w-2', click_id: c.clickId as string })).body.matched, true);
      assert.equal(counters(g, 'click_store_writes')?.counters.replayed, 1);
    } finally {
      await control.sendCommand(['ACL', 'SETUSER', 'default', '+@all']);
      await g.close();
    }
  });

  test('Redis refusing reads: the postback answers 503 CLICK_STORE_UNAVAILABLE with Retry-After and stores nothing; the re-sent postback matches', async () => {
    const g = await gateway();
    try {
      const c = await click(g, 'refused-read');
      assert.equal(c.status, 302);
      assert.equal(await inRedis(c.clickId as string), true);
      await control.sendCommand(['ACL', 'SETUSER', 'default', '-get']);

      const pb = await postback(g, { tx_id: 'r-1', click_id: c.clickId as string });
      assert.equal(pb.status, 503, JSON.stringify(pb.body));
      assert.equal(pb.body.error.code, 'CLICK_STORE_UNAVAILABLE');
      assert.ok(Number(pb.retryAfter) >= 1, `Retry-After: ${pb.retryAfter}`);
      assert.equal(await conversions(g), 0, 'no conversion stored');
      assert.deepEqual((await g.admin('/v1/rejections')).body.rejections, [], 'no rejection recorded: the network is meant to retry');
      const reads = counters(g, 'click_store_reads');
      assert.ok(reads && reads.failures >= 1 && reads.episodes === 1, JSON.stringify(reads));
      const ready = await fetch(`${g.url}/readyz`);
      assert.equal(ready.status, 503, 'a click store that refuses reads cannot take a postback: not ready');
      assert.deepEqual(((await ready.json()) as any).failing, ['click_store']);

      await control.sendCommand(['ACL', 'SETUSER', 'default', '+@all']);
      await sleep(1_100); // past the read breaker
      const again = await postback(g, { tx_id: 'r-1', click_id: c.clickId as string });
      assert.equal(again.status, 200);
      assert.equal(again.body.matched, true);
      assert.equal(again.body.duplicate, false, 'the first try stored nothing');
      assert.equal(counters(g, 'click_store_reads')?.healthy, true);
    } finally {
      await control.sendCommand(['ACL', 'SETUSER', 'default', '+@all']);
      await g.close();
    }
  });

  test('Redis down for 15 s: clicks keep redirecting (spooled), postbacks answer 503 fast, /readyz names the click store; afterwards nothing is lost', {
    timeout: 90_000,
  }, async () => {
    const g = await gateway();
    try {
      const before = await click(g, 'before-outage');
      assert.equal(before.status, 302);
      await proxy.cut();
      const t0 = Date.now();
      const during: string[] = [];
      const refused: string[] = [];
      let slowestClick = 0;
      let slowestPostback = 0;
      let readyz: { status: number; body: any } | null = null;
      let i = 0;
      while (Date.now() - t0 < 15_000) {
        // A burst of clicks and postbacks every half second, for the whole outage.
        const burst = await Promise.all(Array.from({ length: 5 }, () => click(g, `during-${i++}`)));
        for (const c of burst) {
          assert.equal(c.status, 302, 'the visitor still reaches the offer');
          slowestClick = Math.max(slowestClick, c.ms);
          during.push(c.clickId as string);
        }
        const tx = `down-${i}`;
        const pb = await postback(g, { tx_id: tx, click_id: before.clickId as string });
        assert.equal(pb.status, 503, JSON.stringify(pb.body));
        assert.equal(pb.body.error.code, 'CLICK_STORE_UNAVAILABLE');
        slowestPostback = Math.max(slowestPostback, pb.ms);
        refused.push(tx);
        if (!readyz && Date.now() - t0 > 2_000) {
          const r = await fetch(`${g.url}/readyz`);
          readyz = { status: r.status, body: await r.json() };
        }
        await sleep(500);
      }
      assert.ok(slowestClick < 1_000, `slowest click during the outage: ${Math.round(slowestClick)} ms`);
      assert.ok(slowestPostback < 1_000, `slowest postback during the outage: ${Math.round(slowestPostback)} ms`);
      assert.equal(readyz?.status, 503);
      assert.equal(readyz?.body.status, 'unavailable');
      assert.deepEqual(readyz?.body.failing, ['click_store']);
      assert.equal(readyz?.body.checks.ledger.ok, true);
      assert.equal(await spooled(g), during.length, 'every click of the outage is in the spool');
      // A click spooled during the outage matches even before Redis is back.
      const early = await postback(g, { tx_id: 'spooled-0', click_id: during[0] as string });
      assert.equal(early.status, 200);
      assert.equal(early.body.matched, true);
      assert.equal(await conversions(g), 1, 'the refused postbacks stored nothing');

      await proxy.restore();
      await until('the spool moved into Redis', 20_000, async () => (await spooled(g)) === 0);
      await until('/readyz ready again', 10_000, async () => (await fetch(`${g.url}/readyz`)).status === 200);
      for (const id of during) assert.equal(await inRedis(id), true, `click ${id} is in Redis`);
      await sleep(1_100); // the network re-sends later (Retry-After); reads skip Redis for 1 s after a failure
      // The network re-sends the refused postbacks; every spooled click matches from Redis now.
      for (const tx of refused) {
        const pb = await postback(g, { tx_id: tx, click_id: before.clickId as string });
        assert.equal(pb.status, 200);
        assert.equal(pb.body.matched, true);
      }
      for (const [n, id] of during.slice(1).entries()) {
        const pb = await postback(g, { tx_id: `spooled-${n + 1}`, click_id: id });
        assert.equal(pb.body.matched, true, `spooled click ${id} matches after the move`);
      }
      const writes = counters(g, 'click_store_writes');
      assert.equal(writes?.counters.spooled, during.length);
      assert.equal(writes?.counters.replayed, during.length);
      assert.equal(writes?.healthy, true);
      console.log(
        `redis down 15 s: ${during.length} clicks redirected (slowest ${Math.round(slowestClick)} ms) and spooled, ${refused.length} postbacks ` +
          `answered 503 (slowest ${Math.round(slowestPostback)} ms); after restore all ${during.length} moved to Redis and matched`,
      );
    } finally {
      await proxy.restore();
      await g.close();
    }
  });

  test('a hung Redis (connected, never answering) costs one timeout, not the outage, and close() still finishes', async () => {
    const g = await gateway();
    try {
      const before = await click(g, 'before-hang');
      proxy.blackhole();
      const clicks = await Promise.all(Array.from({ length: 20 }, (_, n) => click(g, `hang-${n}`)));
      for (const c of clicks) {
        assert.equal(c.status, 302);
        assert.ok(c.ms < 1_000, `click during the hang: ${Math.round(c.ms)} ms`);
      }
      const pb = await postback(g, { tx_id: 'hang-1', click_id: before.clickId as string });
      assert.equal(pb.status, 503);
      assert.ok(pb.ms < 1_000, `postback during the hang: ${Math.round(pb.ms)} ms`);
      const pending = postback(g, { tx_id: 'hang-2', click_id: before.clickId as string }).catch((err) => err);
      const t0 = Date.now();
      await g.gw.close();
      assert.ok(Date.now() - t0 < g.config.server.shutdownTimeoutMs, `close() took ${Date.now() - t0} ms`);
      await pending;
    } finally {
      await proxy.restore();
      await g.close();
    }
  });

  test('SIGTERM with an attempt hanging at the destination and postbacks pending on a hung Redis: the process exits within server.shutdownTimeoutMs', {
    timeout: 60_000,
  }, async () => {
    const fake = await startFakeServer((req) => ({ status: 200, body: 'ok', delayMs: req.query.get('tx') === 'slow' ? 9_000 : 0 }));
    const dir = mkdtempSync(join(tmpdir(), 'closeloop-faults-term-'));
    dirs.push(dir);
    const configPath = join(dir, 'closeloop.yaml');
    const shutdownTimeoutMs = 3_000;
    writeFileSync(
      configPath,
      stringify({
        server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs },
        admin: { token: 'faults-admin-token-0123456789' },
        storage: { sqlitePath: join(dir, 'term.db'), synchronous: 'FULL', clickStore: proxy.url, clickStoreTimeoutMs: TIMEOUT_MS },
        delivery: { concurrency: 4, pollMs: 20, leaseMs: 30_000, maxAttempts: 3 },
        log: { level: 'warn' },
        links: [{ id: 'demo', offerUrl: 'https://offer.example.com/lp' }],
        sources: [{ id: 'net', secret: SOURCE_SECRET }],
        outbound: { allowPrivateTargets: ['127.0.0.1'] },
        destinations: [{ id: 'tracker', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={transaction_id}` } }],
      }),
    );
    const child = await startChildGateway(configPath);
    try {
      const res = await fetch(`${child.base}/c/demo?gclid=term`, { redirect: 'manual' });
      const clickId = new URL(res.headers.get('location') as string).searchParams.get('sub5') as string;
      const slow = await fetch(`${child.base}/postback?${new URLSearchParams({ key: SOURCE_SECRET, tx_id: 'slow' })}`);
      assert.equal(slow.status, 200);
      await fake.waitFor(1); // the 9 s attempt is in flight: a drain would wait for it
      proxy.blackhole();
      const pending = Array.from({ length: 10 }, (_, n) =>
        fetch(`${child.base}/postback?${new URLSearchParams({ key: SOURCE_SECRET, tx_id: `term-${n}`, click_id: clickId })}`).then(
          (r) => r.status,
          () => 'closed',
        ),
      );
      await sleep(50);
      const t0 = Date.now();
      child.proc.kill('SIGTERM');
      const code = await Promise.race([child.exited, sleep(shutdownTimeoutMs + 5_000).then(() => 'still running')]);
      const ms = Date.now() - t0;
      assert.notEqual(code, 'still running', `no exit after SIGTERM:\n${child.output()}`);
      assert.ok(ms <= shutdownTimeoutMs + 1_000, `exited in ${ms} ms (deadline ${shutdownTimeoutMs} ms):\n${child.output()}`);
      for (const status of await Promise.all(pending)) assert.ok(status === 503 || status === 'closed', `a pending postback answered ${status}`);
      console.log(`SIGTERM with a hung Redis and a 9 s attempt in flight: exit ${code} after ${ms} ms (deadline ${shutdownTimeoutMs} ms)`);
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
      await child.exited;
      await proxy.restore();
      await fake.close();
    }
  });
});
