import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { redactQuery } from '../src/metrics/observe';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { ADMIN_TOKEN, SOURCE_SECRET, execute, testConfig } from './helpers/gateway';

/**
 * GET /metrics after a known workload (issue 8 §4), and the access / intake log lines. The
 * gateway logs at info into an array, so the tests read exactly what an operator would.
 */
const METRICS_TOKEN = 'test-metrics-token-0123456789';
let fake: FakeServer;
let gw: Gateway;
let url = '';
let dir = '';
const logs: Array<Record<string, any>> = [];

async function scrape(token = ADMIN_TOKEN, base = url): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** The value of one sample line `name{labels} value`; labels in prom-client's order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[3] ? m[3].split(',') : [];
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[4]);
  }
  return undefined;
}

async function postback(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/postback?${new URLSearchParams(params)}`, { headers });
}

before(async () => {
  fake = await startFakeServer((req) => (req.path === '/bad' ? { status: 400, body: 'nope' } : { status: 200, body: 'ok' }));
  dir = mkdtempSync(join(tmpdir(), 'closeloop-metrics-'));
  const config = testConfig(
    {
      admin: { token: ADMIN_TOKEN, metricsToken: METRICS_TOKEN },
      network: { allowPrivateTargets: ['127.0.0.1'] },
      destinations: [
        { id: 'ok', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/ok?tx={transaction_id}` } },
        { id: 'bad', connector: 'http-postback', acceptUnmatched: true, filters: { offers: ['o2'] }, settings: { url: `${fake.url}/bad` } },
      ],
    },
    join(dir, 'metrics.db'),
  );
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  gw = openGateway({ config, logger });
  const server = await gw.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The workload: 2 clicks, 3 new conversions (4 deliveries: 3 to ok, 1 to bad), 1 duplicate,
  // 1 refused payout, 1 wrong key.
  for (const gclid of ['m-gclid-1', 'm-gclid-2']) assert.equal((await fetch(`${url}/c/demo?gclid=${gclid}`, { redirect: 'manual' })).status, 302);
  for (const [txId, offer] of [
    ['m-1', 'o1'],
    ['m-2', 'o2'],
    ['m-3', 'o1'],
  ] as const) {
    assert.equal((await postback({ key: SOURCE_SECRET, tx_id: txId, offer_id: offer })).status, 200);
  }
  assert.equal((await postback({ key: SOURCE_SECRET, tx_id: 'm-1', offer_id: 'o1' })).status, 200);
  assert.equal((await postback({ key: SOURCE_SECRET, tx_id: 'm-4', payout: '1,5' })).status, 400);
  assert.equal((await postback({ key: 'not-the-secret-at-all', tx_id: 'm-5' })).status, 401);

  // One partner postback, deactivated as the failure rule would leave it.
  const admin = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<any>);
  const partner = await admin('/v1/network/partners', { name: 'P' });
  const pb = await admin('/v1/network/postbacks', { level: 'global', partner_id: partner.id, postback_url: `${fake.url}/pp?tx={transaction_id}` });
  await execute(gw, `UPDATE network_postbacks SET status = 'deactivated', deactivated_reason = 'test' WHERE id = ?`, pb.id);

  const deadline = Date.now() + 8000;
  while ((await gw.ledger.countDeliveries()).pending > 0) {
    assert.ok(Date.now() < deadline, 'deliveries did not settle');
    await new Promise((r) => setTimeout(r, 20));
  }
});
after(async () => {
  await gw?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  test('needs the admin or the metrics token', async () => {
    for (const token of ['', 'wrong-token-0123456789', `${METRICS_TOKEN}x`]) {
      const res = await scrape(token);
      assert.equal(res.status, 401, token);
      assert.equal(JSON.parse(res.text).error.code, 'UNAUTHORIZED');
    }
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    const byMetrics = await scrape(METRICS_TOKEN);
    assert.equal(byMetrics.status, 200);
    assert.match(byMetrics.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal((await scrape(ADMIN_TOKEN)).status, 200);
  });

  test('counts the workload: requests by route, postbacks by outcome, clicks, deliveries, latency, outbox, deactivations', async () => {
    const { text } = await scrape();
    assert.equal(sample(text, 'closeloop_http_requests_total', { method: 'GET', route: '/postback', status: '200' }), 4);
    assert.equal(sample(text, 'closeloop_http_requests_total', { method: 'GET', route: '/postback', status: '400' }), 1);
    assert.equal(sample(text, 'closeloop_http_requests_total', { method: 'GET', route: '/postback', status: '401' }), 1);
    assert.equal(sample(text, 'closeloop_http_requests_total', { method: 'GET', route: '/c/:link', status: '302' }), 2);
    assert.equal(sample(text, 'closeloop_http_requests_total', { method: 'POST', route: '/v1/network/postbacks', status: '201' }), 1);
    assert.ok(!text.includes('route="/c/demo"'), 'the route pattern, never the raw path');
    assert.equal(sample(text, 'closeloop_postbacks_total', { outcome: 'accepted', code: '' }), 3);
    assert.equal(sample(text, 'closeloop_postbacks_total', { outcome: 'duplicate', code: '' }), 1);
    assert.equal(sample(text, 'closeloop_postbacks_total', { outcome: 'rejected', code: 'INVALID_POSTBACK' }), 1);
    assert.equal(sample(text, 'closeloop_postbacks_total', { outcome: 'rejected', code: 'UNAUTHORIZED' }), 1);
    assert.equal(sample(text, 'closeloop_clicks_total'), 2);
    assert.equal(sample(text, 'closeloop_delivery_attempts_total', { destination: 'ok', outcome: 'succeeded', kind: 'none' }), 3);
    assert.equal(sample(text, 'closeloop_delivery_attempts_total', { destination: 'bad', outcome: 'failed', kind: 'payload' }), 1);
    assert.equal(sample(text, 'closeloop_deliveries_finished_total', { destination: 'ok', status: 'succeeded' }), 3);
    assert.equal(sample(text, 'closeloop_deliveries_finished_total', { destination: 'bad', status: 'dead' }), 1);
    assert.equal(sample(text, 'closeloop_delivery_attempt_duration_seconds_count', { destination: 'ok' }), 3);
    assert.equal(sample(text, 'closeloop_delivery_attempt_duration_seconds_count', { destination: 'bad' }), 1);
    assert.equal(sample(text, 'closeloop_delivery_attempt_duration_seconds_bucket', { destination: 'ok', le: '+Inf' }), 3);
    assert.equal(sample(text, 'closeloop_outbox_depth'), 0);
    assert.equal(sample(text, 'closeloop_outbox_oldest_pending_age_seconds'), 0);
    assert.equal(sample(text, 'closeloop_destinations_paused'), 0);
    assert.equal(sample(text, 'closeloop_partner_postbacks_deactivated'), 1);
    assert.ok((sample(text, 'nodejs_eventloop_lag_seconds') ?? -1) >= 0, 'event-loop lag from the default metrics');
  });

  test('the outbox gauges read the ledger at scrape; a second gateway has its own registry', async () => {
    const other = openGateway({
      config: testConfig({ destinations: [{ id: 'held', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/ok` } }] }),
      logger: createLogger('silent'),
      startWorkers: false,
    });
    const server = await other.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = Date.now();
      assert.equal((await fetch(`${base}/postback?key=${SOURCE_SECRET}&tx_id=held-1`)).status, 200);
      await new Promise((r) => setTimeout(r, 30));
      const { text } = await scrape(ADMIN_TOKEN, base);
      assert.equal(sample(text, 'closeloop_outbox_depth'), 1);
      const age = sample(text, 'closeloop_outbox_oldest_pending_age_seconds') ?? -1;
      assert.ok(age > 0 && age < (Date.now() - before) / 1000 + 1, `age ${age}`);
      assert.equal(sample(text, 'closeloop_postbacks_total', { outcome: 'accepted', code: '' }), 1);
      assert.equal(sample(text, 'closeloop_clicks_total'), 0);
      // The first gateway's counts did not move.
      assert.equal(sample((await scrape()).text, 'closeloop_postbacks_total', { outcome: 'accepted', code: '' }), 3);
    } finally {
      await other.close();
    }
  });
});

describe('access and intake log', () => {
  test('one access line per request, with its request id echoed; the key and personal data redacted', async () => {
    const res = await postback({ key: SOURCE_SECRET, tx_id: 'log-1', email: 'a@b.example', sub1: 'visible' }, { 'x-request-id': 'req-abc.123' });
    assert.equal(res.headers.get('x-request-id'), 'req-abc.123');
    const fresh = await fetch(`${url}/healthz`);
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
    const odd = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'has spaces and "quotes"' } });
    assert.match(odd.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/, 'an id that does not look like one is replaced');

    const access = logs.filter((l) => l.msg === 'request' && l.reqId === 'req-abc.123');
    assert.equal(access.length, 1);
    assert.equal(access[0]?.route, '/postback');
    assert.equal(access[0]?.status, 200);
    assert.equal(access[0]?.method, 'GET');
    assert.equal(typeof access[0]?.ms, 'number');
    assert.match(access[0]?.url, /^\/postback\?key=\[redacted\]&tx_id=log-1&email=\[redacted\]&sub1=visible$/);
    const intake = logs.filter((l) => l.msg === 'postback' && l.reqId === 'req-abc.123');
    assert.equal(intake.length, 1);
    assert.equal(intake[0]?.outcome, 'accepted');
    assert.match(intake[0]?.conversion, /^[0-9a-f]{32}$/);
    assert.equal(logs.filter((l) => l.msg === 'request' && l.reqId === fresh.headers.get('x-request-id')).length, 1);

    const everything = JSON.stringify(logs);
    assert.ok(!everything.includes(SOURCE_SECRET), 'the source secret is in no log line');
    assert.ok(!everything.includes(ADMIN_TOKEN), 'the admin token is in no log line');
    assert.ok(!everything.includes('a@b.example'), 'no email address in the log');
  });

  test('refused postbacks log their code', async () => {
    await postback({ key: SOURCE_SECRET, tx_id: 'log-2', payout: 'x' }, { 'x-request-id': 'req-refused' });
    await postback({ tx_id: 'log-3' }, { 'x-request-id': 'req-nokey' });
    const line = (id: string) => logs.find((l) => l.msg === 'postback' && l.reqId === id);
    assert.deepEqual([line('req-refused')?.outcome, line('req-refused')?.code, line('req-refused')?.httpStatus], ['rejected', 'INVALID_POSTBACK', 400]);
    assert.deepEqual([line('req-nokey')?.outcome, line('req-nokey')?.code], ['rejected', 'UNAUTHORIZED']);
  });

  test('redactQuery hides credential and personal parameters by decoded, case-insensitive name', () => {
    const hidden = new Set(['key', 'token', 'email']);
    assert.equal(redactQuery('a=1&KEY=s&%6Bey=t&token&email=x%40y&keys=ok', hidden), 'a=1&KEY=[redacted]&%6Bey=[redacted]&token&email=[redacted]&keys=ok');
    assert.equal(redactQuery('', hidden), '');
    assert.equal(redactQuery('%E0%A4%A=1&key=2', hidden), '%E0%A4%A=1&key=[redacted]');
  });
});
