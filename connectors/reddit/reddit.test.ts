import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type PlatformResponse } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { clickFixture } from '../_shared/test-fixtures';
import { connectors } from '../index';
import { REDDIT_STATUS, redditKind } from './errors';
import { FIXTURE_NOW, RDT_CID, REDDIT_PIXEL, REDDIT_TOKEN, redditContext, redditConversion, redditItem } from './fixtures';
import { reddit } from './index';
import { REDDIT_MAX_EVENT_AGE_MS, redditEventType } from './map';
import { REDDIT_DEFAULT_USER_AGENT, redditCredentialsSchema, redditSettingsSchema } from './schema';

const RECEIVED = FIXTURE_NOW - 60_000;
const res = (status: number, body = '', headers: Record<string, string> = {}): PlatformResponse => ({ status, headers, body, durationMs: 2 });

describe('reddit build v3 (default)', () => {
  it('maps one conversion to the v3 body, path and headers', () => {
    const r = reddit.build([redditItem()], redditContext());
    assert.equal(r.method, 'POST');
    assert.equal(r.url, `https://ads-api.reddit.com/api/v3/pixels/${REDDIT_PIXEL}/conversion_events`);
    assert.deepEqual(r.headers, { authorization: `Bearer ${REDDIT_TOKEN}`, 'content-type': 'application/json', 'user-agent': REDDIT_DEFAULT_USER_AGENT });
    assert.deepEqual(JSON.parse(r.body as string), {
      data: {
        events: [
          {
            event_at: RECEIVED,
            action_source: 'WEBSITE',
            type: { tracking_type: 'PURCHASE' },
            click_id: RDT_CID,
            event_source_url: `https://shop.example/landing?rdt_cid=${RDT_CID}`,
            metadata: { conversion_id: 'dk_rd_conv_01', currency: 'USD', value: 12.5 },
            user: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
          },
        ],
      },
    });
  });

  it('without a landing page the action source is OTHER and there is no event_source_url', () => {
    const conv = redditConversion();
    const click = conv.click && { ...conv.click, landingUrl: null };
    const ev = JSON.parse(reddit.build([redditItem({ ...conv, click })], redditContext()).body as string).data.events[0];
    assert.equal(ev.action_source, 'OTHER');
    assert.equal(ev.event_source_url, undefined);
  });

  it('test deliveries carry test_id; live ones never do', () => {
    const live = JSON.parse(reddit.build([redditItem()], redditContext({ testId: 't-1' })).body as string);
    const test = JSON.parse(reddit.build([redditItem()], redditContext({ testId: 't-1' }, { test: true })).body as string);
    assert.equal(live.data.test_id, undefined);
    assert.equal(test.data.test_id, 't-1');
  });
});

describe('reddit build v2', () => {
  it('maps one conversion to the v2.0 body and path', () => {
    const r = reddit.build([redditItem()], redditContext({ apiVersion: 'v2' }));
    assert.equal(r.url, `https://ads-api.reddit.com/api/v2.0/conversions/events/${REDDIT_PIXEL}`);
    assert.deepEqual(JSON.parse(r.body as string), {
      test_mode: false,
      events: [
        {
          event_at: new Date(RECEIVED).toISOString(),
          event_type: { tracking_type: 'Purchase' },
          click_id: RDT_CID,
          event_metadata: { conversion_id: 'dk_rd_conv_01', currency: 'USD', value_decimal: 12.5 },
          user: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
        },
      ],
    });
  });

  it('test deliveries set test_mode', () => {
    assert.equal(JSON.parse(reddit.build([redditItem()], redditContext({ apiVersion: 'v2' }, { test: true })).body as string).test_mode, true);
  });

  it('omits value and currency without a payout', () => {
    const ev = JSON.parse(reddit.build([redditItem(redditConversion({ payout: null }))], redditContext({ apiVersion: 'v2' })).body as string).events[0];
    assert.deepEqual(ev.event_metadata, { conversion_id: 'dk_rd_conv_01' });
  });
});

describe('reddit event types', () => {
  const cases: Array<[string, Record<string, string>, 'v2' | 'v3', { tracking_type: string; custom_event_name?: string }]> = [
    ['conversion', {}, 'v2', { tracking_type: 'Purchase' }],
    ['conversion', {}, 'v3', { tracking_type: 'PURCHASE' }],
    ['signup', { signup: 'SignUp' }, 'v3', { tracking_type: 'SIGN_UP' }],
    ['signup', { signup: 'SIGN_UP' }, 'v2', { tracking_type: 'SignUp' }],
    ['cart', { cart: 'AddToCart' }, 'v3', { tracking_type: 'ADD_TO_CART' }],
    ['upsell', { upsell: 'Upsell' }, 'v2', { tracking_type: 'Custom', custom_event_name: 'Upsell' }],
    ['upsell', { upsell: 'Upsell' }, 'v3', { tracking_type: 'CUSTOM', custom_event_name: 'Upsell' }],
    ['toString', {}, 'v3', { tracking_type: 'PURCHASE' }],
  ];
  for (const [event, eventMap, apiVersion, want] of cases) {
    it(`${event} ${JSON.stringify(eventMap)} ${apiVersion}`, () =>
      assert.deepEqual(redditEventType(event, { eventMap, defaultEvent: 'Purchase', apiVersion }), want));
  }
});

describe('reddit validate', () => {
  const noClick = clickFixture({ platformClickIds: {}, ip: null, userAgent: null });
  const cases: Array<{
    name: string;
    conv?: Parameters<typeof redditConversion>[0];
    settings?: Record<string, unknown>;
    test?: boolean;
    now?: number;
    error: RegExp | null;
  }> = [
    { name: 'an rdt_cid click passes', error: null },
    { name: 'ip/UA only passes', conv: { click: clickFixture({ platformClickIds: {} }) }, error: null },
    {
      name: 'requireClickId without rdt_cid fails',
      conv: { click: clickFixture({ platformClickIds: {} }) },
      settings: { requireClickId: true },
      error: /requireClickId/,
    },
    { name: 'nothing to match on fails', conv: { click: noClick }, error: /nothing Reddit can match on/ },
    { name: 'unknown currency fails', conv: { currency: 'ABC' }, error: /ISO 4217/ },
    { name: 'bad payout fails', conv: { payout: '1e5' }, error: /not a decimal/ },
    { name: 'negative payout fails', conv: { payout: '-3.00' }, error: /negative/ },
    { name: 'older than 7 days fails', now: RECEIVED + REDDIT_MAX_EVENT_AGE_MS + 1, error: /7 days/ },
    { name: 'exactly 7 days passes', now: RECEIVED + REDDIT_MAX_EVENT_AGE_MS, error: null },
    { name: 'v3 test without testId fails', test: true, error: /testId/ },
    { name: 'v3 test with testId passes', test: true, settings: { testId: 'x' }, error: null },
    { name: 'v2 test needs no id', test: true, settings: { apiVersion: 'v2' }, error: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ctx = redditContext(c.settings, { ...(c.test ? { test: true } : {}), ...(c.now ? { now: c.now } : {}) });
      const err = reddit.validate?.(redditItem(redditConversion(c.conv)), ctx) ?? null;
      if (c.error === null) return assert.equal(err, null);
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.kind, 'payload');
      assert.match(err.message, c.error);
    });
  }
});

describe('reddit classify', () => {
  const req = reddit.build([redditItem()], redditContext());
  const cases: Array<{
    name: string;
    status: number;
    body?: string;
    headers?: Record<string, string>;
    kind: string | null;
    message?: RegExp;
    retryAfterMs?: number;
    note?: string;
  }> = [
    { name: 'v3 success', status: 200, body: '{"data":{"message":"Successfully processed 1 conversion events."}}', kind: null },
    { name: 'v2 success (empty body)', status: 200, body: '', kind: null },
    {
      name: 'success with fewer processed than sent is noted',
      status: 200,
      body: '{"data":{"message":"Successfully processed 0 conversion events."}}',
      kind: null,
      note: 'Reddit: Successfully processed 0 conversion events. (sent 1)',
    },
    {
      name: '400 invalid events',
      status: 400,
      body: '{"message":"There were 1 invalid conversion events. None were processed."}',
      kind: 'payload',
      message: /None were processed/,
    },
    { name: '401 no token', status: 401, body: '{"error":"No bearer token provided"}', kind: 'auth', message: /No bearer token/ },
    { name: '403 scope', status: 403, body: '{"error":{"message":"missing adsconversions scope"}}', kind: 'auth', message: /needs the adsconversions scope/ },
    { name: '404 unknown pixel', status: 404, body: 'Not Found', kind: 'config' },
    {
      name: '429 user agent',
      status: 429,
      body: '{"message":"Your user agent was automatically ratelimited."}',
      headers: { 'retry-after': '30' },
      kind: 'rate_limited',
      retryAfterMs: 30_000,
      message: /settings\.userAgent/,
    },
    { name: '429 quota without Retry-After', status: 429, body: 'Too Many Requests', kind: 'rate_limited' },
    { name: '500', status: 500, body: '<html><body>Service unavailable</body></html>', kind: 'transient', message: /Service unavailable/ },
    { name: '503 with Retry-After', status: 503, headers: { 'retry-after': '2' }, kind: 'transient', retryAfterMs: 2000 },
    { name: '418 → payload (kit default)', status: 418, kind: 'payload' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = reddit.classify(res(c.status, c.body, c.headers), req, [redditItem()]);
      assert.ok(!Array.isArray(out));
      if (c.kind === null) return assert.deepEqual(out, c.note ? { ok: true, note: c.note } : { ok: true });
      assert.ok(!out.ok);
      assert.equal(out.error.kind, c.kind);
      assert.equal(out.error.status, c.status);
      assert.equal(out.error.retryAfterMs, c.retryAfterMs);
      if (c.message) assert.match(out.error.message, c.message);
    });
  }
  it('the status table agrees with redditKind, and unknown statuses use the kit default', () => {
    for (const [status, { kind }] of Object.entries(REDDIT_STATUS)) assert.equal(redditKind(Number(status)), kind);
    assert.equal(redditKind(502), 'transient');
    assert.equal(redditKind(410), 'config');
    assert.equal(redditKind(204), null);
  });
});

describe('reddit settings and credentials', () => {
  const issues = (input: unknown) => {
    const r = redditSettingsSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('applies defaults', () => {
    assert.deepEqual(redditSettingsSchema.parse({ pixelId: REDDIT_PIXEL }), {
      baseUrl: 'https://ads-api.reddit.com',
      apiVersion: 'v3',
      pixelId: REDDIT_PIXEL,
      eventMap: {},
      defaultEvent: 'Purchase',
      requireClickId: false,
      userAgent: REDDIT_DEFAULT_USER_AGENT,
    });
  });
  it('rejects a generic user agent, an unknown version and a missing pixel', () => {
    assert.deepEqual(issues({ pixelId: REDDIT_PIXEL, userAgent: 'node-fetch/1.0' }), [
      'userAgent: userAgent looks generic; Reddit rate-limits generic user agents',
    ]);
    assert.equal(issues({ pixelId: REDDIT_PIXEL, apiVersion: 'v4' }).length, 1);
    assert.deepEqual(issues({}), ['pixelId: pixelId is required']);
  });
  it('requires a plausible token', () => {
    assert.equal(redditCredentialsSchema.safeParse({ accessToken: 'x' }).success, false);
    assert.equal(redditCredentialsSchema.safeParse({ accessToken: REDDIT_TOKEN }).success, true);
  });
  it('is registered under its folder name', () => {
    assert.equal(createRegistry(connectors).get('reddit'), reddit);
  });
});
