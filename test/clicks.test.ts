import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testClock } from './helpers/clock';
import { startFakeServer, type FakeServer, type RecordedRequest } from './helpers/fake-server';
import { OFFER_URL, queryOne, SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

const clock = testClock();
let fake: FakeServer;
let gw: TestGateway;
let untrusted: TestGateway;

const MACROS =
  'tx={tx_id}&ip={ip}&ua={user_agent}&ref={referrer}&fbp={fbp}&fbc={fbc}&land={landing_url}&plat={platform}&pcid={platform_click_id}&s1={sub1}&link={link}';

before(async () => {
  fake = await startFakeServer();
  const destinations = [{ id: 'echo', connector: 'http-postback', settings: { url: `${fake.url}/conv?${MACROS}` } }];
  gw = await startTestGateway({
    now: clock.now,
    configOverrides: {
      server: { port: 0, host: '127.0.0.1', trustedProxies: ['127.0.0.1'], corsOrigins: ['https://landing.example.com'] },
      destinations,
    },
  });
  // Proxies are configured, but the peer (127.0.0.1) is not one of them; unknown links go to a fallback.
  untrusted = await startTestGateway({
    now: clock.now,
    configOverrides: {
      server: { port: 0, host: '127.0.0.1', trustedProxies: ['10.0.0.0/8'] },
      clicks: { fallbackUrl: 'https://fallback.example.com/home?from=closeloop' },
      destinations,
    },
  });
});
after(async () => {
  await gw.close();
  await untrusted.close();
  await fake.close();
});

let txSeq = 0;
/** Posts a conversion for `clickId` and returns the conversion detail from the admin API. */
async function convert(g: TestGateway, clickId: string): Promise<{ tx: string; detail: any }> {
  const tx = `tx-click-${++txSeq}`;
  const res = await g.postback({ click_id: clickId, tx_id: tx });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { status, body } = await g.admin(`/v1/conversions/${res.body.conversion_id}`);
  assert.equal(status, 200);
  return { tx, detail: body };
}

/** What the destination received for transaction `tx`. */
async function received(tx: string): Promise<URLSearchParams> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const hit = fake.requests.find((r: RecordedRequest) => r.query.get('tx') === tx);
    if (hit) return hit.query;
    if (Date.now() > deadline) throw new Error(`destination never received ${tx}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rawClick(g: TestGateway, query: string, headers: Record<string, string> = {}) {
  return fetch(`${g.url}/c/demo?${query}`, { redirect: 'manual', headers });
}

const kvRows = async (g: TestGateway) => Number((await queryOne(g.gw, 'SELECT COUNT(*) AS n FROM kv'))?.n);

describe('GET /c/:link', () => {
  test('302 to the offer keeps its own query byte for byte, passes sub1–sub4 and adds sub5 = click id', async () => {
    const res = await rawClick(gw, 'gclid=G-1&sub1=camp%201%262&sub2=%C3%A9t%C3%A9&sub3=x&sub4=%2Fpath%3Fq&utm_source=ignored');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const location = res.headers.get('location') as string;
    assert.ok(location.startsWith(`${OFFER_URL}&`), location);
    assert.ok(location.includes('aff_id=7&name=a%20b&'), 'the offer encoding (%20, not +) is untouched');
    const added = location.slice(OFFER_URL.length + 1);
    const m = /^sub1=camp%201%262&sub2=%C3%A9t%C3%A9&sub3=x&sub4=%2Fpath%3Fq&sub5=([0-9a-f]{32})$/.exec(added);
    assert.ok(m, added);
    const clickId = m[1] as string;
    assert.ok(!location.includes('utm_source'), 'other landing parameters are not forwarded to the offer');

    const { tx, detail } = await convert(gw, clickId);
    assert.equal(detail.matched, true);
    assert.equal(detail.click.id, clickId);
    assert.equal(detail.click.link, 'demo');
    assert.deepEqual(detail.click.subs, { sub1: 'camp 1&2', sub2: 'été', sub3: 'x', sub4: '/path?q' });
    // The page of the conversion is the offer page the visitor was sent to, never our /c/ URL.
    assert.equal(detail.click.landing_url, location);
    assert.equal(detail.click.created_at, clock.now());
    const q = await received(tx);
    assert.equal(q.get('s1'), 'camp 1&2');
    assert.equal(q.get('link'), 'demo');
  });

  test('platform and platform click id from each click parameter, with priority when several', async () => {
    const cases: Array<{ query: Record<string, string>; platform: string | null; param: string | null; id: string | null }> = [
      { query: { gclid: 'g-1' }, platform: 'google', param: 'gclid', id: 'g-1' },
      { query: { gbraid: 'gb-1' }, platform: 'google', param: 'gbraid', id: 'gb-1' },
      { query: { wbraid: 'wb-1' }, platform: 'google', param: 'wbraid', id: 'wb-1' },
      { query: { fbclid: 'fb-1' }, platform: 'meta', param: 'fbclid', id: 'fb-1' },
      { query: { ttclid: 'tt-1' }, platform: 'tiktok', param: 'ttclid', id: 'tt-1' },
      { query: { rdt_cid: 'rd-1' }, platform: 'reddit', param: 'rdt_cid', id: 'rd-1' },
      { query: {}, platform: null, param: null, id: null },
      { query: { fbclid: 'fb-2', gclid: 'g-2' }, platform: 'google', param: 'gclid', id: 'g-2' },
      { query: { wbraid: 'wb-3', gbraid: 'gb-3' }, platform: 'google', param: 'gbraid', id: 'gb-3' },
      { query: { rdt_cid: 'rd-4', ttclid: 'tt-4', fbclid: 'fb-4' }, platform: 'meta', param: 'fbclid', id: 'fb-4' },
      { query: { rdt_cid: 'rd-5', ttclid: 'tt-5' }, platform: 'tiktok', param: 'ttclid', id: 'tt-5' },
      { query: { gclid: '', ttclid: 'tt-6' }, platform: 'tiktok', param: 'ttclid', id: 'tt-6' },
    ];
    for (const c of cases) {
      const clickId = await gw.click('demo', c.query);
      assert.match(clickId, /^[0-9a-f]{32}$/);
      const { detail } = await convert(gw, clickId);
      const label = JSON.stringify(c.query);
      assert.equal(detail.click.platform, c.platform, label);
      assert.equal(detail.click.platform_click_param, c.param, label);
      assert.equal(detail.click.platform_click_id, c.id, label);
    }
  });

  test('fbc: built from fbclid with the click time, never wrapped twice, the _fbc cookie kept; _fbp stored', async () => {
    const built = await convert(gw, await gw.click('demo', { fbclid: 'IwAR0xyz' }));
    assert.equal(built.detail.click.fbc, `fb.1.${clock.now()}.IwAR0xyz`);
    assert.equal((await received(built.tx)).get('fbc'), `fb.1.${clock.now()}.IwAR0xyz`);

    const wrapped = await convert(gw, await gw.click('demo', { fbclid: 'fb.1.1700000000000.IwAR0xyz' }));
    assert.equal(wrapped.detail.click.fbc, 'fb.1.1700000000000.IwAR0xyz');
    assert.equal(wrapped.detail.click.platform, 'meta');

    const cookies = { cookie: '_fbc=fb.1.1600000000000.FromCookie; _fbp=fb.1.1600000000000.987654321' };
    const kept = await convert(gw, await gw.click('demo', { sub1: 'cookie' }, cookies));
    assert.equal(kept.detail.click.fbc, 'fb.1.1600000000000.FromCookie');
    const q = await received(kept.tx);
    assert.equal(q.get('fbp'), 'fb.1.1600000000000.987654321');
    assert.equal(q.get('fbc'), 'fb.1.1600000000000.FromCookie');

    const none = await convert(gw, await gw.click('demo', { gclid: 'no-meta' }));
    assert.equal(none.detail.click.fbc, null);
    assert.equal((await received(none.tx)).get('fbp'), '', 'no _fbp cookie: the macro is empty');
  });

  test('ip, user agent and referrer are captured; X-Forwarded-For is believed only from a trusted proxy', async () => {
    const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9', 'user-agent': 'Mozilla/5.0 (Test; rv:1)', referer: 'https://news.example/story?id=1' };
    const trusted = await convert(gw, await gw.click('demo', { gclid: 'ip-1' }, headers));
    const t = await received(trusted.tx);
    assert.equal(t.get('ip'), '203.0.113.9', 'the right-most hop before our trusted proxy');
    assert.equal(t.get('ua'), 'Mozilla/5.0 (Test; rv:1)');
    assert.equal(t.get('ref'), 'https://news.example/story?id=1');

    const spoofed = await convert(untrusted, await untrusted.click('demo', { gclid: 'ip-2' }, headers));
    assert.equal((await received(spoofed.tx)).get('ip'), '127.0.0.1', 'X-Forwarded-For from an untrusted peer is ignored');

    const direct = await convert(gw, await gw.click('demo', { gclid: 'ip-3' }));
    assert.equal((await received(direct.tx)).get('ip'), '127.0.0.1', 'no header: the peer itself');
  });

  test('an unknown link is a 404 JSON error, or a 302 to clicks.fallbackUrl when configured', async () => {
    const res = await fetch(`${gw.url}/c/nope?gclid=x`, { redirect: 'manual' });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'UNKNOWN_LINK');
    assert.match(body.error.message, /nope/);
    // The link id is the caller's text: its control characters are never echoed raw.
    const nasty = (await (await fetch(`${gw.url}/c/a%0D%0Ab%00`, { redirect: 'manual' })).json()) as any;
    assert.equal(nasty.error.message, 'no link "a\\u000d\\u000ab\\u0000" is configured');

    const fb = await fetch(`${untrusted.url}/c/nope?gclid=x`, { redirect: 'manual' });
    assert.equal(fb.status, 302);
    assert.equal(fb.headers.get('location'), 'https://fallback.example.com/home?from=closeloop');
  });

  test('oversized or repeated click parameters are a 400, control characters a 422 naming the field; nothing is stored', async () => {
    const before = await kvRows(gw);
    const cases: Array<[string, string, number, string]> = [
      [`gclid=${'x'.repeat(513)}`, 'gclid', 400, 'INVALID_CLICK'],
      ['gclid=a&gclid=b', 'gclid', 400, 'INVALID_CLICK'],
      ['fbclid=a&fbclid=a', 'fbclid', 400, 'INVALID_CLICK'],
      [`sub1=${'y'.repeat(513)}`, 'sub1', 400, 'INVALID_CLICK'],
      ['sub2=a%00b', 'sub2', 422, 'INVALID_CHARACTERS'],
      ['ttclid=a%0Ab', 'ttclid', 422, 'INVALID_CHARACTERS'],
      ['ttclid=a%0Db', 'ttclid', 422, 'INVALID_CHARACTERS'],
      // Parameters the click does not use are checked too: they end up in the landing URL.
      ['utm_source=a%1Bb', 'utm_source', 422, 'INVALID_CHARACTERS'],
      ['x%0Ay=1', 'x\\u000ay', 422, 'INVALID_CHARACTERS'],
    ];
    for (const [query, field, status, code] of cases) {
      const res = await rawClick(gw, query);
      assert.equal(res.status, status, query.slice(0, 40));
      const text = await res.text();
      assert.doesNotMatch(text, /[\u0000-\u001f]/, 'the refusal does not echo the raw control character');
      const body = JSON.parse(text);
      assert.equal(body.error.code, code);
      assert.ok(
        body.error.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(body.error.details),
      );
    }
    assert.equal(await kvRows(gw), before, 'no click was stored');
    // Unicode and the longest allowed value are fine.
    assert.equal((await rawClick(gw, `gclid=${'x'.repeat(512)}&sub1=%F0%9F%98%80`)).status, 302);
  });
});

test('HEAD on a link shows where it goes but is not a click', async () => {
  const before = await kvRows(gw);
  const res = await fetch(`${gw.url}/c/demo?gclid=preview`, { method: 'HEAD', redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), OFFER_URL);
  assert.equal(await kvRows(gw), before, 'no click stored');
});

describe('POST /v1/clicks', () => {
  const ORIGIN = 'https://landing.example.com';
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/clicks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('registers a click from an allowed origin (CORS) and a later postback matches it', async () => {
    const res = await post(
      {
        fbclid: 'IwAR-landing',
        sub1: 'lp',
        link: 'demo',
        landing_url: 'https://landing.example.com/p?fbclid=IwAR-landing',
        referrer: 'https://m.facebook.com/',
      },
      { origin: ORIGIN, 'user-agent': 'LandingUA', cookie: '_fbp=fb.1.1700000000000.42' },
    );
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    const body = (await res.json()) as any;
    assert.match(body.click_id, /^[0-9a-f]{32}$/);
    assert.equal(body.platform, 'meta');
    assert.equal(body.fbc, `fb.1.${clock.now()}.IwAR-landing`);

    const { tx, detail } = await convert(gw, body.click_id);
    assert.equal(detail.matched, true);
    assert.equal(detail.click.id, body.click_id);
    assert.equal(detail.click.link, 'demo');
    assert.equal(detail.click.platform_click_id, 'IwAR-landing');
    assert.equal(detail.click.landing_url, 'https://landing.example.com/p?fbclid=IwAR-landing');
    assert.deepEqual(detail.click.subs, { sub1: 'lp' });
    const q = await received(tx);
    assert.equal(q.get('ref'), 'https://m.facebook.com/');
    assert.equal(q.get('ua'), 'LandingUA');
    assert.equal(q.get('fbp'), 'fb.1.1700000000000.42');
  });

  test('click ids only inside landing_url are read from it; the body wins; the same priority as a redirect', async () => {
    const cases: Array<{ body: Record<string, string>; platform: string | null; ids: Record<string, string> }> = [
      { body: { landing_url: 'https://landing.example.com/p?ttclid=TT-in-url&utm_source=tt' }, platform: 'tiktok', ids: { ttclid: 'TT-in-url' } },
      {
        body: { landing_url: 'https://landing.example.com/p?fbclid=FB-in-url&rdt_cid=RD-in-url' },
        platform: 'meta',
        ids: { fbclid: 'FB-in-url', rdt_cid: 'RD-in-url' },
      },
      { body: { landing_url: 'https://landing.example.com/?wbraid=WB&gclid=G-url' }, platform: 'google', ids: { gclid: 'G-url', wbraid: 'WB' } },
      {
        body: { gclid: 'G-body', landing_url: 'https://landing.example.com/?gclid=G-url&gbraid=GB-url' },
        platform: 'google',
        ids: { gclid: 'G-body', gbraid: 'GB-url' },
      },
      { body: { landing_url: `https://landing.example.com/?ttclid=${'x'.repeat(600)}` }, platform: null, ids: {} },
      { body: { landing_url: 'https://landing.example.com/?gclid=' }, platform: null, ids: {} },
    ];
    for (const c of cases) {
      const res = await post(c.body);
      assert.equal(res.status, 201, JSON.stringify(c.body));
      const body = (await res.json()) as any;
      const click = await gw.gw.clicks.get(body.click_id);
      assert.equal(click?.platform, c.platform, JSON.stringify(c.body));
      assert.deepEqual(click?.platformClickIds, c.ids, JSON.stringify(c.body));
    }
    const fb = (await (await post({ landing_url: 'https://landing.example.com/p?fbclid=IwAR-url-only' })).json()) as any;
    assert.equal(fb.fbc, `fb.1.${clock.now()}.IwAR-url-only`, 'an fbclid from the URL gives an fbc too');
  });

  test('without a link, and from a server (no Origin): a direct-link click', async () => {
    const res = await post({ ttclid: 'tt-direct' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const { click_id } = (await res.json()) as any;
    const { detail } = await convert(gw, click_id);
    assert.equal(detail.click.link, null);
    assert.equal(detail.click.platform, 'tiktok');
  });

  test('a foreign origin gets 403 and no CORS header, and nothing is stored', async () => {
    const before = await kvRows(gw);
    const res = await post({ gclid: 'evil' }, { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(((await res.json()) as any).error.code, 'ORIGIN_NOT_ALLOWED');
    assert.equal(await kvRows(gw), before);
  });

  test('preflight: allowed origin gets the CORS grant, a foreign one does not', async () => {
    const ok = await fetch(`${gw.url}/v1/clicks`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(ok.status === 204 || ok.status === 200, String(ok.status));
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /content-type/i);

    const bad = await fetch(`${gw.url}/v1/clicks`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
    assert.ok(bad.status >= 200 && bad.status < 500, String(bad.status));
    await bad.arrayBuffer();
  });

  test('invalid bodies are 400 with the field named', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ link: 'nope' }, 'UNKNOWN_LINK', 'link'],
      [{ landing_url: 'javascript:alert(1)' }, 'INVALID_CLICK', 'landing_url'],
      [{ gclid: 42 }, 'INVALID_CLICK', 'gclid'],
      [{ sub1: 'x'.repeat(513) }, 'INVALID_CLICK', 'sub1'],
      [['gclid'], 'INVALID_BODY', ''],
    ];
    for (const [body, code, field] of cases) {
      const res = await post(body, { origin: ORIGIN });
      assert.equal(res.status, 400, JSON.stringify(body));
      const json = (await res.json()) as any;
      assert.equal(json.error.code, code, JSON.stringify(body));
      if (field) assert.ok(JSON.stringify(json.error).includes(field), JSON.stringify(json.error));
    }
    const malformed = await fetch(`${gw.url}/v1/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"gclid":' });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as any).error.code, 'INVALID_BODY');
  });
});

describe('click TTL = attribution window', () => {
  test('a click older than the window is not matched, and purgeExpired really deletes its row', async () => {
    const ttlClock = testClock();
    const g = await startTestGateway({ now: ttlClock.now, configOverrides: { clicks: { attributionWindowDays: 2 } } });
    try {
      const old = await g.click('demo', { gclid: 'old' });
      ttlClock.advance(86_400_000); // 1 day: within the window
      const fresh = await g.click('demo', { gclid: 'fresh' });
      const within = await g.postback({ click_id: old, tx_id: 'ttl-within' });
      assert.equal(within.body.matched, true, 'one day old, window two days: matched');

      ttlClock.advance(86_400_000 + 1); // the old click is now 2 days + 1 ms old
      const late = await g.postback({ click_id: old, tx_id: 'ttl-late' });
      assert.equal(late.status, 200);
      assert.equal(late.body.matched, false);
      assert.ok(
        late.body.warnings.some((w: string) => w.includes(old)),
        JSON.stringify(late.body.warnings),
      );
      const detail = await g.admin(`/v1/conversions/${late.body.conversion_id}`);
      assert.equal(detail.body.click, null);

      const rowsBefore = await kvRows(g);
      assert.equal(rowsBefore, 2, 'the expired click is hidden but its row is still there');
      assert.equal(await g.gw.clicks.purgeExpired(), 1);
      assert.equal(await kvRows(g), 1, 'the expired row is gone');
      const key = String((await queryOne(g.gw, 'SELECT key FROM kv'))?.key);
      assert.ok(key.endsWith(fresh), `the fresh click stays: ${key}`);
      assert.equal(await g.gw.clicks.purgeExpired(), 0);

      const stillFresh = await g.postback({ click_id: fresh, tx_id: 'ttl-fresh' });
      assert.equal(stillFresh.body.matched, true);
    } finally {
      await g.close();
    }
  });
});

test('postback helper uses the tracked source key', () => assert.ok(SOURCE_SECRET.length >= 16));
