import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { purgeExpiredHistory } from '../src/store/retention';
import { startMetaFake, type MetaFake } from './fakes/meta';
import { startFakeServer } from './helpers/fake-server';
import { startTestGateway, waitForDeliveries, type TestGateway } from './helpers/gateway';

/**
 * Issue 11 item 7 through the whole gateway: the engine stores which identifiers each delivery
 * carried (names only) when it builds the request, GET /v1/stats/match-quality shows per
 * destination what share carried each, and a delivery keeps its names after retention removed
 * its attempts.
 */
const TOKEN = 'EAAB-match-quality-token-0123456789abcdef';
const PIXEL = '555000111222444';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) match-quality';
let fake: MetaFake;
let tracker: Awaited<ReturnType<typeof startFakeServer>>;
let g: TestGateway;

before(async () => {
  fake = await startMetaFake({ accessToken: TOKEN, pixels: [PIXEL] });
  tracker = await startFakeServer();
  g = await startTestGateway({
    configOverrides: {
      destinations: [
        { id: 'fb', connector: 'meta', settings: { pixelId: PIXEL, baseUrl: fake.url }, credentials: { accessToken: TOKEN } },
        { id: 'tracker', connector: 'http-postback', settings: { url: `${tracker.url}/conv?cid={click_id}` } },
      ],
    },
  });
});
after(async () => {
  await g?.close();
  await fake?.close();
  await tracker?.close();
});

describe('match quality', () => {
  const conversions: string[] = [];

  it('five conversions: three fbclid clicks, two without; one postback with an email', async () => {
    for (let i = 0; i < 5; i++) {
      const clickId = await g.click('demo', i < 3 ? { fbclid: `IwAR-mq-${i}` } : {}, { 'user-agent': UA });
      const pb = await g.postback({ click_id: clickId, payout: '4', tx_id: `tx-mq-${i}`, ...(i === 0 ? { email: 'Mq.User@Example.com' } : {}) });
      assert.equal(pb.status, 200, JSON.stringify(pb.body));
      conversions.push(pb.body.conversion_id);
    }
    for (const id of conversions) await waitForDeliveries(g, id, 'succeeded');
    const first = (await g.admin(`/v1/conversions/${conversions[0]}`)).body;
    const fb = first.deliveries.find((d: { destination: string }) => d.destination === 'fb');
    assert.deepEqual(fb.identifiers_sent, ['fbc', 'ip', 'user_agent', 'email']);
    assert.equal(first.deliveries.find((d: { destination: string }) => d.destination === 'tracker').identifiers_sent, null);
  });

  it('per destination: delivered, and for each signal the count and share, with a hint where it is low', async () => {
    const res = await g.admin('/v1/stats/match-quality?window=24h');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.window, '24h');
    assert.equal(res.body.to - res.body.from, 86_400_000);
    const fb = res.body.destinations.find((d: { destination: string }) => d.destination === 'fb');
    assert.equal(fb.connector, 'meta');
    assert.equal(fb.supported, true);
    assert.equal(fb.delivered, 5);
    assert.equal(fb.measured, 5);
    const share = Object.fromEntries(fb.identifiers.map((i: { name: string; count: number; share: number }) => [i.name, [i.count, i.share]]));
    assert.deepEqual(share, {
      fbc: [3, 0.6],
      fbp: [0, 0],
      ip: [5, 1],
      user_agent: [5, 1],
      email: [1, 0.2],
      phone: [0, 0],
      first_name: [0, 0],
      last_name: [0, 0],
      external_id: [0, 0],
    });
    const fbc = fb.hints.find((h: { identifier: string }) => h.identifier === 'fbc');
    assert.equal(fbc.missing_share, 0.4);
    assert.match(fbc.message, /^fbc missing on 40 % — add fbclid to your links/);
    assert.equal(
      fb.hints.some((h: { identifier: string }) => h.identifier === 'ip'),
      false,
      'no hint for a signal every conversion carried',
    );
    // A connector that does not name its signals: counted, nothing to show.
    const t = res.body.destinations.find((d: { destination: string }) => d.destination === 'tracker');
    assert.deepEqual(t, { destination: 'tracker', connector: 'http-postback', supported: false, delivered: 5, measured: 0, identifiers: [], hints: [] });
    // Names only: no value of any identifier in the answer.
    for (const raw of ['IwAR-mq', 'Example.com', UA]) assert.ok(!JSON.stringify(res.body).includes(raw), raw);
  });

  it('one destination only, over 30 days', async () => {
    const one = await g.admin('/v1/stats/match-quality?destination=fb&window=30d');
    assert.equal(one.status, 200);
    assert.deepEqual(
      one.body.destinations.map((d: { destination: string; delivered: number }) => [d.destination, d.delivered]),
      [['fb', 5]],
    );
  });

  it('a delivery keeps its names after retention removed its attempts', async () => {
    const removed = await purgeExpiredHistory(g.gw.storage.runner, { days: 1, intervalMs: 60_000, chunkSize: 100 }, Date.now() + 2 * 86_400_000);
    assert.ok(removed.attempts >= 10, JSON.stringify(removed));
    const detail = (await g.admin(`/v1/conversions/${conversions[0]}`)).body;
    const fb = detail.deliveries.find((d: { destination: string }) => d.destination === 'fb');
    assert.deepEqual(fb.attempts, []);
    assert.deepEqual(fb.identifiers_sent, ['fbc', 'ip', 'user_agent', 'email']);
    const res = await g.admin('/v1/stats/match-quality?window=24h&destination=fb');
    assert.equal(res.body.destinations[0].identifiers.find((i: { name: string }) => i.name === 'fbc').count, 3);
  });

  it('a bad window or destination is a 400 naming it; an unknown destination a 404; no token a 401', async () => {
    const bad = await g.admin('/v1/stats/match-quality?window=1y');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'window');
    const extra = await g.admin('/v1/stats/match-quality?since=0');
    assert.equal(extra.status, 400);
    assert.equal((await g.admin('/v1/stats/match-quality?destination=a%20b')).status, 400);
    const unknown = await g.admin('/v1/stats/match-quality?destination=nope');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /nope/);
    assert.equal((await fetch(`${g.url}/v1/stats/match-quality`)).status, 401);
  });
});
