import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CrashReporter, EventRequest } from 'facebook-nodejs-business-sdk';
import { DeliveryError, type ItemOutcome, type Outcome, type PlatformResponse } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { createRegistry } from '../../src/connector-kit/registry';
import { startMetaFake, type MetaFake } from '../../test/fakes/meta';
import { connectors } from '../index';
import { blamedEventIndex, metaVerdict } from './errors';
import { CLICK_MS, clickFixture, contextFixture, conversionFixture, FIXTURE_NOW, FIXTURE_PIXEL, FIXTURE_TOKEN, itemFixture } from './fixtures';
import { meta } from './index';
import { AGE_MARGIN_MS, MAX_EVENT_AGE_MS, toServerEvent } from './map';
import { metaSettingsSchema } from './schema';

const body = (items = [itemFixture()], ctx = contextFixture()) => JSON.parse(meta.build(items, ctx).body as string);
const res = (status: number, payload: unknown, headers: Record<string, string> = {}): PlatformResponse => ({
  status,
  headers,
  body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  durationMs: 3,
});
const single = (o: Outcome): ItemOutcome => {
  assert.ok(!Array.isArray(o));
  return o;
};
const kindOf = (o: ItemOutcome) => (o.ok ? 'ok' : o.error.kind);

describe('meta build', () => {
  it('maps a matched website click to one event, as the SDK normalises it', () => {
    const req = meta.build([itemFixture()], contextFixture());
    assert.equal(req.method, 'POST');
    assert.equal(req.url, `https://graph.facebook.com/v24.0/${FIXTURE_PIXEL}/events`);
    assert.ok(!req.url.includes(FIXTURE_TOKEN), 'the token is never in the URL');
    assert.deepEqual(JSON.parse(req.body as string), {
      data: [
        {
          event_name: 'Purchase',
          event_time: (FIXTURE_NOW - 60_000) / 1000,
          user_data: {
            client_ip_address: '203.0.113.7',
            client_user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
            // Case kept: the fbclid is case-sensitive (fbp-and-fbc docs).
            fbc: `fb.1.${CLICK_MS}.IwAR0xYz-Case_Sensitive`,
          },
          custom_data: { value: 12.5, currency: 'USD', order_id: 'tx-meta-1' },
          action_source: 'website',
          event_id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
          event_source_url: 'https://go.example/c/summer-sale?fbclid=IwAR0xYz-Case_Sensitive',
        },
      ],
      access_token: FIXTURE_TOKEN,
    });
  });

  it('serialises data exactly as EventRequest.execute() hands it to an http service', async () => {
    const items = [itemFixture(), itemFixture(conversionFixture({ click: clickFixture({ landingUrl: null }), currency: 'eur' }), { dedupKey: 'k2' })];
    let captured: any;
    const service = { executeRequest: (_u: string, _m: string, _h: Record<string, string>, params: any) => ((captured = params), Promise.resolve({})) };
    const ctx = contextFixture();
    await new EventRequest(
      FIXTURE_TOKEN,
      FIXTURE_PIXEL,
      items.map((i) => toServerEvent(i, ctx.settings)),
    )
      .setHttpService(service)
      .execute();
    assert.deepEqual(body(items, ctx).data, captured.data);
    assert.equal(captured.data[1].custom_data.currency, 'EUR');
  });

  it('uses system_generated without a landing URL or a user agent (no event_source_url then)', () => {
    for (const click of [clickFixture({ landingUrl: null }), clickFixture({ userAgent: null })]) {
      const [event] = body([itemFixture(conversionFixture({ click }))]).data;
      assert.equal(event.action_source, 'system_generated');
      assert.equal(event.event_source_url, undefined);
    }
  });

  it('maps event names through settings, Purchase by default', () => {
    const ctx = contextFixture({ eventNames: { conversion: 'Lead', deposit: 'Purchase' }, defaultEventName: 'CompleteRegistration' });
    const names = ['conversion', 'deposit', 'signup'].map((event) => body([itemFixture(conversionFixture({ event }))], ctx).data[0].event_name);
    assert.deepEqual(names, ['Lead', 'Purchase', 'CompleteRegistration']);
  });

  it('omits value when there is no payout', () => {
    const [event] = body([itemFixture(conversionFixture({ payout: null }))]).data;
    assert.deepEqual(event.custom_data, { currency: 'USD', order_id: 'tx-meta-1' });
  });

  it('sends test_event_code for test deliveries, and in production only with testAllEvents', () => {
    assert.equal(body([itemFixture()], contextFixture({ testEventCode: 'TEST1' })).test_event_code, undefined);
    assert.equal(body([itemFixture()], contextFixture({ testEventCode: 'TEST1' }, {}, { test: true })).test_event_code, 'TEST1');
    assert.equal(body([itemFixture()], contextFixture({ testEventCode: 'TEST1', testAllEvents: true })).test_event_code, 'TEST1');
  });

  it('adds appsecret_proof = HMAC-SHA256(app secret, token) when an app secret is set', () => {
    const b = body([itemFixture()], contextFixture({}, { appSecret: 'app-secret-123' }));
    assert.equal(b.appsecret_proof, createHmac('sha256', 'app-secret-123').update(FIXTURE_TOKEN).digest('hex'));
  });

  it('refuses an empty batch and more than 1,000 events (Meta would reject the request)', () => {
    for (const n of [0, 1001]) {
      assert.throws(
        () =>
          meta.build(
            Array.from({ length: n }, () => itemFixture()),
            contextFixture(),
          ),
        (e) => e instanceof DeliveryError && e.kind === 'payload',
      );
    }
  });

  it('is deterministic and ignores the clock', () => {
    const a = meta.build([itemFixture()], contextFixture());
    const b = meta.build([itemFixture()], contextFixture({}, {}, { now: FIXTURE_NOW + 86_400_000 }));
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });
});

describe('meta validate', () => {
  const cases: Array<[string, Parameters<typeof conversionFixture>[0], string | null, { test?: boolean; settings?: Record<string, unknown> }?]> = [
    ['a fresh matched conversion', {}, null],
    ['6 days old', { receivedAt: FIXTURE_NOW - 6 * 86_400_000 }, null],
    ['older than 7 days minus the margin', { receivedAt: FIXTURE_NOW - MAX_EVENT_AGE_MS + AGE_MARGIN_MS - 1 }, 'days old'],
    ['8 days old', { receivedAt: FIXTURE_NOW - 8 * 86_400_000 }, 'days old'],
    ['an unknown currency', { currency: 'XYZ' }, 'ISO 4217'],
    ['a payout that is not a number', { payout: '12,50' }, 'not a decimal'],
    ['a Purchase without payout', { payout: null }, 'requires a value'],
    ['no click at all', { click: null, matched: false }, 'nothing to match on'],
    ['ip without user agent and no fbc', { click: clickFixture({ fbc: null, userAgent: null }) }, 'nothing to match on'],
    ['fbp only', { click: clickFixture({ fbc: null, ip: null, userAgent: null, fbp: 'fb.1.1700000000000.42' }) }, null],
    ['ip and user agent only', { click: clickFixture({ fbc: null }) }, null],
    ['a test delivery without testEventCode', {}, 'testEventCode', { test: true }],
    ['a Lead without payout', { payout: null }, null, { settings: { defaultEventName: 'Lead' } }],
  ];
  for (const [name, conversion, want, opts] of cases) {
    it(`${name} → ${want === null ? 'ok' : 'payload'}`, () => {
      const ctx = contextFixture(opts?.settings ?? {}, {}, opts?.test ? { test: true } : {});
      const err = meta.validate?.(itemFixture(conversionFixture(conversion)), ctx) ?? null;
      if (want === null) return assert.equal(err, null);
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.kind, 'payload');
      assert.match(err.message, new RegExp(want));
    });
  }
});

describe('meta errors table', () => {
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ code: 1 }, 500, 'transient'],
    [{ code: 2, is_transient: true }, 503, 'transient'],
    [{ code: 4 }, 400, 'rate_limited'],
    [{ code: 17 }, 400, 'rate_limited'],
    [{ code: 341 }, 400, 'rate_limited'],
    [{ code: 80004 }, 400, 'rate_limited'],
    [{ code: 368 }, 400, 'rate_limited'],
    [{ code: 190, error_subcode: 463 }, 400, 'auth'],
    [{ code: 104 }, 400, 'auth'],
    [{ code: 10 }, 403, 'auth'],
    [{ code: 200 }, 403, 'auth'],
    [{ code: 299 }, 403, 'auth'],
    [{ code: 100 }, 400, 'payload'],
    [{ code: 100, error_subcode: 2804003 }, 400, 'payload'],
    [{ code: 100, error_subcode: 33 }, 400, 'config'],
    [{ code: 803 }, 404, 'config'],
    [{ code: 100, is_transient: true }, 400, 'transient'],
    // Default for codes we do not know: the HTTP status decides, else retry.
    [{ code: 987654 }, 400, 'payload'],
    [{ code: 987654 }, 503, 'transient'],
    [{}, 200, 'transient'],
  ];
  for (const [error, status, kind] of cases) {
    it(`${JSON.stringify(error)} HTTP ${status} → ${kind}`, () => assert.equal(metaVerdict(error, status).kind, kind));
  }
  it('waits 15 minutes on 368', () => assert.equal(metaVerdict({ code: 368 }, 400).retryAfterMs, 900_000));

  const blame: Array<[Record<string, unknown>, number | null]> = [
    [{ error_data: { event_index: 2 } }, 2],
    [{ error_data: '{"event_index":1,"code":2804030}' }, 1],
    [{ message: 'Invalid parameter', error_user_msg: 'data[3][user_data][fbc] is malformed' }, 3],
    [{ message: '(#100) data[0][event_name] and data[2][event_time] are invalid' }, null],
    [{ error_data: { event_index: 9 } }, null],
    [{ error_user_msg: 'The timestamp for this event is too far in the past.' }, null],
  ];
  for (const [error, want] of blame) {
    it(`blames ${want} for ${JSON.stringify(error)}`, () => assert.equal(blamedEventIndex(error, 5), want));
  }
});

describe('meta classify', () => {
  const items = [itemFixture(), itemFixture(undefined, { deliveryId: 'd2', dedupKey: 'k2' }), itemFixture(undefined, { deliveryId: 'd3', dedupKey: 'k3' })];
  const req = meta.build(items, contextFixture());

  it('ok when events_received equals the events sent', () => {
    assert.deepEqual(meta.classify(res(200, { events_received: 3, messages: [], fbtrace_id: 'AbC' }), req, items), {
      ok: true,
      note: 'events_received 3 fbtrace_id AbC',
    });
  });

  it('retries everything when Meta acknowledges fewer events, or answers 200 without a count', () => {
    for (const r of [res(200, { events_received: 2 }), res(200, 'OK')]) assert.equal(kindOf(single(meta.classify(r, req, items))), 'transient');
  });

  it('reads the Graph error: kind, platform code, message', () => {
    const o = single(
      meta.classify(res(400, { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190, fbtrace_id: 'T1' } }), req, items),
    );
    assert.ok(!o.ok);
    assert.equal(o.error.kind, 'auth');
    assert.equal(o.error.platformCode, '190');
    assert.equal(o.error.status, 400);
    assert.equal(o.error.message, 'Meta error 190 (access token invalid or expired): Invalid OAuth access token [fbtrace_id T1]');
  });

  it('falls back to the status for non-Graph bodies; honours Retry-After', () => {
    assert.equal(kindOf(single(meta.classify(res(502, '<html>Bad gateway</html>'), req, items))), 'transient');
    const limited = single(meta.classify(res(429, '', { 'retry-after': '30' }), req, items));
    assert.ok(!limited.ok);
    assert.equal(limited.error.kind, 'rate_limited');
    assert.equal(limited.error.retryAfterMs, 30_000);
  });

  it('isolates the event Meta blames; the others are retried', () => {
    const o = meta.classify(
      res(400, { error: { code: 100, message: 'Invalid parameter', error_user_msg: 'data[1][user_data][fbc] is malformed' } }),
      req,
      items,
    );
    assert.ok(Array.isArray(o));
    assert.deepEqual(o.map(kindOf), ['transient', 'payload', 'transient']);
  });

  it('fails the whole batch as payload when no event is named', () => {
    const o = single(meta.classify(res(400, { error: { code: 100, error_subcode: 2804003, error_user_title: 'Event Timestamp Too Old' } }), req, items));
    assert.equal(kindOf(o), 'payload');
  });

  it('never throws, whatever the body', () => {
    for (const b of ['', 'null', '[]', '{"error":null}', '{"error":"x"}', '{"events_received":"3"}']) {
      for (const status of [200, 400, 500]) assert.doesNotThrow(() => meta.classify(res(status, b), req, items));
    }
  });
});

describe('meta settings, registration, SDK hygiene', () => {
  it('requires a numeric pixel id; trims the base URL; testAllEvents needs a code', () => {
    assert.equal(metaSettingsSchema.safeParse({}).success, false);
    assert.equal(metaSettingsSchema.safeParse({ pixelId: 'px-1' }).success, false);
    assert.equal(metaSettingsSchema.safeParse({ pixelId: FIXTURE_PIXEL, testAllEvents: true }).success, false);
    const s = metaSettingsSchema.parse({ pixelId: FIXTURE_PIXEL, baseUrl: 'http://127.0.0.1:9/' });
    assert.deepEqual(s, {
      pixelId: FIXTURE_PIXEL,
      baseUrl: 'http://127.0.0.1:9',
      apiVersion: 'v24.0',
      eventNames: {},
      defaultEventName: 'Purchase',
      testAllEvents: false,
    });
  });

  it('is registered under its folder name', () => assert.equal(createRegistry(connectors).get('meta'), meta));

  it('leaves the crash reporter disabled and installs no process listener, even when the SDK is initialised', () => {
    const listeners = process.listenerCount('uncaughtException');
    new EventRequest(FIXTURE_TOKEN, FIXTURE_PIXEL); // calls FacebookAdsApi.init() → CrashReporter.enable()
    assert.equal(process.listenerCount('uncaughtException'), listeners);
    assert.equal((CrashReporter as unknown as { _instance: { _active: boolean } })._instance._active, false);
  });
});

describe('meta contract (real HttpClient → fake Graph API)', () => {
  let fake: MetaFake;
  const http = loopbackHttpClient();
  before(async () => {
    fake = await startMetaFake({ accessToken: FIXTURE_TOKEN, pixels: [FIXTURE_PIXEL], now: () => FIXTURE_NOW });
  });
  after(async () => {
    await http.close();
    await fake.close();
  });
  const ctx = (settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) =>
    contextFixture({ baseUrl: fake.url, ...settings }, credentials);
  const deliver = async (items: ReturnType<typeof itemFixture>[], c = ctx(), timeoutMs = 2_000) => {
    const request = meta.build(items, c);
    return meta.classify(await http.send(request, { timeoutMs }), request, items);
  };

  it('delivers a batch; the token travels in the body only', async () => {
    const items = [itemFixture(), itemFixture(conversionFixture({ click: clickFixture({ landingUrl: null }) }), { deliveryId: 'd2', dedupKey: 'k2' })];
    assert.equal(kindOf(single(await deliver(items, ctx({ testEventCode: 'TEST9', testAllEvents: true })))), 'ok');
    const last = fake.requests.at(-1);
    assert.equal(last?.path, `/v24.0/${FIXTURE_PIXEL}/events`);
    assert.equal(last?.query.get('access_token'), null);
    assert.equal(last?.headers['content-type'], 'application/json');
    assert.deepEqual(
      fake.accepted.slice(-2).map((a) => [a.event.event_id, a.event.action_source, a.testEventCode]),
      [
        ['0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'website', 'TEST9'],
        ['k2', 'system_generated', 'TEST9'],
      ],
    );
  });

  it('Meta rejects a batch with an 8-day-old event (validate is what prevents it)', async () => {
    const old = itemFixture(conversionFixture({ receivedAt: FIXTURE_NOW - 8 * 86_400_000 }));
    const o = single(await deliver([itemFixture(), old]));
    assert.ok(!o.ok);
    assert.equal(o.error.kind, 'payload');
    assert.equal(o.error.platformCode, '100/2804003');
  });

  it('isolates a malformed event inside a batch', async () => {
    const bad = itemFixture(conversionFixture({ click: clickFixture({ fbc: 'fb.1.123.short-time' }) }), { deliveryId: 'd2', dedupKey: 'k2' });
    const o = await deliver([itemFixture(), bad, itemFixture(undefined, { deliveryId: 'd3', dedupKey: 'k3' })]);
    assert.ok(Array.isArray(o));
    assert.deepEqual(o.map(kindOf), ['transient', 'payload', 'transient']);
  });

  it('wrong token → auth, unknown pixel → config', async () => {
    assert.equal(kindOf(single(await deliver([itemFixture()], ctx({}, { accessToken: 'EAAB-some-other-token-000000' })))), 'auth');
    assert.equal(kindOf(single(await deliver([itemFixture()], ctx({ pixelId: '999999999' })))), 'config');
  });

  it('scripted throttling, 500, under-count', async () => {
    fake.script(
      { graphError: { code: 4, message: 'Application request limit reached', isTransient: true } },
      { status: 500, body: 'oops' },
      { eventsReceived: 0 },
    );
    assert.equal(kindOf(single(await deliver([itemFixture()]))), 'rate_limited');
    assert.equal(kindOf(single(await deliver([itemFixture()]))), 'transient');
    assert.equal(kindOf(single(await deliver([itemFixture()]))), 'transient');
  });

  it('reset and hang reject with transient errors from the client', async () => {
    fake.script({ reset: true }, { hang: true });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(deliver([itemFixture()], ctx(), 300), (err) => err instanceof DeliveryError && err.kind === 'transient');
    }
  });

  it('verify: ok, then auth for a bad token, config for an unknown pixel', async () => {
    const io = { http, timeoutMs: 2_000 };
    await meta.verify?.(io, ctx());
    const last = fake.requests.at(-1);
    assert.equal(last?.headers.authorization, `Bearer ${FIXTURE_TOKEN}`);
    assert.equal(last?.query.get('access_token'), null);
    await assert.rejects(
      meta.verify?.(io, ctx({}, { accessToken: 'EAAB-some-other-token-000000' })) as Promise<void>,
      (e) => e instanceof DeliveryError && e.kind === 'auth',
    );
    await assert.rejects(meta.verify?.(io, ctx({ pixelId: '999999999' })) as Promise<void>, (e) => e instanceof DeliveryError && e.kind === 'config');
  });
});
