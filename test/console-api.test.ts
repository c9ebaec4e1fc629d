import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { conversionsCsv } from '../src/http/conversions-csv';
import { newId } from '../src/ids';
import { SQL, conversionSearchSql, outcomeCountSql } from '../src/store/ledger-sql';
import { sqliteDialect } from '../src/store/dialect';
import { claimSql } from '../src/store/step-ledger';
import { testClock } from './helpers/clock';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { TEST_ENGINE } from './helpers/engine';
import { ADMIN_TOKEN, DIRECT_SECRET, SOURCE_SECRET, queryAll, startTestGateway, type TestGateway } from './helpers/gateway';

/**
 * The console's API (issue 8): conversion search with every filter and cursor paging, the CSV
 * export, one click, postbacks received, stats after a known workload, bulk retry. One gateway,
 * real delivery workers, a fake destination server: `ok` answers 200, `bad` 400 until fixed,
 * `auth` 401 (which pauses it).
 */
const clock = testClock();
let fake: FakeServer;
let gw: TestGateway;
let badFixed = false;
const tx: Record<string, { id: string; at: number }> = {};
let clickId = '';

async function waitSettled(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pending = (await gw.admin('/v1/deliveries?status=pending&limit=500')).body.deliveries.filter((d: any) => d.destination !== 'auth');
    const auth = (await gw.admin('/v1/destinations')).body.destinations.find((d: any) => d.id === 'auth');
    if (pending.length === 0 && auth.paused) return;
    if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(pending)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
const txIds = (body: any) => body.conversions.map((c: any) => c.transaction_id);

before(async () => {
  fake = await startFakeServer((req) => {
    if (req.path === '/bad' && !badFixed)
      return { status: 400, headers: { 'content-type': 'text/plain', 'x-trace': 'trace-123', 'set-cookie': 'sid=abc' }, body: 'unknown offer' };
    if (req.path === '/auth') return { status: 401, body: 'bad token' };
    return { status: 200, body: 'ok' };
  });
  gw = await startTestGateway({
    now: clock.now,
    configOverrides: {
      destinations: [
        { id: 'ok', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/ok?tx={transaction_id}` } },
        { id: 'bad', connector: 'http-postback', acceptUnmatched: true, filters: { offers: ['o2'] }, settings: { url: `${fake.url}/bad?tx={transaction_id}` } },
        { id: 'auth', connector: 'http-postback', acceptUnmatched: true, filters: { offers: ['o3'] }, settings: { url: `${fake.url}/auth` } },
      ],
    },
  });
  clickId = await gw.click('demo', { gclid: 'console-gclid-1', sub1: 'a' });
  const fire = async (name: string, params: Record<string, string>, secret = SOURCE_SECRET) => {
    clock.advance(1000);
    const res = await fetch(`${gw.url}/postback?${new URLSearchParams({ key: secret, tx_id: name, ...params })}`);
    const body = (await res.json()) as { conversion_id: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    tx[name] = { id: body.conversion_id, at: clock.now() };
  };
  await fire('tx-1', { click_id: clickId, offer_id: 'o1', payout: '1.00' });
  await fire('tx-2', { offer_id: 'o2', payout: '2.00', consent_ad_user_data: 'denied', limited_data_use: '1' });
  await fire('tx-3', { offer_id: 'o1', click_id: 'f'.repeat(32) });
  await fire('tx-4', { offer_id: 'o1', status: 'pending' });
  await fire('tx-5', { click_id: 'direct-gclid-5' }, DIRECT_SECRET);
  await fire('tx-6', { offer_id: 'o3' });
  await waitSettled();
});
after(async () => {
  await gw?.close();
  await fake?.close();
});

describe('GET /v1/conversions', () => {
  test('newest first; each filter alone finds exactly its conversions', async () => {
    assert.deepEqual(txIds((await gw.admin('/v1/conversions')).body), ['tx-6', 'tx-5', 'tx-4', 'tx-3', 'tx-2', 'tx-1']);
    const cases: Array<[string, string[]]> = [
      ['tx_id=tx-3', ['tx-3']],
      ['tx_id=tx-5', ['tx-5']],
      ['tx_id=tx-3&source=net', ['tx-3']],
      ['tx_id=tx-3&source=direct', []],
      ['tx_id=tx-1&offer=o1&status=approved', ['tx-1']],
      ['tx_id=tx-1&offer=o2', []],
      ['tx_id=tx-6&offer=o1', []],
      ['tx_id=tx-4&status=pending', ['tx-4']],
      ['tx_id=tx-2&outcome=dead', ['tx-2']],
      ['tx_id=tx-9', []],
      [`click_id=${clickId}`, ['tx-1']],
      ['source=direct', ['tx-5']],
      ['source=net', ['tx-6', 'tx-4', 'tx-3', 'tx-2', 'tx-1']],
      ['offer=o2', ['tx-2']],
      ['status=pending', ['tx-4']],
      ['status=approved&offer=o1', ['tx-3', 'tx-1']],
      ['matched=true', ['tx-5', 'tx-1']],
      ['matched=false', ['tx-6', 'tx-4', 'tx-3', 'tx-2']],
      ['has_warnings=true', ['tx-3']],
      ['outcome=dead', ['tx-2']],
      ['outcome=dead&destination=ok', []],
      ['destination=bad', ['tx-2']],
      ['outcome=succeeded&destination=ok', ['tx-6', 'tx-5', 'tx-3', 'tx-2', 'tx-1']],
      ['outcome=paused', ['tx-6']],
      ['outcome=pending', ['tx-6']],
      ['outcome=cancelled', []],
      [`from=${tx['tx-2']?.at}&to=${tx['tx-4']?.at}`, ['tx-3', 'tx-2']],
      [`from=${new Date(tx['tx-5']?.at ?? 0).toISOString()}`, ['tx-6', 'tx-5']],
      ['from=2026-11-23', []],
      ['to=2026-11-22', []],
    ];
    for (const [query, expected] of cases) {
      const res = await gw.admin(`/v1/conversions?${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(txIds(res.body), expected, query);
    }
  });

  test('both plans of a rare outcome (few matches / many) find the same rows in the same order', async () => {
    for (const q of [
      { outcome: 'dead' },
      { outcome: 'pending' },
      { outcome: 'paused' },
      { outcome: 'dead', destinationId: 'bad' },
      { outcome: 'pending', source: 'net' },
    ] as const) {
      const run = async (few: boolean) => {
        const { sql, params } = conversionSearchSql({ ...q, limit: 100 }, few);
        return (await queryAll(gw.gw, sql, ...params)).map((r) => String(r.transaction_id));
      };
      const few = await run(true);
      assert.ok(few.length > 0, JSON.stringify(q));
      assert.deepEqual(await run(false), few, JSON.stringify(q));
    }
  });

  test('a transaction-id search reads the unique (source, transaction_id, event) index, whatever else is filtered (migration 63)', {
    skip: TEST_ENGINE !== 'sqlite',
  }, async () => {
    for (const q of [
      {},
      { source: 'net' },
      { offerId: 'o1' },
      { status: 'approved', source: 'net' },
      { from: 0 },
      { outcome: 'succeeded' },
      { hasWarnings: true },
    ] as const) {
      const { sql, params } = conversionSearchSql({ ...q, transactionId: 'tx-3', limit: 50 });
      const plan = (await queryAll(gw.gw, `EXPLAIN QUERY PLAN ${sql}`, ...params)).map((r) => String(r.detail));
      const what = `${JSON.stringify(q)}: ${plan.join(' | ')}`;
      assert.ok(
        plan.some((p) => /^SEARCH t USING INDEX sqlite_autoindex_conversions_\d \(source=\? AND transaction_id=\?\)$/.test(p)),
        what,
      );
      assert.ok(
        plan.some((p) => /^SEARCH c USING INDEX sqlite_autoindex_conversions_\d \(id=\?\)$/.test(p)),
        what,
      );
      assert.ok(!plan.some((p) => /^SCAN c\b|conversions_(source|offer|status|received) \((source|offer_id|status)=/.test(p)), what);
    }
    assert.deepEqual(await queryAll(gw.gw, 'SELECT name FROM sqlite_master WHERE name = ?', 'conversions_tx'), [], 'conversions_tx is gone');
  });

  test('a rare status is searched through the partial status index; approved ones are not in it (migration 64)', {
    skip: TEST_ENGINE !== 'sqlite',
  }, async () => {
    const plan = async (q: Parameters<typeof conversionSearchSql>[0]) => {
      const { sql, params } = conversionSearchSql(q);
      return (await queryAll(gw.gw, `EXPLAIN QUERY PLAN ${sql}`, ...params)).map((r) => String(r.detail)).join(' | ');
    };
    for (const status of ['pending', 'rejected'] as const) {
      const p = await plan({ status, limit: 50 });
      assert.match(p, /SEARCH c USING INDEX conversions_status \(status=\?\)/, p);
      assert.doesNotMatch(p, /TEMP B-TREE/, p);
    }
    const approved = await plan({ status: 'approved', limit: 50 });
    assert.match(approved, /SCAN c USING INDEX conversions_received/, approved);
    assert.doesNotMatch(approved, /conversions_status|TEMP B-TREE/, approved);
    const [entries] = await queryAll(gw.gw, `SELECT COUNT(*) AS n FROM conversions INDEXED BY conversions_status WHERE status <> 'approved'`);
    const [rare] = await queryAll(gw.gw, `SELECT COUNT(*) AS n FROM conversions WHERE status <> 'approved'`);
    assert.equal(Number(entries?.n), Number(rare?.n));
    assert.ok(Number(rare?.n) > 0);
  });

  test('the due index holds the pending deliveries, the outcome index no succeeded one; the queries that need them state that (migration 65)', {
    skip: TEST_ENGINE !== 'sqlite',
  }, async () => {
    const plan = async (sql: string, ...params: unknown[]) =>
      (await queryAll(gw.gw, `EXPLAIN QUERY PLAN ${sql}`, ...params)).map((r) => String(r.detail)).join(' | ');
    // The claim walks the pending rows in due order: no sort, whatever the outbox's size.
    const now = clock.now();
    const claim = await plan(claimSql(sqliteDialect, 0), 'w', now, now, now, now, 10);
    assert.match(claim, /SEARCH deliveries USING INDEX deliveries_due \(next_attempt_at<\?\)/, claim);
    assert.doesNotMatch(claim, /TEMP B-TREE/, claim);
    // A rare outcome's count and searches read deliveries_outcome, from the index alone.
    for (const q of [{ outcome: 'dead' }, { outcome: 'pending' }, { outcome: 'paused' }, { outcome: 'dead', destinationId: 'bad' }] as const) {
      const count = outcomeCountSql({ ...q, limit: 50 });
      assert.ok(count);
      const p = await plan(count.sql, ...count.params);
      assert.match(p, /USING COVERING INDEX deliveries_outcome \(status=\?/, `${JSON.stringify(q)}: ${p}`);
      for (const few of [true, false]) {
        const { sql, params } = conversionSearchSql({ ...q, limit: 50 }, few);
        const s = await plan(sql, ...params);
        assert.match(s, /SEARCH d USING COVERING INDEX deliveries_outcome \(status=\?/, `${JSON.stringify(q)} few=${few}: ${s}`);
      }
    }
    // A succeeded search probes the unique (conversion_id, destination_id) index per conversion.
    const succeeded = conversionSearchSql({ outcome: 'succeeded', limit: 50 });
    assert.match(await plan(succeeded.sql, ...succeeded.params), /SEARCH d EXISTS USING INDEX sqlite_autoindex_deliveries_\d \(conversion_id=\?\)/);
    const counts = await plan(SQL.countDeliveries);
    assert.match(counts, /SCAN deliveries USING COVERING INDEX deliveries_outcome/, counts);
    // The entries: exactly the pending rows, exactly the rows not succeeded; and the counts add up.
    const n = async (sql: string) => Number((await queryAll(gw.gw, sql))[0]?.n);
    assert.equal(
      await n(`SELECT COUNT(*) AS n FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending'`),
      await n(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'`),
    );
    assert.equal(
      await n(`SELECT COUNT(*) AS n FROM deliveries INDEXED BY deliveries_outcome WHERE status <> 'succeeded'`),
      await n(`SELECT COUNT(*) AS n FROM deliveries WHERE status <> 'succeeded'`),
    );
    const byStatus = Object.fromEntries(
      (await queryAll(gw.gw, 'SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status')).map((r) => [String(r.status), Number(r.n)]),
    );
    const counted = await gw.gw.ledger.countDeliveries();
    assert.ok(counted.succeeded > 0 && counted.dead > 0, JSON.stringify(counted));
    for (const [status, c] of Object.entries(counted)) assert.equal(c, byStatus[status] ?? 0, status);
  });

  test('a row: the conversion without params, its warnings and a summary of each delivery', async () => {
    const [two] = (await gw.admin('/v1/conversions?tx_id=tx-2')).body.conversions;
    assert.equal(two.id, tx['tx-2']?.id);
    assert.equal(two.payout, '2.00');
    assert.equal('params' in two, false);
    assert.deepEqual(two.warnings, []);
    assert.deepEqual(two.deliveries, [
      { destination: 'bad', status: 'dead', attempt_count: 1, last_kind: 'payload' },
      { destination: 'ok', status: 'succeeded', attempt_count: 1, last_kind: null },
    ]);
    const [three] = (await gw.admin('/v1/conversions?tx_id=tx-3')).body.conversions;
    assert.match(three.warnings.join(), /matched no stored click/);
    const [one] = (await gw.admin('/v1/conversions?tx_id=tx-1')).body.conversions;
    assert.equal(one.click.platform_click_id, 'console-gclid-1');
  });

  test('cursor paging walks every row once, with filters too', async () => {
    const walk = async (query: string, limit: number) => {
      const pages: string[][] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 20; guard++) {
        const res: { status: number; body: any } = await gw.admin(`/v1/conversions?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200);
        pages.push(txIds(res.body));
        cursor = res.body.next_cursor;
        if (cursor === null) break;
        const last = res.body.conversions.at(-1);
        assert.equal(cursor, `${last.received_at}.${last.id}`);
      }
      return pages;
    };
    assert.deepEqual(await walk('', 2), [['tx-6', 'tx-5'], ['tx-4', 'tx-3'], ['tx-2', 'tx-1'], []]);
    assert.deepEqual(await walk('matched=false', 3), [['tx-6', 'tx-4', 'tx-3'], ['tx-2']]);
    assert.deepEqual(await walk('source=net', 5), [['tx-6', 'tx-4', 'tx-3', 'tx-2', 'tx-1'], []]);
  });

  test('bad parameters are 400 naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['outcome=lost', 'outcome'],
      ['matched=yes', 'matched'],
      ['has_warnings=1', 'has_warnings'],
      ['status=done', 'status'],
      ['from=yesterday', 'from'],
      ['to=2026-11-22T12:00:00', 'to'],
      ['cursor=abc', 'cursor'],
      ['tx=1', 'tx'],
      ['from=2026-11-23&to=2026-11-22', 'to'],
      ['tx_id=', 'tx_id'],
      ['source=a&source=b', 'source'],
    ];
    for (const [query, field] of cases) {
      for (const path of ['/v1/conversions', '/v1/conversions.csv']) {
        if (path.endsWith('.csv') && (field === 'limit' || field === 'cursor')) continue;
        const res = await gw.admin(`${path}?${query}`);
        assert.equal(res.status, 400, `${path}?${query}`);
        assert.equal(res.body.error.code, 'INVALID_REQUEST');
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          `${query}: ${JSON.stringify(res.body.error.details)}`,
        );
      }
    }
  });

  test("the detail shows warnings and each attempt's response headers, credential headers redacted", async () => {
    const detail = (await gw.admin(`/v1/conversions/${tx['tx-2']?.id}`)).body;
    assert.deepEqual(detail.warnings, []);
    const bad = detail.deliveries.find((d: any) => d.destination === 'bad');
    assert.equal(bad.attempts[0].response_status, 400);
    assert.equal(bad.attempts[0].response_body, 'unknown offer');
    assert.equal(bad.attempts[0].response_headers['x-trace'], 'trace-123');
    assert.equal(bad.attempts[0].response_headers['set-cookie'], '[redacted]');
    assert.match((await gw.admin(`/v1/conversions/${tx['tx-3']?.id}`)).body.warnings.join(), /matched no stored click/);
  });
});

describe('GET /v1/conversions.csv', () => {
  test('every filtered row, header first, CSV-escaped, streamed', async () => {
    const res = await fetch(`${gw.url}/v1/conversions.csv?source=net`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="conversions.csv"/);
    assert.equal(res.headers.get('content-length'), null, 'streamed, no length known up front');
    const lines = (await res.text()).split('\r\n');
    assert.equal(lines.pop(), '');
    assert.match(lines[0] ?? '', /^id,received_at,updated_at,source,transaction_id,/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[4]),
      ['tx-6', 'tx-4', 'tx-3', 'tx-2', 'tx-1'],
    );
    const two = lines.find((l) => l.includes(',tx-2,')) ?? '';
    assert.match(two, /,bad:dead ok:succeeded,/);
    assert.match(lines[0] ?? '', /,warnings,consent_ad_user_data,consent_ad_personalization,limited_data_use$/);
    assert.match(two, /,denied,,true$/, 'the consent the postback carried, empty where it said nothing');
    assert.ok(two.includes(new Date(tx['tx-2']?.at ?? 0).toISOString()));
    const three = lines.find((l) => l.includes(',tx-3,')) ?? '';
    assert.match(three, /,"click id ""f{32}"" matched no stored click \(expired, mistyped, or not ours\)",,,$/);
  });

  test('pages through the ledger: the whole export in 500-row pages, and no page read before the reader wants it', async () => {
    const g = await startTestGateway({ startWorkers: false });
    try {
      const base = Date.UTC(2026, 10, 1);
      // 12,000 conversions straight into the ledger (24 pages of 500).
      const writes = Array.from({ length: 12_000 }, (_, i) =>
        g.gw.ledger.recordPostback(
          {
            conversion: {
              id: newId(),
              source: 'net',
              transactionId: `bulk-${i}`,
              event: 'conversion',
              status: 'approved',
              payout: '1.00',
              currency: 'USD',
              offerId: `=cmd|' /C calc'!A0`,
              clickId: null,
              matched: false,
              click: null,
              params: {},
              receivedAt: base + i,
              updatedAt: base + i,
            },
            route: () => [],
          },
          base + i,
        ),
      );
      await Promise.all(writes);
      const ledger = g.gw.ledger;
      const original = ledger.searchConversions;
      let pages = 0;
      ledger.searchConversions = async (q) => {
        pages++;
        return original(q);
      };
      const full = await fetch(`${g.url}/v1/conversions.csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const text = await full.text();
      assert.equal(text.split('\r\n').length, 12_000 + 2);
      assert.equal(pages, 25, '24 full pages and an empty one');
      assert.ok(text.includes(`,'=cmd|' /C calc'!A0,`), 'a formula-looking cell is neutralised');
      assert.equal(text.split('\r\n')[1]?.split(',')[4], 'bulk-11999', 'newest first');

      // The stream itself: a reader that takes two chunks has caused at most one page more
      // (Readable.from pulls the generator only while its 16 kB buffer has room).
      pages = 0;
      const stream = conversionsCsv(ledger, {});
      const chunks = stream[Symbol.asyncIterator]();
      await chunks.next();
      await chunks.next();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(pages <= 2, `read ahead of the reader: ${pages} pages`);
      stream.destroy();
    } finally {
      await g.close();
    }
  });
});

describe('GET /v1/clicks/:id and GET /v1/postbacks', () => {
  test('a stored click without ip or user agent, with its expiry', async () => {
    const res = await gw.admin(`/v1/clicks/${clickId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, clickId);
    assert.equal(res.body.link, 'demo');
    assert.equal(res.body.platform, 'google');
    assert.equal(res.body.platform_click_id, 'console-gclid-1');
    assert.deepEqual(res.body.subs, { sub1: 'a' });
    assert.equal(res.body.expires_at - res.body.created_at, 30 * 86_400_000);
    for (const k of ['ip', 'user_agent', 'userAgent', 'referrer']) assert.equal(k in res.body, false, k);
    assert.equal((await gw.admin(`/v1/clicks/${'e'.repeat(32)}`)).status, 404);
    assert.equal((await gw.admin('/v1/clicks/nope')).status, 400);
  });

  test('accepted and rejected merged newest first, filtered by source and outcome, paged', async () => {
    clock.advance(1000);
    const refused = await gw.postback({ tx_id: 'tx-bad', payout: '12,50' });
    assert.equal(refused.status, 400);
    const all = (await gw.admin('/v1/postbacks')).body.postbacks;
    assert.deepEqual(
      all.map((p: any) => [p.outcome, p.outcome === 'accepted' ? p.id : p.code]),
      [['rejected', 'INVALID_POSTBACK'], ...['tx-6', 'tx-5', 'tx-4', 'tx-3', 'tx-2', 'tx-1'].map((t) => ['accepted', tx[t]?.id])],
    );
    const [rejected] = all;
    assert.equal(rejected.http_status, 400);
    assert.equal(rejected.conversion_id, null);
    assert.equal(rejected.params.payout, '12,50');
    assert.equal('key' in rejected.params, false);
    const one = all.find((p: any) => p.id === tx['tx-1']?.id);
    assert.equal(one.conversion_id, tx['tx-1']?.id);
    assert.equal(one.http_status, 200);

    assert.deepEqual(
      (await gw.admin('/v1/postbacks?outcome=rejected')).body.postbacks.map((p: any) => p.code),
      ['INVALID_POSTBACK'],
    );
    assert.equal((await gw.admin('/v1/postbacks?outcome=accepted')).body.postbacks.length, 6);
    assert.deepEqual(
      (await gw.admin('/v1/postbacks?source=direct')).body.postbacks.map((p: any) => p.id),
      [tx['tx-5']?.id],
    );
    const first = (await gw.admin('/v1/postbacks?limit=4')).body;
    const second = (await gw.admin(`/v1/postbacks?limit=4&cursor=${first.next_cursor}`)).body;
    assert.deepEqual(
      [...first.postbacks, ...second.postbacks].map((p: any) => p.id),
      all.map((p: any) => p.id),
    );
    assert.equal(second.next_cursor, null);
    assert.equal((await gw.admin('/v1/postbacks?outcome=maybe')).status, 400);
  });
});

describe('GET /v1/stats', () => {
  test('counts after the known workload, and the hourly series', async () => {
    clock.advance(1000);
    assert.equal((await gw.postback({ tx_id: 'tx-1', click_id: clickId, offer_id: 'o1', payout: '1.00' })).body.duplicate, true);
    const res = await gw.admin('/v1/stats?window=24h');
    assert.equal(res.status, 200);
    const s = res.body;
    assert.equal(s.to, clock.now());
    assert.equal(s.to - s.from, 86_400_000);
    assert.equal(s.bucket_ms, 3_600_000);
    assert.equal(s.clicks, 1);
    // 6 accepted, the duplicate just sent, and the payout refused in the postbacks test.
    assert.deepEqual(s.postbacks, { received: 8, accepted: 6, duplicate: 1, rejected: 1 });
    assert.equal(s.matched_pct, Math.round((2 / 6) * 100 * 1000) / 1000);
    assert.deepEqual(s.rejected_by_code, { INVALID_POSTBACK: 1 });
    const byDest = Object.fromEntries(s.deliveries.map((d: any) => [d.destination, d]));
    assert.deepEqual(byDest.ok, { destination: 'ok', pending: 0, succeeded: 5, dead: 0, cancelled: 0, skipped: 0 });
    assert.equal(byDest.bad.dead + byDest.bad.succeeded + byDest.bad.pending, 1);
    assert.deepEqual(byDest.auth, { destination: 'auth', pending: 1, succeeded: 0, dead: 0, cancelled: 0, skipped: 0 });
    assert.equal(s.outbox.depth >= 1, true);
    assert.ok(s.outbox.oldest_pending_age_ms >= 1000, JSON.stringify(s.outbox));
    assert.equal(s.series.length, 3 * 24);
    const last = (d: string) => s.series.filter((p: any) => p.destination === d).at(-1);
    assert.equal(last('ok').conversions, 5);
    assert.equal(last('ok').t, s.from + 23 * 3_600_000);
    assert.equal(last('auth').failures, 1);
    assert.equal(
      s.series.filter((p: any) => p.destination === 'ok').reduce((a: number, p: any) => a + p.conversions, 0),
      5,
    );

    const week = (await gw.admin('/v1/stats?window=7d')).body;
    assert.equal(week.bucket_ms, 6 * 3_600_000);
    assert.equal(week.series.length, 3 * 28);
    assert.equal(week.clicks, 1);
    assert.equal((await gw.admin('/v1/stats?window=1y')).status, 400);
  });
});

describe('POST /v1/deliveries/retry', () => {
  test('validates its body', async () => {
    for (const body of [
      '{}',
      '{"status":"pending"}',
      '{"status":"dead","ids":[]}',
      '{"status":"dead","ids":["x"]}',
      '{"status":"dead","since":"soon"}',
      '{"status":"dead","other":1}',
    ]) {
      const res = await gw.admin('/v1/deliveries/retry', { method: 'POST', body });
      assert.equal(res.status, 400, body);
    }
  });

  test('retries the dead ones of a destination with a fresh budget, once fixed, and wakes the workers', async () => {
    const dead = (await gw.admin('/v1/deliveries?status=dead')).body.deliveries;
    assert.equal(dead.length, 1);
    const none = await gw.admin('/v1/deliveries/retry', { method: 'POST', body: JSON.stringify({ status: 'dead', destination: 'ok' }) });
    assert.deepEqual(none.body, { retried: 0, ids: [] });
    const future = await gw.admin('/v1/deliveries/retry', { method: 'POST', body: JSON.stringify({ status: 'dead', since: clock.now() + 60_000 }) });
    assert.equal(future.body.retried, 0);
    const otherIds = await gw.admin('/v1/deliveries/retry', { method: 'POST', body: JSON.stringify({ status: 'dead', ids: ['0'.repeat(32)] }) });
    assert.equal(otherIds.body.retried, 0);

    badFixed = true;
    const res = await gw.admin('/v1/deliveries/retry', { method: 'POST', body: JSON.stringify({ status: 'dead', destination: 'bad', since: '2026-11-22' }) });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { retried: 1, ids: [dead[0].id] });
    const deadline = Date.now() + 5000;
    for (;;) {
      const detail = (await gw.admin(`/v1/conversions/${tx['tx-2']?.id}`)).body;
      const bad = detail.deliveries.find((d: any) => d.destination === 'bad');
      if (bad.status === 'succeeded') {
        assert.equal(bad.attempt_count, 2);
        assert.equal(bad.max_attempts, 1 + 3, 'attempts so far + the default budget (delivery.maxAttempts 3)');
        break;
      }
      assert.ok(Date.now() < deadline, `not retried: ${JSON.stringify(bad)}`);
      await new Promise((r) => setTimeout(r, 30));
    }
    const again = await gw.admin('/v1/deliveries/retry', { method: 'POST', body: JSON.stringify({ status: 'dead' }) });
    assert.deepEqual(again.body, { retried: 0, ids: [] });
  });
});
