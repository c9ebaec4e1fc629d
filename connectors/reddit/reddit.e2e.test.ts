import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliveryError, type HttpClient, type Outcome } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { sha256Hex } from '../../src/privacy/hash';
import { hashPersonal } from '../../src/privacy/identifiers';
import { startRedditFake, type RedditFake, type RedditStep } from '../../test/fakes/reddit';
import { OFFER_URL, startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { RDT_CID, REDDIT_PIXEL, REDDIT_TOKEN, redditContext, redditConversion, redditItem } from './fixtures';
import { reddit } from './index';

/** The admin API's attempt records of the first delivery. */
const attemptLog = (detail: any): any[] => detail.deliveries[0].attempts;

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)';
const FIXTURE_TIME = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('reddit contract (real HttpClient → Reddit fake)', () => {
  let fake: RedditFake;
  let http: HttpClient;
  before(async () => {
    fake = await startRedditFake({ accessToken: REDDIT_TOKEN, pixelId: REDDIT_PIXEL, now: () => FIXTURE_TIME });
    http = loopbackHttpClient(); // its default user agent is generic: the connector must replace it
  });
  after(async () => {
    await http.close();
    await fake.close();
  });

  async function send(
    step: RedditStep | null,
    settings: Record<string, unknown> = {},
    opts: { items?: number; timeoutMs?: number; test?: boolean } = {},
  ): Promise<Outcome> {
    if (step) fake.enqueue(step);
    const items = Array.from({ length: opts.items ?? 1 }, (_, i) =>
      redditItem(redditConversion({ transactionId: `tx-${i}` }), { dedupKey: `dk-r-${fake.requests.length}-${i}` }),
    );
    const ctx = redditContext({ baseUrl: fake.url, ...settings }, opts.test ? { test: true } : {});
    const request = reddit.build(items, ctx);
    try {
      return reddit.classify(await http.send(request, { timeoutMs: opts.timeoutMs ?? 5000 }), request, items);
    } catch (err) {
      assert.ok(err instanceof DeliveryError);
      return { ok: false, error: err };
    }
  }
  const kindOf = (o: Outcome) => (Array.isArray(o) ? 'array' : o.ok ? 'ok' : o.error.kind);

  for (const apiVersion of ['v3', 'v2'] as const) {
    it(`${apiVersion}: a batch of 1,000 passes the fake’s checks and lands on the ${apiVersion} path`, async () => {
      const before = fake.accepted.length;
      assert.equal(kindOf(await send(null, { apiVersion }, { items: reddit.limits.maxBatch })), 'ok');
      const got = fake.accepted.slice(before);
      assert.equal(got.length, 1000);
      assert.ok(got.every((e) => e.version === apiVersion && e.click_id === RDT_CID && e.value === 12.5 && e.currency === 'USD'));
    });
    it(`${apiVersion}: a test delivery is marked as a test`, async () => {
      const before = fake.accepted.length;
      assert.equal(kindOf(await send(null, { apiVersion, testId: 'evt-test-1' }, { test: true })), 'ok');
      assert.equal(fake.accepted[before]?.test, true);
    });
  }

  const cases: Array<[string, RedditStep | null, Record<string, unknown>, string]> = [
    ['HTTP 500', { status: 500, body: '{"message":"service unavailable"}' }, {}, 'transient'],
    ['HTTP 429 with Retry-After', { status: 429, headers: { 'retry-after': '1' }, body: '{}' }, {}, 'rate_limited'],
    ['HTTP 400 none processed', { status: 400, body: '{"message":"There were 1 invalid conversion events. None were processed."}' }, {}, 'payload'],
    ['HTTP 403', { status: 403, body: '{"message":"missing adsconversions scope"}' }, {}, 'auth'],
    ['connection reset', { reset: true }, {}, 'transient'],
    ['a generic User-Agent is rate-limited by the fake', null, { userAgent: 'closeloop/0.1' }, 'rate_limited'],
    ['a wrong pixel is refused (403)', null, { pixelId: 'a2_other' }, 'auth'],
  ];
  for (const [name, step, settings, want] of cases) it(name, async () => assert.equal(kindOf(await send(step, settings)), want));

  it('a timeout is transient', async () => {
    const out = await send({ hang: true }, {}, { timeoutMs: 150 });
    assert.ok(!Array.isArray(out) && !out.ok);
    assert.equal(out.error.platformCode, 'TIMEOUT');
  });

  it('v3: value and currency go only on event types that take them, and the fake refuses them elsewhere', async () => {
    const eventMap = {
      view: 'ViewContent',
      visit: 'PAGE_VISIT',
      search: 'Search',
      lead: 'Lead',
      signup: 'SignUp',
      cart: 'AddToCart',
      wish: 'AddToWishlist',
      promo: 'Promotion Event',
    };
    const events = Object.keys(eventMap);
    const items = events.map((event, i) => redditItem(redditConversion({ event, transactionId: `tx-type-${i}` }), { dedupKey: `dk-type-${i}` }));
    const request = reddit.build(items, redditContext({ baseUrl: fake.url, eventMap }));
    const before = fake.accepted.length;
    assert.equal(kindOf(reddit.classify(await http.send(request, { timeoutMs: 2000 }), request, items)), 'ok');
    const got = new Map(fake.accepted.slice(before).map((e) => [e.conversion_id, e]));
    const priced = (i: number) => got.get(`dk-type-${i}`)?.value === 12.5 && got.get(`dk-type-${i}`)?.currency === 'USD';
    assert.deepEqual(
      events.map((_, i) => priced(i)),
      [false, false, false, true, true, true, true, true],
    );
    // What the fake does with a value on a type that carries none: Reddit refuses the whole request.
    const body = JSON.parse(request.body as string);
    body.data.events[0].metadata = { ...body.data.events[0].metadata, value: 1, currency: 'USD' };
    const forced = { ...request, body: JSON.stringify(body) };
    assert.equal(kindOf(reddit.classify(await http.send(forced, { timeoutMs: 2000 }), forced, items)), 'payload');
    assert.match(fake.rejections.at(-1) ?? '', /value\/currency are not taken on VIEW_CONTENT/);
  });

  for (const apiVersion of ['v3', 'v2'] as const) {
    it(`${apiVersion}: hashed email, phone and external id go in user, in Reddit's canonical form (its published example hashes)`, async () => {
      // Intake's own hashing (what a postback with these fields stores), then the connector, then the fake.
      const identifiers = {
        ...hashPersonal('email', 'Al.ice+Apple@Example.Com', 'email').hashes,
        ...hashPersonal('phone', '+1 555-444-1234 ext. 9', 'phone').hashes,
        ...hashPersonal('externalId', 'customer12345', 'external_id').hashes,
      };
      const items = [redditItem(redditConversion({ identifiers }), { dedupKey: `dk-ids-${apiVersion}` })];
      const request = reddit.build(items, redditContext({ baseUrl: fake.url, apiVersion }));
      assert.equal(kindOf(reddit.classify(await http.send(request, { timeoutMs: 2000 }), request, items)), 'ok');
      const ev = fake.accepted.find((e) => e.conversion_id === `dk-ids-${apiVersion}`);
      assert.equal(ev?.email, 'ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976');
      assert.equal(ev?.phone_number, 'e5b124c58580eb16bd959b8d0cac12b12c952e2ceae0203d416cff94f10b994a');
      assert.equal(ev?.external_id, sha256Hex('customer12345'));
      assert.deepEqual(reddit.identifiersSent?.(request, `dk-ids-${apiVersion}`), ['click_id', 'ip', 'user_agent', 'email', 'phone', 'external_id']);
      assert.equal(reddit.identifiersSent?.(request, 'not-in-this-request'), null);
    });
  }

  it('the fake refuses a user identifier that is not SHA-256 hex', async () => {
    const items = [redditItem()];
    const built = reddit.build(items, redditContext({ baseUrl: fake.url }));
    const body = JSON.parse(built.body as string);
    body.data.events[0].user.email = 'alice@example.com';
    const raw = { ...built, body: JSON.stringify(body) };
    assert.equal(kindOf(reddit.classify(await http.send(raw, { timeoutMs: 2000 }), raw, items)), 'payload');
    assert.match(fake.rejections.at(-1) ?? '', /user\.email must be SHA-256 hex/);
  });

  it('the fake refuses a v3 body on the v2 path (never mix versions)', async () => {
    const items = [redditItem()];
    const v3 = reddit.build(items, redditContext({ baseUrl: fake.url }));
    const crossed = { ...v3, url: `${fake.url}/api/v2.0/conversions/events/${REDDIT_PIXEL}` };
    assert.equal(kindOf(reddit.classify(await http.send(crossed, { timeoutMs: 2000 }), crossed, items)), 'payload');
  });
});

for (const apiVersion of ['v3', 'v2'] as const) {
  describe(`reddit ${apiVersion} end to end (gateway → Reddit fake)`, () => {
    let fake: RedditFake;
    let gw: TestGateway;
    before(async () => {
      fake = await startRedditFake({ accessToken: REDDIT_TOKEN, pixelId: REDDIT_PIXEL });
      gw = await startTestGateway({
        configOverrides: {
          destinations: [
            {
              id: 'rd',
              connector: 'reddit',
              filters: { platforms: ['reddit'] },
              settings: { baseUrl: fake.url, apiVersion, pixelId: REDDIT_PIXEL, eventMap: { signup: 'SignUp' } },
              credentials: { accessToken: REDDIT_TOKEN },
            },
            {
              // Only for POST /v1/destinations/:id/test: the filter matches no real conversion.
              id: 'rd-test',
              connector: 'reddit',
              filters: { events: ['never'] },
              settings: { baseUrl: fake.url, apiVersion, pixelId: REDDIT_PIXEL, testId: 'evt-test-7' },
              credentials: { accessToken: REDDIT_TOKEN },
            },
          ],
        },
      });
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });

    it('an rdt_cid click, then its postback, arrives with click id, value, currency and conversion_id = dedup key', async () => {
      const clickId = await gw.click('demo', { rdt_cid: RDT_CID }, { 'user-agent': UA });
      const pb = await gw.postback({ click_id: clickId, payout: '0.10', currency: 'GBP', tx_id: `tx-rd-${apiVersion}-1` });
      const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
      const [ev] = await fake.waitForAccepted(1);
      assert.ok(ev);
      assert.equal(ev.version, apiVersion);
      assert.equal(ev.click_id, RDT_CID);
      assert.equal(ev.value, 0.1);
      assert.equal(ev.currency, 'GBP');
      assert.equal(ev.tracking_type, apiVersion === 'v3' ? 'PURCHASE' : 'Purchase');
      assert.equal(ev.user_agent, UA);
      assert.equal(ev.test, false);
      if (apiVersion === 'v3') assert.equal(ev.action_source, 'WEBSITE');
      // v3: the offer page the visitor was redirected to, not our /c/ URL.
      if (apiVersion === 'v3') assert.equal(ev.event_source_url, `${OFFER_URL}&sub5=${clickId}`);
      assert.equal(ev.conversion_id, detail.deliveries[0].dedup_key);
      assert.ok(!JSON.stringify(detail).includes(REDDIT_TOKEN));
    });

    it('a retried delivery (500, then 429 with Retry-After: 0, then OK) carries the same conversion_id', async () => {
      const clickId = await gw.click('demo', { rdt_cid: `${RDT_CID}-2` }, { 'user-agent': UA });
      fake.enqueue({ status: 500, body: '{"message":"service unavailable"}' }, { status: 429, headers: { 'retry-after': '0' }, body: '{}' });
      const before = fake.requests.length;
      const pb = await gw.postback({ click_id: clickId, payout: '5', tx_id: `tx-rd-${apiVersion}-2`, event: 'signup' });
      const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
      assert.deepEqual(
        attemptLog(detail).map((a: { error_kind: string | null }) => a.error_kind),
        ['transient', 'rate_limited', null],
      );
      const ids = fake.requests.slice(before).map((r) => {
        const b = JSON.parse(r.body);
        return apiVersion === 'v3' ? b.data.events[0].metadata.conversion_id : b.events[0].event_metadata.conversion_id;
      });
      assert.deepEqual(ids, Array(3).fill(detail.deliveries[0].dedup_key));
      const got = fake.accepted.filter((e) => e.click_id === `${RDT_CID}-2`);
      assert.equal(got.length, 1);
      assert.equal(got[0]?.tracking_type, apiVersion === 'v3' ? 'SIGN_UP' : 'SignUp');
    });

    it('"test destination" is marked as a test event', async () => {
      const before = fake.accepted.length;
      const res = await gw.admin('/v1/destinations/rd-test/test', { method: 'POST', body: '{}' });
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
      assert.equal(fake.accepted[before]?.test, true);
      if (apiVersion === 'v3') {
        const refused = await gw.admin('/v1/destinations/rd/test', { method: 'POST', body: '{}' });
        assert.equal(refused.body.ok, false);
        assert.match(JSON.stringify(refused.body), /testId/);
        assert.equal(fake.accepted.length, before + 1, 'nothing sent without a test id');
      }
    });
  });
}
