import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliveryError, type HttpClient, type Outcome } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { startWebhookReceiver, type WebhookReceiver, type WebhookStep } from '../../test/fakes/webhook-receiver';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { FIXTURE_NOW, WEBHOOK_SECRET, webhookContext, webhookItem } from './fixtures';
import { generateWebhookSecret, webhook } from './index';

describe('webhook contract (real HttpClient → receiver)', () => {
  let receiver: WebhookReceiver;
  let http: HttpClient;
  before(async () => {
    receiver = await startWebhookReceiver({ secret: WEBHOOK_SECRET, now: () => FIXTURE_NOW + 2_000 });
    http = loopbackHttpClient();
  });
  after(async () => {
    await http.close();
    await receiver.close();
  });

  async function send(step: WebhookStep | null, opts: { now?: number; timeoutMs?: number; secret?: string } = {}): Promise<Outcome> {
    if (step) receiver.enqueue(step);
    const item = webhookItem({ dedupKey: `k${receiver.requests.length}` });
    const ctx = webhookContext({ url: `${receiver.url}/hooks/closeloop` }, opts.now ?? FIXTURE_NOW);
    if (opts.secret) ctx.credentials = { secret: opts.secret };
    const request = webhook.build([item], ctx);
    try {
      return webhook.classify(await http.send(request, { timeoutMs: opts.timeoutMs ?? 5000 }), request, [item]);
    } catch (err) {
      assert.ok(err instanceof DeliveryError);
      return { ok: false, error: err };
    }
  }
  const kindOf = (o: Outcome) => (Array.isArray(o) ? 'array' : o.ok ? 'ok' : o.error.kind);

  const cases: Array<[string, WebhookStep | null, Parameters<typeof send>[1], string]> = [
    ['verified and acknowledged', null, {}, 'ok'],
    ['a different secret is refused (401 → auth)', null, { secret: generateWebhookSecret() }, 'auth'],
    ['a stale timestamp is refused (replay window)', null, { now: FIXTURE_NOW - 10 * 60_000 }, 'auth'],
    ['HTTP 500', { status: 500 }, {}, 'transient'],
    ['HTTP 429', { status: 429, headers: { 'retry-after': '1' } }, {}, 'rate_limited'],
    ['HTTP 410 Gone → config (pause)', { status: 410 }, {}, 'config'],
    ['connection reset', { reset: true }, {}, 'transient'],
  ];
  for (const [name, step, opts, want] of cases) it(name, async () => assert.equal(kindOf(await send(step, opts)), want));

  it('a timeout is transient', async () => {
    const out = await send({ hang: true }, { timeoutMs: 150 });
    assert.ok(!Array.isArray(out) && !out.ok);
    assert.equal(out.error.platformCode, 'TIMEOUT');
  });
});

describe('webhook end to end (gateway → receiver)', () => {
  let receiver: WebhookReceiver;
  let gw: TestGateway;
  before(async () => {
    receiver = await startWebhookReceiver({ secret: WEBHOOK_SECRET });
    gw = await startTestGateway({
      configOverrides: {
        destinations: [{ id: 'hook', connector: 'webhook', settings: { url: `${receiver.url}/in` }, credentials: { secret: WEBHOOK_SECRET } }],
      },
    });
  });
  after(async () => {
    await gw.close();
    await receiver.close();
  });

  it('a click and its postback arrive as a verified conversion.received with the dedup key as id', async () => {
    const clickId = await gw.click('demo', { ttclid: 'E.C.P.hook', sub1: 'camp' }, { 'user-agent': 'UA-should-not-leak/1.0' });
    const pb = await gw.postback({ click_id: clickId, payout: '7.25', tx_id: 'tx-wh-1' });
    const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    const [got] = await receiver.waitForAccepted(1);
    assert.ok(got);
    assert.equal(got.id, detail.deliveries[0].dedup_key);
    assert.equal(got.type, 'conversion.received');
    const d = got.payload.data;
    assert.equal(d.conversion.transaction_id, 'tx-wh-1');
    assert.equal(d.conversion.payout, '7.25');
    assert.equal(d.click.id, clickId);
    assert.equal(d.click.platform_click_ids.ttclid, 'E.C.P.hook');
    assert.equal(d.click.subs.sub1, 'camp');
    assert.ok(!('ip' in d.click) && !('user_agent' in d.click), 'no client data by default');
    assert.ok(!JSON.stringify(got.payload).includes('UA-should-not-leak'));
  });

  it('a retried delivery (500, reset, then OK) carries the same webhook-id and body', async () => {
    receiver.enqueue({ status: 500 }, { reset: true });
    const before = receiver.requests.length;
    const pb = await gw.postback({ click_id: await gw.click('demo', {}), payout: '1', tx_id: 'tx-wh-2' });
    const detail = await waitForDeliveries(gw, pb.body.conversion_id, 'succeeded');
    const sent = receiver.requests.slice(before);
    assert.equal(sent.length, 3);
    assert.deepEqual(
      sent.map((r) => r.headers['webhook-id']),
      Array(3).fill(detail.deliveries[0].dedup_key),
    );
    assert.equal(new Set(sent.map((r) => r.body)).size, 1, 'same body on every attempt');
    assert.equal(receiver.seen.get(detail.deliveries[0].dedup_key), 1, 'only the last one reached verification');
    assert.equal(receiver.accepted.filter((a) => a.payload.data.conversion.transaction_id === 'tx-wh-2').length, 1);
  });
});
