import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testClock } from './helpers/clock';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { DIRECT_SECRET, SOURCE_SECRET, startTestGateway, testConfig, type TestGateway } from './helpers/gateway';

const CUSTOM_SECRET = 'custom-source-secret-0123456789';
const LOCKED_SECRET = 'locked-source-secret-0123456789';
const LOCAL_SECRET = 'local-source-secret-0123456789';

const sources = [
  ...testConfig().sources,
  { id: 'custom', secret: CUSTOM_SECRET, params: { clickId: 'sub5', transactionId: 'transaction_id', payout: 'amount', key: 'token' } },
  { id: 'locked', secret: LOCKED_SECRET, allowIps: ['10.0.0.0/8', '192.0.2.7'] },
  { id: 'local', secret: LOCAL_SECRET, allowIps: ['127.0.0.1'] },
];

const clock = testClock();
let fake: FakeServer;
let gw: TestGateway;

function destinations(url: string) {
  const d = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    connector: 'http-postback',
    settings: { url: `${url}/${id}?tx={tx_id}&st={status}&ev={event}` },
    ...extra,
  });
  return [
    d('all'),
    d('incl-unmatched', { acceptUnmatched: true }),
    d('only-custom', { filters: { sources: ['custom'] } }),
    d('only-meta', { filters: { platforms: ['meta'] } }),
    d('only-demo-link', { filters: { links: ['demo'] } }),
    d('only-offer-42', { filters: { offers: ['42'] } }),
    d('only-upsell', { filters: { events: ['upsell'] } }),
    d('only-approved', { filters: { statuses: ['approved'] } }),
    d('off', { enabled: false }),
  ];
}

before(async () => {
  fake = await startFakeServer();
  gw = await startTestGateway({ now: clock.now, configOverrides: { sources, destinations: destinations(fake.url) } });
});
after(async () => {
  await gw.close();
  await fake.close();
});

interface Sent {
  method?: 'GET' | 'POST';
  path?: string;
  /** Raw query string (for repeated parameters), or a record. */
  query?: string | Record<string, string>;
  body?: string;
  type?: string;
  headers?: Record<string, string>;
}
async function send(g: TestGateway, s: Sent): Promise<{ status: number; body: any }> {
  const qs = typeof s.query === 'string' ? s.query : new URLSearchParams(s.query ?? {}).toString();
  const res = await fetch(`${g.url}${s.path ?? '/postback'}${qs ? `?${qs}` : ''}`, {
    method: s.method ?? 'GET',
    headers: { ...(s.type ? { 'content-type': s.type } : {}), ...(s.headers ?? {}) },
    ...(s.body !== undefined ? { body: s.body } : {}),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: the assertion on it will say so */
  }
  return { status: res.status, body };
}
const destinationsOf = (body: any): string[] => body.deliveries.map((d: { destination: string }) => d.destination).sort();

describe('authentication and the IP allow-list', () => {
  test('a missing or wrong key, and an unknown source, all answer the same 401 and store nothing', async () => {
    const cases: Array<[string, Sent]> = [
      ['missing key', { query: { tx_id: 'auth-1' } }],
      ['wrong key', { query: { key: 'not-the-secret-at-all', tx_id: 'auth-1' } }],
      ['empty key', { query: { key: '', tx_id: 'auth-1' } }],
      ['repeated key', { query: `key=${SOURCE_SECRET}&key=${SOURCE_SECRET}&tx_id=auth-1` }],
      ['another source’s key on /postback/:source', { path: '/postback/net', query: { key: DIRECT_SECRET, tx_id: 'auth-1' } }],
      ['the secret under the wrong parameter name', { path: '/postback/custom', query: { key: CUSTOM_SECRET, transaction_id: 'auth-1' } }],
      ['key in a JSON body, wrong', { method: 'POST', type: 'application/json', body: JSON.stringify({ key: 'nope-nope-nope-nope', tx_id: 'auth-1' }) }],
      // Source ids cannot be enumerated: an unknown one looks exactly like a wrong key.
      ['unknown source, valid key of another', { path: '/postback/nobody', query: { key: SOURCE_SECRET, tx_id: 'auth-1' } }],
      ['unknown source, no key', { path: '/postback/nobody', query: { tx_id: 'auth-1' } }],
    ];
    const bodies = new Set<string>();
    for (const [name, s] of cases) {
      const res = await send(gw, s);
      assert.equal(res.status, 401, name);
      assert.equal(res.body.error.code, 'UNAUTHORIZED', name);
      bodies.add(JSON.stringify(res.body));
    }
    assert.deepEqual([...bodies], [JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'the key parameter is missing or does not match' } })]);
    const ok = await gw.postback({ tx_id: 'auth-1' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.duplicate, false, 'none of the refused postbacks was stored');
  });

  test('a source with allowIps refuses other addresses (403) and X-Forwarded-For from an untrusted peer does not help', async () => {
    const refused = await send(gw, { query: { key: LOCKED_SECRET, tx_id: 'ip-1' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'IP_NOT_ALLOWED');
    assert.match(refused.body.error.message, /127\.0\.0\.1/);
    const spoofed = await send(gw, { query: { key: LOCKED_SECRET, tx_id: 'ip-1' }, headers: { 'x-forwarded-for': '10.1.1.1' } });
    assert.equal(spoofed.status, 403);
    const allowed = await send(gw, { query: { key: LOCAL_SECRET, tx_id: 'ip-1' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.duplicate, false);
  });

  test('behind a trusted proxy the forwarded address is the one checked', async () => {
    const g = await startTestGateway({ configOverrides: { sources, server: { port: 0, host: '127.0.0.1', trustedProxies: ['127.0.0.1'] } } });
    try {
      const ok = await send(g, { query: { key: LOCKED_SECRET, tx_id: 'proxy-1' }, headers: { 'x-forwarded-for': '192.0.2.7' } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const no = await send(g, { query: { key: LOCKED_SECRET, tx_id: 'proxy-2' }, headers: { 'x-forwarded-for': '198.51.100.1' } });
      assert.equal(no.status, 403);
      assert.match(no.body.error.message, /198\.51\.100\.1/);
    } finally {
      await g.close();
    }
  });
});

describe('bad input', () => {
  test('each malformed postback gets its 4xx and code, nothing is stored, the process stays up', async () => {
    const g = await startTestGateway({ configOverrides: { sources, destinations: destinations(fake.url).slice(0, 2) } });
    try {
      const k = `key=${encodeURIComponent(SOURCE_SECRET)}`;
      const json = (o: unknown) => ({ method: 'POST' as const, type: 'application/json', body: JSON.stringify(o) });
      const cases: Array<{ name: string; s: Sent; status: number; code: string; field?: string; tx?: string }> = [
        { name: 'missing tx_id', s: { query: `${k}&click_id=abc` }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
        { name: 'empty tx_id', s: { query: `${k}&tx_id=` }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
        { name: 'payout abc', s: { query: `${k}&tx_id=bad-1&payout=abc` }, status: 400, code: 'INVALID_POSTBACK', field: 'payout', tx: 'bad-1' },
        { name: 'payout -1', s: { query: `${k}&tx_id=bad-2&payout=-1` }, status: 400, code: 'INVALID_POSTBACK', field: 'payout', tx: 'bad-2' },
        { name: 'payout 1e5', s: { query: `${k}&tx_id=bad-3&payout=1e5` }, status: 400, code: 'INVALID_POSTBACK', field: 'payout', tx: 'bad-3' },
        { name: 'payout 12,50', s: { query: `${k}&tx_id=bad-4&payout=12%2C50` }, status: 400, code: 'INVALID_POSTBACK', field: 'payout', tx: 'bad-4' },
        { name: 'currency XYZ', s: { query: `${k}&tx_id=bad-5&currency=XYZ` }, status: 400, code: 'INVALID_POSTBACK', field: 'currency', tx: 'bad-5' },
        { name: 'tx_id of 10 kB', s: { query: `${k}&tx_id=${'t'.repeat(10_240)}` }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
        { name: 'repeated tx_id', s: { query: `${k}&tx_id=a&tx_id=b` }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id', tx: 'a' },
        { name: 'control character in tx_id', s: { query: `${k}&tx_id=bad-6%01` }, status: 422, code: 'INVALID_CHARACTERS', field: 'tx_id' },
        {
          name: 'CR LF in an extra parameter',
          s: { query: `${k}&tx_id=bad-6b&sub1=a%0D%0Ab` },
          status: 422,
          code: 'INVALID_CHARACTERS',
          field: 'sub1',
          tx: 'bad-6b',
        },
        {
          name: 'NUL in a parameter name',
          s: { query: `${k}&tx_id=bad-6c&su%00b=1` },
          status: 422,
          code: 'INVALID_CHARACTERS',
          field: 'su\\u0000b',
          tx: 'bad-6c',
        },
        {
          name: 'lone surrogate in a JSON value',
          s: { method: 'POST', type: 'application/json', body: `{"key":"${SOURCE_SECRET}","tx_id":"bad-6d","sub2":"a\\ud800b"}` },
          status: 422,
          code: 'INVALID_CHARACTERS',
          field: 'sub2',
          tx: 'bad-6d',
        },
        { name: 'newline in a sub', s: { query: `${k}&tx_id=bad-7&sub1=a%0Ab` }, status: 422, code: 'INVALID_CHARACTERS', field: 'sub1', tx: 'bad-7' },
        { name: 'NUL in click_id', s: { query: `${k}&tx_id=bad-8&click_id=%00` }, status: 422, code: 'INVALID_CHARACTERS', field: 'click_id', tx: 'bad-8' },
        {
          name: 'macro {sub5} in click_id',
          s: { query: `${k}&tx_id=bad-9&click_id={sub5}` },
          status: 422,
          code: 'UNSUBSTITUTED_MACRO',
          field: 'click_id',
          tx: 'bad-9',
        },
        {
          name: 'macro {Sub5} in click_id',
          s: { query: `${k}&tx_id=bad-10&click_id=%7BSub5%7D` },
          status: 422,
          code: 'UNSUBSTITUTED_MACRO',
          field: 'click_id',
          tx: 'bad-10',
        },
        {
          name: 'still-encoded %7Bsub5%7D in click_id',
          s: { query: `${k}&tx_id=bad-11&click_id=%257Bsub5%257D` },
          status: 422,
          code: 'UNSUBSTITUTED_MACRO',
          field: 'click_id',
          tx: 'bad-11',
        },
        { name: 'macro in tx_id', s: { query: `${k}&tx_id={transaction_id}` }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'tx_id' },
        { name: 'macro in payout', s: { query: `${k}&tx_id=bad-12&payout={payout}` }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'payout', tx: 'bad-12' },
        { name: 'wrong secret', s: { query: 'key=wrong-wrong-wrong-wrong&tx_id=bad-13' }, status: 401, code: 'UNAUTHORIZED', tx: 'bad-13' },
        { name: 'missing secret', s: { query: 'tx_id=bad-14' }, status: 401, code: 'UNAUTHORIZED', tx: 'bad-14' },
        {
          name: 'malformed JSON body',
          s: { method: 'POST', query: k, type: 'application/json', body: '{"tx_id": "bad-15",' },
          status: 400,
          code: 'INVALID_BODY',
          tx: 'bad-15',
        },
        {
          name: 'JSON array body',
          s: { method: 'POST', query: k, type: 'application/json', body: '[{"tx_id":"bad-16"}]' },
          status: 400,
          code: 'INVALID_BODY',
          tx: 'bad-16',
        },
        { name: 'JSON string body', s: { method: 'POST', query: k, type: 'application/json', body: '"bad-17"' }, status: 400, code: 'INVALID_BODY' },
        {
          name: 'JSON object value',
          s: json({ key: SOURCE_SECRET, tx_id: 'bad-18', sub2: { nested: true } }),
          status: 400,
          code: 'INVALID_POSTBACK',
          field: 'sub2',
          tx: 'bad-18',
        },
        {
          name: 'JSON body over 32 kB',
          s: json({ key: SOURCE_SECRET, tx_id: 'bad-19', pad: 'x'.repeat(33 * 1024) }),
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          tx: 'bad-19',
        },
        {
          name: 'text/plain body',
          s: { method: 'POST', query: k, type: 'text/plain', body: 'tx_id=bad-21' },
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          tx: 'bad-21',
        },
        {
          name: 'form body over 32 kB',
          s: { method: 'POST', type: 'application/x-www-form-urlencoded', body: `${k}&tx_id=bad-20&pad=${'x'.repeat(33 * 1024)}` },
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          tx: 'bad-20',
        },
      ];
      for (const c of cases) {
        const res = await send(g, c.s);
        assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body).slice(0, 200)}`);
        assert.equal(res.body.error?.code, c.code, c.name);
        assert.equal(typeof res.body.error.message, 'string', c.name);
        if (c.field) {
          const fields = (res.body.error.details ?? []).map((d: { field: string }) => d.field);
          assert.ok(fields.includes(c.field), `${c.name} names ${c.field}: ${JSON.stringify(fields)}`);
        }
      }

      // Nothing reached the ledger: no delivery at all, and each tx_id is new afterwards.
      const deliveries = await g.admin('/v1/deliveries');
      assert.deepEqual(deliveries.body.deliveries, []);
      for (const tx of new Set(cases.map((c) => c.tx).filter((t): t is string => !!t))) {
        const later = await g.postback({ tx_id: tx });
        assert.equal(later.status, 200, tx);
        assert.equal(later.body.duplicate, false, `${tx} was not stored by the refused postback`);
      }

      // Validation failures of an authenticated source are listed, without the secret.
      const rejections = await g.admin('/v1/rejections');
      assert.equal(rejections.status, 200);
      const codes = rejections.body.rejections.map((r: { code: string }) => r.code);
      const expected = cases.filter((c) => ['INVALID_POSTBACK', 'UNSUBSTITUTED_MACRO', 'INVALID_CHARACTERS'].includes(c.code)).length;
      assert.equal(codes.length, expected);
      assert.equal(codes.filter((c: string) => c === 'UNSUBSTITUTED_MACRO').length, 5);
      const macro = rejections.body.rejections.find((r: { params: Record<string, string> }) => r.params.tx_id === 'bad-9');
      assert.equal(macro.http_status, 422);
      assert.equal(macro.source, 'net');
      assert.equal(macro.params.click_id, '{sub5}');
      assert.ok(!JSON.stringify(rejections.body).includes(SOURCE_SECRET), 'the key is never recorded');
      for (const r of rejections.body.rejections as Array<{ message: string; params: Record<string, string> }>) {
        for (const text of [r.message, ...Object.keys(r.params), ...Object.values(r.params)]) {
          assert.doesNotMatch(text, /[\u0000-\u001f\ud800-\udfff]/, `no raw control character or lone surrogate is kept: ${JSON.stringify(text)}`);
        }
      }

      const health = await fetch(`${g.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
    } finally {
      await g.close();
    }
  });

  test('valid unicode and emoji values are accepted and kept as sent', async () => {
    const res = await gw.postback({ tx_id: '订单-😀-ü', sub1: 'Ñandú 🐦', payout: '0.10', currency: 'eur' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { body } = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(body.transaction_id, '订单-😀-ü');
    assert.equal(body.params.sub1, 'Ñandú 🐦');
    assert.equal(body.payout, '0.10', 'the payout is the decimal text received');
    assert.equal(body.currency, 'EUR');
    const again = await gw.postback({ tx_id: '订单-😀-ü' });
    assert.equal(again.body.duplicate, true);
  });
});

describe('de-duplication and status changes', () => {
  test('a repeated postback is a 200 duplicate that forwards nothing', async () => {
    const first = await gw.postback({ tx_id: 'dup-1', click_id: 'none' });
    assert.equal(first.status, 200);
    assert.equal(first.body.duplicate, false);
    assert.deepEqual(destinationsOf(first.body), ['incl-unmatched']);
    const second = await gw.postback({ tx_id: 'dup-1', click_id: 'none', payout: '99' });
    assert.equal(second.status, 200);
    assert.equal(second.body.duplicate, true);
    assert.equal(second.body.updated, false);
    assert.equal(second.body.conversion_id, first.body.conversion_id);
    assert.deepEqual(
      second.body.deliveries.map((d: { id: string }) => d.id),
      first.body.deliveries.map((d: { id: string }) => d.id),
    );
    await fake.waitFor(1);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(fake.requests.filter((r) => r.query.get('tx') === 'dup-1').length, 1, 'forwarded once');
    const { body } = await gw.admin(`/v1/conversions/${first.body.conversion_id}`);
    assert.equal(body.payout, null, 'the duplicate did not overwrite the payout');

    // Same tx_id, another event: a separate conversion. Same tx_id on another source: also separate.
    const upsell = await gw.postback({ tx_id: 'dup-1', click_id: 'none', event: 'upsell' });
    assert.equal(upsell.body.duplicate, false);
    assert.notEqual(upsell.body.conversion_id, first.body.conversion_id);
    const other = await send(gw, { query: { key: LOCAL_SECRET, tx_id: 'dup-1' } });
    assert.equal(other.body.duplicate, false);
  });

  test('pending is recorded and waits; its approval updates the conversion and forwards it', async () => {
    const clickId = await gw.click('demo', { gclid: 'status-1' });
    const pending = await gw.postback({ tx_id: 'st-1', click_id: clickId, status: 'pending' });
    assert.equal(pending.body.status, 'pending');
    assert.deepEqual(destinationsOf(pending.body), [], 'by default only approved conversions are forwarded');

    const approved = await gw.postback({ tx_id: 'st-1', click_id: clickId, status: 'approved' });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.duplicate, false);
    assert.equal(approved.body.updated, true);
    assert.equal(approved.body.status, 'approved');
    assert.equal(approved.body.conversion_id, pending.body.conversion_id);
    assert.deepEqual(destinationsOf(approved.body), ['all', 'incl-unmatched', 'only-approved', 'only-demo-link']);
    const { body } = await gw.admin(`/v1/conversions/${pending.body.conversion_id}`);
    assert.equal(body.status, 'approved');
    assert.equal(body.deliveries.length, 4);
    assert.equal(body.deliveries.filter((d: { destination: string }) => d.destination === 'all').length, 1, 'no second delivery to the same destination');

    const approvedAgain = await gw.postback({ tx_id: 'st-1', click_id: clickId, status: 'APPROVED' });
    assert.equal(approvedAgain.body.duplicate, true);

    // A late `pending` after the approval does not take it back.
    const late = await gw.postback({ tx_id: 'st-1', click_id: clickId, status: 'pending' });
    assert.equal(late.body.duplicate, true);
    assert.equal(late.body.status, 'approved');
    assert.ok(
      late.body.warnings.some((w: string) => /status "pending" ignored/.test(w)),
      JSON.stringify(late.body.warnings),
    );
  });

  test('a source with forwardStatuses [approved, pending] forwards pending at once', async () => {
    const g = await startTestGateway({
      startWorkers: false,
      configOverrides: { sources: [{ id: 'net', secret: SOURCE_SECRET, forwardStatuses: ['approved', 'pending'] }], destinations: destinations(fake.url) },
    });
    try {
      const pending = await g.postback({ tx_id: 'eager-1', click_id: 'x', status: 'pending' });
      assert.deepEqual(destinationsOf(pending.body), ['incl-unmatched']);
      const approved = await g.postback({ tx_id: 'eager-1', click_id: 'x', status: 'approved' });
      assert.equal(approved.body.updated, true);
      assert.deepEqual(
        approved.body.deliveries.map((d: { id: string }) => d.id),
        pending.body.deliveries.map((d: { id: string }) => d.id),
        'not forwarded twice',
      );
    } finally {
      await g.close();
    }
  });

  test('approved → rejected: recorded, forwarded nowhere, deliveries not yet sent are cancelled', async () => {
    // Workers stopped: the deliveries stay pending, so the cancel is observable.
    const g = await startTestGateway({ startWorkers: false, configOverrides: { sources, destinations: destinations(fake.url) } });
    try {
      const approved = await g.postback({ tx_id: 'st-2', click_id: 'x', status: 'approved' });
      assert.deepEqual(destinationsOf(approved.body), ['incl-unmatched']);
      const rejected = await g.postback({ tx_id: 'st-2', click_id: 'x', status: 'rejected' });
      assert.equal(rejected.status, 200);
      assert.equal(rejected.body.updated, true);
      assert.equal(rejected.body.status, 'rejected');
      assert.deepEqual(
        rejected.body.deliveries.map((d: { status: string }) => d.status),
        ['cancelled'],
      );
      const { body } = await g.admin(`/v1/conversions/${approved.body.conversion_id}`);
      assert.equal(body.status, 'rejected');
      assert.equal(body.deliveries[0].status, 'cancelled');

      const rejectedFirst = await g.postback({ tx_id: 'st-3', click_id: 'x', status: 'rejected' });
      assert.equal(rejectedFirst.status, 200);
      assert.equal(rejectedFirst.body.status, 'rejected');
      assert.deepEqual(rejectedFirst.body.deliveries, [], 'rejected is not in forwardStatuses');
    } finally {
      await g.close();
    }
  });
});

test('approved → rejected → approved forwards the re-approved conversion', async () => {
  const g = await startTestGateway({ startWorkers: false, configOverrides: { sources, destinations: destinations(fake.url) } });
  try {
    await g.postback({ tx_id: 'flip-1', status: 'approved' });
    await g.postback({ tx_id: 'flip-1', status: 'rejected' });
    const again = await g.postback({ tx_id: 'flip-1', status: 'approved' });
    assert.equal(again.body.status, 'approved');
    assert.deepEqual(
      again.body.deliveries.map((d: { status: string }) => d.status),
      ['pending'],
    );
  } finally {
    await g.close();
  }
});

describe('direct mode', () => {
  test('a direct source takes click_id as the platform click id', async () => {
    const res = await send(gw, { query: { key: DIRECT_SECRET, tx_id: 'direct-1', click_id: 'EAIaIQobChMI-direct' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.matched, true);
    const { body } = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(body.click.platform, 'google');
    assert.equal(body.click.platform_click_param, 'gclid');
    assert.equal(body.click.platform_click_id, 'EAIaIQobChMI-direct');
    assert.equal(body.click.link, null);
    assert.equal(body.click.fbc, null);
    assert.deepEqual(destinationsOf(res.body), ['all', 'incl-unmatched', 'only-approved']);

    const tiktok = await send(gw, { query: { key: DIRECT_SECRET, tx_id: 'direct-2', click_id: 'E.C.P.tt', platform: 'TikTok' } });
    const t = await gw.admin(`/v1/conversions/${tiktok.body.conversion_id}`);
    assert.equal(t.body.click.platform, 'tiktok', 'platform= overrides the source default');
    assert.equal(t.body.click.platform_click_param, 'ttclid');

    const empty = await send(gw, { query: { key: DIRECT_SECRET, tx_id: 'direct-3', click_id: '' } });
    assert.equal(empty.body.matched, false);
    assert.ok(empty.body.warnings.some((w: string) => w.includes('click_id')));
  });

  test('platform=meta on a tracked source builds fbc from the fbclid', async () => {
    const res = await gw.postback({ tx_id: 'direct-meta', click_id: 'IwAR-direct-fbclid', platform: 'meta' });
    assert.equal(res.body.matched, true);
    assert.deepEqual(destinationsOf(res.body), ['all', 'incl-unmatched', 'only-approved', 'only-meta']);
    const { body } = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(body.click.platform, 'meta');
    assert.equal(body.click.platform_click_id, 'IwAR-direct-fbclid');
    assert.equal(body.click.fbc, `fb.1.${clock.now()}.IwAR-direct-fbclid`);
    const wrapped = await gw.postback({ tx_id: 'direct-meta-2', click_id: 'fb.1.1700000000000.IwAR', platform: 'meta' });
    assert.equal((await gw.admin(`/v1/conversions/${wrapped.body.conversion_id}`)).body.click.fbc, 'fb.1.1700000000000.IwAR');
  });
});

describe('routing', () => {
  test('unmatched conversions are kept and go only to destinations with acceptUnmatched', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['unknown click id', { click_id: '0123456789abcdef0123456789abcdef' }],
      ['not one of our ids', { click_id: 'hello' }],
      ['no click id', {}],
    ];
    for (const [name, extra] of cases) {
      const res = await gw.postback({ tx_id: `unmatched-${name}`, ...extra });
      assert.equal(res.status, 200, name);
      assert.equal(res.body.matched, false, name);
      assert.deepEqual(destinationsOf(res.body), ['incl-unmatched'], name);
      const { body } = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
      assert.equal(body.matched, false);
      assert.equal(body.click, null);
    }
  });

  test('destination filters: sources, platforms, links, offers, events, statuses', async () => {
    const demo = await gw.click('demo', { gclid: 'route-google' });
    const meta = await gw.click('demo', { fbclid: 'route-meta' });
    const landing = (await (
      await fetch(`${gw.url}/v1/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gclid: 'lp' }) })
    ).json()) as any;
    const cases: Array<{ name: string; s: Sent; want: string[] }> = [
      {
        name: 'google click on link demo',
        s: { query: { key: SOURCE_SECRET, click_id: demo } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-demo-link'],
      },
      {
        name: 'meta click',
        s: { query: { key: SOURCE_SECRET, click_id: meta } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-demo-link', 'only-meta'],
      },
      { name: 'click without a link', s: { query: { key: SOURCE_SECRET, click_id: landing.click_id } }, want: ['all', 'incl-unmatched', 'only-approved'] },
      {
        name: 'offer 42',
        s: { query: { key: SOURCE_SECRET, click_id: demo, offer_id: '42' } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-demo-link', 'only-offer-42'],
      },
      {
        name: 'offer 43',
        s: { query: { key: SOURCE_SECRET, click_id: demo, offer_id: '43' } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-demo-link'],
      },
      {
        name: 'event upsell',
        s: { query: { key: SOURCE_SECRET, click_id: demo, event: 'upsell' } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-demo-link', 'only-upsell'],
      },
      { name: 'pending (not forwarded by default)', s: { query: { key: SOURCE_SECRET, click_id: demo, status: 'pending' } }, want: [] },
      { name: 'rejected', s: { query: { key: SOURCE_SECRET, click_id: demo, status: 'rejected' } }, want: [] },
      {
        name: 'source custom',
        s: { path: '/postback/custom', query: { token: CUSTOM_SECRET, sub5: demo } },
        want: ['all', 'incl-unmatched', 'only-approved', 'only-custom', 'only-demo-link'],
      },
    ];
    let n = 0;
    for (const c of cases) {
      const q = c.s.query as Record<string, string>;
      const txName = c.s.path === '/postback/custom' ? 'transaction_id' : 'tx_id';
      const res = await send(gw, { ...c.s, query: { ...q, [txName]: `route-${++n}` } });
      assert.equal(res.status, 200, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(destinationsOf(res.body), c.want, c.name);
    }
  });
});

describe('bodies and paths', () => {
  test('POST form and POST JSON are read like GET; the body wins over the query', async () => {
    const form = await send(gw, {
      method: 'POST',
      type: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ key: SOURCE_SECRET, tx_id: 'body-form', payout: '5.25', sub1: 'a b' }).toString(),
    });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    const f = await gw.admin(`/v1/conversions/${form.body.conversion_id}`);
    assert.equal(f.body.transaction_id, 'body-form');
    assert.equal(f.body.payout, '5.25');
    assert.equal(f.body.params.sub1, 'a b');

    const json = await send(gw, {
      method: 'POST',
      type: 'application/json',
      query: { tx_id: 'from-query', sub2: 'q' },
      body: JSON.stringify({ key: SOURCE_SECRET, tx_id: 'body-json', currency: 'GBP', offer_id: '9' }),
    });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    const j = await gw.admin(`/v1/conversions/${json.body.conversion_id}`);
    assert.equal(j.body.transaction_id, 'body-json', 'the body wins');
    assert.equal(j.body.currency, 'GBP');
    assert.equal(j.body.offer_id, '9');
    assert.equal(j.body.params.sub2, 'q', 'query parameters are still read');
    assert.equal(j.body.params.key, undefined, 'the secret is never stored');

    const numbers = await send(gw, {
      method: 'POST',
      type: 'application/json',
      body: JSON.stringify({ key: SOURCE_SECRET, tx_id: 90210, payout: 12.5, offer_id: 42 }),
    });
    assert.equal(numbers.status, 200, JSON.stringify(numbers.body));
    const n = await gw.admin(`/v1/conversions/${numbers.body.conversion_id}`);
    assert.equal(n.body.transaction_id, '90210');
    assert.equal(n.body.payout, '12.5');
    assert.equal(n.body.offer_id, '42');
  });

  test('/postback/:source uses that source’s parameter names', async () => {
    const clickId = await gw.click('demo', { gclid: 'custom-1' });
    const res = await send(gw, { path: '/postback/custom', query: { token: CUSTOM_SECRET, sub5: clickId, transaction_id: 'custom-tx', amount: '7.5' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.matched, true);
    const { body } = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(body.source, 'custom');
    assert.equal(body.transaction_id, 'custom-tx');
    assert.equal(body.payout, '7.5');
    assert.equal(body.click.id, clickId);
    assert.equal(body.params.token, undefined);

    const bad = await send(gw, { path: '/postback/custom', query: { token: CUSTOM_SECRET, sub5: clickId, tx_id: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'transaction_id', 'the error names the source’s own parameter');
    // The same source also answers on /postback.
    const plain = await send(gw, { method: 'POST', type: 'application/json', body: JSON.stringify({ token: CUSTOM_SECRET, transaction_id: 'custom-tx-2' }) });
    assert.equal(plain.status, 200);
  });

  test('the answer does not wait for delivery', async () => {
    const hanging = await startFakeServer(() => ({ hang: true }));
    const g = await startTestGateway({
      configOverrides: { sources, destinations: [{ id: 'slow', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${hanging.url}/x` } }] },
    });
    try {
      const started = Date.now();
      const res = await g.postback({ tx_id: 'fast-answer' });
      assert.equal(res.status, 200);
      assert.equal(res.body.deliveries[0].status, 'pending');
      await hanging.waitFor(1);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await hanging.close();
      await g.close();
    }
  });
});
