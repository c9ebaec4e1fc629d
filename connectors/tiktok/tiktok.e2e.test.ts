import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { DeliveryError, type HttpClient, type Outcome } from '../../src/connector-kit';
import { sha256Hex } from '../../src/privacy/hash';
import { startTiktokFake, type TiktokFake, type TiktokStep } from '../../test/fakes/tiktok';
import { OFFER_URL, startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { TIKTOK_PIXEL, TIKTOK_TOKEN, TTCLID, tiktokContext, tiktokConversion, tiktokItem } from './fixtures';
import { tiktok } from './index';

/** The admin API's attempt records of the first delivery. */
const attemptLog = (detail: any): any[] => detail.deliveries[0].attempts;

const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)';

describe('tiktok contract (real HttpClient → TikTok fake)', () => {
  let fake: TiktokFake;
  let http: HttpClient;
  // The fake checks event_time against its own clock: give it the fixtures' time.
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);
  before(async () => {
    fake = await startTiktokFake({ accessToken: TIKTOK_TOKEN, pixelCode: TIKTOK_PIXEL, now: () => now });
    http = loopbackHttpClient();
  });
  after(async () => {
    await http.close();
    await fake.close();
  });

  async function send(step: TiktokStep | null, opts: { settings?: Record<string, unknown>; timeoutMs?: number; items?: number } = {}): Promise<Outcome> {
    if (step) fake.enqueue(step);
    const items = Array.from({ length: opts.items ?? 1 }, (_, i) =>
      tiktokItem(tiktokConversion({ transactionId: `tx-${i}` }), { dedupKey: `dk-c-${fake.requests.length}-${i}` }),
    );
    const ctx = tiktokContext({ baseUrl: fake.url, ...opts.settings });
    const request = tiktok.build(items, ctx);
    try {
      const res = await http.send(request, { timeoutMs: opts.timeoutMs ?? tiktok.limits.timeoutMs });
      return tiktok.classify(res, request, items);
    } catch (err) {
      assert.ok(err instanceof DeliveryError);
      return { ok: false, error: err };
    }
  }
  const kindOf = (o: Outcome) => (Array.isArray(o) ? o.map((x) => (x.ok ? 'ok' : x.error.kind)).join(',') : o.ok ? 'ok' : o.error.kind);

  const cases: Array<[string, TiktokStep | null, string]> = [
    ['accepted by the fake’s validation', null, 'ok'],
    ['HTTP 500', { status: 500, body: 'Internal Server Error' }, 'transient'],
    ['HTTP 503', { status: 503 }, 'transient'],
    ['HTTP 429 with Retry-After', { status: 429, headers: { 'retry-after': '2' } }, 'rate_limited'],
    ['200 + 40100 app rate limit', { code: 40100 }, 'rate_limited'],
    ['200 + 40132 pixel QPS', { code: 40132 }, 'rate_limited'],
    ['200 + 40102 token expired', { code: 40102 }, 'auth'],
    ['200 + 40001 no permission', { code: 40001 }, 'config'],
    ['200 + 40002 parameter error', { code: 40002 }, 'payload'],
    ['200 + 50002 processing error', { code: 50002 }, 'transient'],
    ['200 + 60001 maintenance', { code: 60001 }, 'transient'],
    ['connection reset', { reset: true }, 'transient'],
  ];
  for (const [name, step, want] of cases) it(name, async () => assert.equal(kindOf(await send(step)), want));

  it('a timeout is transient', async () => {
    const out = await send({ hang: true }, { timeoutMs: 150 });
    assert.ok(!Array.isArray(out) && !out.ok);
    assert.equal(out.error.kind, 'transient');
    assert.equal(out.error.platformCode, 'TIMEOUT');
  });

  it('the fake refuses a wrong token (40105 → auth) and a wrong pixel (40001 → config)', async () => {
    const ctx = tiktokContext({ baseUrl: fake.url });
    const item = tiktokItem();
    const bad = tiktok.build([item], { ...ctx, credentials: { accessToken: 'not-the-right-token-000000' } });
    const out = tiktok.classify(await http.send(bad, { timeoutMs: 2000 }), bad, [item]);
    assert.equal(kindOf(out), 'auth');
    assert.equal(kindOf(await send(null, { settings: { pixelCode: 'CWRONGPIXEL000' } })), 'config');
  });

  it('a full batch passes the fake’s checks; 20001 fails only the named event', async () => {
    const before = fake.accepted.length;
    assert.equal(kindOf(await send(null, { items: tiktok.limits.maxBatch })), 'ok');
    assert.equal(fake.accepted.length - before, tiktok.limits.maxBatch);
    const n = fake.requests.length;
    const out = await send({ partial: [`dk-c-${n}-1`] }, { items: 3 });
    assert.equal(kindOf(out), 'ok,payload,ok');
  });
});

describe('tiktok end to end (gateway → TikTok fake)', () => {
  let fake: TiktokFake;
  let gw: TestGateway;
  before(async () => {
    fake = await startTiktokFake({ accessToken: TIKTOK_TOKEN, pixelCode: TIKTOK_PIXEL });
    gw = await startTestGateway({
      configOverrides: {
        destinations: [
          {
            id: 'tt',
            connector: 'tiktok',
            filters: { platforms: ['tiktok'] },
            settings: { baseUrl: fake.url, pixelCode: TIKTOK_PIXEL, eventMap: { lead: 'SubmitForm' } },
            credentials: { accessToken: TIKTOK_TOKEN },
          },
          {
            // Only for POST /v1/destinations/:id/test: the filter matches no real conversion.
            id: 'tt-test',
            connector: 'tiktok',
            filters: { events: ['never'] },
            settings: { baseUrl: fake.url, pixelCode: TIKTOK_PIXEL, testEventCode: 'TEST42' },
            credentials: { accessToken: TIKTOK_TOKEN },
          },
        ],
      },
    });
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  it('a ttclid click, then its postback, arrives with click id, value, currency and the dedup key', async () => {
    const clickId = await gw.click('demo', { ttclid: TTCLID }, { 'user-agent': UA });
    const pb = await gw.postback({ click_id: clickId, payout: '12.50', currency: 'eur', tx_id: 'tx-tt-e2e-1' });
    assert.equal(pb.status, 200);
    const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    const [ev] = await fake.waitForAccepted(1);
    assert.ok(ev);
    assert.equal(ev.event, 'CompletePayment');
    assert.equal(ev.ttclid, TTCLID);
    assert.equal(ev.value, 12.5);
    assert.equal(ev.currency, 'EUR');
    assert.equal(ev.order_id, 'tx-tt-e2e-1');
    assert.equal(ev.user_agent, UA);
    assert.equal(ev.ip, '127.0.0.1');
    // The offer page the visitor was redirected to, not our /c/ URL.
    assert.equal(ev.page_url, `${OFFER_URL}&sub5=${clickId}`);
    assert.equal(ev.test_event_code, undefined);
    assert.equal(ev.event_id, detail.deliveries[0].dedup_key);
    // The attempt record keeps the request without the token or the raw ip / user agent.
    const recorded = JSON.stringify(attemptLog(detail)[0]);
    assert.ok(!recorded.includes(TIKTOK_TOKEN) && !recorded.includes(UA));
  });

  it('a landing-page script that posts only its URL: the ttclid in landing_url reaches TikTok', async () => {
    const page = 'https://landing.example.com/offer?ttclid=TT-only-in-url&utm_source=tiktok';
    const res = await fetch(`${gw.url}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': UA },
      body: JSON.stringify({ landing_url: page }),
    });
    assert.equal(res.status, 201);
    const { click_id: clickId } = (await res.json()) as { click_id: string };
    const pb = await gw.postback({ click_id: clickId, payout: '4', tx_id: 'tx-tt-e2e-url' });
    await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    await fake.waitForAccepted(1);
    const ev = fake.accepted.find((e) => e.order_id === 'tx-tt-e2e-url');
    assert.ok(ev, 'TikTok accepted the event');
    assert.equal(ev.ttclid, 'TT-only-in-url');
    assert.equal(ev.page_url, page, "a script's page URL is sent as it came (nothing personal in it)");
  });

  it('a postback with email, phone and a customer id: TikTok gets them hashed its way (email lower-cased, phone E.164), never raw', async () => {
    const clickId = await gw.click('demo', { ttclid: `${TTCLID}-ids` }, { 'user-agent': UA });
    const pb = await gw.postback({
      click_id: clickId,
      payout: '7',
      tx_id: 'tx-tt-e2e-ids',
      email: ' Al.Ice+Apple@Example.Com ',
      phone: '+1 (555) 444-1234',
      external_id: 'Cust-42',
    });
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    await fake.waitForAccepted(1);
    const ev = fake.accepted.find((e) => e.order_id === 'tx-tt-e2e-ids');
    assert.ok(ev, 'TikTok accepted the event');
    assert.equal(ev.email, sha256Hex('al.ice+apple@example.com'));
    assert.equal(ev.phone, sha256Hex('+15554441234'));
    assert.equal(ev.phone, 'e5b124c58580eb16bd959b8d0cac12b12c952e2ceae0203d416cff94f10b994a', 'the published E.164 example hash');
    assert.equal(ev.external_id, sha256Hex('cust-42'));
    assert.deepEqual(detail.deliveries[0].identifiers_sent, ['click_id', 'ip', 'user_agent', 'email', 'phone', 'external_id']);
    const sent = JSON.stringify(fake.requests.map((r) => r.body));
    for (const raw of ['Example.Com', 'apple@', '444-1234', '5554441234', 'Cust-42']) {
      assert.ok(!sent.includes(raw), `the request carries "${raw}"`);
      assert.ok(!JSON.stringify(detail).includes(raw), `the API answer carries "${raw}"`);
    }
  });

  it('the fake refuses an email that is not SHA-256 hex', async () => {
    const body = {
      event_source: 'web',
      event_source_id: TIKTOK_PIXEL,
      data: [
        {
          event: 'CompletePayment',
          event_time: Math.floor(Date.now() / 1000),
          event_id: 'e-raw',
          user: { email: 'jane@example.com' },
          properties: { order_id: 'o' },
        },
      ],
    };
    const res = await fetch(`${fake.url}/open_api/v1.3/event/track/`, {
      method: 'POST',
      headers: { 'access-token': TIKTOK_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { code: number; message: string };
    assert.equal(answer.code, 40002);
    assert.match(answer.message, /user\.email must be SHA-256 hex/);
  });

  it('a retried delivery (500, then 200 + 40100, then OK) carries the same event_id', async () => {
    const clickId = await gw.click('demo', { ttclid: `${TTCLID}-2` }, { 'user-agent': UA });
    fake.enqueue({ status: 500, body: 'boom' }, { code: 40100, message: 'Too many requests' });
    const before = fake.requests.length;
    const pb = await gw.postback({ click_id: clickId, payout: '3', tx_id: 'tx-tt-e2e-2', event: 'lead' });
    const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    const attempts = attemptLog(detail);
    assert.deepEqual(
      attempts.map((a: { error_kind: string | null }) => a.error_kind),
      ['transient', 'rate_limited', null],
    );
    const sent = fake.requests.slice(before).map((r) => JSON.parse(r.body).data[0].event_id);
    assert.deepEqual(sent, Array(3).fill(detail.deliveries[0].dedup_key));
    const accepted = fake.accepted.filter((e) => e.order_id === 'tx-tt-e2e-2');
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.event, 'SubmitForm');
  });

  it('"test destination" sends test_event_code, and refuses without one instead of counting live', async () => {
    const before = fake.accepted.length;
    const ok = await gw.admin('/v1/destinations/tt-test/test', { method: 'POST', body: JSON.stringify({ payout: '2.00' }) });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.equal(fake.accepted[before]?.test_event_code, 'TEST42');
    const refused = await gw.admin('/v1/destinations/tt/test', { method: 'POST', body: '{}' });
    assert.equal(refused.body.ok, false);
    assert.match(JSON.stringify(refused.body), /testEventCode/);
    assert.equal(fake.accepted.length, before + 1, 'nothing sent without a test code');
  });
});
