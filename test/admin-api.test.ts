import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loopbackHttpClient } from './helpers/loopback-http';
import type { HttpClient } from '../src/connector-kit/http-types';
import { testClock } from './helpers/clock';
import { startFakeServer } from './helpers/fake-server';
import { ADMIN_TOKEN, SOURCE_SECRET, startTestGateway, testConfig, type TestGateway } from './helpers/gateway';

/**
 * The gateway's HTTP client with an idempotent close(): these tests call gw.close() themselves
 * (as SIGTERM does) and then the harness's close() to delete the temp directory, which closes again.
 */
function reclosableHttp(): HttpClient {
  const client = loopbackHttpClient();
  let closed: Promise<void> | null = null;
  return { send: client.send, close: () => (closed ??= client.close()) };
}

const clock = testClock();
let gw: TestGateway;

before(async () => {
  // Workers off: deliveries stay where the test puts them.
  gw = await startTestGateway({
    now: clock.now,
    startWorkers: false,
    configOverrides: {
      destinations: [
        { id: 'a', connector: 'http-postback', acceptUnmatched: true, settings: { url: 'http://127.0.0.1:9/a' } },
        { id: 'b', connector: 'http-postback', acceptUnmatched: true, filters: { events: ['lead'] }, settings: { url: 'http://127.0.0.1:9/b' } },
      ],
    },
  });
});
after(async () => {
  await gw.close();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(gw.url + path, init);
  const text = await res.text();
  // JSON answers are parsed; others (GET /v1/conversions.csv) stay text.
  const json = /json/.test(res.headers.get('content-type') ?? '');
  return { status: res.status, headers: res.headers, body: text ? (json ? JSON.parse(text) : text) : null };
}
const HEX = 'f'.repeat(32);

describe('bearer token', () => {
  test('every /v1 admin route answers 401 without the token, with a wrong one, or with another scheme', async () => {
    // /v1/session is the console's sign-in (test/session.test.ts covers it).
    const PUBLIC = new Set(['/v1/clicks', '/v1/session']);
    const routes = gw.gw.router.stack
      .flatMap((layer) => (typeof layer.path === 'string' ? [{ path: layer.path, methods: layer.methods }] : []))
      .filter((layer) => layer.path.startsWith('/v1/') && !PUBLIC.has(layer.path))
      .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => [m, layer.path.replace(/:[A-Za-z_]+/g, HEX)] as const));
    const paths = routes.map(([m, p]) => `${m} ${p}`);
    for (const known of [
      'GET /v1/conversions/',
      'GET /v1/deliveries',
      'POST /v1/deliveries/',
      'GET /v1/destinations',
      'POST /v1/destinations/',
      'GET /v1/rejections',
    ]) {
      assert.ok(
        paths.some((p) => p.startsWith(known)),
        `${known} is among the routes checked: ${paths.join(', ')}`,
      );
    }
    const wrong: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['wrong token', { authorization: 'Bearer not-the-admin-token-at-all' }],
      ['token with a suffix', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
      ['token prefix', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
      ['raw token', { authorization: ADMIN_TOKEN }],
      ['token in the query only', {}],
    ];
    for (const [method, path] of routes) {
      for (const [name, headers] of wrong) {
        const p = name === 'token in the query only' ? `${path}?token=${ADMIN_TOKEN}` : path;
        const res = await call(p, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'GET' ? {} : { body: '{}' }) });
        assert.equal(res.status, 401, `${method} ${path} ${name}`);
        assert.equal(res.body.error.code, 'UNAUTHORIZED', `${method} ${path} ${name}`);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      }
      const ok = await call(path, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
      assert.notEqual(ok.status, 401, `${method} ${path} with the token`);
    }
  });

  test('the token is checked before anything else (a bad id without a token is still 401)', async () => {
    assert.equal((await call('/v1/conversions/not-an-id')).status, 401);
    assert.equal((await call('/v1/deliveries?limit=0')).status, 401);
  });

  test('public routes do not need it', async () => {
    assert.equal((await call('/healthz')).status, 200);
    assert.equal((await call(`/postback?key=${SOURCE_SECRET}&tx_id=public-1`)).status, 200);
  });
});

describe('validation and not found', () => {
  test('bad ids and list parameters are 400 naming the parameter', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/conversions/not-an-id', 'id'],
      ['GET', `/v1/conversions/${'A'.repeat(32)}`, 'id'],
      ['GET', `/v1/conversions/${'f'.repeat(31)}`, 'id'],
      ['GET', `/v1/conversions/${'f'.repeat(33)}`, 'id'],
      ['POST', '/v1/deliveries/zzz/retry', 'id'],
      ['GET', '/v1/deliveries?limit=0', 'limit'],
      ['GET', '/v1/deliveries?limit=501', 'limit'],
      ['GET', '/v1/deliveries?limit=abc', 'limit'],
      ['GET', '/v1/deliveries?limit=1.5', 'limit'],
      ['GET', '/v1/deliveries?limit=-1', 'limit'],
      ['GET', '/v1/deliveries?limit=1&limit=2', 'limit'],
      ['GET', '/v1/deliveries?status=bogus', 'status'],
      ['GET', '/v1/deliveries?cursor=-5', 'cursor'],
      ['GET', '/v1/deliveries?cursor=yesterday', 'cursor'],
      ['GET', '/v1/deliveries?before=123', 'before'],
      ['GET', `/v1/deliveries?destination=${'d'.repeat(65)}`, 'destination'],
      ['GET', '/v1/rejections?limit=0', 'limit'],
      ['GET', '/v1/rejections?limit=1000', 'limit'],
      ['GET', '/v1/rejections?cursor=x', 'cursor'],
    ];
    for (const [method, path, field] of cases) {
      const res = await gw.admin(path, { method });
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(res.body.error.code, 'INVALID_REQUEST', path);
      const fields = (res.body.error.details ?? []).map((d: { field: string }) => d.field);
      if (field !== 'id') assert.ok(fields.includes(field), `${path}: ${JSON.stringify(fields)}`);
    }
    for (const path of ['/v1/deliveries?limit=1', '/v1/deliveries?limit=500', '/v1/rejections?limit=500', `/v1/deliveries?cursor=0.${'0'.repeat(32)}`]) {
      assert.equal((await gw.admin(path)).status, 200, path);
    }
  });

  test('unknown ids are 404 JSON', async () => {
    const conv = await gw.admin(`/v1/conversions/${HEX}`);
    assert.equal(conv.status, 404);
    assert.equal(conv.body.error.code, 'NOT_FOUND');
    assert.equal((await gw.admin(`/v1/deliveries/${HEX}/retry`, { method: 'POST' })).status, 404);
    assert.equal((await gw.admin('/v1/destinations/nope/resume', { method: 'POST' })).status, 404);
    const route = await gw.admin('/v1/nothing-here');
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'NOT_FOUND');
  });

  test('a conversion shows its deliveries with their attempts', async () => {
    const res = await gw.postback({ tx_id: 'detail-1', event: 'lead', payout: '3.00' });
    const detail = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.id, res.body.conversion_id);
    assert.equal(detail.body.transaction_id, 'detail-1');
    assert.equal(detail.body.event, 'lead');
    assert.equal(detail.body.payout, '3.00');
    assert.equal(detail.body.currency, 'USD');
    assert.equal(detail.body.source, 'net');
    assert.deepEqual(
      detail.body.deliveries.map((d: any) => [d.destination, d.status, d.attempts.length]),
      [
        ['a', 'pending', 0],
        ['b', 'pending', 0],
      ],
    );
    assert.equal(detail.body.deliveries[0].attempts.length, 0);
  });
});

describe('GET /v1/deliveries', () => {
  test('status and destination filters, newest first, paged with next_cursor', async () => {
    const g = await startTestGateway({
      now: clock.now,
      startWorkers: false,
      configOverrides: { destinations: [{ id: 'only', connector: 'http-postback', acceptUnmatched: true, settings: { url: 'http://127.0.0.1:9/x' } }] },
    });
    try {
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        clock.advance(1000);
        const res = await g.postback({ tx_id: `page-${i}` });
        ids.push(res.body.deliveries[0].id);
      }
      clock.advance(1000);
      const cancelled = await g.postback({ tx_id: 'page-3', status: 'rejected' });
      assert.equal(cancelled.body.deliveries[0].status, 'cancelled');

      const all = await g.admin('/v1/deliveries');
      assert.deepEqual(
        all.body.deliveries.map((d: any) => d.id),
        [...ids].reverse(),
        'newest first',
      );
      assert.equal(all.body.next_cursor, null, 'not a full page');

      const pages: string[][] = [];
      let cursor: string | null | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const { status, body } = await g.admin(`/v1/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(status, 200);
        pages.push(body.deliveries.map((d: any) => d.id));
        cursor = body.next_cursor;
        if (cursor === null) break;
        assert.equal(cursor, `${body.deliveries[1].created_at}.${body.deliveries[1].id}`);
      }
      assert.deepEqual(pages, [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]);

      const onlyCancelled = await g.admin('/v1/deliveries?status=cancelled');
      assert.deepEqual(
        onlyCancelled.body.deliveries.map((d: any) => [d.id, d.status]),
        [[ids[2], 'cancelled']],
      );
      assert.equal(onlyCancelled.body.deliveries[0].next_attempt_at, null);
      const pending = await g.admin('/v1/deliveries?status=pending&limit=2');
      assert.equal(pending.body.deliveries.length, 2);
      assert.ok(pending.body.deliveries.every((d: any) => d.status === 'pending' && typeof d.next_attempt_at === 'number'));
      assert.notEqual(pending.body.next_cursor, null);
      assert.deepEqual((await g.admin('/v1/deliveries?status=succeeded')).body.deliveries, []);
      assert.deepEqual((await g.admin('/v1/deliveries?status=dead')).body.deliveries, []);
      assert.equal((await g.admin('/v1/deliveries?destination=only')).body.deliveries.length, 5);
      assert.deepEqual((await g.admin('/v1/deliveries?destination=other')).body.deliveries, []);
    } finally {
      await g.close();
    }
  });

  test('paging does not lose deliveries created in the same millisecond', async () => {
    // One conversion routed to two destinations: both deliveries share created_at.
    const res = await gw.postback({ tx_id: 'same-ms', event: 'lead' });
    assert.equal(res.body.deliveries.length, 2);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: { body: any } = await gw.admin(`/v1/deliveries?limit=1${cursor !== null ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.deliveries.map((d: any) => d.id));
      cursor = page.body.next_cursor;
      if (cursor === null) break;
    }
    const all = (await gw.admin('/v1/deliveries?limit=500')).body.deliveries.map((d: any) => d.id);
    assert.equal(seen.length, all.length, 'no row skipped or repeated');
    assert.deepEqual(seen.sort(), all.sort());
  });
});

describe('health', () => {
  test('/healthz and /readyz answer without a token', async () => {
    const h = await call('/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: 'ok' });
    const r = await call('/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
    assert.deepEqual(Object.keys(r.body.checks).sort(), ['click_store', 'ledger']);
  });

  test('/readyz is 503 draining once close() has begun, while /healthz stays 200', async () => {
    const fake = await startFakeServer(() => ({ status: 200, delayMs: 400 }));
    const dir = mkdtempSync(join(tmpdir(), 'closeloop-drain-'));
    const config = testConfig(
      { destinations: [{ id: 'slow', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/slow` } }] },
      join(dir, 'drain.db'),
    );
    const g = await startTestGateway({ config, http: reclosableHttp() });
    // A second listener on the same app: the gateway's own server stops accepting at close().
    const side = createServer(g.gw.app.callback());
    await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
    const sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
    try {
      assert.equal(((await (await fetch(`${sideUrl}/readyz`)).json()) as { status: string }).status, 'ready');
      await g.postback({ tx_id: 'drain-1' });
      await fake.waitFor(1); // an attempt is in flight: close() has to wait for it
      const closing = g.gw.close();
      const ready = await fetch(`${sideUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'draining' });
      assert.equal((await fetch(`${sideUrl}/healthz`)).status, 200);
      await closing;
    } finally {
      side.closeAllConnections();
      await new Promise<void>((r) => side.close(() => r()));
      await g.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
