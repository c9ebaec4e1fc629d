import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { httpPostback } from '../connectors/http-postback/index';
import type { AnyConnector } from '../src/connector-kit/define';
import { defineConnector } from '../src/connector-kit/define';
import { loopbackHttpClient } from './helpers/loopback-http';
import type { HttpClient } from '../src/connector-kit/http-types';
import { startFakeServer, type FakeHandler, type FakeServer } from './helpers/fake-server';
import { queryOne, startTestGateway, testConfig, waitForDeliveries, type TestGateway } from './helpers/gateway';
import { createDeliveryEngine } from '../src/delivery/engine';
import { staticDirectory } from '../src/delivery/destinations';
import { createLogger } from '../src/logger';

/** http-postback with a 200 ms timeout, so a hanging receiver is seen quickly. */
const quickPostback = defineConnector({ ...httpPostback, id: 'quick-postback', limits: { maxBatch: 1, timeoutMs: 200 } }) as unknown as AnyConnector;
const CONNECTORS = [httpPostback as unknown as AnyConnector, quickPostback];

/**
 * The gateway's HTTP client with an idempotent close(): these tests call gw.close() themselves
 * (as SIGTERM does) and then the harness's close() to delete the temp directory, which closes again.
 */
function reclosableHttp(): HttpClient {
  const client = loopbackHttpClient();
  let closed: Promise<void> | null = null;
  return { send: client.send, close: () => (closed ??= client.close()) };
}

interface Scenario {
  fake: FakeServer;
  g: TestGateway;
  close(): Promise<void>;
}

/** A fake receiver answering with `handler`, and a gateway with one destination `dest` pointing at it. */
async function scenario(handler: FakeHandler, dest: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<Scenario> {
  const fake = await startFakeServer(handler);
  let g: TestGateway;
  try {
    g = await startTestGateway({
      connectors: CONNECTORS,
      configOverrides: {
        destinations: [
          { id: 'dest', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={tx_id}&dk={dedup_key}` }, ...dest },
        ],
        ...config,
      },
    });
  } catch (err) {
    await fake.close();
    throw err;
  }
  return {
    fake,
    g,
    async close() {
      await fake.close();
      await g.close();
    },
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function deliveryOf(g: TestGateway, conversionId: string): Promise<any> {
  return (await g.admin(`/v1/conversions/${conversionId}`)).body.deliveries[0];
}

describe('retries', () => {
  test('500 then 200: retried with the same dedup key, both attempts recorded', async () => {
    const s = await scenario((_r, i) => (i === 0 ? { status: 500, body: 'upstream broke' } : { status: 200, body: 'ok' }));
    try {
      const res = await s.g.postback({ tx_id: 'retry-1' });
      const detail = await waitForDeliveries(s.g, res.body.conversion_id, 'succeeded');
      const d = detail.deliveries[0];
      assert.equal(d.attempts.length, 2);
      const [first, second] = d.attempts;
      assert.equal(first.attempt, 1);
      assert.equal(first.response_status, 500);
      assert.equal(first.response_body, 'upstream broke');
      assert.equal(first.outcome, 'failed');
      assert.equal(first.error_kind, 'transient');
      assert.equal(first.next_step, 'retry');
      assert.ok(first.next_attempt_at > first.started_at);
      assert.equal(typeof first.duration_ms, 'number');
      assert.match(first.request.url, /\/pb\?tx=retry-1&dk=/);
      assert.equal(second.attempt, 2);
      assert.equal(second.response_status, 200);
      assert.equal(second.outcome, 'succeeded');
      assert.equal(second.next_step, 'done');
      assert.equal(second.error_kind, null);

      assert.equal(s.fake.requests.length, 2);
      const keys = s.fake.requests.map((r) => r.query.get('dk'));
      assert.match(keys[0] ?? '', /^[0-9a-f]{32}$/);
      assert.equal(keys[0], keys[1], 'the {dedup_key} is identical on the retry');
      assert.equal(keys[0], d.dedup_key);
    } finally {
      await s.close();
    }
  });

  test('429 with Retry-After: 1 waits at least a second', async () => {
    const s = await scenario((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } : { status: 200 }));
    try {
      const res = await s.g.postback({ tx_id: 'retry-429' });
      const first = await until('the 429 attempt', async () => (await deliveryOf(s.g, res.body.conversion_id)).attempts[0]);
      assert.equal(first.error_kind, 'rate_limited');
      assert.equal(first.next_step, 'retry');
      assert.ok(first.next_attempt_at - first.started_at >= 1000, `next attempt ${first.next_attempt_at - first.started_at} ms later`);
      const pending = (await s.g.admin('/v1/deliveries?status=pending')).body.deliveries[0];
      assert.equal(pending.next_attempt_at, first.next_attempt_at);
      assert.equal(pending.last_kind, 'rate_limited');

      await waitForDeliveries(s.g, res.body.conversion_id, 'succeeded', 5000);
      const [a, b] = s.fake.requests;
      assert.ok(a && b);
      assert.ok(b.receivedAt - a.receivedAt >= 950, `retried after ${b.receivedAt - a.receivedAt} ms`);
    } finally {
      await s.close();
    }
  });

  test('always 503: dead after maxAttempts; POST /v1/deliveries/:id/retry replays it', async () => {
    let up = false;
    const s = await scenario(() => (up ? { status: 200 } : { status: 503, body: 'maintenance' }));
    try {
      const res = await s.g.postback({ tx_id: 'retry-dead' });
      const detail = await waitForDeliveries(s.g, res.body.conversion_id, 'dead');
      const d = detail.deliveries[0];
      assert.equal(d.attempts.length, 3, 'delivery.maxAttempts = 3 in the test config');
      assert.deepEqual(
        d.attempts.map((a: any) => a.next_step),
        ['retry', 'retry', 'dead'],
      );
      assert.equal(d.last_kind, 'transient');
      assert.match(d.last_error, /503/);
      assert.equal(d.next_attempt_at, null);
      assert.equal(s.fake.requests.length, 3);
      const dead = await s.g.admin('/v1/deliveries?status=dead');
      assert.deepEqual(
        dead.body.deliveries.map((x: any) => x.id),
        [d.id],
      );

      up = true;
      const retry = await s.g.admin(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
      assert.equal(retry.status, 202);
      assert.equal(retry.body.status, 'pending');
      const done = await waitForDeliveries(s.g, res.body.conversion_id, 'succeeded');
      assert.equal(done.deliveries[0].attempts.length, 4);
      assert.equal(done.deliveries[0].attempts[3].response_status, 200);
      assert.equal(s.fake.requests.length, 4);
      assert.equal(new Set(s.fake.requests.map((r) => r.query.get('dk'))).size, 1);

      const again = await s.g.admin(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'NOT_RETRYABLE');
      const unknown = await s.g.admin(`/v1/deliveries/${'f'.repeat(32)}/retry`, { method: 'POST' });
      assert.equal(unknown.status, 404);
    } finally {
      await s.close();
    }
  });

  test('a per-destination maxAttempts overrides the default', async () => {
    const s = await scenario(() => ({ status: 502 }), { maxAttempts: 1 });
    try {
      const res = await s.g.postback({ tx_id: 'max-1' });
      const d = (await waitForDeliveries(s.g, res.body.conversion_id, 'dead')).deliveries[0];
      assert.equal(d.max_attempts, 1);
      assert.equal(d.attempts.length, 1);
    } finally {
      await s.close();
    }
  });
});

describe('error kinds', () => {
  test('401 pauses the destination with the reason; resume sends the waiting deliveries', async () => {
    let allowed = false;
    const s = await scenario(() => (allowed ? { status: 200 } : { status: 401, body: 'token revoked' }));
    try {
      const first = await s.g.postback({ tx_id: 'auth-1' });
      const state = await until('the pause', async () => {
        const { body } = await s.g.admin('/v1/destinations');
        return body.destinations.find((d: any) => d.id === 'dest' && d.paused);
      });
      assert.match(state.paused_reason, /^auth: /);
      assert.match(state.paused_reason, /401/);
      assert.equal(typeof state.paused_at, 'number');
      const d = await deliveryOf(s.g, first.body.conversion_id);
      assert.equal(d.status, 'pending', 'the delivery waits, it is not dead');
      assert.equal(d.attempts[0].error_kind, 'auth');
      assert.equal(d.attempts[0].next_step, 'paused');

      // While paused, nothing more is sent.
      const second = await s.g.postback({ tx_id: 'auth-2' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(s.fake.requests.length, 1);
      assert.equal((await deliveryOf(s.g, second.body.conversion_id)).attempts.length, 0);

      allowed = true;
      const resumed = await s.g.admin('/v1/destinations/dest/resume', { method: 'POST' });
      assert.equal(resumed.status, 200);
      assert.deepEqual(resumed.body, { id: 'dest', paused: false });
      await waitForDeliveries(s.g, first.body.conversion_id, 'succeeded');
      await waitForDeliveries(s.g, second.body.conversion_id, 'succeeded');
      const after = (await s.g.admin('/v1/destinations')).body.destinations[0];
      assert.equal(after.paused, false);
      assert.equal(after.paused_reason, null);
      assert.equal((await s.g.admin('/v1/destinations/nope/resume', { method: 'POST' })).status, 404);
    } finally {
      await s.close();
    }
  });

  test('401 with deliveries claimed ahead: only the request in flight is sent, the waiting ones go back to the outbox', async () => {
    // One slot: the engine keeps a second request claimed and waiting behind the one in flight.
    const s = await scenario(() => ({ status: 401, body: 'token revoked' }), {}, { delivery: { concurrency: 1 } });
    try {
      await s.g.gw.engine.stop();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await s.g.postback({ tx_id: `ahead-${i}` })).body.conversion_id);
      // A fresh engine over the filled outbox (the stopped one claims nothing more).
      const engine = createDeliveryEngine({
        ledger: s.g.gw.ledger,
        destinations: staticDirectory(s.g.gw.destinations),
        http: loopbackHttpClient(),
        now: Date.now,
        logger: createLogger('silent'),
        options: { concurrency: 1, pollMs: 10, leaseMs: 60_000, backoff: { baseMs: 1000, maxMs: 5000 } },
      });
      engine.start();
      await until('the pause', async () => (await s.g.admin('/v1/destinations')).body.destinations.find((d: any) => d.id === 'dest' && d.paused));
      await new Promise((r) => setTimeout(r, 200));
      await engine.stop();
      assert.equal(s.fake.requests.length, 1, 'nothing sent after the failure');
      const attempts = await Promise.all(ids.map(async (id) => (await deliveryOf(s.g, id)).attempts.length));
      assert.equal(
        attempts.reduce((a, b) => a + b, 0),
        1,
      );
      const leased = await queryOne(s.g.gw, 'SELECT COUNT(*) AS n FROM deliveries WHERE lease_owner IS NOT NULL');
      assert.equal(Number(leased?.n), 0, 'the waiting claims were given back');
    } finally {
      await s.close();
    }
  });

  test('404 (config) also pauses', async () => {
    const s = await scenario(() => ({ status: 404, body: 'no such endpoint' }));
    try {
      await s.g.postback({ tx_id: 'cfg-1' });
      const state = await until('the pause', async () => (await s.g.admin('/v1/destinations')).body.destinations.find((d: any) => d.paused));
      assert.match(state.paused_reason, /^config: /);
    } finally {
      await s.close();
    }
  });

  test('400 fails only that delivery (dead at once); the others are delivered and the destination stays up', async () => {
    const s = await scenario((r) => (r.query.get('tx') === 'bad-event' ? { status: 400, body: 'invalid event' } : { status: 200 }));
    try {
      const bad = await s.g.postback({ tx_id: 'bad-event' });
      const good = await s.g.postback({ tx_id: 'good-event' });
      const dead = (await waitForDeliveries(s.g, bad.body.conversion_id, 'dead')).deliveries[0];
      assert.equal(dead.attempts.length, 1);
      assert.equal(dead.last_kind, 'payload');
      assert.equal(dead.attempts[0].next_step, 'dead');
      await waitForDeliveries(s.g, good.body.conversion_id, 'succeeded');
      const after = await s.g.postback({ tx_id: 'after-bad' });
      await waitForDeliveries(s.g, after.body.conversion_id, 'succeeded');
      const state = (await s.g.admin('/v1/destinations')).body.destinations[0];
      assert.equal(state.paused, false);
      assert.equal(state.consecutive_failures, 0);
      assert.equal(s.fake.requests.filter((r) => r.query.get('tx') === 'bad-event').length, 1, 'not retried');
    } finally {
      await s.close();
    }
  });

  test('a connection reset is transient and retried', async () => {
    const s = await scenario((_r, i) => (i === 0 ? { reset: true } : { status: 200 }));
    try {
      const res = await s.g.postback({ tx_id: 'reset-1' });
      const d = (await waitForDeliveries(s.g, res.body.conversion_id, 'succeeded')).deliveries[0];
      assert.equal(d.attempts.length, 2);
      assert.equal(d.attempts[0].error_kind, 'transient');
      assert.equal(d.attempts[0].response_status, null);
      assert.equal(d.attempts[0].next_step, 'retry');
      assert.match(d.attempts[0].error_message, /network error/);
      const state = (await s.g.admin('/v1/destinations')).body.destinations[0];
      assert.equal(state.paused, false);
      assert.equal(state.consecutive_failures, 0, 'the success reset the streak');
    } finally {
      await s.close();
    }
  });

  test('a receiver that never answers times out (connector timeout) and is transient', async () => {
    const s = await scenario((_r, i) => (i === 0 ? { hang: true } : { status: 200 }), { connector: 'quick-postback' });
    try {
      const res = await s.g.postback({ tx_id: 'hang-1' });
      assert.equal(res.status, 200);
      const d = (await waitForDeliveries(s.g, res.body.conversion_id, 'succeeded')).deliveries[0];
      assert.equal(d.connector, 'quick-postback');
      assert.equal(d.attempts[0].error_kind, 'transient');
      assert.equal(d.attempts[0].platform_code, 'TIMEOUT');
      assert.match(d.attempts[0].error_message, /no response within 200 ms/);
      assert.ok(d.attempts[0].duration_ms >= 150 && d.attempts[0].duration_ms < 2000, String(d.attempts[0].duration_ms));
      assert.equal(d.attempts[1].response_status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('attempt records', () => {
  test('credential values and the click’s ip / user agent never appear in the admin API', async () => {
    const TOKEN = 'sekret-token-123456';
    const fake = await startFakeServer((r, i) => (i === 0 ? { status: 500, body: `cannot handle ${r.url}` } : { status: 200, body: `ok ${r.url}` }));
    const g = await startTestGateway({
      configOverrides: {
        destinations: [
          {
            id: 'dest',
            connector: 'http-postback',
            settings: { url: `${fake.url}/pb?tx={tx_id}&ua={user_agent}&ip={ip}` },
            credentials: { query: { token: TOKEN } },
          },
        ],
      },
    });
    try {
      const clickId = await g.click('demo', { gclid: 'cred' }, { 'user-agent': 'SecretAgent/7.7' });
      const res = await g.postback({ tx_id: 'cred-1', click_id: clickId });
      const detail = await waitForDeliveries(g, res.body.conversion_id, 'succeeded');
      assert.equal(fake.requests[0]?.query.get('token'), TOKEN, 'the receiver does get the credential');
      assert.equal(fake.requests[0]?.query.get('ua'), 'SecretAgent/7.7');

      const outputs = [
        JSON.stringify(detail),
        JSON.stringify((await g.admin('/v1/deliveries')).body),
        JSON.stringify((await g.admin('/v1/destinations')).body),
      ];
      for (const out of outputs) {
        assert.ok(!out.includes(TOKEN), `token leaked: ${out.slice(0, 300)}`);
        assert.ok(!out.includes(encodeURIComponent(TOKEN)));
        assert.ok(!out.includes('SecretAgent'), 'the user agent is personal data');
      }
      const [first, second] = detail.deliveries[0].attempts;
      assert.match(first.request.url, /token=\[redacted\]/);
      assert.match(first.request.url, /ua=\[pii\]/);
      assert.match(first.request.url, /ip=\[pii\]/);
      assert.match(first.response_body, /\[redacted\]/, 'a response echoing the token is redacted');
      assert.match(first.error_message, /\[redacted\]/);
      assert.match(second.response_body, /^ok .*\[redacted\]/);
    } finally {
      await fake.close();
      await g.close();
    }
  });
});

describe('graceful stop', () => {
  test('close() waits for an attempt in flight and records it', async () => {
    const fake = await startFakeServer(() => ({ status: 200, body: 'late ok', delayMs: 300 }));
    const dir = mkdtempSync(join(tmpdir(), 'closeloop-stop-'));
    const config = testConfig(
      { destinations: [{ id: 'dest', connector: 'http-postback', acceptUnmatched: true, settings: { url: `${fake.url}/pb?tx={tx_id}` } }] },
      join(dir, 'stop.db'),
    );
    let reopened: TestGateway | undefined;
    const g = await startTestGateway({ config, http: reclosableHttp() });
    try {
      const res = await g.postback({ tx_id: 'stop-1' });
      await fake.waitFor(1);
      const started = Date.now();
      await g.gw.close(); // what SIGTERM does; the helper's close() would also delete the file
      assert.ok(Date.now() - started >= 150, `close() returned after ${Date.now() - started} ms, before the reply`);

      reopened = await startTestGateway({ config, startWorkers: false });
      const detail = await reopened.admin(`/v1/conversions/${res.body.conversion_id}`);
      const d = detail.body.deliveries[0];
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].response_status, 200);
      assert.equal(d.attempts[0].response_body, 'late ok');
      assert.equal(fake.requests.length, 1);
    } finally {
      await reopened?.close();
      await g.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
